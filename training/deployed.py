"""The models a project deploys, as the web process reads them (plain ORM, no Spark).

Which models are deployed is read from the labeling config: every ``model`` attribute that names
a registry row of the right type (a NER label → a NER model, an assertion label → the assertion
model, a ``<Choices>`` → a classification model). That part is plain ORM, so the web process can
refuse a pre-annotation before queueing it. Loading and predicting need Spark: that is the child's
``training.pipeline.predictor``.

``choices_margin`` is here too: the certainty of a classifier's scores, which the predictor gives a
prediction and active learning reads back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from projects.labeling_config import ChoicesGroup, LabelingConfig
from training.models import ModelType, NlpModel

#: Prediction.model_name's column size; a very long set of names is cut rather than failing a job.
MODEL_NAME_MAX = 255


@dataclass(frozen=True)
class Target:
    """Where a predicted value goes: the control tag that offers it and the object it labels."""

    from_name: str
    to_name: str


@dataclass
class DeployedModels:
    """The registry rows a config binds, by the role they play in a prediction."""

    #: NER models in config order, each with the labels the config binds to it.
    ner: list[tuple[NlpModel, dict[str, Target]]] = field(default_factory=list)
    #: The project's one assertion model, and the status labels the config defines.
    assertion: tuple[NlpModel, dict[str, Target]] | None = None
    #: ``<Choices>`` groups with the classification model bound to each.
    classification: list[tuple[NlpModel, ChoicesGroup]] = field(default_factory=list)

    @property
    def models(self) -> list[NlpModel]:
        found = [model for model, _ in self.ner]
        if self.assertion is not None:
            found.append(self.assertion[0])
        found.extend(model for model, _ in self.classification)
        return list({model.name: model for model in found}.values())

    @property
    def names(self) -> list[str]:
        return [model.name for model in self.models]

    @property
    def model_name(self) -> str:
        """What a prediction of this set is called: the model names joined with ``+``."""
        return "+".join(self.names)[:MODEL_NAME_MAX]

    @property
    def is_empty(self) -> bool:
        """Nothing to predict: no NER or classification model (assertion needs NER spans)."""
        return not (self.ner or self.classification)


def deployed_models(config: LabelingConfig) -> DeployedModels:
    """The registry rows that the config's ``model`` attributes name, with their targets.

    A name the registry does not know, or a model of the wrong type for its tag, is skipped: the
    config was valid when it was stored, and a model removed since must not fail everything else.
    An assertion model alone is not a deployment: it labels the spans that NER models find.
    """
    names = set(config.model_names)
    registry = {model.name: model for model in NlpModel.objects.filter(name__in=names)}
    deployed = DeployedModels()

    ner_targets: dict[str, dict[str, Target]] = {}
    # Every status the config defines may be shown; where a status sits in two groups, the
    # group that binds it to the assertion model is where its regions go.
    bound_statuses: dict[str, Target] = {}
    other_statuses: dict[str, Target] = {}
    assertion_model = registry.get(config.assertion_model or "")
    if assertion_model is not None and assertion_model.type != ModelType.ASSERTION:
        assertion_model = None
    for group in config.labels:
        target = Target(group.name, group.to_name)
        for label in group.labels:
            if label.assertion:
                bound = label.model is not None and label.model == config.assertion_model
                (bound_statuses if bound else other_statuses).setdefault(label.value, target)
                continue
            model = registry.get(label.model or "")
            if model is None or model.type != ModelType.NER:
                continue
            # The first group that binds a label keeps it (LabelingConfig.label_models' rule).
            ner_targets.setdefault(model.name, {}).setdefault(label.value, target)
    deployed.ner = [(registry[name], targets) for name, targets in ner_targets.items()]
    statuses = {**other_statuses, **bound_statuses}
    if deployed.ner and assertion_model is not None:
        deployed.assertion = (assertion_model, statuses)
    for group in config.choices:
        model = registry.get(group.model or "")
        if model is not None and model.type == ModelType.CLASSIFICATION:
            deployed.classification.append((model, group))
    return deployed


def choices_margin(probabilities: Iterable[float]) -> float:
    """How far a classifier's best class leads the runner-up (the best alone: its probability)."""
    ranked = sorted(probabilities, reverse=True)
    if not ranked:
        return 0.0
    return ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)


def replaced_by(model: NlpModel, deployed: DeployedModels) -> list[NlpModel]:
    """The deployed models that deploying ``model`` would unbind (``deploy_policy``'s rivals).

    A NER model takes over every label it predicts, so it replaces the NER models bound to any
    of them; an assertion model replaces the assertion model; a classification model the model
    bound to its ``<Choices>`` group.
    """
    if model.type == ModelType.NER:
        labels = set(model.labels or ())
        found = [m for m, targets in deployed.ner if m.name != model.name and labels & set(targets)]
    elif model.type == ModelType.ASSERTION:
        found = [deployed.assertion[0]] if deployed.assertion else []
    else:
        found = [
            m
            for m, group in deployed.classification
            if group.name == (model.choices_group or group.name)
        ]
    return [m for m in dict.fromkeys(found) if m.name != model.name]
