"""Pre-annotation: entities and confidences from a saved NER pipeline, offsets into the text.

Besides its entities, each text gets one *certainty*: how sure the model is of its whole tagging,
every token counted (``O`` tags too), so a text where the model hesitates over a possible entity
it did not tag is as visible as one with an unsure entity. It is the geometric mean of the token
confidences, ``exp(mean(log p))``: the tagging's probability normalised by its length (the MNLP
score of Shen et al., 2018, mapped back to [0, 1]). The mean of logs, not of the confidences
themselves, lets one very unsure token pull a long, otherwise sure sentence down; the length
normalisation keeps long sentences from looking unsure merely for having more tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.engine import tokenization
from training.engine.errors import EngineError
from training.engine.metrics import bio_entities
from training.engine.ner import NER_COL

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Below this many texts a LightPipeline (plain JVM calls, no Spark job) answers faster than a
#: DataFrame transform; above it the DataFrame spreads the work over the cores.
LIGHT_PIPELINE_LIMIT = 50
#: The metadata key under which NerDL repeats each token's text; no predictor reads it.
TOKEN_TEXT_METADATA = ("word",)
#: A token confidence of 0 would make the log -inf; this floor keeps the mean finite.
_CONFIDENCE_FLOOR = 1e-6


@dataclass(frozen=True)
class PredictedEntity:
    start: int
    end: int
    label: str
    text: str
    #: Mean of the model's confidence in each of the entity's tokens, in [0, 1].
    confidence: float


@dataclass(frozen=True)
class TextPrediction:
    entities: list[PredictedEntity]
    #: How sure the model is of the text's whole tagging, in [0, 1] (module docstring); None for
    #: a text without tokens.
    certainty: float | None


def sequence_certainty(confidences: Sequence[float]) -> float | None:
    """The geometric mean of token confidences (module docstring); None without tokens."""
    if not confidences:
        return None
    logs = [math.log(max(min(float(c), 1.0), _CONFIDENCE_FLOOR)) for c in confidences]
    return math.exp(sum(logs) / len(logs))


@dataclass(frozen=True)
class CollectedAnnotation:
    """The four fields of a Spark NLP annotation the predictors read, as a LightPipeline's
    ``Annotation`` has them, so both paths feed the same reading code."""

    begin: int
    end: int
    result: str
    metadata: dict[str, str]


def transform_annotations(
    spark: SparkSession,
    model: Any,
    texts: Sequence[str],
    column: str,
    *,
    drop_metadata: Sequence[str] = (),
    within: Sequence[tuple[int, int]] | None = None,
) -> list[list[CollectedAnnotation]]:
    """``model`` over ``texts`` in one Spark job: each text's ``column`` annotations, in order.

    Only ``begin``, ``end``, ``result`` and ``metadata`` are collected, as parallel arrays of
    plain values rather than one annotation struct per token (with its unused ``embeddings``
    and ``annotatorType``): the driver unpickles a few lists per text instead of a Row per
    token, the part of pre-annotation a bare ``transform`` does not pay for itself. Metadata
    keys in ``drop_metadata`` are left in the JVM (NerDL copies every token's text as ``word``).
    With ``within`` (one ``(begin, end)`` per text, in Spark's offsets, end inclusive), only the
    annotations inside it come back: the assertion vote reads a chunk's few tokens of a whole
    sentence.
    """
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    # A given schema: inferring one samples every row in Python first.
    fields = [StructField("index", LongType()), StructField(tokenization.TEXT_COL, StringType())]
    rows_in: list[tuple[Any, ...]] = list(enumerate(texts))
    if within is not None:
        fields += [StructField("within_begin", LongType()), StructField("within_end", LongType())]
        rows_in = [(*row, *bounds) for row, bounds in zip(rows_in, within, strict=True)]
    frame = model.transform(spark.createDataFrame(rows_in, StructType(fields)))
    if within is not None:
        frame = frame.selectExpr(
            "index",
            f"filter({column}, a -> a.begin >= within_begin AND a.end <= within_end) AS {column}",
        )
    metadata = f"{column}.metadata"
    if drop_metadata:
        keys = ", ".join(f"'{key}'" for key in drop_metadata)
        metadata = (
            f"transform({column}, a -> "
            f"map_filter(a.metadata, (k, v) -> NOT array_contains(array({keys}), k)))"
        )
    rows = frame.selectExpr(
        "index", f"{column}.begin", f"{column}.end", f"{column}.result", metadata
    ).collect()
    by_index = {
        row[0]: [
            CollectedAnnotation(begin, end, result, metadata)
            for begin, end, result, metadata in zip(row[1], row[2], row[3], row[4], strict=True)
        ]
        for row in rows
    }
    return [by_index[i] for i in range(len(texts))]


@dataclass(frozen=True)
class _TaggedToken:
    sentence: str
    begin: int
    end: int
    tag: str
    confidence: float


class NerPredictor:
    """A saved NER pipeline (see ``ner.train_ner``), loaded once and used for many texts."""

    def __init__(self, spark: SparkSession, model_dir: Path) -> None:
        from pyspark.ml import PipelineModel

        if not model_dir.exists():
            raise EngineError(f"No saved NER model at {model_dir}.")
        self._spark = spark
        self._model = PipelineModel.load(str(model_dir))
        self._light: Any = None

    def labels(self) -> list[str]:
        """The entity labels of the pipeline's NerDL stage (its tags without ``B-``/``I-``);
        empty when it has none (another NER annotator writing the ``ner`` column)."""
        from sparknlp.annotator import NerDLModel

        for stage in self._model.stages:
            if isinstance(stage, NerDLModel):
                return sorted({tag.split("-", 1)[-1] for tag in stage.getClasses() if tag != "O"})
        return []

    def predict(self, texts: Sequence[str]) -> list[list[PredictedEntity]]:
        """The entities of each text, in order; offsets index the text as given, end exclusive."""
        return [prediction.entities for prediction in self.predict_with_certainty(texts)]

    def predict_with_certainty(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Each text's entities and its certainty, in order, from one pass of the model."""
        prepared = [tokenization.spark_text(text) for text in texts]
        # Blank texts have no token; Spark would only be asked to do nothing with them.
        todo = [i for i, text in enumerate(prepared) if text.strip()]
        if len(todo) < LIGHT_PIPELINE_LIMIT:
            tagged = self._light_pipeline([prepared[i] for i in todo])
        else:
            tagged = self._dataframe([prepared[i] for i in todo])
        results = [TextPrediction([], None) for _ in texts]
        for i, tokens in zip(todo, tagged, strict=True):
            results[i] = TextPrediction(
                _entities(texts[i], tokens),
                sequence_certainty([token.confidence for token in tokens]),
            )
        return results

    def _light_pipeline(self, texts: list[str]) -> list[list[_TaggedToken]]:
        if not texts:
            return []
        from sparknlp.base import LightPipeline

        if self._light is None:
            self._light = LightPipeline(self._model)
        return [_tagged_tokens(result[NER_COL]) for result in self._light.fullAnnotate(texts)]

    def _dataframe(self, texts: list[str]) -> list[list[_TaggedToken]]:
        annotations = transform_annotations(
            self._spark, self._model, texts, NER_COL, drop_metadata=TOKEN_TEXT_METADATA
        )
        return [_tagged_tokens(tokens) for tokens in annotations]


def _tagged_tokens(annotations: Sequence[Any]) -> list[_TaggedToken]:
    tokens = []
    for annotation in annotations:
        metadata = annotation.metadata
        # NerDL writes "confidence"; older models only the score under the tag's own name.
        raw = metadata.get("confidence", metadata.get(annotation.result, "0"))
        try:
            confidence = min(max(float(raw), 0.0), 1.0)
        except ValueError:
            confidence = 0.0
        tokens.append(
            _TaggedToken(
                metadata.get("sentence", "0"),
                annotation.begin,
                annotation.end,
                annotation.result,
                confidence,
            )
        )
    return tokens


def _entities(text: str, tokens: list[_TaggedToken]) -> list[PredictedEntity]:
    """Entities by the same BIO reading as the metrics, so pre-annotations and scores agree.

    Read sentence by sentence: an entity never runs on into the next sentence.
    """
    offsets = tokenization.Utf16Offsets(text)
    entities = []
    for sentence in _by_sentence(tokens):
        for first, stop, label in sorted(bio_entities([token.tag for token in sentence])):
            start, _ = offsets.span_from_spark(sentence[first].begin, sentence[first].end)
            _, end = offsets.span_from_spark(sentence[stop - 1].begin, sentence[stop - 1].end)
            confidence = sum(token.confidence for token in sentence[first:stop]) / (stop - first)
            entities.append(PredictedEntity(start, end, label, text[start:end], confidence))
    return entities


def _by_sentence(tokens: list[_TaggedToken]) -> list[list[_TaggedToken]]:
    groups: list[list[_TaggedToken]] = []
    for token in tokens:
        if not groups or groups[-1][-1].sentence != token.sentence:
            groups.append([])
        groups[-1].append(token)
    return groups
