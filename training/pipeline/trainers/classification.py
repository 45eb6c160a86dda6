"""The classification models of a run: one per ``<Choices>`` group, over the whole task text.

``choice="single"`` trains ClassifierDL, ``"multiple"`` MultiClassifierDL, both on the average of
the run's word embeddings. ``classification_groups`` picks the groups: ``default`` trains the
config's default group only (``train="true"``, else the first name), ``all`` every group, one
model each, in this one run. A document without a choice for a group is not an example for it.

A group that cannot be trained (fewer than 2 classes in the data, say) does not stop the others:
its reason goes into the logs of the models that were trained and into the worker's log. Only
when every group fails does this model type fail, with every group's reason. The run's
``results`` hold one entry per model type, so a group failing beside a trained one is not shown
there.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from projects.labeling_config import ChoicesGroup
from training import datasets
from training.engine.classification import (
    ClassifierParams,
    format_confusion_matrix,
    train_classifier,
)
from training.engine.errors import EngineError
from training.pipeline.context import RunContext, TrainedModel, one_line
from training.pipeline.logs import TrainingLog
from training.pipeline.trainers.ner import metrics_json

logger = logging.getLogger(__name__)


@dataclass
class GroupData:
    texts: list[str] = field(default_factory=list)
    #: One list of classes per text (a single one for a single-choice group).
    classes: list[list[str]] = field(default_factory=list)
    class_counts: Counter[str] = field(default_factory=Counter)
    without_choice: int = 0
    #: Single-choice groups only: documents with more than one choice, left out.
    several_choices: int = 0
    #: Choices the config no longer offers (it changed after annotation), dropped.
    unknown_choices: Counter[str] = field(default_factory=Counter)


def group_data(documents: list[datasets.Document], group: ChoicesGroup) -> GroupData:
    data = GroupData()
    offered = set(group.values)
    for document in documents:
        chosen = datasets.choices_of(document, group.name)
        data.unknown_choices.update(c for c in chosen if c not in offered)
        chosen = list(dict.fromkeys(c for c in chosen if c in offered))
        if not chosen:
            data.without_choice += 1
            continue
        if group.mode == "single" and len(chosen) > 1:
            data.several_choices += 1
            continue
        data.texts.append(document.text)
        data.classes.append(chosen)
        data.class_counts.update(chosen)
    return data


def groups_to_train(context: RunContext) -> list[ChoicesGroup]:
    if context.params.classification_groups == "all":
        return list(context.config.choices)
    default = context.config.default_classification_group
    return [default] if default is not None else []


def train(context: RunContext) -> list[TrainedModel]:
    groups = groups_to_train(context)
    if not groups:
        raise EngineError("The labeling config has no <Choices> to train a classifier for.")
    trained: list[tuple[TrainedModel, TrainingLog]] = []
    failures: list[str] = []
    for group in groups:
        try:
            trained.append(_train_group(context, group))
        except Exception as exc:  # noqa: BLE001 - one group's failure must not hide the others
            logger.exception("classifier for <Choices name=%r> failed", group.name)
            failures.append(f'<Choices name="{group.name}">: {one_line(exc)}')
    if not trained:
        raise EngineError("; ".join(failures))
    models = []
    for model, log in trained:
        if failures:
            log.section("Other groups of this run that could not be trained", "\n".join(failures))
        model.log = log.text()
        models.append(model)
    return models


def _train_group(context: RunContext, group: ChoicesGroup) -> tuple[TrainedModel, TrainingLog]:
    multi_label = group.mode == "multiple"
    data = group_data(context.documents, group)
    if not data.texts:
        raise EngineError("No selected completion has a choice for this group.")
    if len(data.class_counts) < 2:
        (only,) = data.class_counts
        raise EngineError(
            f"A classifier needs at least 2 classes, but every selected completion chose {only!r}."
        )
    params = context.params
    classifier_params = ClassifierParams(
        epochs=params.epochs,
        learning_rate=params.learning_rate_for("classification"),
        batch_size=params.batch_size_for("classification"),
        dropout=params.dropout,
        validation_split=params.validation_split,
    )
    name = context.model_name("classification", group=group.name)
    result = train_classifier(
        context.spark,
        texts=data.texts,
        labels=data.classes if multi_label else [classes[0] for classes in data.classes],
        multi_label=multi_label,
        embeddings=context.embeddings,
        params=classifier_params,
        model_dir=context.model_dir(name),
        log_dir=context.run_dir / "spark-nlp" / name,
        on_epoch=lambda done, total: context.progress("classification", done, total),
    )
    has_validation = bool(result.validation_gold)
    metrics = result.validation_metrics() if has_validation else None
    confusion = result.confusion_matrix() if has_validation and not multi_label else None

    kind = "multiple choice (MultiClassifierDL)" if multi_label else "single choice (ClassifierDL)"
    used_params: dict[str, Any] = dict(classifier_params.__dict__)
    if multi_label:
        used_params.pop("dropout")  # MultiClassifierDL has none
    log = TrainingLog(
        title=f'Classification model {name} for <Choices name="{group.name}">', context=context
    )
    log.parameters(used_params)
    log.section(
        "Embeddings",
        f"{context.embeddings.description} ({context.embeddings.dimension} dimensions), "
        "averaged over each whole text",
    )
    log.section("Classifier", kind)
    log.data(
        texts=f"{len(data.texts)} documents with a choice for this group",
        class_counts=dict(data.class_counts),
        skipped={
            "documents without a choice for this group": data.without_choice,
            "documents with several choices in a single-choice group": data.several_choices,
            **{f"choice no longer offered: {c}": n for c, n in data.unknown_choices.items()},
        },
        split=f"{result.train_count} training / {len(result.validation_gold)} validation texts",
    )
    log.section("Spark NLP training log", result.log_text.strip() or "(no log written)")
    what = "per label over documents" if multi_label else "per class over documents"
    log.evaluation(metrics, what + (", a class chosen at score >= 0.5" if multi_label else ""))
    metrics_out: dict[str, Any] | None = None
    if metrics is not None:
        metrics_out = metrics_json(metrics)
        if confusion is not None:
            metrics_out["confusion_matrix"] = confusion
            log.section(
                "Confusion matrix on the validation split (rows: annotated, columns: predicted)",
                format_confusion_matrix(confusion),
            )
    model = TrainedModel(
        model_type="classification",
        name=name,
        path=result.model_dir,
        labels=list(result.labels),
        log="",  # written once every group is done (see train)
        metrics=metrics_out,
        params=used_params,
        choices_group=group.name,
        multi_label=multi_label,
    )
    return model, log
