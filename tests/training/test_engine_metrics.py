"""Entity-level scores: a half-found entity is a miss, as a user reading the score expects."""

from __future__ import annotations

import pytest

from training.engine.metrics import bio_entities, entity_metrics, entity_metrics_from_spans


def test_bio_entities_read_b_and_i_runs_per_label() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-PER", "O", "I-DRUG"]
    assert bio_entities(tags) == {
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 6, "LOC"),
        (6, 7, "PER"),
        (8, 9, "DRUG"),
    }


def test_only_exact_span_and_label_count() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-DRUG", "O"]]
    predicted = [["B-PER", "O", "O", "B-LOC"], ["B-PER", "O"]]
    metrics = entity_metrics(gold, predicted)

    assert metrics.per_label["LOC"].f1 == 1.0
    person = metrics.per_label[
        "PER"
    ]  # "John" found where "John Smith" was tagged, plus a false one
    assert (person.true_positives, person.false_positives, person.false_negatives) == (0, 2, 1)
    assert metrics.per_label["DRUG"].recall == 0.0
    assert metrics.micro.precision == pytest.approx(1 / 3)
    assert metrics.micro.recall == pytest.approx(1 / 3)
    assert metrics.micro.f1 == pytest.approx(1 / 3)
    assert metrics.macro.f1 == pytest.approx((1.0 + 0.0 + 0.0) / 3)
    assert metrics.micro.support == 3


def test_spans_work_the_same_as_tags() -> None:
    metrics = entity_metrics_from_spans(
        [{(0, 5, "PER")}, set()], [{(0, 5, "PER")}, {(2, 4, "PER")}]
    )
    assert metrics.per_label["PER"].precision == 0.5
    assert metrics.per_label["PER"].recall == 1.0


def test_nothing_to_find_and_nothing_found_scores_zero_not_nan() -> None:
    metrics = entity_metrics([["O", "O"]], [["O", "O"]])
    assert metrics.per_label == {}
    assert (metrics.micro.f1, metrics.macro.f1) == (0.0, 0.0)


def test_misaligned_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        entity_metrics([["O"]], [])
