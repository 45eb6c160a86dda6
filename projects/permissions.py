"""Who may do what in a project: one table, used by the API, the pages and the services.

Site admins (``is_staff``, ``is_site_admin``) may do everything; otherwise the caller's role in
the project decides. Annotators see their own work only (``sees_own_work_only``): the tasks not
assigned to other annotators, and their own completions; ``projects.selectors`` turns that into
the querysets every reader uses (``visible_tasks``, ``visible_completions``).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from annolab.errors import NotAllowed
from projects.models import Membership, Project, Role


class Action(StrEnum):
    VIEW = "view"
    ANNOTATE = "annotate"
    REVIEW = "review"
    MANAGE = "manage"  # config, members, import, export, train, deploy, pre-annotate, AL settings
    DELETE_PROJECT = "delete_project"


ALLOWED_ROLES: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset(Role.values),
    Action.ANNOTATE: frozenset({Role.OWNER, Role.MANAGER, Role.ANNOTATOR}),
    Action.REVIEW: frozenset({Role.OWNER, Role.MANAGER, Role.REVIEWER}),
    Action.MANAGE: frozenset({Role.OWNER, Role.MANAGER}),
    Action.DELETE_PROJECT: frozenset({Role.OWNER}),
}

User = AbstractBaseUser | AnonymousUser


def role_of(*, project: Project, user: User) -> str | None:
    if not user.is_authenticated:
        return None
    cached = getattr(project, "_role_cache", {})
    if user.pk not in cached:
        # One row at most (unique per project and user): no ordering, so no join for
        # Membership's default ordering by project name and username.
        roles = Membership.objects.filter(project=project, user=user).order_by()
        cached[user.pk] = next(iter(roles.values_list("role", flat=True)[:1]), None)
        project._role_cache = cached  # type: ignore[attr-defined]
    return cached[user.pk]


def is_site_admin(user: User) -> bool:
    """A site admin may do everything in every project (api.md, Roles)."""
    return bool(user.is_authenticated and getattr(user, "is_staff", False))


def can(*, project: Project, user: User, action: Action) -> bool:
    if not user.is_authenticated:
        return False
    if is_site_admin(user):
        return True
    role = role_of(project=project, user=user)
    return role is not None and role in ALLOWED_ROLES[action]


def require(*, project: Project, user: User, action: Action) -> None:
    if not can(project=project, user=user, action=action):
        raise NotAllowed(f"Your role in project '{project.name}' does not allow this ({action}).")


def sees_own_work_only(*, project: Project, user: User) -> bool:
    """Annotators see only tasks not assigned to others, and only their own completions;
    reviewers, managers, owners and site admins see everything of the project."""
    return not is_site_admin(user) and role_of(project=project, user=user) == Role.ANNOTATOR
