"""Shared REST plumbing: pagination, the error shape of api.md, and the validation exception.

Every validation failure answers ``{"detail": "<one sentence>", "errors": [...]}`` where each
error has ``message`` and, where it applies, ``field``, ``line`` or ``index``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annolab.errors import ConflictError, NotAllowed, ValidationFailed


class Pagination(PageNumberPagination):
    page_size = 100


def _flatten_drf_errors(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF serializer errors (nested dicts/lists) -> a flat list of {field, message}."""
    errors: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else key)
            errors.extend(_flatten_drf_errors(value, name))
    elif isinstance(detail, list):
        for position, value in enumerate(detail):
            if isinstance(value, dict | list):
                errors.extend(_flatten_drf_errors(value, f"{prefix}.{position}"))
            else:
                errors.extend(_flatten_drf_errors(value, prefix))
    else:
        error: dict[str, Any] = {"message": str(detail)}
        if prefix:
            error["field"] = prefix
        errors.append(error)
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationFailed):
        return Response(
            {"detail": exc.detail, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten_drf_errors(exc.detail)
        first = errors[0] if errors else {"message": "Invalid input."}
        sentence = first["message"]
        if "field" in first:
            sentence = f"{first['field']}: {sentence}"
        return Response({"detail": sentence, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
