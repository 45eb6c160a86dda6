"""The child process of an evaluation job (started by the supervisor, not by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from training.pipeline.evaluate import run_evaluation


class Command(BaseCommand):
    help = "Score one model on its project's test set for a claimed evaluation job (internal)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int)

    def handle(self, *args: Any, job_id: int, **options: Any) -> None:
        run_evaluation(job_id)
