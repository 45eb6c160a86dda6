"""Export a project: its tasks in the Annotation Lab JSON format, or CoNLL 2003 for NER.

The JSON export is what the import reads back (a round trip keeps texts, tags, completions,
their latest reviews and predictions). The CoNLL export writes the completions training would
select (``projects.selection``), so what a user downloads is what a model learns from.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from annolab.errors import ValidationFailed
from projects.labeling_config import LabelingConfigError, parse_labeling_config
from projects.models import Completion, Prediction, Project, Task
from projects.selection import select_training_data
from projects.tokenizer import tokenize

CONLL_HEADER = "-DOCSTART- -X- -X- O"

Span = tuple[int, int, str]  # (start, end exclusive, label)


class TokenLike(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def export_json(
    *, project: Project, tags: list[str] | None = None, ground_truth_only: bool = False
) -> list[dict[str, Any]]:
    """Every task (with any of ``tags``, when given) in the task format of api.md, by id.

    Four queries whatever the size: tasks, tags, completions (with authors and latest
    reviews) and predictions. ``ground_truth_only`` keeps only starred completions; tasks
    without one stay, so that the export still holds every text.
    """
    tasks = _tasks(project, tags)
    entries = {
        task_id: {"id": task_id, "data": data, "tags": [], "completions": [], "predictions": []}
        for task_id, data in tasks.order_by("id").values_list("id", "data")
    }
    # The reads below select by the same task query (a subquery, not a list of ids) and read
    # plain values: for a 10,000-task project, building model instances costs more than the SQL.
    # A task created meanwhile is not in ``entries``, so its rows are left out.
    tag_rows = Task.tags.through.objects.filter(task__in=tasks).order_by("tag__name")
    for task_id, name in tag_rows.values_list("task_id", "tag__name"):
        if task_id in entries:
            entries[task_id]["tags"].append(name)
    completions = Completion.objects.filter(task__in=tasks)
    if ground_truth_only:
        completions = completions.filter(ground_truth=True)
    for row in completions.order_by("id").values(*_COMPLETION_FIELDS):
        if row["task_id"] in entries:
            entries[row["task_id"]]["completions"].append(_completion(row))
    predictions = Prediction.objects.filter(task__in=tasks).order_by("id")
    fields = ("id", "task_id", "model_name", "created_at", "score", "certainty", "result")
    for row in predictions.values(*fields):
        if row["task_id"] in entries:
            entries[row["task_id"]]["predictions"].append(_prediction(row))
    return list(entries.values())


def export_conll(
    *, project: Project, tags: list[str] | None = None, completions: str = "submitted"
) -> str:
    """CoNLL 2003 text of the completions training would select, NER labels only.

    One ``token -X- -X- TAG`` line per token, a blank line after each sentence. Assertion
    labels are left out: an assertion region lies on the same span as its NER region, and the
    NER model must not learn it as an entity.
    """
    selection = select_training_data(project=project, tags=tags, completions=completions)
    ner_labels = _ner_labels(project)
    chosen = Completion.objects.filter(pk__in=selection.selected_completion_ids()).select_related(
        "task"
    )
    by_id = {completion.pk: completion for completion in chosen}
    sentences: list[str] = []
    for selected in selection.tasks:
        if selected.completion_id is None:
            continue
        completion = by_id.get(selected.completion_id)
        if completion is None:
            continue  # deleted since the selection was read
        text = completion.task.text
        parsed = tokenize(text)
        # Tagged over the whole text, not per sentence: an entity that a sentence split cuts
        # still starts with B- only once.
        tokens = [token for sentence in parsed for token in sentence.tokens]
        tags_of_text, _skipped = bio_tags(tokens, ner_spans(completion.result, ner_labels))
        position = 0
        for sentence in parsed:
            lines = []
            for token in sentence.tokens:
                label = _conll_label(tags_of_text[position])
                lines.append(f"{text[token.start : token.end]} -X- -X- {label}")
                position += 1
            if lines:
                sentences.append("\n".join(lines) + "\n")
    return f"{CONLL_HEADER}\n\n" + "\n".join(sentences)


def ner_spans(result: list[dict[str, Any]], ner_labels: set[tuple[str, str]]) -> list[Span]:
    """The NER spans of a result: ``labels`` regions whose (control, label) is not an assertion.

    ``ner_labels`` holds (``<Labels name>``, label value) pairs, because the same value may be
    an entity in one control and an assertion status in another.
    """
    spans = []
    for region in result:
        if region.get("type") != "labels":
            continue
        value = region.get("value") or {}
        label = next(
            (
                name
                for name in value.get("labels") or []
                if (region.get("from_name"), name) in ner_labels
            ),
            None,
        )
        if label is not None:
            spans.append((int(value["start"]), int(value["end"]), label))
    return spans


def bio_tags(tokens: Sequence[TokenLike], spans: Sequence[Span]) -> tuple[list[str], int]:
    """BIO tags of ``tokens`` (in text order) from character ``spans`` ``(start, end, label)``.

    A token is inside a span when they overlap (``token.start < end and token.end > start``);
    the first token of a span gets ``B-label``, the next ones ``I-label``, the rest ``O``.
    When spans claim the same token, the one that starts first (then the longer one) keeps all
    of its tokens and the other is skipped as a whole, since half an entity would teach the
    model a wrong boundary. Returns the tags and the number of spans skipped that way.
    """
    tags = ["O"] * len(tokens)
    ends = [token.end for token in tokens]
    skipped = 0
    for start, end, label in sorted(spans, key=lambda span: (span[0], -span[1])):
        # Tokens come in text order without overlaps (as ``tokenize`` gives them), so the
        # first token that ends after ``start`` is found by bisection, not by a scan per span.
        inside = []
        i = bisect.bisect_right(ends, start)
        while i < len(tokens) and tokens[i].start < end:
            inside.append(i)
            i += 1
        if any(tags[i] != "O" for i in inside):
            skipped += 1
            continue
        for position, i in enumerate(inside):
            tags[i] = ("B-" if position == 0 else "I-") + label
    return tags, skipped


def _ner_labels(project: Project) -> set[tuple[str, str]]:
    try:
        config = parse_labeling_config(project.labeling_config)
    except LabelingConfigError as exc:
        raise ValidationFailed(
            "The project's labeling config is invalid; fix it before exporting CoNLL.",
            [error.as_dict() for error in exc.errors],
        ) from exc
    return {
        (group.name, label.value)
        for group in config.labels
        for label in group.labels
        if not label.assertion
    }


def _conll_label(tag: str) -> str:
    # CoNLL columns are separated by spaces, so a label such as "Medical Condition" would
    # become two columns; readers (Spark NLP's among them) would take "B-Medical" as the tag.
    return re.sub(r"\s+", "_", tag)


def _tasks(project: Project, tags: list[str] | None) -> QuerySet[Task]:
    tasks = Task.objects.filter(project=project)
    if tags:
        tagged = Task.tags.through.objects.filter(task_id=OuterRef("pk"), tag__name__in=tags)
        tasks = tasks.filter(Exists(tagged))
    return tasks


_USERNAME = get_user_model().USERNAME_FIELD
_COMPLETION_FIELDS = (
    "id",
    "task_id",
    f"created_by__{_USERNAME}",
    "created_at",
    "submitted_at",
    "ground_truth",
    "lead_time",
    "result",
    "latest_review_id",
    "latest_review__approved",
    f"latest_review__reviewer__{_USERNAME}",
    "latest_review__comment",
    "latest_review__reviewed_at",
)


def _completion(row: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": row["id"],
        "created_username": row[f"created_by__{_USERNAME}"],
        "created_at": _iso(row["created_at"]),
        "submitted_at": _iso(row["submitted_at"]),
        "honeypot": row["ground_truth"],
        "lead_time": row["lead_time"],
    }
    if row["latest_review_id"] is not None:
        entry["review_status"] = {
            "approved": row["latest_review__approved"],
            "reviewer": row[f"latest_review__reviewer__{_USERNAME}"],
            "comment": row["latest_review__comment"],
            "reviewed_at": _iso(row["latest_review__reviewed_at"]),
        }
    entry["result"] = row["result"]
    return entry


def _prediction(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "model": row["model_name"],
        "created_username": row["model_name"],
        "created_at": _iso(row["created_at"]),
        "score": row["score"],
        "certainty": row["certainty"],
        "result": row["result"],
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.isoformat()
    # The "Z" form of UTC, as api.md's examples and DRF's responses write it.
    return text[:-6] + "Z" if text.endswith("+00:00") else text
