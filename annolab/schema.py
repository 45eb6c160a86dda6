"""The OpenAPI document: drf-spectacular's, with every error answer an operation can give.

Each operation documents, besides its own answers, api.md's error shape (``ErrorSerializer``) for
the statuses that the shared layers give to every request of its kind, so a generated client
knows them all:

- 400 for every operation: the path and query string pass the unstorable-text rule, bodies the
  JSON parser's rules (annolab.json_input), inputs their serializers.
- 401 and 403 for every operation that needs a login (all but the token exchange).
- 404 for every operation with a path parameter (an unknown or invisible project, task, ...),
  and for lists (a page past the last one).
- 409 for the operations a view lists in ``conflict_methods`` (a busy project, a submitted
  completion).
- 413 and 415 for every operation that takes a body (the size limit, a content type the view
  does not parse).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import AllowAny

from annolab.api import ErrorSerializer

_WRITE_METHODS = {"POST", "PUT", "PATCH"}
_ERROR_DESCRIPTIONS = {
    "400": "Validation failed: `errors` says what and where; nothing was stored.",
    "401": "Not logged in: send `Authorization: Token <key>`.",
    "403": "Your role in the project does not allow this.",
    "404": "No such resource, or it is not visible to you.",
    "409": "Conflicts with the current state (a busy project, a submitted completion).",
    "413": "The request body is larger than the limit.",
    "415": "The body's content type is not one this operation reads.",
}


class AutoSchema(SpectacularAutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400"]
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        paginated = self.method == "GET" and getattr(self.view, "pagination_class", None)
        if "{" in self.path or paginated:
            codes.append("404")
        if self.method.lower() in getattr(self.view, "conflict_methods", ()):
            codes.append("409")
        if self.method in _WRITE_METHODS:
            codes += ["413", "415"]
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = _ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses
