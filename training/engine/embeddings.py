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


#: Passes over the texts. Spark's default; the bench's ``--word2vec-iterations`` measures more.
WORD2VEC_ITERATIONS = 1


def train_word2vec(
    spark: SparkSession,
    texts: Sequence[str],
    *,
    save_to: Path | None = None,
    dimension: int = 100,
    max_iter: int = WORD2VEC_ITERATIONS,
    seed: int = 44,
) -> Embeddings:
    """Train Word2Vec on ``texts``, tokenized as the NER data will be; optionally save it."""
    from pyspark.ml import Pipeline
    from sparknlp.annotator import Word2VecApproach

    texts = [text for text in texts if text.strip()]
    if not texts:
        raise EngineError("Word2Vec needs at least one non-empty text to learn from.")
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
        .setMaxIter(max_iter)
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
        model=model, dimension=dimension, description=f"Word2Vec trained on {len(texts)} texts"
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
