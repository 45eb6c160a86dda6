"""Small helpers on decoded JSON values: integer and number checks, and how a value or its type
is named in an error message.
"""

from __future__ import annotations

import json
import math
from typing import Any


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted for a message; long texts are cut, since messages go back to the user."""
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= limit else f"'{value[:limit]}…'"
    return "null" if value is None else json.dumps(value)[:limit]
