"""The child process of a training run (started by the supervisor, not by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from training.pipeline.train import run_training


class Command(BaseCommand):
    help = "Train the models of one claimed training run (internal: started by the worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)

    def handle(self, *args: Any, run_id: int, **options: Any) -> None:
        run_training(run_id)
