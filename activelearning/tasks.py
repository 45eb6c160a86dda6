"""django-q2 entry points of active learning."""

from __future__ import annotations

from activelearning import services


def start_pending_triggers() -> None:
    """The ``annolab: start pending triggers`` schedule (see activelearning/migrations/0002)."""
    services.pending_triggers_start()
