"""The NER model of a run: NerDL on the selected completions' BIO-tagged sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from training import datasets
from training.engine.errors import EngineError
from training.engine.metrics import EntityMetrics, Score
from training.engine.ner import NerParams, train_ner
from training.logs import TrainingLog

if TYPE_CHECKING:
    from training.runner import RunContext, TrainedModel


def metrics_json(metrics: EntityMetrics) -> dict[str, Any]:
    """api.md's ``metrics``: micro, macro and per label (with support)."""

    def score(s: Score, support: bool = False) -> dict[str, Any]:
        values: dict[str, Any] = {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
        }
        if support:
            values["support"] = s.support
        return values

    return {
        "micro": score(metrics.micro),
        "macro": score(metrics.macro),
        "per_label": {label: score(s, support=True) for label, s in metrics.per_label.items()},
    }


def train(context: RunContext) -> list[TrainedModel]:
    from training.runner import TrainedModel

    data = datasets.ner_data(context.documents, context.config)
    if not data.label_counts:
        raise EngineError("The selected completions contain no NER labels.")
    params = context.params
    ner_params = NerParams(
        epochs=params.epochs,
        learning_rate=params.learning_rate_for("ner"),
        decay=params.decay,
        dropout=params.dropout,
        batch_size=params.batch_size_for("ner"),
        validation_split=params.validation_split,
    )
    name = context.model_name("ner")
    log_dir = context.run_dir / "spark-nlp" / name
    result = train_ner(
        context.spark,
        sentences=data.sentences,
        embeddings=context.embeddings,
        params=ner_params,
        model_dir=context.model_dir(name),
        log_dir=log_dir,
        on_epoch=lambda done, total: context.progress("ner", done, total),
    )
    metrics = result.validation_metrics() if result.validation else None

    log = TrainingLog(title=f"NER model {name}", context=context)
    log.parameters(ner_params.__dict__)
    log.section(
        "Embeddings",
        f"{context.embeddings.description} ({context.embeddings.dimension} dimensions)",
    )
    log.section("TensorFlow graph", f"{result.graph_name} (bundled with Spark NLP)")
    log.data(
        sentences=len(data.sentences),
        tokens=data.tokens,
        spans=data.spans,
        label_counts=dict(data.label_counts),
        skipped={
            "overlapping spans (skipped whole)": data.overlapping_spans,
            "spans cutting a token (widened to whole tokens)": data.partial_token_spans,
        },
        split=f"{result.train_count} training / {len(result.validation)} validation sentences",
    )
    log.section("Spark NLP training log", result.log_text.strip() or "(no log written)")
    log.evaluation(metrics, "entity level: exact span and label, computed by annolab")
    log.section("Spark NLP tag-level evaluation (last epoch)", result.tag_table or "(none)")
    return [
        TrainedModel(
            model_type="ner",
            name=name,
            path=result.model_dir,
            labels=sorted(data.label_counts),
            log=log.text(),
            metrics=metrics_json(metrics) if metrics else None,
            params=ner_params.__dict__,
        )
    ]
