"""The child process of a model upload (started by the supervisor, not by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from training.pipeline.model_check import run_model_check


class Command(BaseCommand):
    help = "Load an uploaded model, predict one sentence, register it (internal: the worker's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("upload_id", type=int)

    def handle(self, *args: Any, upload_id: int, **options: Any) -> None:
        run_model_check(upload_id)
