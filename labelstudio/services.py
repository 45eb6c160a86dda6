"""Workflows of the Label Studio ML backend: setup, predict, annotations in, Train Now.

Everything goes through annolab's own services: a mirrored annotation is submitted with
``projects.services.completion_create`` (so active learning counts it as it counts a page
submit), predictions come from a pre-annotation job started with
``training.services.preannotation_start`` (the worker runs Spark; the web never does), and
Train Now is ``training.services.training_run_start``.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from activelearning.models import ActiveLearningSettings
from activelearning.selectors import effective_params
from annolab.errors import ConflictError, ValidationFailed
from labelstudio import remote, selectors
from labelstudio.models import AnnotationLink, Connection, TaskLink
from labelstudio.selectors import Answer
from projects import services as project_services
from projects.models import Completion, Project, Task
from projects.permissions import Action, require
from projects.selection import has_test_set
from training import services as training_services
from training.models import ACTIVE_STATUSES, DeployPolicy, PreannotationJob, TrainingRun, Trigger

#: Label Studio actions that carry one annotation to store.
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")


# --- setup ------------------------------------------------------------------------------------


@transaction.atomic
def connection_setup(
    *,
    project: Project,
    actor: AbstractBaseUser,
    ls_project: str,
    hostname: str,
    access_token: str,
    label_config: str,
) -> Connection:
    """Remember what Label Studio sent (kept across setups: the latest wins)."""
    require(project=project, user=actor, action=Action.ANNOTATE)
    connection, _created = Connection.objects.select_for_update().get_or_create(project=project)
    # Label Studio's project arrives as "<id>.<created timestamp>".
    connection.ls_project = ls_project.split(".", 1)[0][:100]
    connection.hostname = hostname[:500]
    if access_token:
        connection.access_token = access_token[:500]
    connection.label_config = label_config
    connection.save()
    return connection


# --- tasks ------------------------------------------------------------------------------------


def _ls_id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ValidationFailed.for_field(field, "Must be Label Studio's id, a whole number ≥ 1.")
    return value


@transaction.atomic
def tasks_mirror(
    *, project: Project, ls_tasks: list[Any], label_config: str | None, field: str = "tasks"
) -> list[Task]:
    """The annolab task of each Label Studio task, in order, created on first sight.

    Its text is the Label Studio task's ``data[<key>]``, the key its config's text object names.
    Two requests seeing a task first at once (a predict and a webhook) meet on the link's unique
    constraint: the second waits for the first's commit, fails, and reads the winner's task. No
    row lock is taken, so none is held while a completion is counted (active learning locks its
    settings row, then the project's, to start a run).
    """
    key = selectors.text_key(project=project, label_config=label_config)
    wanted: list[tuple[int, str]] = []
    for position, ls_task in enumerate(ls_tasks):
        where = f"{field}.{position}"
        if not isinstance(ls_task, dict):
            raise ValidationFailed.for_field(
                where, "Must be a Label Studio task (an object with id and data)."
            )
        ls_id = _ls_id(ls_task.get("id"), f"{where}.id")
        data = ls_task.get("data")
        text = data.get(key) if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise ValidationFailed.for_field(
                f"{where}.data.{key}", "The task's text is missing (not a string)."
            )
        wanted.append((ls_id, text))
    links = {
        link.ls_task_id: link.task
        for link in TaskLink.objects.select_related("task").filter(
            project=project, ls_task_id__in=[ls_id for ls_id, _ in wanted]
        )
    }
    for ls_id, text in wanted:
        if ls_id in links:
            continue
        try:
            with transaction.atomic():
                task = Task.objects.create(
                    project=project, data={"text": text}, external_id=str(ls_id)
                )
                TaskLink.objects.create(project=project, ls_task_id=ls_id, task=task)
        except IntegrityError:
            task = (
                TaskLink.objects.select_related("task").get(project=project, ls_task_id=ls_id).task
            )
        links[ls_id] = task
    return [links[ls_id] for ls_id, _ in wanted]


# --- predict ----------------------------------------------------------------------------------


def predictions_answer(
    *,
    project: Project,
    actor: AbstractBaseUser,
    ls_tasks: list[Any],
    label_config: str | None,
    wait_seconds: float | None = None,
) -> tuple[list[Answer], str]:
    """``predict``: one answer per Label Studio task, in order, and the deployed models'
    ``model_version``.

    Tasks without a prediction by the deployed models get one pre-annotation job, which this
    waits for (polling the job's row) at most ``wait_seconds`` (``LABEL_STUDIO_PREDICT_WAIT``,
    below Label Studio's ``ML_TIMEOUT_PREDICT``); then the stored predictions are answered, and
    a task still without one gets an empty result. A busy project (a training or another job
    running) is answered from what is stored, without a job. Nothing deployed: empty results.
    """
    require(project=project, user=actor, action=Action.ANNOTATE)
    tasks = tasks_mirror(project=project, ls_tasks=ls_tasks, label_config=label_config)
    deployed = selectors.deployed(project)
    version = selectors.model_version(deployed)
    if deployed.is_empty:
        return [Answer(result=[], score=0.0, model_version="") for _ in tasks], version
    missing = selectors.tasks_without_prediction(tasks=tasks, model_name=deployed.model_name)
    if missing:
        try:
            # The caller may only annotate; pre-annotating these tasks is the backend's own act,
            # as an active-learning run's is (actor None).
            job = training_services.preannotation_start(
                project=project, actor=None, task_ids=missing
            )
        except (ConflictError, ValidationFailed):
            job = None  # busy, or nothing left to predict: answer what is stored
        if job is not None:
            seconds = settings.LABEL_STUDIO_PREDICT_WAIT if wait_seconds is None else wait_seconds
            _wait_for(job, seconds)
    answers = selectors.stored_answers(tasks=tasks, model_name=deployed.model_name, version=version)
    return answers, version


def _wait_for(job: PreannotationJob, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = PreannotationJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
        if status not in ACTIVE_STATUSES:
            return
        time.sleep(0.5)


# --- annotations ------------------------------------------------------------------------------


def _trained_regions(project: Project, result: Any) -> list[dict[str, Any]]:
    """The regions annolab trains on; others (``<TextArea>``, ``<Rating>``, relations, controls
    annolab's config lacks) are dropped rather than refused."""
    if not isinstance(result, list):
        raise ValidationFailed.for_field("annotation.result", "Must be a list of regions.")
    controls = selectors.trained_controls(project)
    return [
        region
        for region in result
        if isinstance(region, dict) and controls.get(region.get("from_name")) == region.get("type")
    ]


def _lead_time(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


@transaction.atomic
def annotation_store(
    *, project: Project, actor: AbstractBaseUser, task: Task, annotation: Any
) -> Completion | None:
    """Make a Label Studio annotation the submitted completion of its mirrored task.

    Once per annotation id. A submitted completion never changes in annolab, so a changed
    annotation (``ANNOTATION_UPDATED``, or a newer version in an export) replaces it: a new
    submitted completion is created and the old one deleted, so training sees only the latest
    version; the new one counts toward active learning as a re-submitted rework does. The same
    result again changes nothing. A cancelled (skipped) annotation is not a completion: None.
    """
    require(project=project, user=actor, action=Action.ANNOTATE)
    if not isinstance(annotation, dict):
        raise ValidationFailed.for_field(
            "annotation", "Must be a Label Studio annotation (an object)."
        )
    ls_id = _ls_id(annotation.get("id"), "annotation.id")
    link = (
        AnnotationLink.objects.select_for_update()
        .select_related("completion")
        .filter(project=project, ls_annotation_id=ls_id)
        .first()
    )
    if annotation.get("was_cancelled") is True:
        return None
    result = _trained_regions(project, annotation.get("result"))
    if link is not None and link.completion.result == result:
        return link.completion
    if link is not None:
        completion = _completion_of(task, actor, annotation, result)
        old = link.completion
        link.completion = completion
        link.save(update_fields=["completion"])
        old.delete()
        return completion
    try:
        # A savepoint: when the same annotation is being stored by a concurrent delivery, the
        # link's unique constraint fails here (after that one's commit) and this completion and
        # its count are rolled back with the savepoint; the winner's completion is the answer.
        with transaction.atomic():
            completion = _completion_of(task, actor, annotation, result)
            AnnotationLink.objects.create(
                project=project, ls_annotation_id=ls_id, completion=completion
            )
    except IntegrityError:
        return AnnotationLink.objects.get(project=project, ls_annotation_id=ls_id).completion
    return completion


def _completion_of(
    task: Task, actor: AbstractBaseUser, annotation: dict[str, Any], result: list[dict[str, Any]]
) -> Completion:
    """A submitted completion through the page's own service: active learning counts it."""
    return project_services.completion_create(
        task=task,
        actor=actor,
        result=result,
        submit=True,
        ground_truth=annotation.get("ground_truth") is True,
        lead_time=_lead_time(annotation.get("lead_time")),
    )


def annotation_receive(
    *,
    project: Project,
    actor: AbstractBaseUser,
    ls_task: Any,
    annotation: Any,
    label_config: str | None,
) -> Completion | None:
    """``ANNOTATION_CREATED`` / ``ANNOTATION_UPDATED``: mirror the task, store the annotation."""
    with transaction.atomic():
        (task,) = tasks_mirror(
            project=project, ls_tasks=[ls_task], label_config=label_config, field="task"
        )
        return annotation_store(project=project, actor=actor, task=task, annotation=annotation)


# --- training ---------------------------------------------------------------------------------


def _last_params(project: Project) -> dict[str, Any]:
    """The params of Train Now from Label Studio: active learning's (they default to the last
    manual run's), so a team sets them once, on annolab's Active Learning card."""
    row = ActiveLearningSettings.objects.filter(project=project).first()
    return effective_params(row or ActiveLearningSettings(project=project))


def training_start(
    *, project: Project, actor: AbstractBaseUser, ls_project: Any
) -> tuple[TrainingRun, int]:
    """``START_TRAINING``: pull the Label Studio project's annotations, store them, Train Now.

    The tasks come from Label Studio's export with the access token it sent at setup, from the
    ``hostname`` it sent then, which must be one of ``LABEL_STUDIO_URLS``. The run deploys
    "if better" when the project has a test set, else always (Label Studio's users see the new
    model's predictions next). Returns the run and the number of annotations stored.
    """
    require(project=project, user=actor, action=Action.MANAGE)
    connection = Connection.objects.filter(project=project).first()
    if connection is None or not connection.hostname or not connection.access_token:
        message = "Label Studio has not called setup with its hostname and access token yet."
        raise ValidationFailed(message, [{"field": "hostname", "message": message}])
    if not selectors.hostname_allowed(connection.hostname):
        message = (
            f"Label Studio's hostname {connection.hostname} is not in LABEL_STUDIO_URLS: an "
            "administrator lists the Label Studio servers annolab may pull annotations from."
        )
        raise ValidationFailed(message, [{"field": "hostname", "message": message}])
    training_services.ensure_project_free(project)  # busy: say so before pulling anything
    ls_id = str(ls_project) if ls_project not in (None, "") else connection.ls_project
    exported = remote.export_tasks(
        hostname=connection.hostname, ls_project=ls_id, access_token=connection.access_token
    )
    stored = 0
    with transaction.atomic():
        tasks = tasks_mirror(
            project=project,
            ls_tasks=exported,
            label_config=connection.label_config or None,
            field="export",
        )
        for task, ls_task in zip(tasks, exported, strict=True):
            for annotation in ls_task.get("annotations") or []:
                if annotation_store(project=project, actor=actor, task=task, annotation=annotation):
                    stored += 1
    deploy = DeployPolicy.IF_BETTER if has_test_set(project) else DeployPolicy.ALWAYS
    run = training_services.training_run_start(
        project=project,
        actor=actor,
        deploy=deploy,
        params=_last_params(project),
        trigger=Trigger.MANUAL,
    )
    return run, stored
