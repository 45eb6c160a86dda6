"""Shared REST plumbing: pagination, the error shape of api.md, and the validation exception.

Every validation failure answers ``{"detail": "<one sentence>", "errors": [...]}`` where each
error has ``message`` and, where it applies, ``field``, ``line`` or ``index``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, fields, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from annolab.errors import ConflictError, NotAllowed, ValidationFailed

#: The largest value a PostgreSQL ``integer`` column holds: a larger number sent by a client is a
#: 400 from the serializer, not a DataError (500) from the database.
INT_COLUMN_MAX = 2**31 - 1


class Pagination(PageNumberPagination):
    """api.md's lists: 100 a page, ``?page=N``; a page that is not a whole number ≥ 1 is a 400,
    a page past the last one a 404 (DRF's "Invalid page")."""

    page_size = 100

    def get_page_number(self, request: Request, paginator: Any) -> int | str:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isdigit() or int(raw) < 1:
            message = "Must be a whole number ≥ 1."
            raise ValidationFailed(
                f"page: {message}", [{"field": self.page_query_param, "message": message}]
            )
        return int(raw)


def query_choice(
    request: Request, name: str, choices: list[str], default: str | None
) -> str | None:
    """The query parameter ``name`` if it is one of ``choices`` (absent: ``default``), else 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise ValidationFailed.for_field(name, f"Must be one of {', '.join(choices)}.")
    return raw


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter: ``1``/``true``/``yes`` or ``0``/``false``/``no``, else 400."""
    value = query_choice(request, name, ["1", "true", "yes", "0", "false", "no"], "0")
    return value in {"1", "true", "yes"}


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
        return Response(
            {"detail": str(exc), "errors": [{"message": str(exc)}]},
            status=status.HTTP_409_CONFLICT,
        )
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
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "errors" not in response.data:
        # One error shape for every status (api.md): a client reads `detail` and `errors` alike
        # from a 400, 401, 403, 404, 405, 409 or 415.
        response.data["errors"] = [{"message": str(response.data.get("detail", ""))}]
    return response


class ListView(APIView):
    """An APIView whose GET answers a page of api.md's list envelope.

    ``pagination_class`` is also what drf-spectacular reads to document the
    ``{count, next, previous, results}`` envelope instead of a bare array.
    """

    pagination_class = Pagination

    def paginated(self, request: Request, items: Any, serializer: type[Serializer]) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        data = serializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class ErrorItemSerializer(Serializer):
    message = fields.CharField()
    field = fields.CharField(required=False, help_text="Dotted, e.g. `params.dropout`.")
    line = fields.IntegerField(required=False, allow_null=True, help_text="In a labeling config.")
    index = fields.IntegerField(required=False, help_text="Position of a task in an import.")


class ErrorSerializer(Serializer):
    """api.md's error shape, answered with every 4xx."""

    detail = fields.CharField()
    errors = ErrorItemSerializer(many=True)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: API paths answer api.md's error shape, pages the HTML page.

    A path the URL map does not match (``/api/completions/x/``) never reaches DRF, so without
    this an API client got the HTML page.
    """
    if request.path.startswith(("/api/", "/ml/")):
        message = "Not found."
        return JsonResponse({"detail": message, "errors": [{"message": message}]}, status=404)
    return page_not_found(request, exception or Http404())
