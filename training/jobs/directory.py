"""Where a job keeps its files (the child's output, model logs): VAR_DIR/runs/<id> or
VAR_DIR/preannotations/<id>. The supervisor writes there, the child too, the web zips the logs."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from training.models import PreannotationJob, TrainingRun

Job = TrainingRun | PreannotationJob


def job_dir(job: Job) -> Path:
    kind = "runs" if isinstance(job, TrainingRun) else "preannotations"
    path = settings.VAR_DIR / kind / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path
