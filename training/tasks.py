"""django-q2 entry points: they take ids and hand over to the supervisor."""

from __future__ import annotations

from training import services
from training.models import PreannotationJob, TrainingRun
from training.supervisor import supervise


def execute_training_run(run_id: int) -> None:
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is not None:
        supervise(run, "run_training")


def execute_preannotation(job_id: int) -> None:
    job = PreannotationJob.objects.filter(pk=job_id).first()
    if job is not None:
        supervise(job, "run_preannotation")


def reap_lost_jobs() -> None:
    """The ``annolab: reap lost jobs`` schedule (every minute; see training/migrations/0002)."""
    services.reap_lost_jobs()
