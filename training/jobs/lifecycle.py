"""A job's life as filtered UPDATEs: QUEUED -> RUNNING (claim), progress, RUNNING -> a final
status (finish), and the reaper that fails a job whose child stopped heartbeating.

Every state change is a filtered UPDATE, so a redelivered or duplicated message can never start or
finish a job twice. The worker's supervisor, the child and the web (cancel, reap before a start)
all change a job through these functions.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from projects.models import Project
from training.models import (
    ACTIVE_STATUSES,
    JOB_MODELS,
    SUPERVISED_MODELS,
    Job,
    JobStatus,
    ModelUpload,
    TrainingRun,
)
from training.signals import project_freed

WORKER_LOST = "worker lost: the training process stopped without reporting a result"


def reap_lost_jobs(project: Project | None = None) -> None:
    """Fail running jobs whose child stopped heartbeating: the lease of a run is its heartbeat.

    Runs every minute on the worker (the ``annolab: reap lost jobs`` schedule, which also runs
    when a worker starts), and before a job of ``project`` starts; never on a GET.
    """
    stale = timezone.now() - timedelta(seconds=settings.TRAINING_LEASE_SECONDS)
    for model in SUPERVISED_MODELS:
        lost = model.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale)
        if project is not None:
            lost = lost.filter(project=project)
        for job in lost:
            job_finish(job=job, status=JobStatus.FAILED, error=WORKER_LOST)


def job_claim(*, job: Job) -> bool:
    """QUEUED -> RUNNING, at most once: a redelivered message finds nothing to claim."""
    now = timezone.now()
    claimed = (
        type(job)
        .objects.filter(pk=job.pk, status=JobStatus.QUEUED)
        .update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now)
    )
    return claimed == 1


def job_finish(*, job: Job, status: str, error: str = "", **fields: Any) -> bool:
    """RUNNING -> a final status, at most once; frees the project and announces it."""
    updates: dict[str, Any] = {
        "status": status,
        "error": error[:2000],
        "finished_at": timezone.now(),
        **fields,
    }
    if isinstance(job, TrainingRun):
        updates["progress"] = None
        if status in (JobStatus.FAILED, JobStatus.CANCELLED):
            job.refresh_from_db(fields=["results"])
            updates["results"] = [
                {**r, "status": status, "error": r.get("error") or error}
                if r["status"] in ACTIVE_STATUSES
                else r
                for r in job.results
            ]
    finished = type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(**updates)
    if finished:
        job.refresh_from_db()
        if isinstance(job, ModelUpload):
            upload_discard_if_failed(job)
        announce_finished(job)
    return finished == 1


def announce_finished(job: Job) -> None:
    # A model upload busies no project: there is nothing to free, no trigger to start.
    if isinstance(job, JOB_MODELS):
        transaction.on_commit(lambda: project_freed.send(sender=type(job), job=job))


def upload_discard_if_failed(upload: ModelUpload) -> None:
    """A model upload that did not succeed keeps nothing: its staging folder goes (whoever
    ended it: the child, the supervisor, the reaper)."""
    if upload.status != JobStatus.SUCCEEDED and upload.staging_path:
        shutil.rmtree(upload.staging_path, ignore_errors=True)


def run_progress(*, run: TrainingRun, model_type: str, epoch: int, epochs: int) -> None:
    TrainingRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
        progress={"model_type": model_type, "epoch": epoch, "epochs": epochs},
        heartbeat_at=timezone.now(),
    )
