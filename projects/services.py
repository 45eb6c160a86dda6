"""Writes of the annotation core. Pages, the API, the admin and commands all call these.

Each service checks the caller's role (``projects.permissions``), validates, and writes inside one
transaction, so a failed request stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from annolab.errors import ConflictError, NotAllowed, ValidationFailed
from projects import labeling_config as lc
from projects.models import (
    MAX_COMPLETIONS_PER_TASK,
    PROJECT_NAME_VALIDATOR,
    Completion,
    CompletionStatus,
    Membership,
    Prediction,
    Project,
    Review,
    Role,
    SelectionRule,
    Tag,
    Task,
)
from projects.permissions import ALLOWED_ROLES, Action, is_site_admin, require
from projects.signals import completion_submitted

User = get_user_model()


# --- labeling config -------------------------------------------------------------------------


def known_models(project: Project | None) -> Mapping[str, lc.KnownModel]:
    """The registry models ``project``'s config may name (its own and shared ones; None: a new
    project, which has only the shared ones), as the config validator needs them.

    A config naming another project's model is then an unknown model, so a project's models
    never reach another project through its config. ``projects`` never imports ``training``;
    settings.KNOWN_MODELS_PROVIDER names the function that lists the registry (wired in
    annolab/settings.py), so the dependency points one way.
    """
    provider = getattr(settings, "KNOWN_MODELS_PROVIDER", None)
    if not provider:
        return {}
    return import_string(provider)(project.pk if project is not None else None)


def config_errors(labeling_config: str, project: Project | None) -> list[dict[str, Any]]:
    """Every problem of a labeling config for ``project`` as api.md errors ({message, line})."""
    errors = lc.validate_labeling_config(labeling_config, known_models(project))
    return [{"message": e.message, "line": e.line} for e in errors]


def _require_valid_config(labeling_config: str, project: Project | None) -> None:
    errors = config_errors(labeling_config, project)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ValidationFailed(
            f"The labeling config has {len(errors)} {noun}; it was not saved.",
            [{**e, "field": "labeling_config"} for e in errors],
        )


# --- projects and members --------------------------------------------------------------------


def _check_project_fields(*, name: str | None = None, selection_rule: str | None = None) -> None:
    errors: list[dict[str, Any]] = []
    if name is not None:
        try:
            PROJECT_NAME_VALIDATOR(name)
        except DjangoValidationError as exc:
            errors.append({"field": "name", "message": exc.messages[0]})
    if selection_rule is not None and selection_rule not in SelectionRule.values:
        errors.append(
            {
                "field": "selection_rule",
                "message": f"Must be one of {', '.join(SelectionRule.values)}.",
            }
        )
    if errors:
        raise ValidationFailed(errors[0]["message"], errors)


@transaction.atomic
def project_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    description: str = "",
    labeling_config: str = "",
    selection_rule: str = SelectionRule.MOST_RECENT,
) -> Project:
    _check_project_fields(name=name, selection_rule=selection_rule)
    _require_valid_config(labeling_config, None)
    if Project.objects.filter(name=name).exists():
        raise ValidationFailed(
            f"A project named '{name}' already exists.",
            [{"field": "name", "message": f"A project named '{name}' already exists."}],
        )
    project = Project.objects.create(
        name=name,
        description=description,
        labeling_config=labeling_config,
        selection_rule=selection_rule,
        owner=owner,
    )
    Membership.objects.create(project=project, user=owner, role=Role.OWNER, priority=1)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: AbstractBaseUser,
    description: str | None = None,
    labeling_config: str | None = None,
    selection_rule: str | None = None,
    completions_per_task: int | None = None,
    test_tag: str | None = None,
) -> Project:
    require(project=project, user=actor, action=Action.MANAGE)
    _check_project_fields(selection_rule=selection_rule)
    if completions_per_task is not None:
        if isinstance(completions_per_task, bool) or not isinstance(completions_per_task, int):
            completions_per_task = 0  # reported by the range check below
        if not 1 <= completions_per_task <= MAX_COMPLETIONS_PER_TASK:
            message = f"Must be a whole number from 1 to {MAX_COMPLETIONS_PER_TASK}."
            raise ValidationFailed(
                f"completions_per_task: {message}",
                [{"field": "completions_per_task", "message": message}],
            )
        project.completions_per_task = completions_per_task
    if labeling_config is not None:
        _require_valid_config(labeling_config, project)
        project.labeling_config = labeling_config
    if description is not None:
        project.description = description
    if selection_rule is not None:
        project.selection_rule = selection_rule
    if test_tag is not None:
        # Tags are matched as stored (task tags are not trimmed either); blank = no test set.
        project.test_tag = test_tag.strip()
    project.save()
    return project


def project_config_set(
    *, project: Project, actor: AbstractBaseUser, labeling_config: str
) -> Project:
    return project_update(project=project, actor=actor, labeling_config=labeling_config)


@transaction.atomic
def project_config_bind_models(*, project: Project, models: list[lc.KnownModel]) -> tuple[str, str]:
    """Deployment: bind models to the config's tags, re-validate, store; (old, new) config.

    Called by the training app's deploy service, which has already checked the caller's role.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    registry = dict(known_models(project))
    for model in models:
        registry.setdefault(model.name, model)
    old = project.labeling_config
    try:
        new = lc.bind_models(old, models, registry)
    except lc.LabelingConfigError as exc:
        raise ValidationFailed(
            "These models cannot be deployed to this labeling config; nothing was changed.",
            [
                {"message": e.message, "line": e.line, "field": "labeling_config"}
                for e in exc.errors
            ],
        ) from exc
    errors = [
        {"message": e.message, "line": e.line, "field": "labeling_config"}
        for e in lc.validate_labeling_config(new, registry)
    ]
    if errors:
        raise ValidationFailed(
            "Deploying would make the labeling config invalid; nothing was changed.", errors
        )
    project.labeling_config = new
    project.save(update_fields=["labeling_config"])
    return old, new


@transaction.atomic
def project_config_set_bindings(
    *, project: Project, bindings: Mapping[str, str | None]
) -> tuple[str, str]:
    """A restore: give each tag of ``bindings`` exactly its model (None: none), re-validate,
    store; (old, new) config. The training app checked the caller's role and the models.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    old = project.labeling_config
    try:
        new = lc.set_bindings(old, bindings, known_models(project))
    except lc.LabelingConfigError as exc:
        raise ValidationFailed(
            "Restoring would make the labeling config invalid; nothing was changed.",
            [
                {"message": e.message, "line": e.line, "field": "labeling_config"}
                for e in exc.errors
            ],
        ) from exc
    project.labeling_config = new
    project.save(update_fields=["labeling_config"])
    return old, new


def project_delete(*, project: Project, actor: AbstractBaseUser) -> None:
    require(project=project, user=actor, action=Action.DELETE_PROJECT)
    project.delete()


@transaction.atomic
def member_add(
    *,
    project: Project,
    actor: AbstractBaseUser,
    username: str,
    role: str,
    priority: int | None = None,
) -> Membership:
    require(project=project, user=actor, action=Action.MANAGE)
    errors: list[dict[str, Any]] = []
    if role not in Role.values:
        errors.append({"field": "role", "message": f"Must be one of {', '.join(Role.values)}."})
    elif role == Role.OWNER:
        errors.append(
            {"field": "role", "message": "A project has one owner, its creator; add a manager."}
        )
    if priority is not None and (not isinstance(priority, int) or priority < 1):
        errors.append({"field": "priority", "message": "Priority is a whole number from 1."})
    user = User.objects.filter(username=username).first()
    if user is None:
        errors.append({"field": "username", "message": f"No user named '{username}'."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors)
    if priority is None:
        last = project.memberships.order_by("-priority").values_list("priority", flat=True).first()
        priority = (last or 0) + 1
    try:
        with transaction.atomic():
            return Membership.objects.create(
                project=project, user=user, role=role, priority=priority
            )
    except IntegrityError:
        raise ValidationFailed(
            f"'{username}' is already a member of this project.",
            [{"field": "username", "message": f"'{username}' is already a member."}],
        ) from None


def member_remove(*, project: Project, actor: AbstractBaseUser, username: str) -> None:
    require(project=project, user=actor, action=Action.MANAGE)
    membership = project.memberships.select_related("user").filter(user__username=username).first()
    if membership is None:
        from django.http import Http404

        raise Http404(f"'{username}' is not a member of this project.")
    if membership.role == Role.OWNER:
        raise NotAllowed("The owner cannot be removed from the project.")
    membership.delete()


# --- tasks -----------------------------------------------------------------------------------


def _members_by_name(
    *, project: Project, usernames: list[str], field: str, action: Action
) -> list[AbstractBaseUser]:
    """The named members whose role allows ``action``, or a 400 naming ``field``.

    A task is assigned only to the project's team: annotators to members who may annotate, the
    reviewer to a member who may review (api.md, Roles). Anyone else could never open the task.
    """
    members = {
        m.user.username: m
        for m in project.memberships.select_related("user").filter(user__username__in=usernames)
    }
    strangers = sorted(set(usernames) - set(members))
    if strangers:
        message = f"Not a member of project '{project.name}': {', '.join(strangers)}."
        raise ValidationFailed(message, [{"field": field, "message": message}])
    unfit = sorted(n for n, m in members.items() if m.role not in ALLOWED_ROLES[action])
    if unfit:
        message = f"The role of {', '.join(unfit)} in this project does not allow {action}."
        raise ValidationFailed(message, [{"field": field, "message": message}])
    return [members[name].user for name in dict.fromkeys(usernames)]


@transaction.atomic
def task_update(
    *,
    task: Task,
    actor: AbstractBaseUser,
    tags: list[str] | None = None,
    reviewer: str | None | type[Ellipsis] = ...,
    annotators: list[str] | None = None,
) -> Task:
    require(project=task.project, user=actor, action=Action.MANAGE)
    if tags is not None:
        tag_objs = [Tag.objects.get_or_create(project=task.project, name=name)[0] for name in tags]
        task.tags.set(tag_objs)
    if reviewer is not ...:
        task.reviewer = (
            _members_by_name(
                project=task.project, usernames=[reviewer], field="reviewer", action=Action.REVIEW
            )[0]
            if reviewer
            else None
        )
        task.save(update_fields=["reviewer"])
    if annotators is not None:
        task.annotators.set(
            _members_by_name(
                project=task.project,
                usernames=annotators,
                field="annotators",
                action=Action.ANNOTATE,
            )
        )
    return task


def task_delete(*, task: Task, actor: AbstractBaseUser) -> None:
    require(project=task.project, user=actor, action=Action.MANAGE)
    task.delete()


# --- completions and reviews -----------------------------------------------------------------


def _check_result(task: Task, result: Any) -> None:
    from projects.imports import result_errors

    errors = result_errors(project=task.project, text=task.text, result=result)
    if errors:
        raise ValidationFailed(errors[0], [{"field": "result", "message": m} for m in errors])


def _check_lead_time(lead_time: Any) -> None:
    if lead_time is not None and (
        not isinstance(lead_time, int | float) or isinstance(lead_time, bool) or lead_time < 0
    ):
        raise ValidationFailed(
            "lead_time must be a number of seconds ≥ 0.",
            [{"field": "lead_time", "message": "Must be a number ≥ 0."}],
        )


def _prediction_of(task: Task, prediction_id: int | None) -> Prediction | None:
    if prediction_id is None:
        return None
    found = Prediction.objects.filter(task=task, pk=prediction_id).first()
    if found is None:
        message = f"Task {task.pk} has no prediction {prediction_id}."
        raise ValidationFailed(message, [{"field": "prediction", "message": message}])
    return found


def _announce_submitted(completion: Completion) -> None:
    completion_submitted.send(sender=Completion, completion=completion)


@transaction.atomic
def completion_create(
    *,
    task: Task,
    actor: AbstractBaseUser,
    result: list[dict[str, Any]],
    submit: bool = False,
    ground_truth: bool = False,
    lead_time: float | None = None,
    prediction: int | None = None,
) -> Completion:
    """``prediction``: the id of the task's prediction the annotator started from, if any."""
    require(project=task.project, user=actor, action=Action.ANNOTATE)
    from projects.selectors import task_is_visible

    if not task_is_visible(task=task, user=actor):
        raise NotAllowed("This task is assigned to other annotators.")
    _check_result(task, result)
    _check_lead_time(lead_time)
    started_from = _prediction_of(task, prediction)
    now = timezone.now()
    completion = Completion.objects.create(
        task=task,
        result=result,
        created_by=actor,
        status=CompletionStatus.SUBMITTED if submit else CompletionStatus.DRAFT,
        submitted_at=now if submit else None,
        ground_truth=ground_truth,
        lead_time=lead_time,
        prediction=started_from,
        created_at=now,
    )
    if submit:
        _announce_submitted(completion)
    return completion


def _locked_draft(completion: Completion, actor: AbstractBaseUser) -> Completion:
    completion = (
        Completion.objects.select_for_update().select_related("task__project").get(pk=completion.pk)
    )
    if completion.created_by_id != actor.pk and not is_site_admin(actor):
        raise NotAllowed("Only the author can change a completion.")
    if completion.is_submitted:
        raise ConflictError("This completion is submitted; submitted completions cannot change.")
    return completion


@transaction.atomic
def completion_update(
    *,
    completion: Completion,
    actor: AbstractBaseUser,
    result: list[dict[str, Any]] | None = None,
    ground_truth: bool | None = None,
    lead_time: float | None = None,
) -> Completion:
    completion = _locked_draft(completion, actor)
    if result is not None:
        _check_result(completion.task, result)
        completion.result = result
    if ground_truth is not None:
        completion.ground_truth = ground_truth
    if lead_time is not None:
        _check_lead_time(lead_time)
        completion.lead_time = lead_time
    completion.save()
    return completion


@transaction.atomic
def completion_submit(*, completion: Completion, actor: AbstractBaseUser) -> Completion:
    completion = _locked_draft(completion, actor)
    completion.status = CompletionStatus.SUBMITTED
    completion.submitted_at = timezone.now()
    completion.save(update_fields=["status", "submitted_at", "updated_at"])
    _announce_submitted(completion)
    return completion


@transaction.atomic
def completion_review(
    *, completion: Completion, actor: AbstractBaseUser, approved: bool, comment: str = ""
) -> Completion:
    completion = (
        Completion.objects.select_for_update().select_related("task__project").get(pk=completion.pk)
    )
    require(project=completion.task.project, user=actor, action=Action.REVIEW)
    if not completion.is_submitted:
        raise ConflictError("Only submitted completions can be reviewed; this one is a draft.")
    review = Review.objects.create(
        completion=completion,
        reviewer=actor,
        approved=approved,
        comment=comment,
        reviewed_at=timezone.now(),
    )
    completion.latest_review = review
    fields = ["latest_review", "updated_at"]
    if not approved and completion.ground_truth:
        completion.ground_truth = False  # a rejected completion cannot be the ground truth
        fields.append("ground_truth")
    completion.save(update_fields=fields)
    return completion


# --- users -----------------------------------------------------------------------------------


def user_create(
    *, actor: AbstractBaseUser, username: str, password: str, email: str = ""
) -> AbstractBaseUser:
    if not is_site_admin(actor):
        raise NotAllowed("Only site admins create users.")
    # Django stores the NFKC form ("º" becomes "o"), so two spellings can be one username.
    username = User.normalize_username(username)
    if not username or User.objects.filter(username=username).exists():
        message = f"The username '{username}' is taken." if username else "A username is required."
        raise ValidationFailed(message, [{"field": "username", "message": message}])
    if not password:
        raise ValidationFailed(
            "A password is required.", [{"field": "password", "message": "A password is required."}]
        )
    for field, check in (
        ("username", lambda: User._meta.get_field("username").run_validators(username)),
        ("password", lambda: validate_password(password)),
    ):
        try:
            check()
        except DjangoValidationError as exc:
            message = " ".join(exc.messages)
            raise ValidationFailed(message, [{"field": field, "message": message}]) from exc
    return User.objects.create_user(username=username, password=password, email=email)
