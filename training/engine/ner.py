"""Training a NER model (Spark NLP NerDL) on sentences that are already tokenized and tagged.

The training rows are built from our own tokens, not re-tokenized by Spark, so the model learns
exactly the tokens the annotators' spans were mapped to. The saved pipeline then tokenizes new
text with the stages of ``training.engine.tokenization``, which find those same tokens again.

The validation split is held out here, not by Spark NLP: it is handed to NerDL as its "test
dataset" (so Spark NLP's per-epoch log scores it) and predicted once more after training, so the
caller can score whole entities (``training.engine.metrics``).
"""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.engine import tokenization
from training.engine.embeddings import EMBEDDINGS_COL, Embeddings
from training.engine.epochs import EpochWatcher
from training.engine.errors import EngineError
from training.engine.metrics import EntityMetrics, entity_metrics

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from projects.tokenizer import Sentence

LABEL_COL = "label"
NER_COL = "ner"
NER_CHUNK_COL = "ner_chunk"

#: The NER graphs inside spark-nlp_2.12-5.5.3.jar, in the jar's order, which is the order in
#: which NerDLApproach tries them: ``blstm_{max tags}_{embeddings dim}_{lstm size}_{max chars}``.
BUNDLED_NER_GRAPHS = (
    "blstm_10_100_128_120",
    "blstm_10_1024_128_120",
    "blstm_10_128_128_120",
    "blstm_10_2048_128_120",
    "blstm_10_256_128_120",
    "blstm_10_300_128_120",
    "blstm_10_384_128_120",
    "blstm_10_4096_128_120",
    "blstm_10_512_128_120",
    "blstm_10_768_128_120",
    "blstm_38_100_128_200",
    "blstm_38_1024_128_200",
    "blstm_38_128_128_120",
    "blstm_38_2048_128_200",
    "blstm_38_256_128_120",
    "blstm_38_300_128_200",
    "blstm_38_384_128_200",
    "blstm_38_4096_128_200",
    "blstm_38_512_128_200",
    "blstm_38_768_128_200",
)

_SELECTED_GRAPH = re.compile(r"^Name of the selected graph: (.+)$", re.MULTILINE)
_TAG_TABLE = re.compile(r"^label\t tp\t.*?^Micro-average[^\n]*", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class LabeledSentence:
    """A sentence, its tokens as ``(start, end)`` offsets into ``text``, one BIO tag per token."""

    text: str
    tokens: tuple[tuple[int, int], ...]
    tags: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"{len(self.tokens)} tokens but {len(self.tags)} tags")
        for start, end in self.tokens:
            if not 0 <= start < end <= len(self.text):
                raise ValueError(
                    f"token ({start}, {end}) is outside a text of {len(self.text)} characters"
                )

    @classmethod
    def from_sentence(cls, sentence: Sentence, tags: Sequence[str]) -> LabeledSentence:
        """From a ``projects.tokenizer.Sentence``, whose offsets index the whole task text."""
        tokens = tuple((t.start - sentence.start, t.end - sentence.start) for t in sentence.tokens)
        return cls(text=sentence.text, tokens=tokens, tags=tuple(tags))


@dataclass(frozen=True)
class NerParams:
    epochs: int = 10
    learning_rate: float = 0.001
    #: Spark NLP's ``po``: the learning rate of epoch e is lr / (1 + decay * e).
    decay: float = 0.005
    dropout: float = 0.5
    batch_size: int = 8
    validation_split: float = 0.2
    random_seed: int = 42


@dataclass(frozen=True)
class NerResult:
    model_dir: Path
    #: Spark NLP's training log, as written.
    log_text: str
    #: The last per-tag table of that log (tp/fp/fn/precision/recall/F1 on the validation split);
    #: empty without a validation split.
    tag_table: str
    #: The bundled graph NerDL trained, e.g. ``blstm_10_100_128_120``.
    graph_name: str
    labels: tuple[str, ...]
    train_count: int
    validation: tuple[LabeledSentence, ...]
    #: The model's tags for each validation sentence, aligned with its tokens.
    predicted_tags: tuple[tuple[str, ...], ...]

    def validation_metrics(self) -> EntityMetrics:
        return entity_metrics([s.tags for s in self.validation], self.predicted_tags)


def check_ner_graph(
    num_tags: int, embeddings_dim: int, num_chars: int, *, graph_dir: Path | None = None
) -> str | None:
    """Why no NER graph fits, or None when one does (NerDLApproach's rule, checked up front).

    ``num_tags`` counts distinct BIO tags including ``O``; ``num_chars`` the distinct characters
    (UTF-16 code units, as Java counts them) of the training tokens. NerDL needs one more
    character slot than that.
    """
    if ner_graph_for(num_tags, embeddings_dim, num_chars, graph_dir=graph_dir) is not None:
        return None
    graphs = [g for g in _graph_shapes(graph_dir) if g[1] == embeddings_dim]
    where = f"in {graph_dir}" if graph_dir else "bundled with Spark NLP"
    if not graphs:
        dims = sorted({g[1] for g in _graph_shapes(graph_dir)})
        return (
            f"No NER graph {where} takes {embeddings_dim}-dimensional embeddings "
            f"(available: {', '.join(map(str, dims))})."
        )
    max_tags = max(g[0] for g in graphs)
    if num_tags > max_tags:
        return (
            f"The training data has {num_tags} distinct tags (B-/I- per label, and O), but the NER "
            f"graphs {where} for {embeddings_dim}-dimensional embeddings take at most {max_tags}."
        )
    max_chars = max(g[2] for g in graphs if g[0] >= num_tags)
    return (
        f"The training data has {num_chars} distinct characters, but the NER graphs {where} for "
        f"{embeddings_dim}-dimensional embeddings and {num_tags} tags take at most {max_chars - 1}."
    )


def ner_graph_for(
    num_tags: int, embeddings_dim: int, num_chars: int, *, graph_dir: Path | None = None
) -> str | None:
    """The graph NerDLApproach will pick: the first whose dim matches and whose limits hold."""
    for tags, dim, chars, name in _graph_shapes(graph_dir):
        if dim == embeddings_dim and num_tags <= tags and num_chars + 1 <= chars:
            return name
    return None


def train_ner(
    spark: SparkSession,
    *,
    sentences: Sequence[LabeledSentence],
    embeddings: Embeddings,
    params: NerParams,
    model_dir: Path,
    log_dir: Path,
    graph_dir: Path | None = None,
    on_epoch: Callable[[int, int], None] = lambda done, total: None,
) -> NerResult:
    """Train NerDL, save the prediction pipeline to ``model_dir``, predict the validation split.

    ``on_epoch(done, total)`` is called from a watcher thread as Spark NLP logs each finished
    epoch; an exception it raises is re-raised here once training ends.
    """
    from pyspark.ml import PipelineModel
    from sparknlp.annotator import NerConverter, NerDLApproach

    sentences = [s for s in sentences if s.tokens]
    if not sentences:
        raise EngineError("There is no tagged sentence to train on.")
    train, validation = _split(sentences, params.validation_split, params.random_seed)
    labels = sorted({tag for s in train for tag in s.tags})
    chars = {
        unit for s in train for start, end in s.tokens for unit in _utf16_units(s.text[start:end])
    }
    reason = check_ner_graph(len(labels), embeddings.dimension, len(chars), graph_dir=graph_dir)
    if reason:
        raise EngineError(reason)

    log_dir.mkdir(parents=True, exist_ok=True)
    train_frame = embeddings.model.transform(_annotated_frame(spark, train))
    approach = (
        NerDLApproach()
        .setInputCols([tokenization.SENTENCE_COL, tokenization.TOKEN_COL, EMBEDDINGS_COL])
        .setLabelColumn(LABEL_COL)
        .setOutputCol(NER_COL)
        .setMaxEpochs(params.epochs)
        .setLr(params.learning_rate)
        .setPo(params.decay)
        .setDropout(params.dropout)
        .setBatchSize(params.batch_size)
        .setRandomSeed(params.random_seed)
        .setValidationSplit(0.0)
        .setIncludeConfidence(True)
        .setEnableOutputLogs(True)
        .setOutputLogsPath(str(log_dir))
        .setEvaluationLogExtended(True)
    )
    if graph_dir is not None:
        approach.setGraphFolder(str(graph_dir))
    log_file = log_dir / f"{approach.uid}.log"

    with tempfile.TemporaryDirectory(prefix="annolab-ner-") as work:
        validation_frame = None
        if validation:
            validation_frame = embeddings.model.transform(
                _annotated_frame(spark, validation)
            ).cache()
            validation_path = str(Path(work) / "validation.parquet")
            validation_frame.write.mode("overwrite").parquet(validation_path)
            approach.setTestDataset(validation_path)
        with EpochWatcher(log_file, params.epochs, on_epoch):
            ner_model = approach.fit(train_frame)
        predicted: list[list[str]] = []
        if validation_frame is not None:
            predicted = _predict_tags(ner_model, validation_frame, validation)
            validation_frame.unpersist()

    converter = (
        NerConverter()
        .setInputCols([tokenization.SENTENCE_COL, tokenization.TOKEN_COL, NER_COL])
        .setOutputCol(NER_CHUNK_COL)
    )
    pipeline = PipelineModel(
        stages=[
            tokenization.document_assembler(),
            tokenization.sentence_detector(),
            tokenization.tokenizer(),
            embeddings.model,
            ner_model,
            converter,
        ]
    )
    pipeline.write().overwrite().save(str(model_dir))

    log_text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    tables = _TAG_TABLE.findall(log_text)
    selected = _SELECTED_GRAPH.search(log_text)
    graph_name = (
        Path(selected.group(1).strip()).stem
        if selected
        else ner_graph_for(len(labels), embeddings.dimension, len(chars), graph_dir=graph_dir) or ""
    )
    return NerResult(
        model_dir=model_dir,
        log_text=log_text,
        tag_table=tables[-1] if tables else "",
        graph_name=graph_name,
        labels=tuple(labels),
        train_count=len(train),
        validation=tuple(validation),
        predicted_tags=tuple(tuple(tags) for tags in predicted),
    )


def _graph_shapes(graph_dir: Path | None) -> list[tuple[int, int, int, str]]:
    """(max tags, dim, max chars, name) of each graph, in the order NerDL tries them."""
    names = (
        sorted(p.stem for p in graph_dir.glob("blstm_*.pb")) if graph_dir else BUNDLED_NER_GRAPHS
    )
    shapes = []
    for name in names:
        fields = name.removeprefix("blstm_").split("_")
        if len(fields) >= 4 and all(f.isdigit() for f in fields[:4]):
            shapes.append((int(fields[0]), int(fields[1]), int(fields[3]), name))
    return shapes


def _split(
    sentences: Sequence[LabeledSentence], fraction: float, seed: int
) -> tuple[list[LabeledSentence], list[LabeledSentence]]:
    if fraction <= 0 or len(sentences) < 2:
        return list(sentences), []
    shuffled = list(sentences)
    random.Random(seed).shuffle(shuffled)
    held_out = min(max(1, round(len(shuffled) * fraction)), len(shuffled) - 1)
    return shuffled[held_out:], shuffled[:held_out]


def _utf16_units(text: str) -> list[bytes]:
    encoded = text.encode("utf-16-le")
    return [encoded[i : i + 2] for i in range(0, len(encoded), 2)]


def _annotated_frame(spark: SparkSession, sentences: Sequence[LabeledSentence]) -> DataFrame:
    """One row per sentence with ``sentence``, ``token`` and ``label`` annotation columns.

    Offsets are Spark's (UTF-16, end inclusive); a label sits on its token's offsets, which is
    how NerDL pairs them.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from sparknlp.annotation import Annotation

    rows = []
    for index, sentence in enumerate(sentences):
        text = tokenization.spark_text(sentence.text)
        offsets = tokenization.Utf16Offsets(text)
        sentence_end = offsets.to_utf16(len(text)) - 1
        tokens, labels = [], []
        for (start, end), tag in zip(sentence.tokens, sentence.tags, strict=True):
            begin, last = offsets.span_to_spark(start, end)
            word = text[start:end]
            tokens.append(("token", begin, last, word, {"sentence": "0"}, []))
            labels.append(("named_entity", begin, last, tag, {"word": word, "sentence": "0"}, []))
        sentence_annotation = ("document", 0, sentence_end, text, {"sentence": "0"}, [])
        rows.append((index, text, [sentence_annotation], tokens, labels))

    annotations = T.ArrayType(Annotation.dataType())
    schema = T.StructType(
        [
            T.StructField("index", T.IntegerType(), False),
            T.StructField(tokenization.TEXT_COL, T.StringType(), False),
            T.StructField(tokenization.SENTENCE_COL, annotations, False),
            T.StructField(tokenization.TOKEN_COL, annotations, False),
            T.StructField(LABEL_COL, annotations, False),
        ]
    )
    frame = spark.createDataFrame(rows, schema)
    # Spark NLP finds its input columns by this metadata, not by name.
    for column, annotator_type in (
        (tokenization.SENTENCE_COL, "document"),
        (tokenization.TOKEN_COL, "token"),
        (LABEL_COL, "named_entity"),
    ):
        frame = frame.withColumn(
            column, F.col(column).alias(column, metadata={"annotatorType": annotator_type})
        )
    return frame


def _predict_tags(
    ner_model: Any, frame: DataFrame, sentences: Sequence[LabeledSentence]
) -> list[list[str]]:
    rows = ner_model.transform(frame).select("index", tokenization.TOKEN_COL, NER_COL).collect()
    by_index = {row["index"]: row for row in rows}
    predicted = []
    for index, sentence in enumerate(sentences):
        row = by_index[index]
        tag_at = {annotation.begin: annotation.result for annotation in row[NER_COL]}
        predicted.append([tag_at.get(token.begin, "O") for token in row[tokenization.TOKEN_COL]])
        if len(predicted[-1]) != len(sentence.tokens):
            raise EngineError("Spark returned a different number of tokens than it was given.")
    return predicted
