"""Reads of the annotation core, scoped to what the caller may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404

from projects.models import (
    Completion,
    CompletionStatus,
    Project,
    Review,
    Task,
    TaskStatus,
)
from projects.permissions import (
    ALLOWED_ROLES,
    Action,
    can,
    is_site_admin,
    sees_own_work_only,
)


def projects_visible_to(user: AbstractBaseUser) -> QuerySet[Project]:
    projects = Project.objects.select_related("owner")
    if is_site_admin(user):
        return projects
    return projects.filter(memberships__user=user)


def projects_managed_by(user: AbstractBaseUser) -> QuerySet[Project]:
    """The projects ``user`` may manage (permissions.ALLOWED_ROLES[Action.MANAGE])."""
    projects = Project.objects.select_related("owner")
    if is_site_admin(user):
        return projects
    roles = ALLOWED_ROLES[Action.MANAGE]
    return projects.filter(memberships__user=user, memberships__role__in=roles)


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


def visible_tasks(*, project: Project, user: AbstractBaseUser) -> QuerySet[Task]:
    """The project's tasks the caller may read: annotators miss tasks assigned to others only.

    The one home of that rule (api.md, Roles): lists, pages, next-task and single reads all start
    here. Through the project's related manager, so every task's ``project`` is this very
    instance (no query to load it again) and shares the caller's role, which ``role_of`` caches.
    """
    tasks = project.tasks.all()
    if sees_own_work_only(project=project, user=user):
        assigned_to_others = Exists(
            Task.annotators.through.objects.filter(task_id=OuterRef("pk"))
        ) & ~Exists(Task.annotators.through.objects.filter(task_id=OuterRef("pk"), user=user))
        tasks = tasks.exclude(assigned_to_others)
    return tasks


def tasks_visible_to(*, project: Project, user: AbstractBaseUser) -> QuerySet[Task]:
    """``visible_tasks`` shaped for display: the derived ``status``, reviewer, tags, annotators."""
    return (
        tasks_with_status(visible_tasks(project=project, user=user))
        .select_related("reviewer")
        .prefetch_related("tags", "annotators")
    )


def task_is_visible(*, task: Task, user: AbstractBaseUser) -> bool:
    """Whether ``user`` may read ``task``: a member, and ``visible_tasks`` holds it."""
    project = task.project
    if not can(project=project, user=user, action=Action.VIEW):
        return False
    if not sees_own_work_only(project=project, user=user):
        return True  # no query: only annotators' view is narrowed
    return visible_tasks(project=project, user=user).filter(pk=task.pk).exists()


def task_for_user(*, project: Project, task_id: int, user: AbstractBaseUser) -> Task:
    """One task of the project the user may read, or Http404, to act on it (submit a completion).

    ``visible_tasks`` without the status subqueries and prefetches a displayed task needs: on the
    submit path they cost more than the rest of the request's queries together.
    """
    task = visible_tasks(project=project, user=user).filter(pk=task_id).order_by().first()
    if task is None:
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


def visible_completions(
    *, project: Project, user: AbstractBaseUser, task: Task | None = None
) -> QuerySet[Completion]:
    """The completions the caller may read (of ``task``, if given): on ``visible_tasks``, and
    only their own for an annotator. The one home of "annotators see their own completions"."""
    completions = Completion.objects.filter(task__in=visible_tasks(project=project, user=user))
    if task is not None:
        completions = completions.filter(task=task)
    if sees_own_work_only(project=project, user=user):
        completions = completions.filter(created_by=user)
    return completions.select_related("created_by", "latest_review__reviewer")


def completion_for_user(*, completion_id: int, user: AbstractBaseUser) -> Completion:
    """A completion the user may read, or Http404 (existence is not revealed to outsiders)."""
    completion = (
        Completion.objects.select_related("task__project", "created_by", "latest_review__reviewer")
        .filter(pk=completion_id)
        .first()
    )
    if completion is None:
        raise Http404("No such completion.")
    project = completion.task.project
    if not can(project=project, user=user, action=Action.VIEW):
        raise Http404("No such completion.")
    if not visible_completions(project=project, user=user).filter(pk=completion.pk).exists():
        raise Http404("No such completion.")
    return completion


__all__ = [
    "projects_visible_to",
    "tasks_with_status",
    "visible_tasks",
    "tasks_visible_to",
    "task_is_visible",
    "task_for_user",
    "task_filter",
    "completion_to_rework",
    "visible_completions",
    "completion_for_user",
]
