"""Reads of the annotation core, scoped to what the caller may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Subquery, Value, When

from projects.models import (
    Completion,
    CompletionStatus,
    Project,
    Review,
    Role,
    Task,
    TaskStatus,
)
from projects.permissions import role_of


def projects_visible_to(user: AbstractBaseUser) -> QuerySet[Project]:
    projects = Project.objects.select_related("owner")
    if getattr(user, "is_staff", False):
        return projects
    return projects.filter(memberships__user=user)


def tasks_with_status(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate ``status`` (api.md task statuses) in SQL so lists can filter by it."""
    submitted = Completion.objects.filter(task_id=OuterRef("pk"), status=CompletionStatus.SUBMITTED)
    latest_review_approved = Subquery(
        Review.objects.filter(completion__task_id=OuterRef("pk"))
        .order_by("-reviewed_at", "-id")
        .values("approved")[:1]
    )
    return tasks.annotate(
        has_submitted=Exists(submitted),
        has_accepted=Exists(submitted.filter(latest_review__approved=True)),
        latest_review_approved=latest_review_approved,
    ).annotate(
        status=Case(
            When(has_accepted=True, then=Value(TaskStatus.REVIEWED)),
            When(latest_review_approved=False, then=Value(TaskStatus.TO_CORRECT)),
            When(has_submitted=True, then=Value(TaskStatus.SUBMITTED)),
            default=Value(TaskStatus.INCOMPLETE),
            output_field=CharField(),
        )
    )


def tasks_visible_to(*, project: Project, user: AbstractBaseUser) -> QuerySet[Task]:
    """The project's tasks the caller may read: annotators miss tasks assigned to others only."""
    # Through the project's related manager, so every task's ``project`` is this very instance
    # (no query to load it again) and shares the caller's role, which ``role_of`` caches on it.
    tasks = project.tasks.all()
    if (
        not getattr(user, "is_staff", False)
        and role_of(project=project, user=user) == Role.ANNOTATOR
    ):
        assigned_to_others = Exists(
            Task.annotators.through.objects.filter(task_id=OuterRef("pk"))
        ) & ~Exists(Task.annotators.through.objects.filter(task_id=OuterRef("pk"), user=user))
        tasks = tasks.exclude(assigned_to_others)
    return (
        tasks_with_status(tasks).select_related("reviewer").prefetch_related("tags", "annotators")
    )


def task_for_user(*, project: Project, task_id: int, user: AbstractBaseUser) -> Task:
    """One task of the project the user may read, or Http404, to act on it (submit a completion).

    The same rule as ``tasks_visible_to``, checked on the one row (``can_see_task``), without the
    status subqueries and prefetches a displayed task needs: on the submit path they cost more
    than the rest of the request's queries together.
    """
    from django.http import Http404

    from projects.permissions import can_see_task

    task = Task.objects.filter(project=project, pk=task_id).order_by().first()
    if task is None:
        raise Http404("No such task.")
    task.project = project  # the caller's instance, with its cached role
    if not can_see_task(task=task, user=user):
        raise Http404("No such task.")
    return task


def task_filter(
    tasks: QuerySet[Task], *, tags: list[str] | None = None, status: str | None = None
) -> QuerySet[Task]:
    if tags:
        tasks = tasks.filter(
            Exists(Task.tags.through.objects.filter(task_id=OuterRef("pk"), tag__name__in=tags))
        )
    if status:
        tasks = tasks.filter(status=status)
    return tasks


def completion_to_rework(*, task: Task, user: AbstractBaseUser) -> Completion | None:
    """The user's latest submitted completion of the task if a reviewer rejected it and nothing
    of the task is accepted: the work the reviewer sent back to them (its review attached)."""
    latest = (
        Completion.objects.filter(task=task, created_by=user, status=CompletionStatus.SUBMITTED)
        .select_related("latest_review__reviewer")
        .order_by("-submitted_at", "-id")
        .first()
    )
    if latest is None or latest.latest_review is None or latest.latest_review.approved:
        return None
    accepted = Completion.objects.filter(
        task=task, status=CompletionStatus.SUBMITTED, latest_review__approved=True
    )
    return None if accepted.exists() else latest


def completions_of(task: Task) -> QuerySet[Completion]:
    return task.completions.select_related("created_by", "latest_review__reviewer")


def completion_for_user(*, completion_id: int, user: AbstractBaseUser) -> Completion:
    """A completion the user may read, or Http404 (existence is not revealed to outsiders)."""
    from django.http import Http404

    from projects.permissions import Action, can, can_see_task

    completion = (
        Completion.objects.select_related("task__project", "created_by", "latest_review__reviewer")
        .filter(pk=completion_id)
        .first()
    )
    if completion is None or not can(
        project=completion.task.project, user=user, action=Action.VIEW
    ):
        raise Http404("No such completion.")
    if not can_see_task(task=completion.task, user=user):
        raise Http404("No such completion.")
    project = completion.task.project
    is_annotator = role_of(project=project, user=user) == Role.ANNOTATOR
    if is_annotator and not user.is_staff and completion.created_by_id != user.pk:
        raise Http404("No such completion.")  # annotators see their own work only
    return completion


__all__ = [
    "projects_visible_to",
    "tasks_with_status",
    "tasks_visible_to",
    "task_for_user",
    "task_filter",
    "completion_to_rework",
    "completions_of",
    "completion_for_user",
]
