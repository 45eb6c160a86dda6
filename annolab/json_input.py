"""Reading JSON that clients send: one rule for what annolab accepts, at the edge.

Python's ``json`` accepts things a JSON column or a page cannot hold, and each once reached the
database or a page as a 500: ``NaN``/``Infinity`` (not JSON; PostgreSQL's jsonb refuses them),
documents nested so deep that parsing or any later recursive walk raises ``RecursionError``, and
strings holding a NUL or a lone UTF-16 surrogate (``"\\ud800"``), which PostgreSQL refuses in text
and which no UTF-8 page can render — once stored, every list that shows the task fails.

``loads`` parses and then checks the whole document once; the DRF parser (every JSON body) and
the import's ``.json`` reader both use it, and ``unstorable_text`` is the same string rule for
text that arrives any other way (CSV, TXT, form fields, query strings).
"""

from __future__ import annotations

import json
import re
from typing import Any

from rest_framework.parsers import JSONParser as DRFJSONParser

from annolab.errors import ValidationFailed

#: Deeper than any document annolab reads (a task is five levels deep), far below Python's stack.
MAX_DEPTH = 64

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _NotJSONNumber(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJSONNumber(name)


def unstorable_text(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None: a NUL or a lone surrogate, named with its offset."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    char = match.group()
    what = "a NUL character" if char == "\x00" else f"a lone UTF-16 surrogate (U+{ord(char):04X})"
    return f"Text cannot contain {what} (at character {match.start()})."


def _dotted(path: list[str | int]) -> str:
    return ".".join(str(part) for part in path)


def _error(path: list[str | int], document: Any, message: str) -> dict[str, Any]:
    """api.md's error for ``path``: in an array of tasks (an import) the position is ``index``."""
    error: dict[str, Any] = {"message": message}
    if isinstance(document, list) and path:
        error["index"] = path[0]
        path = path[1:]
    if path:
        error["field"] = _dotted(path)
    return error


def check_document(value: Any) -> None:
    """Raise ``ValidationFailed`` (naming the field) if ``value`` is too deep or holds bad text.

    Every bad task of an array gets its own error (the import reports them all); otherwise the
    first problem is the answer. Iterative, so a document at the parser's limit cannot exhaust
    the stack here either.
    """
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if errors and isinstance(value, list) and errors[-1].get("index") == path[0]:
            continue  # this task already has its error
        if len(path) > MAX_DEPTH:
            message = f"The JSON is nested deeper than {MAX_DEPTH} levels."
            raise ValidationFailed(message, [{"message": message}])
        problem = unstorable_text(item) if isinstance(item, str) else None
        if problem:
            errors.append(_error(path, value, problem))
            if not isinstance(value, list):
                break
        elif isinstance(item, dict):
            for key in item:
                problem = unstorable_text(key)
                if problem:
                    message = f"A field name is not storable: {problem}"
                    raise ValidationFailed(message, [{"message": message}])
            stack.extend((child, [*path, key]) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in reversed(list(enumerate(item))))
    if errors:
        first = errors[0]
        where = [f"item {first['index']}" if "index" in first else "", first.get("field", "")]
        prefix = " ".join(part for part in where if part)
        detail = f"{prefix}: {first['message']}" if prefix else first["message"]
        raise ValidationFailed(detail, errors)


def loads(text: str) -> Any:
    """Parse a JSON document and check it, or raise ``ValidationFailed`` saying what is wrong.

    In an array (an import's tasks) a bad string's error names its task by ``index``.
    """
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        message = f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        raise ValidationFailed(message, [{"message": message}]) from exc
    except _NotJSONNumber as exc:
        message = f"Malformed JSON: {exc} is not a JSON number."
        raise ValidationFailed(message, [{"message": message}]) from exc
    except RecursionError as exc:
        message = f"The JSON is nested deeper than {MAX_DEPTH} levels."
        raise ValidationFailed(message, [{"message": message}]) from exc
    check_document(value)
    return value


class JSONParser(DRFJSONParser):
    """DRF's JSON parser with annolab's rules: every malformed or unstorable body is a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"The body is not valid UTF-8 (byte offset {exc.start})."
            raise ValidationFailed(message, [{"message": message}]) from exc
        return loads(text)
