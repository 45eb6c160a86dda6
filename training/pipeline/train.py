"""The child process of a training run: data, embeddings, one model per type, logs, registry.

Runs under ``manage.py run_training <id>``, started by ``training.jobs.supervisor`` after it claimed
the run. One Spark session trains every model type of the run; a model that fails is reported in
``results`` and does not stop the others (run status ``partial``). The child writes the final
status itself; if it dies first, the supervisor (or the lease reaper) fails the run.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from annolab.errors import ValidationFailed
from projects.labeling_config import parse_labeling_config
from training import datasets, services
from training.engine.session import start_spark
from training.jobs import lifecycle
from training.jobs.directory import job_dir
from training.jobs.heartbeat import Heartbeat
from training.models import JobStatus, NlpModel, TrainingRun
from training.params import TrainingParams
from training.pipeline.context import RunContext, TrainedModel, Trainer, one_line
from training.pipeline.embeddings import project_embeddings
from training.pipeline.trainers import assertion, classification, ner

logger = logging.getLogger(__name__)


#: Each model type's trainer (``params.MODEL_TYPES``).
TRAINERS: dict[str, Trainer] = {
    "ner": ner.train,
    "assertion": assertion.train,
    "classification": classification.train,
}


def run_training(run_id: int) -> None:
    run = TrainingRun.objects.select_related("project").get(pk=run_id)
    if run.status != JobStatus.RUNNING:
        logger.info("%s is %s; nothing to train", run, run.status)
        return
    with Heartbeat(run):
        _train(run)


def _set_result(run: TrainingRun, position: int, **changes: Any) -> None:
    run.results[position] = {**run.results[position], **changes}
    TrainingRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(results=run.results)


def _train(run: TrainingRun) -> None:
    project = run.project
    params = TrainingParams(**run.params)
    try:
        config = parse_labeling_config(project.labeling_config)
        documents, reasons = datasets.selected_documents(project=project, params=params)
        context = RunContext(
            run=run,
            project=project,
            config=config,
            params=params,
            documents=documents,
            reasons=reasons,
            run_dir=job_dir(run),
        )
        context.spark = start_spark(
            master=settings.SPARK_MASTER,
            driver_memory=settings.SPARK_DRIVER_MEMORY,
            jars_dir=settings.SPARK_JARS_DIR,
            app_name=f"annolab-{project.name}-run-{run.pk}",
            local_dir=settings.VAR_DIR / "spark-tmp",
        )
        context.embeddings = project_embeddings(context)
    except Exception as exc:  # noqa: BLE001 - the run must end with a reason, whatever failed
        logger.exception("training run %s could not start", run.pk)
        lifecycle.job_finish(job=run, status=JobStatus.FAILED, error=one_line(exc))
        return

    produced: list[NlpModel] = []
    for position, model_type in enumerate(run.model_types):
        _set_result(run, position, status=JobStatus.RUNNING)
        try:
            trained = TRAINERS[model_type](context)
            models = [_register(context, t) for t in trained]
        except Exception as exc:  # noqa: BLE001 - one model's failure must not hide the others
            logger.exception("training %s failed in run %s", model_type, run.pk)
            _set_result(run, position, status=JobStatus.FAILED, error=one_line(exc))
            continue
        produced.extend(models)
        _set_result(
            run,
            position,
            status=JobStatus.SUCCEEDED,
            model=", ".join(m.name for m in models),
            error="",
        )

    failed = [r for r in run.results if r["status"] == JobStatus.FAILED]
    if not produced:
        status = JobStatus.FAILED
    elif failed:
        status = JobStatus.PARTIAL
    else:
        status = JobStatus.SUCCEEDED
    error = "; ".join(f"{r['model_type']}: {r['error']}" for r in failed)
    if run.deploy and produced:
        try:
            services.deploy_models(project=project, models=produced, actor=None, run=run)
        except ValidationFailed as exc:
            details = "; ".join(e["message"] for e in exc.errors)
            error = "; ".join(filter(None, [error, f"trained but not deployed: {details}"]))
    lifecycle.job_finish(job=run, status=status, error=error, results=run.results)


def _register(context: RunContext, trained: TrainedModel) -> NlpModel:
    (context.run_dir / f"{trained.name}.log").write_text(trained.log, encoding="utf-8")
    return NlpModel.objects.create(
        name=trained.name,
        type=trained.model_type,
        project=context.project,
        source="trained",
        labels=trained.labels,
        choices_group=trained.choices_group,
        multi_label=trained.multi_label,
        trained_at=timezone.now(),
        trigger=context.run.trigger,
        training_run=context.run,
        embeddings=context.params.embeddings,
        params=trained.params,
        metrics=trained.metrics,
        path=str(trained.path),
        log=trained.log,
    )
