"""Reads of the training app: the registry as the config validator sees it, busy state, lists."""

from __future__ import annotations

from django.db.models import QuerySet

from projects.labeling_config import KnownModel
from projects.models import Project
from training.models import (
    ACTIVE_STATUSES,
    NlpModel,
    PreannotationJob,
    TrainingRun,
)


def known_models() -> dict[str, KnownModel]:
    """Every registry model as the config validator needs it (KNOWN_MODELS_PROVIDER)."""
    rows = NlpModel.objects.values_list("name", "type", "labels", "source", "choices_group")
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


def active_training(project: Project) -> TrainingRun | None:
    return TrainingRun.objects.filter(project=project, status__in=ACTIVE_STATUSES).first()


def active_preannotation(project: Project) -> PreannotationJob | None:
    return PreannotationJob.objects.filter(project=project, status__in=ACTIVE_STATUSES).first()


def last_finished_training(project: Project) -> TrainingRun | None:
    return (
        TrainingRun.objects.filter(project=project)
        .exclude(status__in=ACTIVE_STATUSES)
        .order_by("-finished_at", "-id")
        .first()
    )


def project_is_busy(project: Project) -> bool:
    return active_training(project) is not None or active_preannotation(project) is not None


def models_deployed_in(model: NlpModel) -> list[str]:
    """Names of the projects whose labeling config names the model."""
    return list(
        Project.objects.filter(labeling_config__contains=f'model="{model.name}"').values_list(
            "name", flat=True
        )
    )


def models_list(*, project_names: list[str] | None, model_type: str | None) -> QuerySet[NlpModel]:
    models = NlpModel.objects.select_related("project", "training_run")
    if project_names is not None:
        models = models.filter(project__name__in=project_names)
    if model_type:
        models = models.filter(type=model_type)
    return models
