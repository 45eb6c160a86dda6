"""Answer 413 for request bodies over the configured limits, before anything reads them.

Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check raises RequestDataTooBig, which surfaces as 400;
api.md promises 413, and refusing on Content-Length also spares the server reading the body.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
            settings.MAX_UPLOAD_BYTES
            if content_type.startswith("multipart/")
            else settings.MAX_JSON_BODY_BYTES
        )
        if length > limit:
            return JsonResponse(
                {"detail": f"The request body is larger than the limit of {limit} bytes."},
                status=413,
            )
        return self.get_response(request)
