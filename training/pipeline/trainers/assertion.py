"""The assertion status model of a run: one example per (sentence, chunk, status).

Every assertion region of the selected completions is an example. Its chunk is the NER region on
the same span (api.md: the status is a second region on that span); an assertion region with no
NER region under it is used with its own span all the same, because the annotator still said
what the status of that text is, and the log counts such regions so the team can fix them. NER
chunks without a status teach nothing about statuses and are not examples.

The example's text is the sentence (projects.tokenizer) holding the chunk, offsets re-based.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from projects.labeling_config import LabelingConfig
from training import datasets
from training.engine.assertion import (
    AssertionExample,
    AssertionParams,
    params_dict,
    sentence_around,
    train_assertion,
)
from training.engine.classification import format_confusion_matrix
from training.engine.errors import EngineError
from training.pipeline.context import RunContext, TrainedModel
from training.pipeline.logs import TrainingLog
from training.pipeline.trainers.ner import metrics_json


@dataclass
class AssertionData:
    examples: list[AssertionExample] = field(default_factory=list)
    status_counts: Counter[str] = field(default_factory=Counter)
    #: Assertion regions with no NER region on exactly their span (used all the same).
    without_ner_region: int = 0
    #: NER regions without a status (not examples).
    ner_without_status: int = 0


def assertion_data(documents: list[datasets.Document], config: LabelingConfig) -> AssertionData:
    data = AssertionData()
    for document in documents:
        ner_chunks = {(start, end) for start, end, _ in datasets.ner_spans(document, config)}
        statuses = datasets.assertion_spans(document, config)
        status_chunks = {(start, end) for start, end, _ in statuses}
        data.ner_without_status += len(ner_chunks - status_chunks)
        for start, end, status in statuses:
            if (start, end) not in ner_chunks:
                data.without_ner_region += 1
            sentence, offset = sentence_around(document.text, start, end)
            data.examples.append(AssertionExample(sentence, start - offset, end - offset, status))
            data.status_counts[status] += 1
    return data


def train(context: RunContext) -> list[TrainedModel]:
    data = assertion_data(context.documents, context.config)
    if not data.examples:
        raise EngineError("The selected completions contain no assertion status labels.")
    params = context.params
    assertion_params = AssertionParams(
        epochs=params.epochs,
        learning_rate=params.learning_rate_for("assertion"),
        batch_size=params.batch_size_for("assertion"),
        dropout=params.dropout,
        validation_split=params.validation_split,
        decay=params.decay,
    )
    name = context.model_name("assertion")
    result = train_assertion(
        context.spark,
        examples=data.examples,
        embeddings=context.embeddings,
        params=assertion_params,
        model_dir=context.model_dir(name),
        log_dir=context.run_dir / "spark-nlp" / name,
        on_epoch=lambda done, total: context.progress("assertion", done, total),
    )
    metrics = result.validation_metrics() if result.validation else None
    confusion = result.confusion_matrix() if result.validation else None

    design = {
        "classifier": "ClassifierDL over the averaged embeddings of a window around the marked "
        "chunk",
        "ner": "NerDL tagging the marked chunk's tokens with its status; the tokens vote",
    }[result.design]
    log = TrainingLog(title=f"Assertion status model {name}", context=context)
    log.parameters(params_dict(assertion_params, result.design))
    log.section(
        "Embeddings",
        f"{context.embeddings.description} ({context.embeddings.dimension} dimensions)",
    )
    log.section("Design", f"{result.design}: {design}")
    log.data(
        examples=f"{len(data.examples)} chunks with a status, one example each",
        status_counts=dict(data.status_counts),
        skipped={
            "NER regions without a status (not examples)": data.ner_without_status,
        },
        notes={
            "status regions without a NER region on the same span (their own span used)": (
                data.without_ner_region
            ),
        },
        split=(
            f"{result.train_count} training / {len(result.validation)} validation chunks "
            "(whole sentences on either side)"
        ),
    )
    log.section("Spark NLP training log", result.log_text.strip() or "(no log written)")
    log.evaluation(metrics, "per chunk: the predicted status against the annotated one")
    if confusion is not None:
        log.section(
            "Confusion matrix on the validation split (rows: annotated, columns: predicted)",
            format_confusion_matrix(confusion),
        )
    metrics_out: dict[str, Any] | None = None
    if metrics is not None:
        metrics_out = {**metrics_json(metrics), "confusion_matrix": confusion}
    return [
        TrainedModel(
            model_type="assertion",
            name=name,
            path=result.model_dir,
            labels=list(result.labels),
            log=log.text(),
            metrics=metrics_out,
            params=params_dict(assertion_params, result.design),
        )
    ]
