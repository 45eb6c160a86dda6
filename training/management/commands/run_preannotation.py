"""The child process of a pre-annotation job (started by the supervisor, not by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from training.pipeline.preannotate import run_preannotation


class Command(BaseCommand):
    help = "Pre-annotate the tasks of one claimed pre-annotation job (internal: the worker's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int)

    def handle(self, *args: Any, job_id: int, **options: Any) -> None:
        run_preannotation(job_id)
