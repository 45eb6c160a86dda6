"""The one error the engine raises on purpose."""

from __future__ import annotations


class EngineError(Exception):
    """A failure the user can act on, with a message fit to show them (no Java stack trace)."""
