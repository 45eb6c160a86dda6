"""NER end to end on tiny data: train with progress and logs, save, reload, pre-annotate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.training.synthetic import corpus, tagged
from training.engine import EngineError
from training.engine.embeddings import Embeddings
from training.engine.metrics import bio_entities
from training.engine.ner import NerParams, NerResult, train_ner
from training.engine.predict import LIGHT_PIPELINE_LIMIT, NerPredictor, sequence_certainty

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def word2vec(ner_word2vec: Embeddings) -> Embeddings:
    return ner_word2vec


@pytest.fixture(scope="module")
def trained(
    trained_ner: tuple[NerResult, list[tuple[int, int]]],
) -> tuple[NerResult, list[tuple[int, int]]]:
    """The session's NER model (tests/training/conftest.py), shared with the download tests."""
    return trained_ner


def test_training_reports_each_epoch_and_keeps_spark_nlps_log(
    trained: tuple[NerResult, list[tuple[int, int]]],
) -> None:
    result, epochs = trained
    assert epochs == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert "Epoch 4/4 - " in result.log_text
    assert result.tag_table.startswith("label\t tp\t fp\t fn")
    assert "B-PER" in result.tag_table and "Micro-average" in result.tag_table
    assert result.graph_name == "blstm_10_100_128_120"
    assert result.labels == ("B-LOC", "B-PER", "I-LOC", "I-PER", "O")


def test_validation_split_is_held_out_and_predicted_token_by_token(
    trained: tuple[NerResult, list[tuple[int, int]]],
) -> None:
    result, _ = trained
    assert (result.train_count, len(result.validation)) == (96, 24)
    assert len(result.predicted_tags) == 24
    for sentence, tags in zip(result.validation, result.predicted_tags, strict=True):
        assert len(tags) == len(sentence.tokens)
    metrics = result.validation_metrics()
    assert set(metrics.per_label) <= {"PER", "LOC"}
    assert 0.0 <= metrics.micro.f1 <= 1.0
    # Four epochs at this learning rate find people: the pipeline learned something.
    assert any(bio_entities(tags) for tags in result.predicted_tags)


def test_saved_pipeline_predicts_what_training_predicted(
    spark: SparkSession, trained: tuple[NerResult, list[tuple[int, int]]]
) -> None:
    """The reloaded pipeline tokenizes raw text itself; it must land on the training tokens."""
    result, _ = trained
    predictor = NerPredictor(spark, result.model_dir)
    texts = [s.text for s in result.validation]
    predicted = predictor.predict(texts)
    for sentence, tags, entities in zip(
        result.validation, result.predicted_tags, predicted, strict=True
    ):
        expected = sorted(
            (sentence.tokens[first][0], sentence.tokens[stop - 1][1], label)
            for first, stop, label in bio_entities(tags)
        )
        assert [(e.start, e.end, e.label) for e in entities] == expected
        for entity in entities:
            assert entity.text == sentence.text[entity.start : entity.end]
            assert 0.0 <= entity.confidence <= 1.0


def test_light_pipeline_and_dataframe_agree_and_offsets_index_the_original_text(
    spark: SparkSession, trained: tuple[NerResult, list[tuple[int, int]]]
) -> None:
    result, _ = trained
    predictor = NerPredictor(spark, result.model_dir)
    texts = [
        "😀😀 Mary Jones lives in Paris.\nBob met friends in \uf051 London.",
        "",
        "   ",
        *[s.text for s in corpus(LIGHT_PIPELINE_LIMIT, seed=11)],
    ]
    scored = predictor.predict_with_certainty(texts)
    by_dataframe = [prediction.entities for prediction in scored]
    by_light_pipeline = [predictor.predict([text])[0] for text in texts[:5]]
    for batched, single in zip(by_dataframe[:5], by_light_pipeline, strict=True):
        assert [(e.start, e.end, e.label) for e in batched] == [
            (e.start, e.end, e.label) for e in single
        ]
        # TensorFlow pads a batch differently from a single text, which moves a tiny model's
        # confidences in the third digit (0.006 seen under load), never more.
        assert [e.confidence for e in batched] == pytest.approx(
            [e.confidence for e in single], abs=0.02
        )
    assert by_dataframe[1] == [] and by_dataframe[2] == []
    # Blank texts have no token to be sure about; every other text gets a certainty.
    assert scored[1].certainty is None and scored[2].certainty is None
    for prediction in scored[:1] + scored[3:]:
        assert prediction.certainty is not None and 0.0 < prediction.certainty <= 1.0
    for text, entities in zip(texts, by_dataframe, strict=True):
        for entity in entities:
            assert entity.text == text[entity.start : entity.end]
            assert entity.text.strip() == entity.text and entity.text


def test_sequence_certainty_is_the_length_normalised_probability_of_the_tagging() -> None:
    assert sequence_certainty([]) is None
    assert sequence_certainty([1.0, 1.0]) == pytest.approx(1.0)
    assert sequence_certainty([0.5, 0.5, 0.5]) == pytest.approx(0.5)
    # Normalised by length: more equally sure tokens are not less certain.
    assert sequence_certainty([0.9] * 20) == pytest.approx(sequence_certainty([0.9] * 2))
    # The mean of logs: one unsure token weighs more than in the plain mean (0.775).
    assert sequence_certainty([1.0, 1.0, 1.0, 0.1]) == pytest.approx(0.1**0.25)
    assert sequence_certainty([1.0, 0.0]) == pytest.approx(1e-3)  # floored, not -inf


def test_tag_sets_beyond_every_graph_fail_before_spark_trains(
    spark: SparkSession, word2vec: Embeddings, tmp_path: Path
) -> None:
    labels = [f"L{i}" for i in range(40)]
    sentences = [tagged(f"alpha {label} omega", {label: label}) for label in labels]
    with pytest.raises(EngineError, match="41 distinct tags"):
        train_ner(
            spark,
            sentences=sentences,
            embeddings=word2vec,
            params=NerParams(epochs=1, validation_split=0.0),
            model_dir=tmp_path / "model",
            log_dir=tmp_path / "logs",
        )
    assert not (tmp_path / "model").exists()
