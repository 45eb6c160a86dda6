"""Reading the upload: the payload decoded and parsed into a list of task items by file type
(``.json`` an array of tasks, ``.txt`` one task, ``.csv`` one task per row).
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePath
from typing import Any

from annolab import json_input
from annolab.errors import ValidationFailed
from projects.imports.json_values import json_type

FILE_TYPES = (".json", ".txt", ".csv")


def read_upload(payload: bytes | str | list[Any], filename: str | None) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, bytes | str):
        raise ValidationFailed("Send a JSON array of tasks or a .json, .txt or .csv file.")
    suffix = PurePath(filename).suffix.lower() if filename else ".json"
    if suffix not in FILE_TYPES:
        shown = f"'{suffix}'" if suffix else f"'{filename}' (no extension)"
        raise ValidationFailed(f"Unsupported file type {shown}; upload a .json, .txt or .csv file.")
    text = _decode(payload)
    if suffix == ".txt":
        items = [{"data": {"text": text}}]
    elif suffix == ".csv":
        items = _read_csv(text)
    else:
        return _read_json(text)
    # Text PostgreSQL cannot store (a NUL) is refused here, not halfway through storing.
    json_input.check_document(items)
    return items


def _decode(payload: bytes | str) -> str:
    if isinstance(payload, str):
        return payload.removeprefix("\ufeff")
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet programs put before CSV files.
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload.count(b"\n", 0, exc.start) + 1
        raise ValidationFailed(
            f"The file is not valid UTF-8: byte 0x{payload[exc.start]:02x} at line {line} "
            f"(byte offset {exc.start}) cannot be decoded."
        ) from exc


def _read_json(text: str) -> list[Any]:
    data = json_input.loads(text)
    if not isinstance(data, list):
        raise ValidationFailed(
            f"The JSON must be an array of tasks, not {json_type(data)}.",
        )
    return data


def _read_csv(text: str) -> list[Any]:
    # The stdlib caps a field at 128 KB, which a long clinical note exceeds; the request size
    # limit already bounds the upload, so the field limit only has to be as large as the file.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationFailed("The CSV file is empty; it needs a header with a 'text' column.")
        names = [name.strip() for name in header]
        if "text" not in names:
            found = ", ".join(f"'{name}'" for name in names)
            raise ValidationFailed(f"The CSV header has no 'text' column (it has {found}).")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValidationFailed(
                f"The CSV header names {', '.join(repr(n) for n in duplicates)} more than once."
            )
        items: list[Any] = []
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(names):
                raise ValidationFailed(
                    f"Malformed CSV at line {reader.line_num}: {len(row)} fields, but the "
                    f"header has {len(names)}."
                )
            items.append({"data": dict(zip(names, row, strict=True))})
    except csv.Error as exc:
        raise ValidationFailed(f"Malformed CSV at line {reader.line_num}: {exc}.") from exc
    return items
