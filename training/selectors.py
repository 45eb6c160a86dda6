"""Reads of the training app: the registry as the config validator sees it, busy state, lists."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from projects.labeling_config import KnownModel
from projects.models import Project
from projects.permissions import ALLOWED_ROLES, Action, is_site_admin
from training.models import (
    ACTIVE_STATUSES,
    JOB_MODELS,
    Deployment,
    EvaluationJob,
    ModelUpload,
    NlpModel,
    PreannotationJob,
    TrainingRun,
)

# Who sees which model. A model is derived from its project's data, so it belongs to that
# project: only its members see it (outsiders get 404, as for the project), and only that project
# can name or deploy it. A model registered without a project (`register_model` with no
# --project, by a site admin) is shared: every user sees it and every project may deploy it.


def models_usable_in(project_id: int | None) -> QuerySet[NlpModel]:
    """The models a project's labeling config may name and deploy: its own and the shared ones."""
    shared = Q(project__isnull=True)
    return NlpModel.objects.filter(shared | Q(project_id=project_id) if project_id else shared)


def models_visible_to(user: AbstractBaseUser) -> QuerySet[NlpModel]:
    """The models ``user`` may read: those of the projects they are a member of, and shared ones."""
    models = NlpModel.objects.select_related("project", "training_run")
    if is_site_admin(user):
        return models
    return models.filter(Q(project__isnull=True) | Q(project__memberships__user=user)).distinct()


def model_uploads_visible_to(user: AbstractBaseUser) -> QuerySet[ModelUpload]:
    """The uploads ``user`` may poll: their own, and those of the projects they manage."""
    uploads = ModelUpload.objects.select_related("project", "model")
    if is_site_admin(user):
        return uploads
    managed = Q(
        project__memberships__user=user,
        project__memberships__role__in=ALLOWED_ROLES[Action.MANAGE],
    )
    return uploads.filter(Q(created_by=user) | managed).distinct()


def known_models(project_id: int | None) -> dict[str, KnownModel]:
    """The models ``project_id``'s config may name, for the validator (KNOWN_MODELS_PROVIDER)."""
    rows = models_usable_in(project_id).values_list(
        "name", "type", "labels", "source", "choices_group"
    )
    return {
        name: KnownModel(
            name=name,
            type=model_type,
            labels=frozenset(labels or ()),
            source=source,
            group=group or None,
        )
        for name, model_type, labels, source, group in rows
    }


def as_known_model(model: NlpModel) -> KnownModel:
    return KnownModel(
        name=model.name,
        type=model.type,  # type: ignore[arg-type]
        labels=frozenset(model.labels or ()),
        source=model.source,  # type: ignore[arg-type]
        group=model.choices_group or None,
    )


def deployments_of(project: Project) -> QuerySet[Deployment]:
    """The project's deployment records, newest first, with the actor's name in the same query."""
    return project.deployments.select_related("actor").order_by("-created_at", "-id")


def active_training(project: Project) -> TrainingRun | None:
    return TrainingRun.objects.filter(project=project, status__in=ACTIVE_STATUSES).first()


def active_preannotation(project: Project) -> PreannotationJob | None:
    return PreannotationJob.objects.filter(project=project, status__in=ACTIVE_STATUSES).first()


def active_evaluation(project: Project) -> EvaluationJob | None:
    return EvaluationJob.objects.filter(project=project, status__in=ACTIVE_STATUSES).first()


def last_finished_training(project: Project) -> TrainingRun | None:
    return (
        TrainingRun.objects.filter(project=project)
        .exclude(status__in=ACTIVE_STATUSES)
        .order_by("-finished_at", "-id")
        .first()
    )


def project_is_busy(project: Project) -> bool:
    return any(
        model.objects.filter(project=project, status__in=ACTIVE_STATUSES).exists()
        for model in JOB_MODELS
    )


def models_deployed_in(model: NlpModel, projects: QuerySet[Project]) -> list[str]:
    """Names of the ``projects`` (those the reader may see) whose labeling config names it."""
    return list(
        projects.filter(labeling_config__contains=f'model="{model.name}"')
        .order_by("name")
        .values_list("name", flat=True)
    )


def models_list(
    *, user: AbstractBaseUser, project_name: str | None, model_type: str | None
) -> QuerySet[NlpModel]:
    """The models ``user`` may see; ``project_name``: that project's models only."""
    models = models_visible_to(user)
    if project_name:
        models = models.filter(project__name=project_name)
    if model_type:
        models = models.filter(type=model_type)
    return models
