"""URL helper: api.md promises every path works with and without a trailing slash."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path

_CONVERTERS = {"str": r"[^/]+", "int": r"[0-9]+"}


def route(pattern: str, view: Callable[..., Any], name: str) -> URLPattern:
    """``route("projects/<str:name>/tasks/<int:task_id>", view)`` matches with or without '/'."""

    def converter(match: re.Match[str]) -> str:
        kind, key = match.group(1), match.group(2)
        return f"(?P<{key}>{_CONVERTERS[kind]})"

    regex = re.sub(r"<(str|int):(\w+)>", converter, pattern.strip("/"))
    return re_path(rf"^{regex}/?$", view, name=name)
