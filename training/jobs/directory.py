"""Where a job keeps its files (the child's output, model logs): VAR_DIR/runs/<id>,
VAR_DIR/preannotations/<id>, VAR_DIR/evaluations/<id> or VAR_DIR/model-uploads/<id>. The
supervisor writes there, the child too, the web zips the logs."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from training.models import EvaluationJob, Job, ModelUpload, PreannotationJob, TrainingRun

KINDS: dict[type, str] = {
    TrainingRun: "runs",
    PreannotationJob: "preannotations",
    EvaluationJob: "evaluations",
    ModelUpload: "model-uploads",
}


def job_dir(job: Job) -> Path:
    kind = KINDS[type(job)]
    path = settings.VAR_DIR / kind / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path
