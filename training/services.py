"""Workflows of the training app: start and cancel training runs and pre-annotations, deploy
and register models.

The web process validates and queues; a django-q2 worker (``training.tasks``) supervises a child
process (``training.pipeline``) that runs Spark. A job's state changes (claim, progress, finish,
reap) are in ``training.jobs.lifecycle``.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from annolab.errors import ConflictError, NotAllowed, ValidationFailed
from projects import selectors as project_selectors
from projects import services as project_services
from projects.labeling_config import (
    LabelingConfig,
    binding_map,
    binding_places,
    parse_labeling_config,
)
from projects.models import Project
from projects.permissions import Action, can, is_site_admin, require
from training import datasets, model_files, selectors, zipsafe
from training.deploy_policy import as_policy, require_test_set
from training.deployed import deployed_models
from training.jobs.lifecycle import announce_finished, reap_lost_jobs
from training.models import (
    Deployment,
    DeploymentTrigger,
    EvaluationJob,
    JobStatus,
    ModelSource,
    ModelType,
    ModelUpload,
    NlpModel,
    PreannotationJob,
    TrainingRun,
    Trigger,
)
from training.params import MODEL_TYPES, TrainingParams, parse_params

# --- what a run trains -----------------------------------------------------------------------


def _requested_types(config: LabelingConfig, params: TrainingParams) -> list[str]:
    possible = list(config.trainable_model_types)
    if params.model_types is None:
        return possible
    missing = [t for t in params.model_types if t not in possible]
    if missing:
        message = f"The labeling config has nothing to train a {missing[0]} model on."
        raise ValidationFailed(message, [{"field": "params.model_types", "message": message}])
    return [t for t in MODEL_TYPES if t in params.model_types]


def _check_trainable(
    project: Project, config: LabelingConfig, params: TrainingParams, types: list[str]
) -> None:
    """Reject before queueing what cannot train (no data, no labels, no graph that fits)."""
    if not types:
        raise ValidationFailed(
            "The labeling config defines no labels or choices to train a model on.",
            [
                {
                    "field": "labeling_config",
                    "message": "No NER labels, assertion labels or choices.",
                }
            ],
        )
    summary = datasets.summarize(project=project, config=config, params=params)
    if summary.completions == 0:
        message = (
            "No completions are selected for training "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(summary.reasons.items())) or 'no tasks'})."
        )
        raise ValidationFailed(message, [{"field": "params", "message": message}])
    errors: list[dict[str, Any]] = []
    if "ner" in types:
        if not summary.ner_labels:
            errors.append(
                {
                    "field": "params.model_types",
                    "message": "The selected completions contain no NER labels.",
                }
            )
        else:
            reason = datasets.ner_graph_problem(summary)
            if reason:
                errors.append({"field": "params", "message": reason})
    if "assertion" in types and not summary.assertion_labels:
        errors.append(
            {
                "field": "params.model_types",
                "message": "The selected completions contain no assertion labels.",
            }
        )
    if "classification" in types and not summary.choice_groups:
        errors.append(
            {
                "field": "params.model_types",
                "message": "The selected completions contain no choices.",
            }
        )
    if errors:
        raise ValidationFailed(errors[0]["message"], errors)


# --- runs ------------------------------------------------------------------------------------


def ensure_project_free(project: Project) -> None:
    reap_lost_jobs(project)
    if selectors.active_training(project) is not None:
        raise ConflictError(f"A training of project '{project.name}' is already queued or running.")
    if selectors.active_preannotation(project) is not None:
        raise ConflictError(f"A pre-annotation of project '{project.name}' is queued or running.")
    if selectors.active_evaluation(project) is not None:
        raise ConflictError(f"An evaluation in project '{project.name}' is queued or running.")


def training_run_start(
    *,
    project: Project,
    actor: AbstractBaseUser | None,
    deploy: Any,
    params: Any = None,
    trigger: str = Trigger.MANUAL,
) -> TrainingRun:
    """Validate, create a queued run and enqueue it once the row is committed.

    ``deploy`` is api.md's value (``true``, ``false``, ``"if_better"``) or a stored policy.
    """
    if actor is not None:
        require(project=project, user=actor, action=Action.MANAGE)
    policy = as_policy(deploy)
    # An active-learning run whose test set vanished still trains; it deploys nothing and says
    # why in its results. A person asking for "if_better" is told at once.
    if trigger == Trigger.MANUAL:
        require_test_set(policy, project)
    parsed = parse_params(params)
    config = parse_labeling_config(project.labeling_config)
    types = _requested_types(config, parsed)
    with transaction.atomic():
        # The project row lock serialises concurrent "Train Now"s and pre-annotations.
        Project.objects.select_for_update().get(pk=project.pk)
        ensure_project_free(project)
        _check_trainable(project, config, parsed, types)
        try:
            with transaction.atomic():
                run = TrainingRun.objects.create(
                    project=project,
                    created_by=actor,
                    trigger=trigger,
                    deploy=policy,
                    params=parsed.as_dict(),
                    model_types=types,
                    results=[
                        {"model_type": t, "status": JobStatus.QUEUED, "model": None, "error": ""}
                        for t in types
                    ],
                )
        except IntegrityError:
            raise ConflictError(
                f"A training of project '{project.name}' is already queued or running."
            ) from None
        transaction.on_commit(lambda: _enqueue("training.tasks.execute_training_run", run.pk))
    return run


def _enqueue(function: str, job_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        function, job_id, group="training", task_name=f"{function.rsplit('.', 1)[-1]}-{job_id}"
    )


def training_run_cancel(*, run: TrainingRun, actor: AbstractBaseUser) -> TrainingRun:
    require(project=run.project, user=actor, action=Action.MANAGE)
    if TrainingRun.objects.filter(pk=run.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), error="cancelled before it started"
    ):
        run.refresh_from_db()
        announce_finished(run)
        return run
    if not TrainingRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
        cancel_requested=True
    ):
        raise ConflictError(f"Training run {run.pk} has already finished ({run.status}).")
    # The supervising worker sees the flag within a second, kills the child's process group and
    # marks the run cancelled; the caller polls the run.
    run.refresh_from_db()
    return run


# --- deployment ------------------------------------------------------------------------------


@transaction.atomic
def deploy_models(
    *,
    project: Project,
    models: list[NlpModel],
    actor: AbstractBaseUser | None,
    run: TrainingRun | None = None,
) -> Project:
    """Bind models to every config tag they can predict, except labels of registered models.

    Every deployment goes through here (the API, the admin action, a run that deploys), so here
    is where it is recorded: one ``Deployment`` per call, even when every model was bound
    already, with the trigger of the run that asked (``manual`` for a person).
    """
    if actor is not None:
        require(project=project, user=actor, action=Action.MANAGE)
    known = [selectors.as_known_model(m) for m in models]
    old, new = project_services.project_config_bind_models(project=project, models=known)
    _record_deployment(
        project=project,
        old=old,
        new=new,
        actor=actor,
        trigger=run.trigger if run is not None else DeploymentTrigger.MANUAL,
        model_names=[m.name for m in models],
        run=run,
    )
    project.refresh_from_db()
    return project


def _record_deployment(
    *,
    project: Project,
    old: str,
    new: str,
    actor: AbstractBaseUser | None,
    trigger: str,
    model_names: list[str],
    run: TrainingRun | None = None,
    restored_from: Deployment | None = None,
) -> Deployment:
    return Deployment.objects.create(
        project=project,
        actor=actor,
        trigger=trigger,
        model_names=model_names,
        before=binding_map(old),
        after=binding_map(new),
        training_run=run,
        restored_from=restored_from,
        old_config=old,
        new_config=new,
    )


def model_load_problem(model: NlpModel, *, cannot: str = "no longer loads") -> str | None:
    """Why ``model`` could not be loaded from its folder, or None; checked without Spark.

    A saved Spark PipelineModel is a folder with ``metadata/`` (and ``stages/``); the web
    process has no JVM, so the folder's shape is what it can check before binding the model.
    ``cannot`` says what the problem stops ("no longer loads", "cannot be downloaded").
    """
    folder = Path(model.path) if model.path else None
    if folder is None:
        reason = "it has no folder."
    elif not folder.is_dir():
        reason = f"its folder {folder} is missing."
    elif not (folder / "metadata").is_dir():
        reason = f"its folder {folder} has no metadata/ (not a saved Spark PipelineModel)."
    else:
        return None
    return f"Model '{model.name}' {cannot}: {reason}"


@transaction.atomic
def deployment_restore(*, deployment: Deployment, actor: AbstractBaseUser) -> Project:
    """Bind the record's ``after`` again: every tag it knows gets exactly its model back
    (a tag it had unbound is unbound), tags the config gained since keep theirs.

    All or nothing: a tag that is gone from today's config, or a model that is deleted, no
    longer usable in the project, of the wrong type for its tag, or whose folder does not load,
    is a 400 naming ``after.<tag>``, and the config stays as it is (a tag the record had
    unbound and that is gone is skipped: there is nothing to restore there). Like any
    deployment it is allowed while a job runs (a pre-annotation keeps the models it loaded).
    The restore is itself recorded, trigger ``restore``, pointing at the record it restored.
    """
    project = deployment.project
    require(project=project, user=actor, action=Action.MANAGE)
    # The lock first: the checks below read the config that the rewrite will change.
    project = Project.objects.select_for_update().get(pk=project.pk)
    places = binding_places(project.labeling_config)
    # A tag the record had unbound and that is gone since asks for nothing: old records stay
    # restorable after a label without a model was renamed or removed.
    wanted = {
        tag: name for tag, name in deployment.after.items() if name is not None or tag in places
    }
    names = {name for name in wanted.values() if name}
    registry = {m.name: m for m in NlpModel.objects.filter(name__in=names)}
    usable = set(
        selectors.models_usable_in(project.pk).filter(name__in=names).values_list("name", flat=True)
    )
    errors: list[dict[str, Any]] = []
    for tag, name in wanted.items():
        problem = None
        place = places.get(tag)
        model = registry.get(name or "")
        if place is None:
            problem = f"The labeling config no longer has the tag '{tag}'."
        elif name is None:
            continue
        elif model is None:
            problem = f"Model '{name}' no longer exists."
        elif name not in usable:
            problem = f"Model '{name}' can no longer be used in project '{project.name}'."
        elif model.type != place.kind:
            problem = (
                f"Model '{name}' is a {model.type} model; the tag '{tag}' now takes a "
                f"{place.kind} model."
            )
        else:
            problem = model_load_problem(model)
        if problem:
            errors.append({"field": f"after.{tag}", "message": problem})
    if errors:
        raise ValidationFailed(f"{errors[0]['message']} Nothing was restored.", errors)
    old, new = project_services.project_config_set_bindings(project=project, bindings=wanted)
    _record_deployment(
        project=project,
        old=old,
        new=new,
        actor=actor,
        trigger=DeploymentTrigger.RESTORE,
        model_names=sorted(names),
        restored_from=deployment,
    )
    project.refresh_from_db()
    return project


def deploy_by_name(*, project: Project, names: list[str], actor: AbstractBaseUser) -> Project:
    require(project=project, user=actor, action=Action.MANAGE)
    # Only the project's own models and shared ones: another project's is as unknown here.
    found = {m.name: m for m in selectors.models_usable_in(project.pk).filter(name__in=names)}
    missing = [n for n in names if n not in found]
    if not names or missing:
        message = f"No model named {missing[0]!r}." if missing else "Name at least one model."
        raise ValidationFailed(message, [{"field": "models", "message": message}])
    return deploy_models(project=project, models=[found[n] for n in names], actor=actor)


def next_model_name(
    *, project: Project, model_type: str, trigger: str, group: str | None = None
) -> str:
    """``ner_<project>_annotation_<trigger>_v<N>`` and friends (api.md "Models")."""
    stem = {
        "ner": f"ner_{project.name}_annotation_{trigger}",
        "assertion": f"assertion_{project.name}_annotation_{trigger}",
        "classification": f"classification_{project.name}_{group}_annotation_{trigger}",
    }[model_type]
    taken = NlpModel.objects.filter(name__startswith=f"{stem}_v").values_list("name", flat=True)
    versions = [int(n.rsplit("_v", 1)[1]) for n in taken if n.rsplit("_v", 1)[1].isdigit()]
    return f"{stem}_v{max(versions, default=0) + 1}"


def model_register(
    *,
    name: str,
    model_type: str,
    path: str,
    labels: list[str],
    project: Project | None = None,
    choices_group: str = "",
    multi_label: bool = False,
) -> NlpModel:
    """Add a model trained elsewhere (a saved Spark NLP PipelineModel folder) to the registry."""
    if NlpModel.objects.filter(name=name).exists():
        raise ValidationFailed(f"A model named {name!r} is registered already.")
    return NlpModel.objects.create(
        name=name,
        type=model_type,
        path=path,
        labels=labels,
        project=project,
        source=ModelSource.REGISTERED,
        choices_group=choices_group,
        multi_label=multi_label,
    )


# --- models out and in: GET /api/models/{name}/download, POST /api/models/ ------------------


def model_download_folder(*, model: NlpModel, actor: AbstractBaseUser) -> Path:
    """The folder to zip for ``actor``: owners and managers of the model's project (a shared
    model: of any project, since any project may deploy it); 409 when it has no files."""
    if model.project is not None:
        require(project=model.project, user=actor, action=Action.MANAGE)
    elif not (is_site_admin(actor) or project_selectors.projects_managed_by(actor).exists()):
        raise NotAllowed("Only owners and managers of a project download models.")
    problem = model_load_problem(model, cannot="cannot be downloaded")
    if problem:
        raise ConflictError(problem)
    return Path(model.path)


#: A model's name: it becomes a URL segment and a labeling config's ``model`` attribute.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


def _upload_project(actor: AbstractBaseUser, name: str | None) -> Project | None:
    """The project an upload goes to: one the caller manages; none (shared) for a site admin."""
    if not name:
        if is_site_admin(actor):
            return None
        raise ValidationFailed.for_field(
            "project",
            "Name a project you manage: only a site admin registers a model without a project "
            "(shared with every project).",
        )
    project = Project.objects.filter(name=name).first()
    # An outsider is told the same as for a project that does not exist: nothing is revealed.
    if project is None or not can(project=project, user=actor, action=Action.VIEW):
        raise ValidationFailed.for_field("project", f"No project named {name!r}.")
    require(project=project, user=actor, action=Action.MANAGE)
    return project


def model_upload_start(
    *,
    actor: AbstractBaseUser,
    file: IO[bytes],
    size: int,
    name: str,
    model_type: str,
    labels: list[str],
    project_name: str | None,
    choices_group: str = "",
    multi_label: bool = False,
) -> ModelUpload:
    """Check the request, unpack the zip safely into a staging folder under MODELS_DIR/uploads/
    and queue the job that loads it in the child (``training.pipeline.model_check``).

    Every refusal is a 400 naming its field, and nothing is kept: no row, no folder.
    """
    project = _upload_project(actor, project_name)
    if not MODEL_NAME.fullmatch(name):
        raise ValidationFailed.for_field(
            "name",
            "Use 1 to 200 letters, digits, '_', '-' or '.', starting with a letter or digit.",
        )
    if (
        NlpModel.objects.filter(name=name).exists()
        or ModelUpload.objects.filter(
            name=name, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).exists()
    ):
        raise ValidationFailed.for_field(
            "name", f"A model named {name!r} is registered or being uploaded already."
        )
    if model_type not in ModelType.values:
        raise ValidationFailed.for_field("type", f"Must be one of {', '.join(ModelType.values)}.")
    if not labels:
        raise ValidationFailed.for_field("labels", "Name at least one label, comma-separated.")
    if size > settings.MODEL_UPLOAD_MAX_BYTES:
        raise ValidationFailed.for_field(
            "file",
            f"The zip is {size} bytes; at most {settings.MODEL_UPLOAD_MAX_BYTES} are accepted.",
        )
    staging = settings.MODELS_DIR / "uploads" / uuid.uuid4().hex
    limits = zipsafe.Limits(
        max_entries=settings.MODEL_UPLOAD_MAX_ENTRIES,
        max_bytes=settings.MODEL_UPLOAD_MAX_UNPACKED_BYTES,
    )
    try:
        zipsafe.extract(file, staging, limits)
    except zipsafe.UnsafeZip as exc:
        raise ValidationFailed.for_field("file", str(exc)) from None
    try:
        pipeline = model_files.uploaded_pipeline(staging)
        if pipeline is None:
            raise ValidationFailed.for_field(
                "file",
                "The zip holds no saved Spark NLP pipeline: a folder with metadata/ and stages/ "
                "at its root or inside its one top-level folder.",
            )
        model_files.write_sidecar_if_missing(
            pipeline, model_type=model_type, labels=labels, multi_label=multi_label
        )
        with transaction.atomic():
            try:
                with transaction.atomic():
                    upload = ModelUpload.objects.create(
                        project=project,
                        created_by=actor,
                        name=name,
                        type=model_type,
                        labels=labels,
                        choices_group=choices_group,
                        multi_label=multi_label,
                        staging_path=str(staging),
                        pipeline_path=str(pipeline),
                    )
            except IntegrityError:
                raise ValidationFailed.for_field(
                    "name", f"A model named {name!r} is being uploaded already."
                ) from None
            transaction.on_commit(
                lambda: _enqueue("training.tasks.execute_model_upload", upload.pk)
            )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return upload


# --- evaluation ----------------------------------------------------------------------------


def evaluation_start(
    *, model: NlpModel, project: Project, actor: AbstractBaseUser
) -> EvaluationJob:
    """Queue a re-score of ``model`` on ``project``'s test set (its own project's, or the one a
    shared model is evaluated in); busy rules as pre-annotation."""
    require(project=project, user=actor, action=Action.MANAGE)
    if datasets.frozen_test_set(project=project).is_empty:
        tag = project.test_tag
        message = (
            f"Project '{project.name}' has no test set: tag tasks '{tag}' and submit their "
            "completions first."
            if tag
            else f"Project '{project.name}' has no test tag (project field test_tag)."
        )
        raise ValidationFailed(message, [{"field": "project", "message": message}])
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        ensure_project_free(project)
        try:
            with transaction.atomic():
                job = EvaluationJob.objects.create(project=project, model=model, created_by=actor)
        except IntegrityError:
            raise ConflictError(
                f"An evaluation in project '{project.name}' is queued or running."
            ) from None
        transaction.on_commit(lambda: _enqueue("training.tasks.execute_evaluation", job.pk))
    return job


# --- pre-annotation --------------------------------------------------------------------------


def preannotation_start(
    *, project: Project, actor: AbstractBaseUser | None, task_ids: list[int] | None = None
) -> PreannotationJob:
    """Queue a pre-annotation of ``task_ids`` (default: the tasks without a submitted
    completion) by every deployed model; enqueue it once the row is committed."""
    if actor is not None:
        require(project=project, user=actor, action=Action.MANAGE)
    deployed = deployed_models(parse_labeling_config(project.labeling_config))
    if deployed.is_empty:
        message = (
            f"No model is deployed in project '{project.name}': deploy a NER or classification "
            "model first."
        )
        raise ValidationFailed(message, [{"field": "labeling_config", "message": message}])
    with transaction.atomic():
        # The project row lock serialises pre-annotations with "Train Now" (training_run_start).
        Project.objects.select_for_update().get(pk=project.pk)
        ensure_project_free(project)
        ids = _preannotation_task_ids(project, task_ids)
        try:
            with transaction.atomic():
                job = PreannotationJob.objects.create(
                    project=project,
                    created_by=actor,
                    task_ids=ids,
                    models_used=deployed.names,
                    total=len(ids),
                )
        except IntegrityError:
            raise ConflictError(
                f"A pre-annotation of project '{project.name}' is queued or running."
            ) from None
        transaction.on_commit(lambda: _enqueue("training.tasks.execute_preannotation", job.pk))
    return job


def _preannotation_task_ids(project: Project, task_ids: list[int] | None) -> list[int]:
    from django.db.models import Exists, OuterRef

    from projects.models import Completion, CompletionStatus, Task

    tasks = Task.objects.filter(project=project)
    if task_ids is None:
        submitted = Completion.objects.filter(
            task_id=OuterRef("pk"), status=CompletionStatus.SUBMITTED
        )
        ids = list(tasks.filter(~Exists(submitted)).order_by("id").values_list("id", flat=True))
        if not ids:
            message = "Every task has a submitted completion: there is nothing to pre-annotate."
            raise ValidationFailed(message, [{"field": "task_ids", "message": message}])
        return ids
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        message = "Name at least one task to pre-annotate."
        raise ValidationFailed(message, [{"field": "task_ids", "message": message}])
    known = set(tasks.filter(pk__in=ids).values_list("id", flat=True))
    unknown = [task_id for task_id in ids if task_id not in known]
    if unknown:
        shown = ", ".join(str(task_id) for task_id in unknown[:5])
        message = f"Project '{project.name}' has no task {shown}."
        raise ValidationFailed(
            message,
            [
                {"field": f"task_ids.{position}", "message": f"No task {task_id} in the project."}
                for position, task_id in enumerate(task_ids)
                if task_id not in known
            ],
        )
    return ids
