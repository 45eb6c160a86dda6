"""Answer 413 for request bodies over the configured limits, before anything reads them.

Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check raises RequestDataTooBig, which surfaces as 400;
api.md promises 413, and refusing on Content-Length also spares the server reading the body.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from annolab.json_input import unstorable_text

#: Room for a model upload's form fields besides its zip.
MODEL_UPLOAD_FORM_SLACK = 1024 * 1024


def _multipart_limit(path: str) -> int:
    """A model upload (POST /api/models/) may be as large as its own setting allows; the view
    answers a zip over MODEL_UPLOAD_MAX_BYTES with a 400 naming ``file``."""
    if path.rstrip("/") == "/api/models":
        return max(
            settings.MAX_UPLOAD_BYTES, settings.MODEL_UPLOAD_MAX_BYTES + MODEL_UPLOAD_FORM_SLACK
        )
    return settings.MAX_UPLOAD_BYTES


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = (
            _multipart_limit(request.path)
            if content_type.startswith("multipart/")
            else settings.MAX_JSON_BODY_BYTES
        )
        if length > limit:
            message = f"The request body is larger than the limit of {limit} bytes."
            return JsonResponse({"detail": message, "errors": [{"message": message}]}, status=413)
        return self.get_response(request)


class UnstorableTextMiddleware:
    """Answer 400 when the path or the query string holds text PostgreSQL cannot compare.

    A NUL in ``?tags=`` or in a project name reached a query as a 500 (PostgreSQL refuses it in
    any text value); this is the same rule annolab.json_input applies to bodies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = unstorable_text(request.path)
        field = "path"
        if problem is None:
            for name, values in request.GET.lists():
                problem = next(
                    (p for p in map(unstorable_text, [name, *values]) if p is not None), None
                )
                if problem is not None:
                    field = name
                    break
        if problem is not None:
            return JsonResponse(
                {
                    "detail": f"{field}: {problem}",
                    "errors": [{"field": field, "message": problem}],
                },
                status=400,
            )
        return self.get_response(request)
