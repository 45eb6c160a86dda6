"""The NER model of a run: NerDL on the selected completions' BIO-tagged sentences."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from projects import exports
from projects.labeling_config import LabelingConfig
from projects.tokenizer import tokenize
from training import datasets
from training.engine.errors import EngineError
from training.engine.metrics import EntityMetrics, Score
from training.engine.ner import LabeledSentence, NerParams, train_ner
from training.pipeline.context import RunContext, TrainedModel
from training.pipeline.logs import TrainingLog


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


@dataclass
class NerData:
    sentences: list[LabeledSentence]
    tokens: int = 0
    spans: int = 0
    overlapping_spans: int = 0
    partial_token_spans: int = 0
    label_counts: Counter[str] = field(default_factory=Counter)


def ner_data(documents: list[datasets.Document], config: LabelingConfig) -> NerData:
    """Sentences, tokens and BIO tags of the selected completions, with what was skipped.

    A span that overlaps another is skipped whole (``exports.bio_tags``); a span that cuts a
    token is widened to the whole token, and counted, so the log tells the annotators.
    """
    data = NerData(sentences=[])
    for document in documents:
        spans = datasets.ner_spans(document, config)
        data.spans += len(spans)
        data.label_counts.update(label for _, _, label in spans)
        sentences = tokenize(document.text)
        token_starts = {t.start for s in sentences for t in s.tokens}
        token_ends = {t.end for s in sentences for t in s.tokens}
        data.partial_token_spans += sum(
            1 for start, end, _ in spans if start not in token_starts or end not in token_ends
        )
        for sentence in sentences:
            inside = [sp for sp in spans if sp[0] < sentence.end and sp[1] > sentence.start]
            tags, skipped = exports.bio_tags(sentence.tokens, inside)
            data.overlapping_spans += skipped
            data.tokens += len(sentence.tokens)
            data.sentences.append(LabeledSentence.from_sentence(sentence, tags))
    return data


def train(context: RunContext) -> list[TrainedModel]:
    data = ner_data(context.documents, context.config)
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
