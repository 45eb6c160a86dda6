"""django-q2 entry points: they take ids and hand over to ``training.jobs``.

django-q2 stores these functions by their dotted path (queued tasks, and the schedule that
training/migrations/0002 creates), so they stay at ``training.tasks``.
"""

from __future__ import annotations

from training.jobs import lifecycle
from training.jobs.supervisor import supervise
from training.models import EvaluationJob, ModelUpload, PreannotationJob, TrainingRun


def execute_training_run(run_id: int) -> None:
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is not None:
        supervise(run, "run_training")


def execute_preannotation(job_id: int) -> None:
    job = PreannotationJob.objects.filter(pk=job_id).first()
    if job is not None:
        supervise(job, "run_preannotation")


def execute_evaluation(job_id: int) -> None:
    job = EvaluationJob.objects.filter(pk=job_id).first()
    if job is not None:
        supervise(job, "run_evaluation")


def execute_model_upload(upload_id: int) -> None:
    upload = ModelUpload.objects.filter(pk=upload_id).first()
    if upload is not None:
        supervise(upload, "run_model_check")


def reap_lost_jobs() -> None:
    """The ``annolab: reap lost jobs`` schedule (every minute; see training/migrations/0002)."""
    lifecycle.reap_lost_jobs()
