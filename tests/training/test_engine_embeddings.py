"""The three embeddings choices: Word2Vec trained here, a GloVe/word2vec file, a pretrained name."""

from __future__ import annotations

import struct
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from training.engine import EngineError, tokenization
from training.engine.embeddings import (
    EMBEDDINGS_COL,
    Embeddings,
    embeddings_from_file,
    load_word2vec,
    pretrained_embeddings,
    train_word2vec,
    word2vec_passes,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

TEXTS = [
    "Aspirin reduces fever.",
    "Ibuprofen reduces pain and fever.",
    "The patient took aspirin twice.",
]


def vectors(spark: SparkSession, embeddings: Embeddings, text: str) -> dict[str, list[float]]:
    from pyspark.ml import Pipeline

    frame = spark.createDataFrame([(text,)], [tokenization.TEXT_COL])
    stages = [
        tokenization.document_assembler(),
        tokenization.sentence_detector(),
        tokenization.tokenizer(),
        embeddings.model,
    ]
    row = Pipeline(stages=stages).fit(frame).transform(frame).first()
    return {a.result: list(a.embeddings) for a in row[EMBEDDINGS_COL]}


def test_word2vec_trains_saves_and_loads_the_same_vectors(
    spark: SparkSession, tmp_path: Path
) -> None:
    trained = train_word2vec(spark, TEXTS, save_to=tmp_path / "w2v")
    assert trained.dimension == 100
    assert trained.description == "Word2Vec trained on 3 texts (passes: 15)"

    loaded = load_word2vec(tmp_path / "w2v")
    assert loaded.dimension == 100
    before = vectors(spark, trained, "aspirin reduces fever")
    after = vectors(spark, loaded, "aspirin reduces fever")
    assert len(before["fever"]) == 100
    assert before == after


def test_word2vec_reads_small_projects_several_times_and_big_ones_once() -> None:
    assert word2vec_passes(TEXTS) == 15  # 15 words: capped at the most passes measured
    assert word2vec_passes(["word " * 500_000]) == 5  # 2.5 million words in all
    assert word2vec_passes(["word " * 1_000_000] * 3) == 1  # more than the budget: one pass


def test_glove_text_file_gives_its_dimension_and_vectors(
    spark: SparkSession, tmp_path: Path
) -> None:
    glove = tmp_path / "glove.txt"
    glove.write_text("fever 0.5 1 -1\naspirin 2 0 0.25\n", encoding="utf-8")
    embeddings = embeddings_from_file(spark, glove, work_dir=tmp_path)
    assert embeddings.dimension == 3
    found = vectors(spark, embeddings, "Aspirin for fever")
    assert found["fever"] == [0.5, 1.0, -1.0]
    assert found["Aspirin"] == [2.0, 0.0, 0.25]  # case-insensitive by default
    assert found["for"] == [0.0, 0.0, 0.0]


def test_word2vec_text_header_is_not_indexed_as_a_word(spark: SparkSession, tmp_path: Path) -> None:
    text_file = tmp_path / "vectors.txt"
    text_file.write_text("2 4\nfever 1 2 3 4\n2 9 9 9 9\n", encoding="utf-8")
    embeddings = embeddings_from_file(spark, text_file, work_dir=tmp_path)
    assert embeddings.dimension == 4
    found = vectors(spark, embeddings, "2 fever")
    # Spark NLP alone would have stored the header as a one-dimensional vector for "2".
    assert found == {"2": [9.0, 9.0, 9.0, 9.0], "fever": [1.0, 2.0, 3.0, 4.0]}


def test_word2vec_binary_file(spark: SparkSession, tmp_path: Path) -> None:
    binary = tmp_path / "vectors.bin"
    with binary.open("wb") as file:
        file.write(b"2 2\n")
        for word, vector in (("fever", (0.5, -2.0)), ("pain", (1.0, 3.0))):
            file.write(word.encode() + b" " + struct.pack("<2f", *vector) + b"\n")
    embeddings = embeddings_from_file(spark, binary, work_dir=tmp_path)
    assert embeddings.dimension == 2
    assert vectors(spark, embeddings, "fever pain") == {"fever": [0.5, -2.0], "pain": [1.0, 3.0]}


def test_a_file_that_is_not_embeddings_is_refused(spark: SparkSession, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    with pytest.raises(EngineError, match="GloVe/word2vec"):
        embeddings_from_file(spark, notes)
    with pytest.raises(EngineError, match="does not exist"):
        embeddings_from_file(spark, tmp_path / "missing.txt")


def test_pretrained_names_fail_offline_in_one_sentence(spark: SparkSession) -> None:
    with pytest.raises(EngineError) as raised:
        pretrained_embeddings("glove_100d")
    assert str(raised.value) == (
        "Pretrained embeddings 'glove_100d' cannot be downloaded: no internet access on this server"
    )
    # Nothing of the Java exception travels with it, not even as chained context.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert "Py4J" not in "".join(traceback.format_exception(raised.value))
