"""Exceptions that services raise and every interface (API, pages, admin) knows how to show."""

from __future__ import annotations

from typing import Any


class ValidationFailed(Exception):
    """Input that cannot be accepted. Nothing was stored.

    ``errors`` is a list of ``{"message", "field"?, "line"?, "index"?}``; ``detail`` one sentence.
    """

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors if errors is not None else [{"message": detail}]

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        """One field's error: ``detail`` is ``"<field>: <message>"``."""
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class ConflictError(Exception):
    """The request conflicts with the current state (a running training, a submitted completion)."""


class NotAllowed(Exception):
    """The caller's role does not allow this action."""
