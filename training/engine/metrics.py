"""Entity-level precision, recall and F1: an entity counts only with its exact span and label.

Pure Python, so training (validation split) and the pages that show a model's scores use the
same arithmetic. Spark NLP's own log scores single tags (B-PER, I-PER, ...), which flatters a
model that finds half of each entity; these are the numbers a user means by "the model finds
drugs 80% of the time".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: An entity: (start, end, label), end exclusive. Token indices when built from BIO tags,
#: character offsets when the caller builds them from spans; the arithmetic does not care.
Entity = tuple[int, int, str]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        """How many gold entities there were."""
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class EntityMetrics:
    per_label: dict[str, Score]
    micro: Score
    #: Unweighted mean over labels of their precision, recall and F1 (counts are summed).
    macro: Score


def bio_entities(tags: Sequence[str]) -> set[Entity]:
    """The entities in one sentence's BIO tags, as token index spans.

    ``I-X`` continues an entity only right after ``B-X``/``I-X``; otherwise it starts one (the
    usual lenient reading, which is also how predictions become pre-annotations).
    """
    entities: set[Entity] = set()
    start: int | None = None
    label = ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_label = tag.partition("-")
        continues = prefix == "I" and start is not None and tag_label == label
        if start is not None and not continues:
            entities.add((start, i, label))
            start = None
        if prefix in ("B", "I") and not continues:
            start, label = i, tag_label
    return entities


def entity_metrics(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> EntityMetrics:
    """Scores from aligned BIO tag sequences, one pair per sentence."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    return entity_metrics_from_spans(
        (bio_entities(tags) for tags in gold), (bio_entities(tags) for tags in predicted)
    )


def entity_metrics_from_spans(
    gold: Iterable[set[Entity]], predicted: Iterable[set[Entity]]
) -> EntityMetrics:
    """Scores from aligned entity sets, one pair per sentence or document."""
    counts: dict[str, list[int]] = {}  # label -> [tp, fp, fn]
    for gold_entities, predicted_entities in zip(gold, predicted, strict=True):
        for entity in gold_entities | predicted_entities:
            label_counts = counts.setdefault(entity[2], [0, 0, 0])
            if entity in gold_entities and entity in predicted_entities:
                label_counts[0] += 1
            elif entity in predicted_entities:
                label_counts[1] += 1
            else:
                label_counts[2] += 1
    per_label = {label: _score(*counts[label]) for label in sorted(counts)}
    totals = [sum(c[i] for c in counts.values()) for i in range(3)]
    micro = _score(*totals)
    if per_label:
        scores = per_label.values()
        macro = Score(
            precision=sum(s.precision for s in scores) / len(scores),
            recall=sum(s.recall for s in scores) / len(scores),
            f1=sum(s.f1 for s in scores) / len(scores),
            true_positives=totals[0],
            false_positives=totals[1],
            false_negatives=totals[2],
        )
    else:
        macro = micro
    return EntityMetrics(per_label=per_label, micro=micro, macro=macro)


def _score(tp: int, fp: int, fn: int) -> Score:
    # 0 rather than NaN when nothing was predicted or expected: the pages show a number, and a
    # label the model never predicts has, for the user, zero precision.
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, tp, fp, fn)
