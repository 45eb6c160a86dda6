"""Word embeddings for training: Word2Vec trained here, a GloVe/word2vec file, or a pretrained name.

Each way ends in an ``Embeddings``: a fitted Spark NLP annotator that reads the ``sentence`` and
``token`` columns of ``training.engine.tokenization`` and writes ``embeddings``, plus its
dimension, which decides the NER graph (see ``ner.check_ner_graph``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from training.engine import tokenization
from training.engine.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EMBEDDINGS_COL = "embeddings"
EmbeddingsFormat = Literal["TEXT", "BINARY"]


@dataclass(frozen=True)
class Embeddings:
    #: A fitted Spark NLP annotator (Word2VecModel or WordEmbeddingsModel), columns already set.
    model: Any
    dimension: int
    #: What the user chose, in their words, for logs and the model list.
    description: str


#: Word2Vec reads a project's texts until it has seen about this many tokens. Spark's one pass
#: leaves the vectors of a small project's rare words (most disease names) barely trained. On the
#: active-learning bench (NCBI disease, 160,000 tokens) 15 passes lifted entity F1 at every budget
#: of both strategies, by 0.03-0.04 on average; Hallmarks-of-Cancer classification went from 0.45
#: to 0.61 micro-F1 with 5 passes (docs/benchmarks.md). It costs about 70 s for NCBI, once per
#: project text set (the store caches the model).
WORD2VEC_TOKEN_BUDGET = 2_500_000
#: The most passes measured; a big project gets one pass, so its cost stays Spark's.
WORD2VEC_MAX_PASSES = 15


def word2vec_passes(texts: Sequence[str]) -> int:
    """How many passes Word2Vec makes over ``texts`` (words counted by whitespace, roughly the
    tokenizer's count): enough to read WORD2VEC_TOKEN_BUDGET tokens, 1 to WORD2VEC_MAX_PASSES."""
    words = sum(len(text.split()) for text in texts)
    return max(1, min(WORD2VEC_MAX_PASSES, WORD2VEC_TOKEN_BUDGET // max(words, 1)))


def train_word2vec(
    spark: SparkSession,
    texts: Sequence[str],
    *,
    save_to: Path | None = None,
    dimension: int = 100,
    passes: int | None = None,
    seed: int = 44,
) -> Embeddings:
    """Train Word2Vec on ``texts``, tokenized as the NER data will be; optionally save it.

    ``passes`` defaults to ``word2vec_passes(texts)``.
    """
    from pyspark.ml import Pipeline
    from sparknlp.annotator import Word2VecApproach

    texts = [text for text in texts if text.strip()]
    if not texts:
        raise EngineError("Word2Vec needs at least one non-empty text to learn from.")
    if passes is None:
        passes = word2vec_passes(texts)
    frame = spark.createDataFrame(
        [(tokenization.spark_text(text),) for text in texts], [tokenization.TEXT_COL]
    )
    word2vec = (
        Word2VecApproach()
        .setInputCols([tokenization.TOKEN_COL])
        .setOutputCol(EMBEDDINGS_COL)
        .setVectorSize(dimension)
        # Every word of a small project matters: the NER model has nothing else to go on.
        .setMinCount(1)
        .setMaxIter(passes)
        .setSeed(seed)
        .setStorageRef(f"annolab_word2vec_{dimension}")
    )
    pipeline = Pipeline(
        stages=[
            tokenization.document_assembler(),
            tokenization.sentence_detector(),
            tokenization.tokenizer(),
            word2vec,
        ]
    )
    model = pipeline.fit(frame).stages[-1]
    if save_to is not None:
        model.write().overwrite().save(str(save_to))
    return Embeddings(
        model=model,
        dimension=dimension,
        description=f"Word2Vec trained on {len(texts)} texts (passes: {passes})",
    )


def load_word2vec(path: Path) -> Embeddings:
    """A Word2Vec model saved by ``train_word2vec``."""
    from sparknlp.annotator import Word2VecModel

    if not path.exists():
        raise EngineError(f"No saved Word2Vec model at {path}.")
    model = Word2VecModel.load(str(path))
    model.setInputCols([tokenization.TOKEN_COL]).setOutputCol(EMBEDDINGS_COL)
    return Embeddings(
        model=model,
        dimension=int(model.getOrDefault("vectorSize")),
        description=f"Word2Vec loaded from {path.name}",
    )


def embeddings_from_file(
    spark: SparkSession,
    path: Path,
    *,
    file_format: EmbeddingsFormat | None = None,
    case_sensitive: bool = False,
    work_dir: Path | None = None,
) -> Embeddings:
    """Index a GloVe or word2vec file (text, or word2vec binary for ``.bin``) with Spark NLP.

    The dimension is read from the file. A text file with a word2vec header line (``count dim``)
    is indexed from a copy without it (made in ``work_dir``, deleted after), because Spark NLP
    would index that line as a one-dimensional vector for the word ``count``.
    """
    from sparknlp.annotator import WordEmbeddings

    if not path.is_file():
        raise EngineError(f"Embeddings file {path} does not exist.")
    file_format = file_format or ("BINARY" if path.suffix == ".bin" else "TEXT")
    dimension, has_header = _read_dimension(path, file_format)
    with tempfile.TemporaryDirectory(prefix="embeddings-", dir=work_dir) as copy_dir:
        source = path
        if file_format == "TEXT" and has_header:
            source = Path(copy_dir) / path.name
            with path.open("rb") as original, source.open("wb") as copy:
                original.readline()
                shutil.copyfileobj(original, copy)
        approach = (
            WordEmbeddings()
            .setInputCols([tokenization.SENTENCE_COL, tokenization.TOKEN_COL])
            .setOutputCol(EMBEDDINGS_COL)
            .setStoragePath(str(source), file_format)
            .setDimension(dimension)
            .setCaseSensitive(case_sensitive)
            .setStorageRef(f"annolab_{path.stem}_{dimension}")
        )
        # fit() indexes the file into Spark NLP's own storage; the copy is not read after it.
        model = approach.fit(_tokenized_sample(spark))
    return Embeddings(model=model, dimension=dimension, description=f"embeddings file {path.name}")


def pretrained_embeddings(name: str, lang: str = "en") -> Embeddings:
    """A named model of Spark NLP's hub; this server has no internet, so it names the problem."""
    from sparknlp.annotator import WordEmbeddingsModel

    try:
        model = WordEmbeddingsModel.pretrained(name, lang)
    except Exception:
        # The Java exception text is a wall of AWS SDK frames; the user needs one sentence.
        message = (
            f"Pretrained embeddings '{name}' cannot be downloaded: "
            "no internet access on this server"
        )
        raise EngineError(message) from None
    model.setInputCols([tokenization.SENTENCE_COL, tokenization.TOKEN_COL]).setOutputCol(
        EMBEDDINGS_COL
    )
    return Embeddings(
        model=model, dimension=int(model.getDimension()), description=f"pretrained {name}"
    )


def _read_dimension(path: Path, file_format: EmbeddingsFormat) -> tuple[int, bool]:
    """(dimension, whether the first line is a ``count dim`` header)."""
    with path.open("rb") as file:
        first = file.readline().split()
    header = len(first) == 2 and all(field.isdigit() for field in first)
    if file_format == "BINARY":
        if not header:
            raise EngineError(
                f"{path.name} is not a word2vec binary file: it has no 'count dimension' header."
            )
        return int(first[1]), True
    if header:
        return int(first[1]), True
    if len(first) < 2:
        raise EngineError(
            f"{path.name} does not look like a GloVe/word2vec text file: 'word v1 v2 ...' per line."
        )
    return len(first) - 1, False


def _tokenized_sample(spark: SparkSession) -> DataFrame:
    """A one-row frame with the columns WordEmbeddings checks before it indexes its file."""
    from pyspark.ml import Pipeline

    frame = spark.createDataFrame([("annolab",)], [tokenization.TEXT_COL])
    stages = [
        tokenization.document_assembler(),
        tokenization.sentence_detector(),
        tokenization.tokenizer(),
    ]
    return Pipeline(stages=stages).fit(frame).transform(frame)
