"""Pre-annotation: entities and confidences from a saved NER pipeline, offsets into the text."""

from __future__ import annotations

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


@dataclass(frozen=True)
class PredictedEntity:
    start: int
    end: int
    label: str
    text: str
    #: Mean of the model's confidence in each of the entity's tokens, in [0, 1].
    confidence: float


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

    def predict(self, texts: Sequence[str]) -> list[list[PredictedEntity]]:
        """The entities of each text, in order; offsets index the text as given, end exclusive."""
        prepared = [tokenization.spark_text(text) for text in texts]
        # Blank texts have no token; Spark would only be asked to do nothing with them.
        todo = [i for i, text in enumerate(prepared) if text.strip()]
        if len(todo) < LIGHT_PIPELINE_LIMIT:
            tagged = self._light_pipeline([prepared[i] for i in todo])
        else:
            tagged = self._dataframe([prepared[i] for i in todo])
        results: list[list[PredictedEntity]] = [[] for _ in texts]
        for i, tokens in zip(todo, tagged, strict=True):
            results[i] = _entities(texts[i], tokens)
        return results

    def _light_pipeline(self, texts: list[str]) -> list[list[_TaggedToken]]:
        if not texts:
            return []
        from sparknlp.base import LightPipeline

        if self._light is None:
            self._light = LightPipeline(self._model)
        return [_tagged_tokens(result[NER_COL]) for result in self._light.fullAnnotate(texts)]

    def _dataframe(self, texts: list[str]) -> list[list[_TaggedToken]]:
        frame = self._spark.createDataFrame(
            list(enumerate(texts)), ["index", tokenization.TEXT_COL]
        )
        rows = self._model.transform(frame).select("index", NER_COL).collect()
        by_index = {row["index"]: _tagged_tokens(row[NER_COL]) for row in rows}
        return [by_index[i] for i in range(len(texts))]


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
