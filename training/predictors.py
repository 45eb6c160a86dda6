"""The models a project deploys, loaded once per pre-annotation job, and the regions they predict.

Which models are deployed is read from the labeling config: every ``model`` attribute that names
a registry row of the right type (a NER label → a NER model, an assertion label → the assertion
model, a ``<Choices>`` → a classification model). That part is plain ORM, so the web process can
refuse a pre-annotation before queueing it. Loading and predicting need Spark: the engine modules
are imported inside the functions that use them, and only the child process calls those.

A prediction's result is in Label Studio's region format (api.md, task format):

* NER: ``{"id", "from_name": <Labels name>, "to_name", "type": "labels",
  "value": {"start", "end", "text", "labels": [label], "confidence"}}``, only for labels the config
  binds to the model that found them;
* assertion: a second ``labels`` region on the span of each NER region, with the status label;
* classification: ``{"id", "from_name": <Choices name>, "to_name", "type": "choices",
  "value": {"choices": [...], "confidence", "scores": {choice: p}}}``.

A prediction also gets a *certainty* in [0, 1] (``Prediction.certainty``; the ``uncertainty``
next-task strategy hands out the least certain task first). Each model contributes one number
and the lowest wins, since one unsure model is enough for the task to need an annotator:

* each NER model: the sequence certainty of the text (``training.engine.predict``: the geometric
  mean of every token's confidence, ``O`` tokens too, so a sentence where the model hesitated
  over an entity it did not tag counts as unsure, and no entity at all is still a measurement);
* the assertion model: the mean confidence of the statuses it gave the text's spans;
* each ``<Choices>`` group: the margin between its two most probable classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projects.labeling_config import ChoicesGroup, LabelingConfig
from training.models import ModelType, NlpModel

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Region = dict[str, Any]


@dataclass(frozen=True)
class TaskPrediction:
    """One text's prediction: its regions and how sure the models are (module docstring)."""

    result: list[Region]
    certainty: float | None


#: Prediction.model_name's column size; a very long set of names is cut rather than failing a job.
MODEL_NAME_MAX = 255
#: A multiple-choice group gets every choice scored at least this (api.md: "score ≥ 0.5").
MULTI_LABEL_THRESHOLD = 0.5


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


class Preannotator:
    """Every deployed model of a project, loaded once into one Spark session."""

    def __init__(self, spark: SparkSession, deployed: DeployedModels) -> None:
        from training.engine.predict import NerPredictor

        self.model_name = deployed.model_name
        self._ner = [
            (NerPredictor(spark, Path(model.path)), targets) for model, targets in deployed.ner
        ]
        self._assertion: tuple[Any, dict[str, Target]] | None = None
        if deployed.assertion is not None:
            from training.engine.assertion import AssertionPredictor

            model, statuses = deployed.assertion
            self._assertion = (AssertionPredictor(spark, Path(model.path)), statuses)
        self._classifiers: list[tuple[Any, ChoicesGroup]] = []
        loaded: dict[str, Any] = {}
        if deployed.classification:
            from training.engine.classification import ClassifierPredictor

            for model, group in deployed.classification:
                # One model may serve two groups; it is still loaded once.
                if model.name not in loaded:
                    loaded[model.name] = ClassifierPredictor(
                        spark, Path(model.path), multi_label=model.multi_label
                    )
                self._classifiers.append((loaded[model.name], group))

    def predict(self, texts: Sequence[str]) -> list[TaskPrediction]:
        """Each text's regions, in Label Studio's region format, and their certainty."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="classifiers") as pool:
            # Classification needs nothing from NER, so it runs beside NER and assertion: while
            # Python unpacks one model's annotations, Spark works on the other's job.
            choices = pool.submit(self._choices, texts)
            results, certainties = self._entities(texts)
            for result, parts, regions in zip(results, certainties, choices.result(), strict=True):
                result.extend(regions)
                parts.extend(
                    choices_margin(region["value"]["scores"].values()) for region in regions
                )
        predictions = []
        for result, parts in zip(results, certainties, strict=True):
            for number, region in enumerate(result, start=1):
                region["id"] = f"p{number}"
            # The lowest: one unsure model is enough for the task to need an annotator.
            predictions.append(TaskPrediction(result, round(min(parts), 4) if parts else None))
        return predictions

    def _entities(self, texts: Sequence[str]) -> tuple[list[list[Region]], list[list[float]]]:
        """NER regions of every NER model, then a status region on each of their spans; and for
        each text the certainty of each NER model and of the assertion model (module docstring).
        """
        results: list[list[Region]] = [[] for _ in texts]
        certainties: list[list[float]] = [[] for _ in texts]
        spans: list[set[tuple[int, int]]] = [set() for _ in texts]
        for predictor, targets in self._ner:
            for index, predicted in enumerate(predictor.predict_with_certainty(texts)):
                if predicted.certainty is not None:
                    certainties[index].append(predicted.certainty)
                for entity in predicted.entities:
                    target = targets.get(entity.label)
                    if target is None:
                        continue  # the config binds this label to another model, or none
                    start, end = entity.start, entity.end
                    results[index].append(
                        _labels_region(
                            target, start, end, texts[index], entity.label, entity.confidence
                        )
                    )
                    spans[index].add((start, end))
        if self._assertion is not None:
            self._add_statuses(texts, spans, results, certainties)
        return results, certainties

    def _add_statuses(
        self,
        texts: Sequence[str],
        spans: list[set[tuple[int, int]]],
        results: list[list[Region]],
        certainties: list[list[float]],
    ) -> None:
        assert self._assertion is not None
        predictor, statuses = self._assertion
        # One status per distinct span: two NER regions on one span share their assertion.
        chunked = [(index, sorted(chunks)) for index, chunks in enumerate(spans) if chunks]
        if not chunked:
            return
        predicted = predictor.predict([(texts[index], chunks) for index, chunks in chunked])
        for (index, chunks), per_chunk in zip(chunked, predicted, strict=True):
            confidences = [confidence for _, confidence in per_chunk]
            certainties[index].append(sum(confidences) / len(confidences))
            for (start, end), (status, confidence) in zip(chunks, per_chunk, strict=True):
                target = statuses.get(status)
                if target is None:
                    continue  # a status this config does not define cannot be shown
                results[index].append(
                    _labels_region(target, start, end, texts[index], status, confidence)
                )

    def _choices(self, texts: Sequence[str]) -> list[list[Region]]:
        results: list[list[Region]] = [[] for _ in texts]
        # A blank text has nothing to classify; some classifiers fail on an empty document.
        todo = [index for index, text in enumerate(texts) if text.strip()]
        if not todo:
            return results
        subset = [texts[index] for index in todo]
        for predictor, group in self._classifiers:
            for index, scores in zip(todo, predictor.predict(subset), strict=True):
                region = _choices_region(group, scores)
                if region is not None:
                    results[index].append(region)
        return results


def choices_margin(probabilities: Iterable[float]) -> float:
    """How far a classifier's best class leads the runner-up (the best alone: its probability)."""
    ranked = sorted(probabilities, reverse=True)
    if not ranked:
        return 0.0
    return ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)


def score_of(result: Sequence[Region]) -> float | None:
    """A prediction's score: the mean confidence of its regions (api.md), None without any."""
    confidences = [region["value"]["confidence"] for region in result]
    if not confidences:
        return None
    return round(sum(confidences) / len(confidences), 4)


def _confidence(value: float) -> float:
    # Rounded: four digits say all a reviewer needs and keep stored results small.
    return round(min(max(float(value), 0.0), 1.0), 4)


def _labels_region(
    target: Target, start: int, end: int, text: str, label: str, confidence: float
) -> Region:
    return {
        "id": "",
        "from_name": target.from_name,
        "to_name": target.to_name,
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": text[start:end],
            "labels": [label],
            "confidence": _confidence(confidence),
        },
    }


def _choices_region(group: ChoicesGroup, scores: dict[str, float]) -> Region | None:
    """The group's choice(s): the best for a single choice, all ≥ 0.5 for multiple."""
    offered = {choice: _confidence(p) for choice, p in scores.items() if choice in group.values}
    if not offered:
        return None
    if group.mode == "multiple":
        chosen = [c for c in group.values if offered.get(c, 0.0) >= MULTI_LABEL_THRESHOLD]
    else:
        chosen = [max(offered, key=lambda c: offered[c])]
    if not chosen:
        return None  # no choice is likely enough to propose; annotators start from nothing
    confidence = sum(offered[c] for c in chosen) / len(chosen)
    return {
        "id": "",
        "from_name": group.name,
        "to_name": group.to_name,
        "type": "choices",
        "value": {"choices": chosen, "confidence": _confidence(confidence), "scores": offered},
    }
