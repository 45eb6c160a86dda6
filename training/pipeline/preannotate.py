"""The child process of a pre-annotation job: every deployed model over the job's tasks.

Runs under ``manage.py run_preannotation <id>``, started by ``training.jobs.supervisor`` after it
claimed the job. One Spark session loads each deployed model once (``training.pipeline.predictor``);
tasks then go through in batches, each batch stored with one ``bulk_create`` and the progress in
the same transaction, so ``done`` never counts a task whose prediction is not stored. The child
writes the final status itself; if it dies first, the supervisor (or the lease reaper) fails it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annolab.errors import ValidationFailed
from projects.labeling_config import parse_labeling_config
from projects.models import Prediction, Task
from training.deployed import deployed_models
from training.engine.predict import LIGHT_PIPELINE_LIMIT
from training.engine.session import start_spark
from training.jobs.heartbeat import Heartbeat
from training.jobs.lifecycle import job_finish
from training.models import JobStatus, PreannotationJob
from training.pipeline.context import one_line
from training.pipeline.predictor import Preannotator, TaskPrediction, score_of

logger = logging.getLogger(__name__)

#: Tasks per batch. Each batch costs one Spark job per model, and a job has a fixed cost of
#: seconds (DataFrame built from Python rows, scheduling, collecting): bench/preannotation.py
#: measured batches of 200 at 0.66 of the rate of one bare transform over 1,000 texts, batches of
#: 1,000 at 0.91. Progress and memory still move per batch, and the heartbeat is a thread, so a
#: long batch never loses the lease.
BATCH_SIZE = 1000
#: The first batch of every job is small, so the progress moves within seconds of the start
#: instead of staying at 0 until a whole batch of 1,000 (or a small job's only batch) is done.
#: It is ``LIGHT_PIPELINE_LIMIT`` tasks, the smallest batch the engine sends through a DataFrame:
#: below that a LightPipeline answers, which bench/preannotation.py measured at 14 s for 49 tasks
#: of the three model types, against about 2 s for one more Spark job.
FIRST_BATCH_SIZE = LIGHT_PIPELINE_LIMIT
#: A job of fewer tasks than ``LIGHT_PIPELINE_LIMIT`` is answered by LightPipelines whatever its
#: batches (no Spark job to pay per batch, the cost is per text), so it goes in steps of this
#: many tasks and its progress moves too (the "0/19 until the end" of a small job).
SMALL_JOB_STEP = 10


def job_batches(task_ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """The job's tasks in the batches the child predicts and stores them in, in order."""
    if len(task_ids) < LIGHT_PIPELINE_LIMIT:
        for start in range(0, len(task_ids), SMALL_JOB_STEP):
            yield task_ids[start : start + SMALL_JOB_STEP]
        return
    yield task_ids[:FIRST_BATCH_SIZE]
    for start in range(FIRST_BATCH_SIZE, len(task_ids), BATCH_SIZE):
        yield task_ids[start : start + BATCH_SIZE]


class JobStopped(Exception):
    """The job is no longer running (cancelled or failed by the supervisor): stop writing."""


def run_preannotation(job_id: int) -> None:
    job = PreannotationJob.objects.select_related("project").get(pk=job_id)
    if job.status != JobStatus.RUNNING:
        logger.info("%s is %s; nothing to pre-annotate", job, job.status)
        return
    with Heartbeat(job):
        _preannotate(job)


def _preannotate(job: PreannotationJob) -> None:
    try:
        config = parse_labeling_config(job.project.labeling_config)
        deployed = deployed_models(config)
        if deployed.is_empty:
            # The config changed between the request and now (a model was undeployed).
            raise ValidationFailed("No model is deployed in this project any more.")
        spark = start_spark(
            master=settings.SPARK_MASTER,
            driver_memory=settings.SPARK_DRIVER_MEMORY,
            jars_dir=settings.SPARK_JARS_DIR,
            app_name=f"annolab-{job.project.name}-preannotation-{job.pk}",
            local_dir=settings.VAR_DIR / "spark-tmp",
        )
        started = time.monotonic()
        preannotator = Preannotator(spark, deployed)
        # The log says where the time went: loading models or predicting (child.log).
        logger.info("loaded %s in %.1f s", ", ".join(deployed.names), time.monotonic() - started)
        PreannotationJob.objects.filter(pk=job.pk).update(models_used=deployed.names)
        started = time.monotonic()

        def stored(done: int) -> None:
            if not _progress(job, done):
                raise JobStopped
            logger.info(
                "pre-annotated %d/%d tasks (%.1f s since the models loaded)",
                done,
                len(job.task_ids),
                time.monotonic() - started,
            )

        preannotate_tasks(
            preannotator,
            project_id=job.project_id,
            batches=job_batches(job.task_ids),
            after_batch=stored,
        )
    except JobStopped:
        logger.info("pre-annotation job %s stopped by its supervisor", job.pk)
        return
    except Exception as exc:  # noqa: BLE001 - the job must end with a reason, whatever failed
        logger.exception("pre-annotation job %s failed", job.pk)
        job_finish(job=job, status=JobStatus.FAILED, error=one_line(exc))
        return
    job_finish(job=job, status=JobStatus.SUCCEEDED)


def preannotate_tasks(
    preannotator: Preannotator,
    *,
    project_id: int,
    batches: Iterable[Sequence[int]],
    after_batch: Callable[[int], None],
) -> None:
    """Predict and store one prediction per task, batch by batch, in order; tasks deleted
    meanwhile are skipped. ``after_batch(done)`` runs in the transaction that stored a batch
    (``done`` counts the tasks of the batches stored so far), so progress never counts a task
    whose prediction is not stored. The bench times this function: it is the whole per-task
    path of a job.

    From the second batch on, two batches are predicted at once: the next one is already in
    Spark while the previous one is stored, and each batch's Spark jobs' fixed cost (a second or
    so for three models) is paid beside the other's work. Storing stays in batch order, one
    batch per transaction. Two kinds of batch go alone:

    * the small first batch (``job_batches``): its point is progress within seconds, and Spark
      runs jobs first come, first served, so beside the second batch its last model would wait
      for the second batch's first (bench/preannotation.py: 0.97 of bare Spark NLP with it
      beside, but its progress came a moment before the end, and a browser test saw none);
    * a batch under ``LIGHT_PIPELINE_LIMIT`` tasks (a small job's steps, a job's remainder):
      LightPipelines answer it without a Spark job, so there is no fixed cost to hide, and none
      of them is ever shared by two threads.
    """
    done = 0
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="predict") as spark_side:
        in_flight: deque[tuple[Sequence[int], list[int], Future[list[TaskPrediction]]]] = deque()

        def store_oldest() -> None:
            nonlocal done
            batch, ids, predicted = in_flight.popleft()
            with transaction.atomic():
                _store(preannotator.model_name, ids, predicted.result())
                done += len(batch)
                after_batch(done)

        for number, batch in enumerate(batches):
            alone = number == 0 or len(batch) < LIGHT_PIPELINE_LIMIT
            while alone and in_flight:
                store_oldest()
            ids, texts = _task_texts(project_id, batch)
            in_flight.append((batch, ids, spark_side.submit(preannotator.predict, texts)))
            if alone or len(in_flight) == 2:
                store_oldest()
        while in_flight:
            store_oldest()


def _task_texts(project_id: int, task_ids: Sequence[int]) -> tuple[list[int], list[str]]:
    """The ids of ``task_ids`` that still exist, in order and once each, and their texts."""
    rows = dict(
        Task.objects.filter(project_id=project_id, pk__in=task_ids).values_list("id", "data")
    )
    ids = [task_id for task_id in dict.fromkeys(task_ids) if task_id in rows]
    return ids, [str((rows[task_id] or {}).get("text", "")) for task_id in ids]


def _store(model_name: str, ids: Sequence[int], predictions: Sequence[TaskPrediction]) -> None:
    Prediction.objects.bulk_create(
        [
            Prediction(
                task_id=task_id,
                model_name=model_name,
                score=score_of(predicted.result),
                certainty=predicted.certainty,
                result=predicted.result,
            )
            for task_id, predicted in zip(ids, predictions, strict=True)
        ]
    )


def _progress(job: PreannotationJob, done: int) -> bool:
    """Record progress (and the heartbeat); False when the job is not running any more."""
    updated = PreannotationJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        done=done, heartbeat_at=timezone.now()
    )
    return updated == 1
