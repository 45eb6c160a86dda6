"""What the child's parts share: a run's context, a trained model, the error line a user reads.

Its own module so that the trainers, the embeddings and the logs import it at the top, and the
run (``training.pipeline.train``) imports them: no cycle, no late import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from annolab.errors import ValidationFailed
from projects.labeling_config import LabelingConfig
from projects.models import Project
from training import datasets, services
from training.engine.errors import EngineError
from training.jobs import lifecycle
from training.models import TrainingRun
from training.params import TrainingParams


@dataclass
class TrainedModel:
    """What a trainer hands back; the run (``training.pipeline.train``) registers it."""

    model_type: str
    name: str
    path: Path
    labels: list[str]
    log: str
    metrics: dict[str, Any] | None
    params: dict[str, Any]
    choices_group: str = ""
    multi_label: bool = False


@dataclass
class RunContext:
    run: TrainingRun
    project: Project
    config: LabelingConfig
    params: TrainingParams
    documents: list[datasets.Document]
    reasons: dict[str, int]
    run_dir: Path
    #: What every new model is scored on, and "if_better" compares on.
    test_set: datasets.FrozenTestSet = field(
        default_factory=lambda: datasets.FrozenTestSet(documents=[], fingerprint="")
    )
    spark: Any = None
    embeddings: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def progress(self, model_type: str, epoch: int, epochs: int) -> None:
        lifecycle.run_progress(run=self.run, model_type=model_type, epoch=epoch, epochs=epochs)

    def model_name(self, model_type: str, group: str | None = None) -> str:
        return services.next_model_name(
            project=self.project, model_type=model_type, trigger=self.run.trigger, group=group
        )

    def model_dir(self, name: str) -> Path:
        path = settings.MODELS_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


Trainer = Callable[[RunContext], list[TrainedModel]]


def one_line(exc: BaseException) -> str:
    """The sentence a user can act on, without a Java or Python stack trace."""
    if isinstance(exc, EngineError | ValidationFailed):
        return str(exc)
    java = getattr(exc, "java_exception", None)
    text = str(java) if java is not None else str(exc)
    for line in text.splitlines():
        line = line.strip().removeprefix(": ")
        if line and not line.startswith(("at ", "An error occurred while calling")):
            return f"{type(exc).__name__}: {line}"[:500] if java is None else line[:500]
    return type(exc).__name__
