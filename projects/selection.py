"""Which completion of each task trains a model: the selection rules of api.md, in order.

One service for training, the CoNLL export and the ``training-data`` preview. It runs two
queries whatever the number of tasks: one ranks each task's submitted completions with window
functions (PostgreSQL and SQLite both have them), one reads the tasks. Python then only walks
the rows to name each task's reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from projects.models import Completion, CompletionStatus, Project, SelectionRule, Task


class Reason:
    TEST_SET = "test_set"
    FILTERED_BY_TAG = "filtered_by_tag"
    NO_SUBMITTED_COMPLETION = "no_submitted_completion"
    ACCEPTED = "accepted"
    ALL_REJECTED = "all_rejected"
    NOT_REVIEWED = "not_reviewed"
    AWAITING_REVIEW = "awaiting_review"
    MOST_RECENT = "most_recent"
    TEAM_PRIORITY = "team_priority"


COMPLETIONS_FILTERS = ("submitted", "reviewed")


@dataclass(frozen=True)
class SelectedTask:
    task_id: int
    completion_id: int | None
    reason: str


@dataclass
class SelectionResult:
    tasks: list[SelectedTask] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(task.reason for task in self.tasks))

    def selected_completion_ids(self) -> list[int]:
        return [t.completion_id for t in self.tasks if t.completion_id is not None]


def _best_completions(
    project: Project, only_tag: str | None = None
) -> dict[int, tuple[int, int, int, int, int]]:
    """task id -> (completion id, accepted?, rejected?, submitted count, rejected count).

    ``only_tag`` ranks only the completions of tasks carrying it (the test set), so reading the
    small test set does not rank every completion of the project.

    The first row of each task's ranking is the completion training would take: an accepted
    one (the most recent), else a non-rejected one by the project's rule, else a rejected one
    (which only tells that every completion was rejected).
    """
    accepted = Case(
        When(latest_review__approved=True, then=1), default=0, output_field=IntegerField()
    )
    rejected = Case(
        When(latest_review__approved=False, then=1), default=0, output_field=IntegerField()
    )
    order = [F("is_accepted").desc(), F("is_rejected").asc()]
    queryset = Completion.objects.filter(
        task__project=project, status=CompletionStatus.SUBMITTED
    ).annotate(is_accepted=accepted, is_rejected=rejected)
    if only_tag is not None:
        queryset = queryset.filter(task__tags__name=only_tag)
    if project.selection_rule == SelectionRule.TEAM_PRIORITY:
        # Priority ranks only non-accepted completions; among accepted ones the newest wins.
        queryset = queryset.annotate(
            author_membership=FilteredRelation(
                "created_by__memberships",
                condition=Q(created_by__memberships__project=project),
            ),
            priority_key=Case(
                When(is_accepted=1, then=Value(0)),
                default=F("author_membership__priority"),
                output_field=IntegerField(),
            ),
        )
        order.append(F("priority_key").asc(nulls_last=True))
    order += [F("submitted_at").desc(), F("id").desc()]
    partition = [F("task_id")]
    rows = (
        queryset.annotate(
            rank=Window(RowNumber(), partition_by=partition, order_by=order),
            n_submitted=Window(Count("id"), partition_by=partition),
            n_rejected=Window(Sum("is_rejected"), partition_by=partition),
        )
        .filter(rank=1)
        .values_list("task_id", "id", "is_accepted", "is_rejected", "n_submitted", "n_rejected")
    )
    return {row[0]: row[1:] for row in rows}


def select_training_data(
    *,
    project: Project,
    tags: list[str] | None = None,
    completions: str = "submitted",
    test_set: bool = False,
) -> SelectionResult:
    """Each task of the project with the completion training would use and why (api.md).

    A task carrying the project's test tag (``Project.test_tag``) gets the reason ``test_set``
    before any other rule and never a completion: training never sees it. ``test_set=True``
    selects the other way round: only those tasks, each by the same rules (the ``tags`` filter
    aside), which is what every model is scored on (``training.datasets.frozen_test_set``).
    """
    if completions not in COMPLETIONS_FILTERS:
        raise ValueError(f"completions must be one of {COMPLETIONS_FILTERS}, got {completions!r}")
    tasks = Task.objects.filter(project=project).order_by("id")
    test_tagged = Task.tags.through.objects.filter(
        task_id=OuterRef("pk"), tag__name=project.test_tag
    )
    tasks = tasks.annotate(in_test_set=Exists(test_tagged) if project.test_tag else Value(False))
    if test_set:
        tasks, tags = tasks.filter(in_test_set=True), None
    if tags:
        tagged = Task.tags.through.objects.filter(task_id=OuterRef("pk"), tag__name__in=tags)
        task_rows = tasks.annotate(has_tag=Exists(tagged)).values_list(
            "id", "reviewer_id", "has_tag", "in_test_set"
        )
    else:
        task_rows = tasks.annotate(has_tag=Value(True)).values_list(
            "id", "reviewer_id", "has_tag", "in_test_set"
        )
    best = _best_completions(project, only_tag=project.test_tag if test_set else None)
    team_rule = project.selection_rule == SelectionRule.TEAM_PRIORITY

    result = SelectionResult()
    for task_id, reviewer_id, has_tag, in_test_set in task_rows:
        row = best.get(task_id)
        completion_id: int | None = None
        if in_test_set and not test_set:
            reason = Reason.TEST_SET
        elif not has_tag:
            reason = Reason.FILTERED_BY_TAG
        elif row is None:
            reason = Reason.NO_SUBMITTED_COMPLETION
        else:
            best_id, is_accepted, _is_rejected, n_submitted, n_rejected = row
            if is_accepted:
                reason, completion_id = Reason.ACCEPTED, best_id
            elif n_rejected == n_submitted:
                reason = Reason.ALL_REJECTED
            elif completions == "reviewed":
                reason = Reason.NOT_REVIEWED
            elif reviewer_id is not None:
                reason = Reason.AWAITING_REVIEW
            else:
                reason = Reason.TEAM_PRIORITY if team_rule else Reason.MOST_RECENT
                completion_id = best_id
        result.tasks.append(SelectedTask(task_id, completion_id, reason))
    return result


def has_test_set(project: Project) -> bool:
    """Whether the project has a test set: a test-tagged task with a completion selected for it
    (what ``"if_better"`` needs to compare on)."""
    if not project.test_tag:
        return False
    return bool(select_training_data(project=project, test_set=True).selected_completion_ids())
