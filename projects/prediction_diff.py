"""Prediction vs ground truth: which predicted regions an annotator kept, changed or deleted, and
which regions they added.

The one home of the matching rule. The review page (``projects.views.review``) marks a completion
beside the prediction it started from with it, and a model's usefulness
(``training.usefulness``) counts with it, so the page and the numbers never disagree. Pure Python
on Label Studio regions (api.md's ``result``): no ORM, no config parsing; the caller says which
labels it compares (``spans_of``'s ``keep``) and which ``<Choices>`` group.

Spans (``labels`` regions). Only spans the caller put in the same comparison are matched, so an
assertion status (a second region on its entity's span) is compared with statuses, never with the
entity. The matching is one-to-one and deterministic:

1. **kept**: a predicted and a completed span with the same ``start``, ``end`` and label set.
   Exact pairs are taken in text order (start, end, then position in the result).
2. **changed**: of the spans left, a predicted and a completed span that overlap (a relabelled span,
   a moved boundary, or both). The pair with the largest overlap (in characters) goes first; ties:
   a pair with the same labels before one with different labels, then the earlier predicted span,
   then the earlier completed span.
3. **deleted**: a predicted span left without a partner; **added**: a completed span left without
   a partner.

Choices (``choices`` regions of one group), one outcome per task: **kept** when the annotator's
set of choices equals the predicted set, **changed** when both are non-empty and differ,
**deleted** when a prediction chose something and the annotator chose nothing, **added** when the
prediction chose nothing and the annotator did; nothing when neither chose anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Region = dict[str, Any]


class Outcome(StrEnum):
    KEPT = "kept"
    CHANGED = "changed"
    DELETED = "deleted"
    ADDED = "added"


@dataclass(frozen=True)
class Span:
    """A ``labels`` region reduced to what matching reads; ``index`` is its place in the result."""

    start: int
    end: int
    labels: frozenset[str]
    index: int

    def overlap(self, other: Span) -> int:
        return max(0, min(self.end, other.end) - max(self.start, other.start))


@dataclass(frozen=True)
class SpanMatch:
    """One outcome: a kept or changed pair, a deleted prediction (no ``completed``) or an added
    span (no ``predicted``)."""

    outcome: Outcome
    predicted: Span | None
    completed: Span | None


def spans_of(result: Iterable[Region] | None, keep: Callable[[str], bool]) -> list[Span]:
    """The ``labels`` regions of ``result`` with the labels ``keep`` accepts.

    A region with none of them, or without a usable ``start < end``, is not a span of this
    comparison (the stored results were checked on the way in; this only guards the arithmetic).
    """
    spans = []
    for index, region in enumerate(result or []):
        if not isinstance(region, dict) or region.get("type") != "labels":
            continue
        value = region.get("value") or {}
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and start < end):
            continue
        labels = frozenset(
            label for label in value.get("labels") or [] if isinstance(label, str) and keep(label)
        )
        if labels:
            spans.append(Span(start, end, labels, index))
    return spans


def _text_order(span: Span) -> tuple[int, int, int]:
    return (span.start, span.end, span.index)


def match_spans(predicted: Sequence[Span], completed: Sequence[Span]) -> list[SpanMatch]:
    """Pair ``predicted`` with ``completed`` by the module's rule; every span appears once."""
    matches: list[SpanMatch] = []
    open_completed = sorted(completed, key=_text_order)
    open_predicted: list[Span] = []
    for span in sorted(predicted, key=_text_order):
        twin = next(
            (
                c
                for c in open_completed
                if (c.start, c.end, c.labels) == (span.start, span.end, span.labels)
            ),
            None,
        )
        if twin is None:
            open_predicted.append(span)
        else:
            open_completed.remove(twin)
            matches.append(SpanMatch(Outcome.KEPT, span, twin))

    candidates = sorted(
        (
            (-p.overlap(c), p.labels != c.labels, _text_order(p), _text_order(c), p, c)
            for p in open_predicted
            for c in open_completed
            if p.overlap(c) > 0
        ),
        key=lambda row: row[:4],
    )
    paired_predicted: set[int] = set()
    paired_completed: set[int] = set()
    for *_, p, c in candidates:
        if p.index in paired_predicted or c.index in paired_completed:
            continue
        paired_predicted.add(p.index)
        paired_completed.add(c.index)
        matches.append(SpanMatch(Outcome.CHANGED, p, c))

    matches += [
        SpanMatch(Outcome.DELETED, p, None)
        for p in open_predicted
        if p.index not in paired_predicted
    ]
    matches += [
        SpanMatch(Outcome.ADDED, None, c) for c in open_completed if c.index not in paired_completed
    ]
    return matches


def choices_of(
    result: Iterable[Region] | None, group: str, keep: Callable[[str], bool] | None = None
) -> frozenset[str]:
    """The choices ``result`` makes in the ``<Choices>`` group ``group`` (those ``keep`` takes)."""
    chosen: set[str] = set()
    for region in result or []:
        if not isinstance(region, dict) or region.get("type") != "choices":
            continue
        if region.get("from_name") != group:
            continue
        values = (region.get("value") or {}).get("choices") or []
        chosen.update(v for v in values if isinstance(v, str) and (keep is None or keep(v)))
    return frozenset(chosen)


def compare_choices(predicted: frozenset[str], chosen: frozenset[str]) -> Outcome | None:
    """One task's outcome for a choices group (the module's rule); None when neither chose."""
    if not predicted:
        return Outcome.ADDED if chosen else None
    if not chosen:
        return Outcome.DELETED
    return Outcome.KEPT if predicted == chosen else Outcome.CHANGED


@dataclass
class ResultDiff:
    """A whole completion against a whole prediction, as the review page marks them.

    ``predicted`` and ``completed`` map (region index, label) to the outcome of that label of that
    region; ``choices`` maps a group name to its outcome.
    """

    predicted: dict[tuple[int, str], Outcome]
    completed: dict[tuple[int, str], Outcome]
    choices: dict[str, Outcome]


def diff_results(
    predicted: Sequence[Region] | None,
    completed: Sequence[Region] | None,
    *,
    is_status: Callable[[str], bool],
) -> ResultDiff:
    """Compare every kind of region: entity spans with entity spans, status spans with status
    spans (``is_status`` says which labels are assertion statuses), each choices group alone."""
    diff = ResultDiff({}, {}, {})
    for keep in (lambda label: not is_status(label), is_status):
        for match in match_spans(spans_of(predicted, keep), spans_of(completed, keep)):
            for marks, span in (
                (diff.predicted, match.predicted),
                (diff.completed, match.completed),
            ):
                if span is not None:
                    marks.update({(span.index, label): match.outcome for label in span.labels})
    groups = {
        region.get("from_name")
        for region in [*(predicted or []), *(completed or [])]
        if isinstance(region, dict) and region.get("type") == "choices"
    }
    for group in sorted(g for g in groups if isinstance(g, str)):
        outcome = compare_choices(choices_of(predicted, group), choices_of(completed, group))
        if outcome is not None:
            diff.choices[group] = outcome
    return diff
