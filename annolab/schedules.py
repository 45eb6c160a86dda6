"""The worker's periodic jobs, as django-q2 schedules (created by migrations).

Reads never write: a job whose worker died (a stale heartbeat) is failed, and an active-learning
trigger whose ``project_freed`` was lost is started, by these schedules on the worker. django-q2's
scheduler runs a schedule whose ``next_run`` has passed as soon as a cluster starts, so each also
runs when a worker starts after an outage.
"""

from __future__ import annotations

from typing import Any

EVERY_MINUTE = {"schedule_type": "I", "minutes": 1, "repeats": -1}


def schedule_creator(name: str, func: str) -> Any:
    """A RunPython forward function that creates (or updates) one schedule."""

    def create(apps: Any, schema_editor: Any) -> None:
        from django.utils import timezone

        schedule = apps.get_model("django_q", "Schedule")
        schedule.objects.update_or_create(
            name=name, defaults={"func": func, "next_run": timezone.now(), **EVERY_MINUTE}
        )

    return create


def schedule_remover(name: str) -> Any:
    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_q", "Schedule").objects.filter(name=name).delete()

    return remove
