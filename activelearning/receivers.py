"""Signal receivers: one line each, the work is in ``activelearning.services`` (tested there)."""

from __future__ import annotations

from typing import Any

from activelearning import services


def count_submitted_completion(sender: Any, completion: Any, **kwargs: Any) -> None:
    services.completion_counted(completion=completion)


def release_submitted_task(sender: Any, completion: Any, **kwargs: Any) -> None:
    services.task_reservation_release(completion=completion)


def after_job(sender: Any, job: Any, **kwargs: Any) -> None:
    services.after_job(job=job)
