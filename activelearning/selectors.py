"""Reads of active learning: the settings as the API shows them, next-task candidates, certainty.

How sure the deployed models are about a task (the ``uncertainty`` strategy)
-------------------------------------------------------------------------------
For every task only the newest prediction of each model counts (a re-run supersedes older
predictions of the same model). The models are the ones the project's labeling config names
(its deployed models); a config that names none (predictions imported from elsewhere) lets every
model count. The certainty of one prediction, in [0, 1], is its stored ``certainty``, which
pre-annotation measures from every token (``training.pipeline.predictor``: NER the geometric
mean of the token confidences, classification the margin between the two best classes, the lowest
model wins). A prediction made elsewhere has regions but no token confidences; its certainty is
estimated from them (``prediction_certainty``) as the lowest of:

* ``labels`` regions (NER, assertion): the mean of their ``value.confidence``, each weighted by
  its span length in characters, so one long unsure entity outweighs a short sure one;
* each ``choices`` region: the margin between its two most probable classes in ``value.scores``
  (``{class: probability}``), or its ``value.confidence`` when it carries no scores.

Without a scored region the estimate falls back on the prediction's ``score``; with neither it
says nothing. A task's certainty is the lowest certainty among its predictions; the least
certain task comes first (ties: lowest id). Tasks without one come after all measured ones, in
random order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from activelearning.models import (
    DEFAULT_FREQUENCY,
    ActiveLearningSettings,
    Strategy,
    TaskReservation,
    TaskSkip,
)
from projects.labeling_config import LabelingConfigError, parse_labeling_config
from projects.models import Completion, CompletionStatus, Prediction, Project, Task
from projects.selection import has_test_set
from projects.selectors import tasks_visible_to
from training.deploy_policy import api_value
from training.deployed import choices_margin
from training.models import DeployPolicy, TrainingRun, Trigger

# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsView:
    """What GET active-learning answers (api.md), plus the params its next run would use."""

    enabled: bool
    frequency: int
    deploy: bool | str
    strategy: str
    params: dict[str, Any] | None
    completions_since_last_training: int
    pending: bool
    effective_params: dict[str, Any]


def run_is_newer(latest_run_id: int | None, counted_since_run_id: int | None) -> bool:
    """Whether the counter is stale: a run started after the one it counts since.

    Run ids grow with time, and deleting the counted run empties ``counted_since_run``.
    ``services._count_one`` applies the same rule in SQL.
    """
    return latest_run_id is not None and latest_run_id > (counted_since_run_id or 0)


def latest_run_id(project_id: int) -> int | None:
    """The project's newest training run, whatever its trigger or status."""
    return (
        TrainingRun.objects.filter(project_id=project_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def effective_params(row: ActiveLearningSettings) -> dict[str, Any]:
    """The params of the next active-learning run: its own, else the latest manual run's."""
    if row.params is not None:
        return row.params
    last_manual = (
        TrainingRun.objects.filter(project_id=row.project_id, trigger=Trigger.MANUAL)
        .order_by("-created_at", "-id")
        .values_list("params", flat=True)
        .first()
    )
    return dict(last_manual or {})


def effective_deploy(row: ActiveLearningSettings, project: Project) -> str:
    """What the next run does with its models: the manager's choice, else ``"if_better"`` when
    the project has a test set to compare on, else not deploying (the issue's default)."""
    if row.deploy:
        return row.deploy
    return DeployPolicy.IF_BETTER if has_test_set(project) else DeployPolicy.NEVER


def settings_view(project: Project) -> SettingsView:
    row = ActiveLearningSettings.objects.filter(project=project).first()
    if row is None:
        row = ActiveLearningSettings(project=project, frequency=DEFAULT_FREQUENCY)
        row.counted_since_run_id = latest_run_id(project.pk)
    # A run started since the last count (a manual "Train Now") restarts the counter: show what
    # the next count will store (services.completion_counted does the same in its UPDATE).
    stale = run_is_newer(latest_run_id(project.pk), row.counted_since_run_id)
    return SettingsView(
        enabled=row.enabled,
        frequency=row.frequency,
        deploy=api_value(effective_deploy(row, project)),
        strategy=row.strategy,
        params=row.params,
        completions_since_last_training=0 if stale else row.completions_since_last_training,
        pending=False if stale else row.pending,
        effective_params=effective_params(row),
    )


def project_strategy(project: Project) -> str:
    strategy = (
        ActiveLearningSettings.objects.filter(project=project)
        .values_list("strategy", flat=True)
        .first()
    )
    return strategy or Strategy.UNCERTAINTY


# --- next task ---------------------------------------------------------------------------------


def _held_by_other(user: AbstractBaseUser, now: datetime) -> Exists:
    return Exists(
        TaskReservation.objects.filter(task_id=OuterRef("pk"), expires_at__gt=now).exclude(
            user=user
        )
    )


def _skipped_at(user: AbstractBaseUser) -> Subquery:
    return Subquery(
        TaskSkip.objects.filter(task_id=OuterRef("pk"), user=user).values("skipped_at")[:1]
    )


def next_task_candidates(
    *, project: Project, user: AbstractBaseUser, now: datetime
) -> QuerySet[Task]:
    """Open tasks for the user: visible, not submitted by them, wanted, and nobody else holds.

    A task is wanted while it has fewer submitted completions (by anyone) than the project's
    ``completions_per_task``; ``submitted_count`` says how many it has, so the caller can hand
    out untouched tasks first, and ``skipped_at`` when the user passed on it (None if never).
    """
    submitted_by_user = Completion.objects.filter(
        task_id=OuterRef("pk"), created_by=user, status=CompletionStatus.SUBMITTED
    )
    submitted_count = Coalesce(
        Subquery(
            Completion.objects.filter(task_id=OuterRef("pk"), status=CompletionStatus.SUBMITTED)
            .order_by()
            .values("task_id")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )
    return (
        tasks_visible_to(project=project, user=user)
        .exclude(Exists(submitted_by_user))
        .exclude(_held_by_other(user, now))
        .annotate(submitted_count=submitted_count, skipped_at=_skipped_at(user))
        .filter(submitted_count__lt=project.completions_per_task)
    )


def rework_tasks(*, project: Project, user: AbstractBaseUser, now: datetime) -> QuerySet[Task]:
    """Tasks whose latest completion by the user was rejected and that nothing accepted yet.

    The oldest rejection first (the order reviewers sent the work back); ``skipped_at`` as in
    ``next_task_candidates``. A new submission by the user ends the rework: their latest
    completion is then the unreviewed one.
    """
    latest_mine = Completion.objects.filter(
        task_id=OuterRef("pk"), created_by=user, status=CompletionStatus.SUBMITTED
    ).order_by("-submitted_at", "-id")
    return (
        tasks_visible_to(project=project, user=user)
        .annotate(
            my_latest_approved=Subquery(latest_mine.values("latest_review__approved")[:1]),
            rejected_at=Subquery(latest_mine.values("latest_review__reviewed_at")[:1]),
            skipped_at=_skipped_at(user),
        )
        .filter(my_latest_approved=False, has_accepted=False)
        .exclude(_held_by_other(user, now))
        .order_by("rejected_at", "pk")
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def prediction_certainty(result: Any, score: float | None = None) -> float | None:
    """How sure one prediction is, in [0, 1] (the module docstring gives the formula)."""
    parts: list[float] = []
    weighted = weight = 0.0
    for region in result if isinstance(result, list) else []:
        if not isinstance(region, dict) or not isinstance(region.get("value"), dict):
            continue
        value = region["value"]
        if region.get("type") == "labels" and _number(value.get("confidence")):
            start, end = value.get("start"), value.get("end")
            if _number(start) and _number(end) and end > start:
                length = float(end - start)
            else:
                length = float(max(1, len(str(value.get("text", "")))))
            weighted += _clamp(value["confidence"]) * length
            weight += length
        elif region.get("type") == "choices":
            scores = value.get("scores")
            probabilities = (
                [_clamp(p) for p in scores.values() if _number(p)]
                if isinstance(scores, dict)
                else []
            )
            if probabilities:
                parts.append(choices_margin(probabilities))
            elif _number(value.get("confidence")):
                parts.append(_clamp(value["confidence"]))
    if weight:
        parts.append(weighted / weight)
    if parts:
        return min(parts)
    return _clamp(score) if _number(score) else None


def _deployed_models(project: Project) -> tuple[str, ...]:
    try:
        return parse_labeling_config(project.labeling_config).model_names
    except LabelingConfigError:
        return ()


def task_certainties(*, project: Project, task_ids: QuerySet[Any]) -> dict[int, float]:
    """Certainty of each task in ``task_ids`` (a values("pk") query) that has a prediction.

    The newest prediction per task and model set counts (a window function, which SQLite has
    too). Pre-annotation names a prediction after the deployed models that made it, joined by
    "+"; only predictions made by at least one model the config names now count.
    """
    deployed = set(_deployed_models(project))
    latest: Iterable[tuple[int, str, float | None, Any, float | None]] = (
        Prediction.objects.filter(task_id__in=task_ids)
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("task_id"), F("model_name")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        # The regions travel only where they are needed: a measured certainty makes them moot,
        # and a pre-annotated task's result is the largest column read here.
        .annotate(
            unmeasured=Case(
                When(certainty__isnull=True, then=F("result")),
                default=Value(None),
                output_field=JSONField(),
            )
        )
        .values_list("task_id", "model_name", "certainty", "unmeasured", "score")
    )
    certainty: dict[int, float] = {}
    for task_id, model_name, measured, result, score in latest:
        if deployed and not deployed.intersection(model_name.split("+")):
            continue
        value = measured if measured is not None else prediction_certainty(result, score)
        if value is not None:
            certainty[task_id] = min(value, certainty.get(task_id, value))
    return certainty


def tasks_least_certain_first(*, project: Project, candidates: QuerySet[Task]) -> list[int]:
    """Ids of the candidates that have predictions, the least certain first."""
    certainty = task_certainties(project=project, task_ids=candidates.values("pk"))
    return sorted(certainty, key=lambda task_id: (certainty[task_id], task_id))
