"""Run jobs as the django-q2 worker would, from a test: the supervisor in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from training import tasks as worker_tasks


def start_worker(run_id: int, entry: Callable[[int], None] | None = None) -> threading.Thread:
    from django.db import connection

    def work() -> None:
        try:
            (entry or worker_tasks.execute_training_run)(run_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def wait_for(predicate: Any, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out")
