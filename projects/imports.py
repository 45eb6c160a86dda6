"""Import tasks: a JSON array (Annotation Lab or Label Studio export), a .txt or a .csv file.

All or nothing: every task is checked first and one error per bad task is reported (its first
problem, with the task's index), so a user fixes a file in one round trip instead of one error
at a time. Only a fully valid upload is stored, in one transaction, with a fixed number of bulk
queries whatever the number of tasks (one more per ``BATCH_SIZE`` rows per table).

Completions are created with ``bulk_create``, which sends no ``post_save`` signal and does not
call ``completion_submitted`` either. That is deliberate: active learning counts new labeling
work, and an imported backlog is not new work, so it must never trigger a training run.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annolab.errors import ValidationFailed
from projects.labeling_config import LabelingConfigError, parse_labeling_config
from projects.models import Completion, CompletionStatus, Prediction, Project, Review, Tag, Task

#: Rows per INSERT/UPDATE statement: large enough that a 10,000-task import takes a handful of
#: queries, small enough that no single statement grows without bound.
BATCH_SIZE = 1000
#: The model name of a prediction whose file does not say which model made it.
UNKNOWN_MODEL = "imported"
FILE_TYPES = (".json", ".txt", ".csv")
REGION_TYPES = ("labels", "choices")

_EXTERNAL_ID_MAX = Task._meta.get_field("external_id").max_length
_TAG_NAME_MAX = Tag._meta.get_field("name").max_length
_MODEL_NAME_MAX = Prediction._meta.get_field("model_name").max_length
_USERNAME_MAX = get_user_model()._meta.get_field("username").max_length


@dataclass(frozen=True)
class ImportResult:
    task_count: int
    completion_count: int
    prediction_count: int
    failed_count: int = 0
    task_ids: list[int] = field(default_factory=list)  # in upload order


def tasks_import(
    *, project: Project, payload: bytes | str | list[Any], filename: str | None = None
) -> ImportResult:
    """Validate every task of ``payload``, then store them all, or raise ``ValidationFailed``.

    ``payload`` is an already parsed JSON array, or the bytes/text of a file whose type
    ``filename`` gives (``.json`` when there is no name): ``.json`` an array of tasks,
    ``.txt`` one task (the whole file is its text), ``.csv`` one task per row (a ``text``
    column; every column goes into ``data``).
    """
    items = _load(payload, filename)
    if not items:
        raise ValidationFailed("Nothing to import: the upload holds no tasks.")
    context = _Context(schema=_schema(project), now=timezone.now())
    context.learn_label_studio_users(items)
    tasks: list[_Task] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            tasks.append(_parse_task(item, context))
        except _Invalid as exc:
            errors.append({"index": index, "message": str(exc)})
    if errors:
        raise ValidationFailed(
            f"{len(errors)} of {len(items)} tasks are invalid; nothing was imported.", errors
        )
    return _store(project, tasks, context.emails)


def result_errors(*, project: Project, text: str, result: Any) -> list[str]:
    """Every problem of one completion's ``result`` on ``text`` (the first per region).

    The same rules as the import, for the services that create and edit completions.
    """
    return [
        f"{region}: {message}" if region else message
        for region, message in _result_problems(result, text, _schema(project))
    ]


# --- Reading the upload ---------------------------------------------------------------------


def _load(payload: bytes | str | list[Any], filename: str | None) -> list[Any]:
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
        return [{"data": {"text": text}}]
    if suffix == ".csv":
        return _read_csv(text)
    return _read_json(text)


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


class _NonStandardNumber(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, but they are not JSON: PostgreSQL would refuse
    # them in a jsonb column halfway through the import.
    raise _NonStandardNumber(name)


def _read_json(text: str) -> list[Any]:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"Malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from exc
    except _NonStandardNumber as exc:
        raise ValidationFailed(f"Malformed JSON: {exc} is not a JSON number.") from exc
    except RecursionError as exc:
        raise ValidationFailed("Malformed JSON: it is nested too deeply.") from exc
    if not isinstance(data, list):
        raise ValidationFailed(
            f"The JSON must be an array of tasks, not {_json_type(data)}.",
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


# --- What results may contain ---------------------------------------------------------------


@dataclass(frozen=True)
class _Control:
    kind: str  # a region type: "labels" or "choices"
    to_names: frozenset[str]
    values: frozenset[str]
    single: bool = False


@dataclass(frozen=True)
class _Schema:
    """The controls and objects of the project's config, or why no result is allowed."""

    controls: dict[str, _Control]
    objects: frozenset[str]
    problem: str | None = None


def _schema(project: Project) -> _Schema:
    try:
        config = parse_labeling_config(project.labeling_config)
    except LabelingConfigError:
        return _Schema({}, frozenset(), "the project's labeling config is invalid")
    if config.is_empty:
        return _Schema({}, frozenset(), "the project has no labeling config")
    controls: dict[str, _Control] = {}
    for group in config.labels:
        controls[group.name] = _Control(
            "labels", _names(group.to_name), frozenset(label.value for label in group.labels)
        )
    for choices in config.choices:
        controls[choices.name] = _Control(
            "choices",
            _names(choices.to_name),
            frozenset(choice.value for choice in choices.choices),
            single=choices.mode == "single",
        )
    return _Schema(controls, frozenset(config.object_names))


def _names(to_name: str) -> frozenset[str]:
    # Label Studio lets one control name several objects, comma-separated.
    return frozenset(name.strip() for name in to_name.split(",") if name.strip())


def _result_problems(result: Any, text: str, schema: _Schema) -> Iterator[tuple[str, str]]:
    """(region, message) per bad region, region "" for the result as a whole."""
    if not isinstance(result, list):
        yield "", f"result must be a list, not {_json_type(result)}"
        return
    if result and schema.problem:
        yield "", schema.problem
        return
    for position, region in enumerate(result):
        problem = _region_problem(region, text, schema)
        if problem:
            yield _region_name(region, position), problem


def _region_name(region: Any, position: int) -> str:
    region_id = region.get("id") if isinstance(region, dict) else None
    if isinstance(region_id, str | int) and not isinstance(region_id, bool) and region_id != "":
        return f"region {region_id}"
    return f"region #{position}"


def _region_problem(region: Any, text: str, schema: _Schema) -> str | None:
    if not isinstance(region, dict):
        return f"must be an object, not {_json_type(region)}"
    region_type = region.get("type")
    if region_type is None:
        return "type is missing"
    if region_type not in REGION_TYPES:
        return f"unsupported region type {_show(region_type)} (only 'labels' and 'choices')"
    from_name = region.get("from_name")
    if not isinstance(from_name, str):
        return "from_name is missing" if from_name is None else "from_name must be a string"
    control = schema.controls.get(from_name)
    if control is None:
        return f"from_name {_show(from_name)} names no control tag of the labeling config"
    if control.kind != region_type:
        return (
            f"type {_show(region_type)} does not match from_name {_show(from_name)}, "
            f"a <{control.kind.capitalize()}> control"
        )
    to_name = region.get("to_name")
    if not isinstance(to_name, str):
        return "to_name is missing" if to_name is None else "to_name must be a string"
    if to_name not in schema.objects:
        return f"to_name {_show(to_name)} names no object tag of the labeling config"
    if to_name not in control.to_names:
        targets = ", ".join(f"'{name}'" for name in sorted(control.to_names))
        return f"to_name {_show(to_name)} is not what control {_show(from_name)} labels ({targets})"
    value = region.get("value")
    if not isinstance(value, dict):
        return f"value must be an object, not {_json_type(value)}"
    for number, where in (
        (value.get("confidence"), "value.confidence"),
        (region.get("score"), "score"),
    ):
        if number is not None and not _is_number(number):
            return f"{where} must be a number"
    if region_type == "labels":
        return _span_problem(value, text) or _values_problem(
            value.get("labels"), "labels", "label", from_name, control
        )
    return _values_problem(value.get("choices"), "choices", "choice", from_name, control)


def _span_problem(value: dict[str, Any], text: str) -> str | None:
    start, end = value.get("start"), value.get("end")
    if not (_is_int(start) and _is_int(end) and 0 <= start < end <= len(text)):
        return (
            f"start {_show(start)} and end {_show(end)} must be integers with "
            f"0 <= start < end <= {len(text)} (the length of data.text)"
        )
    span_text = value.get("text")
    if not isinstance(span_text, str):
        return "value.text is missing" if span_text is None else "value.text must be a string"
    if span_text != text[start:end]:
        return f"text {_show(span_text)} is not data.text[{start}:{end}] ({_show(text[start:end])})"
    return None


def _values_problem(
    values: Any, key: str, noun: str, from_name: str, control: _Control
) -> str | None:
    if not (isinstance(values, list) and values and all(isinstance(item, str) for item in values)):
        return f"value.{key} must be a non-empty list of strings"
    for item in values:
        if item not in control.values:
            return f"{noun} {_show(item)} is not defined for control {_show(from_name)}"
    if control.single and len(values) > 1:
        return f"control {_show(from_name)} takes a single choice, got {len(values)}"
    return None


# --- Checking tasks -------------------------------------------------------------------------


class _Invalid(Exception):
    """The first problem of a task; the message says where (completion, region) and what."""


@dataclass(frozen=True)
class _Review:
    reviewer: str
    approved: bool
    comment: str
    reviewed_at: datetime


@dataclass(frozen=True)
class _Completion:
    author: str
    result: list[Any]
    created_at: datetime
    submitted_at: datetime | None
    ground_truth: bool
    lead_time: float | None
    external_id: str
    review: _Review | None


@dataclass(frozen=True)
class _Prediction:
    model_name: str
    score: float | None
    result: list[Any]
    created_at: datetime | None


@dataclass(frozen=True)
class _Task:
    data: dict[str, Any]
    tags: list[str]
    external_id: str
    completions: list[_Completion]
    predictions: list[_Prediction]


@dataclass
class _Context:
    schema: _Schema
    now: datetime
    # Label Studio names a user by id in one place and by object (with email) in another, and
    # drafts name the author by email: learned up front so all of them map to the same user.
    names_by_id: dict[int, str] = field(default_factory=dict)
    names_by_email: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # username -> email, for new users

    def learn_label_studio_users(self, items: list[Any]) -> None:
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("annotations"), list):
                continue
            for annotation in item["annotations"]:
                person = annotation.get("completed_by") if isinstance(annotation, dict) else None
                if not isinstance(person, dict):
                    continue
                name = _person_name(person)
                person_id, email = person.get("id"), person.get("email")
                if name and _is_int(person_id):
                    self.names_by_id.setdefault(person_id, name)
                if name and isinstance(email, str) and email:
                    self.names_by_email.setdefault(email, name)
                    self.emails.setdefault(name, email)

    def label_studio_user(self, value: Any, what: str) -> str:
        """The username for Label Studio's ``completed_by`` (id or object) or a draft's ``user``."""
        if _is_int(value):
            name = self.names_by_id.get(value, f"ls-user-{value}")
        elif isinstance(value, dict):
            person_id = value.get("id")
            name = self.names_by_id.get(person_id) if _is_int(person_id) else None
            name = name or _person_name(value)
            if name is None:
                raise _Invalid(f"{what} has no username, email or id")
            email = value.get("email")
            if isinstance(email, str) and email:
                self.emails.setdefault(name, email)
        elif isinstance(value, str) and value.strip():
            name = self.names_by_email.get(value, value)
        else:
            raise _Invalid(f"{what} must be a user id or an object with a username, email or id")
        return _username(name, what)


def _person_name(person: dict[str, Any]) -> str | None:
    for key in ("username", "email"):
        if isinstance(person.get(key), str) and person[key].strip():
            return person[key].strip()
    if _is_int(person.get("id")):
        return f"ls-user-{person['id']}"
    return None


def _parse_task(item: Any, context: _Context) -> _Task:
    if not isinstance(item, dict):
        raise _Invalid(f"a task must be an object, not {_json_type(item)}")
    data = item.get("data")
    if not isinstance(data, dict):
        raise _Invalid("data is missing" if data is None else "data must be an object")
    text = data.get("text")
    if not isinstance(text, str):
        raise _Invalid("data.text is missing" if text is None else "data.text must be a string")
    if not text:
        raise _Invalid("data.text is empty")
    unstorable = _unstorable(item)
    if unstorable:
        raise _Invalid(unstorable)
    external_id = _external_id(item.get("id"), "id")
    tags = _tags(item.get("tags"))
    if "annotations" in item:
        completions = _label_studio_completions(item, text, context)
    else:
        completions = [
            _completion(raw, f"completion {n}", text, context)
            for n, raw in enumerate(_list(item.get("completions"), "completions"))
        ]
    predictions = [
        _prediction(raw, f"prediction {n}", text, context)
        for n, raw in enumerate(_list(item.get("predictions"), "predictions"))
    ]
    return _Task(data, tags, external_id, completions, predictions)


def _tags(value: Any) -> list[str]:
    tags = _list(value, "tags")
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise _Invalid("tags must be a list of non-empty strings")
        if len(tag) > _TAG_NAME_MAX:
            raise _Invalid(f"tag {_show(tag)} is longer than {_TAG_NAME_MAX} characters")
    return list(dict.fromkeys(tags))


def _completion(raw: Any, where: str, text: str, context: _Context) -> _Completion:
    """One completion of the Annotation Lab format."""
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: must be an object, not {_json_type(raw)}")
    author = raw.get("created_username")
    if author is not None:
        author = _username(author, f"{where}: created_username")
    elif raw.get("completed_by") is not None:
        # Older Label Studio exports kept annotations under "completions" too.
        author = context.label_studio_user(raw["completed_by"], f"{where}: completed_by")
    else:
        raise _Invalid(f"{where}: created_username is missing")
    created_at = _datetime(raw.get("created_at"), f"{where}: created_at") or context.now
    submitted_at = _datetime(raw.get("submitted_at"), f"{where}: submitted_at")
    review = _review(raw.get("review_status"), where, submitted_at, context)
    return _Completion(
        author=author,
        result=_result(raw, where, text, context),
        created_at=created_at,
        submitted_at=submitted_at,
        ground_truth=_flag(raw.get("honeypot"), f"{where}: honeypot"),
        lead_time=_lead_time(raw.get("lead_time"), where),
        external_id=_external_id(raw.get("id"), f"{where}: id"),
        review=review,
    )


def _label_studio_completions(
    item: dict[str, Any], text: str, context: _Context
) -> list[_Completion]:
    completions = []
    for n, raw in enumerate(_list(item.get("annotations"), "annotations")):
        where = f"annotation {n}"
        if not isinstance(raw, dict):
            raise _Invalid(f"{where}: must be an object, not {_json_type(raw)}")
        # A cancelled annotation is Label Studio's "skip": the annotator labeled nothing.
        if _flag(raw.get("was_cancelled"), f"{where}: was_cancelled"):
            continue
        if raw.get("completed_by") is None:
            raise _Invalid(f"{where}: completed_by is missing")
        author = context.label_studio_user(raw["completed_by"], f"{where}: completed_by")
        created_at = _datetime(raw.get("created_at"), f"{where}: created_at") or context.now
        # Label Studio creates an annotation on submit and bumps updated_at when it is
        # resubmitted, so updated_at is when the stored result was submitted.
        updated_at = _datetime(raw.get("updated_at"), f"{where}: updated_at")
        completions.append(
            _Completion(
                author=author,
                result=_result(raw, where, text, context),
                created_at=created_at,
                submitted_at=updated_at or created_at,
                ground_truth=_flag(raw.get("ground_truth"), f"{where}: ground_truth"),
                lead_time=_lead_time(raw.get("lead_time"), where),
                external_id=_external_id(raw.get("id"), f"{where}: id"),
                review=None,
            )
        )
    for n, raw in enumerate(_list(item.get("drafts"), "drafts")):
        where = f"draft {n}"
        if not isinstance(raw, dict):
            raise _Invalid(f"{where}: must be an object, not {_json_type(raw)}")
        person = raw.get("user", raw.get("completed_by"))
        if person is None:
            raise _Invalid(f"{where}: user is missing")
        completions.append(
            _Completion(
                author=context.label_studio_user(person, f"{where}: user"),
                result=_result(raw, where, text, context),
                created_at=_datetime(raw.get("created_at"), f"{where}: created_at") or context.now,
                submitted_at=None,
                ground_truth=False,
                lead_time=_lead_time(raw.get("lead_time"), where),
                external_id=_external_id(raw.get("id"), f"{where}: id"),
                review=None,
            )
        )
    return completions


def _review(
    raw: Any, where: str, submitted_at: datetime | None, context: _Context
) -> _Review | None:
    if raw is None:
        return None
    where = f"{where}: review_status"
    if not isinstance(raw, dict):
        raise _Invalid(f"{where} must be an object, not {_json_type(raw)}")
    if submitted_at is None:
        raise _Invalid(f"{where}: a draft (no submitted_at) cannot be reviewed")
    approved = raw.get("approved")
    if not isinstance(approved, bool):
        raise _Invalid(f"{where}.approved must be true or false")
    if raw.get("reviewer") is None:
        raise _Invalid(f"{where}.reviewer is missing")
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise _Invalid(f"{where}.comment must be a string")
    return _Review(
        reviewer=_username(raw["reviewer"], f"{where}.reviewer"),
        approved=approved,
        comment=comment or "",
        reviewed_at=_datetime(raw.get("reviewed_at"), f"{where}.reviewed_at") or context.now,
    )


def _prediction(raw: Any, where: str, text: str, context: _Context) -> _Prediction:
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: must be an object, not {_json_type(raw)}")
    # Annotation Lab names the model in "model" or "created_username", Label Studio in
    # "model_version".
    names = [raw.get(key) for key in ("model", "created_username", "model_version")]
    model_name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), UNKNOWN_MODEL)
    if len(model_name) > _MODEL_NAME_MAX:
        raise _Invalid(f"{where}: the model name is longer than {_MODEL_NAME_MAX} characters")
    result = _result(raw, where, text, context)
    score = raw.get("score")
    if score is not None and not _is_number(score):
        raise _Invalid(f"{where}: score must be a number")
    if score is None:
        score = _mean_confidence(result)
    return _Prediction(
        model_name=model_name,
        score=None if score is None else min(1.0, max(0.0, float(score))),
        result=result,
        created_at=_datetime(raw.get("created_at"), f"{where}: created_at"),
    )


def _mean_confidence(result: list[Any]) -> float | None:
    confidences = []
    for region in result:
        value = region.get("value", {})
        for number in (value.get("confidence"), region.get("score")):
            if _is_number(number):
                confidences.append(float(number))
                break
    return sum(confidences) / len(confidences) if confidences else None


def _result(raw: dict[str, Any], where: str, text: str, context: _Context) -> list[Any]:
    if "result" not in raw:
        raise _Invalid(f"{where}: result is missing")
    result = raw["result"]
    for region, message in _result_problems(result, text, context.schema):
        raise _Invalid(f"{where}, {region}: {message}" if region else f"{where}: {message}")
    return result


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(f"{what} must be a list, not {_json_type(value)}")
    return value


def _username(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{what} must be a non-empty string")
    if len(value.strip()) > _USERNAME_MAX:
        raise _Invalid(f"{what} is longer than {_USERNAME_MAX} characters")
    return value.strip()


def _external_id(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _Invalid(f"{what} must be a string or an integer")
    if len(str(value)) > _EXTERNAL_ID_MAX:
        raise _Invalid(f"{what} is longer than {_EXTERNAL_ID_MAX} characters")
    return str(value)


def _flag(value: Any, what: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Invalid(f"{what} must be true or false")
    return value


def _lead_time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or value < 0:
        raise _Invalid(f"{where}: lead_time must be a number of seconds >= 0")
    return float(value)


def _datetime(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:  # well-formed but impossible, e.g. month 13
            parsed = None
    if parsed is None:
        raise _Invalid(f"{what} {_show(value)} is not an ISO 8601 date-time")
    # A time without a zone is read as UTC, the zone annolab stores and exports.
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _unstorable(value: Any) -> str | None:
    """What in ``value`` PostgreSQL cannot store in text or jsonb, if anything.

    Found here, it is this task's error rather than a failed INSERT for the whole upload.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "the task contains a NUL character (\\u0000), which cannot be stored"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "the task contains a number too large for JSON, which cannot be stored"
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_type(value: Any) -> str:
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


def _show(value: Any, limit: int = 60) -> str:
    """A value quoted for a message; long texts are cut, since messages go back to the user."""
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= limit else f"'{value[:limit]}…'"
    return "null" if value is None else json.dumps(value)[:limit]


# --- Storing --------------------------------------------------------------------------------


def _store(project: Project, tasks: list[_Task], emails: dict[str, str]) -> ImportResult:
    completions = [(index, c) for index, task in enumerate(tasks) for c in task.completions]
    predictions = [(index, p) for index, task in enumerate(tasks) for p in task.predictions]
    usernames = {c.author for _, c in completions} | {
        c.review.reviewer for _, c in completions if c.review
    }
    with transaction.atomic():
        user_ids = _user_ids(usernames, emails)
        tag_ids = _tag_ids(project, {tag for task in tasks for tag in task.tags})

        task_rows = Task.objects.bulk_create(
            [Task(project=project, data=t.data, external_id=t.external_id) for t in tasks],
            batch_size=BATCH_SIZE,
        )
        task_tag = Task.tags.through
        task_tag.objects.bulk_create(
            [
                task_tag(task_id=row.pk, tag_id=tag_ids[name])
                for row, task in zip(task_rows, tasks, strict=True)
                for name in task.tags
            ],
            batch_size=BATCH_SIZE,
        )

        completion_rows = Completion.objects.bulk_create(
            [
                Completion(
                    task_id=task_rows[index].pk,
                    result=c.result,
                    created_by_id=user_ids[c.author],
                    status=CompletionStatus.SUBMITTED if c.submitted_at else CompletionStatus.DRAFT,
                    ground_truth=c.ground_truth,
                    lead_time=c.lead_time,
                    created_at=c.created_at,
                    submitted_at=c.submitted_at,
                    external_id=c.external_id,
                )
                for index, c in completions
            ],
            batch_size=BATCH_SIZE,
        )
        review_rows = Review.objects.bulk_create(
            [
                Review(
                    completion_id=row.pk,
                    reviewer_id=user_ids[c.review.reviewer],
                    approved=c.review.approved,
                    comment=c.review.comment,
                    reviewed_at=c.review.reviewed_at,
                )
                for row, (_, c) in zip(completion_rows, completions, strict=True)
                if c.review
            ],
            batch_size=BATCH_SIZE,
        )
        if review_rows:
            # One UPDATE for all of them; the same "latest review" rule as a review made here.
            latest = Review.objects.filter(completion_id=OuterRef("pk")).order_by(
                "-reviewed_at", "-id"
            )
            Completion.objects.filter(pk__in=[r.completion_id for r in review_rows]).update(
                latest_review=Subquery(latest.values("id")[:1])
            )

        prediction_rows = Prediction.objects.bulk_create(
            [
                Prediction(
                    task_id=task_rows[index].pk,
                    model_name=p.model_name,
                    score=p.score,
                    result=p.result,
                )
                for index, p in predictions
            ],
            batch_size=BATCH_SIZE,
        )
        _keep_prediction_times(
            [
                (row, p.created_at)
                for row, (_, p) in zip(prediction_rows, predictions, strict=True)
                if p.created_at is not None
            ]
        )

    return ImportResult(
        task_count=len(task_rows),
        completion_count=len(completion_rows),
        prediction_count=len(prediction_rows),
        task_ids=[row.pk for row in task_rows],
    )


def _keep_prediction_times(dated: list[tuple[Prediction, datetime]]) -> None:
    """Give imported predictions the times of the file.

    ``Prediction.created_at`` is auto_now_add, which ``bulk_create`` always overwrites with
    now, so the times are written afterwards. ``bulk_update`` builds a CASE branch per row in
    Python, seconds for 10,000 predictions, so PostgreSQL gets one UPDATE joined to the two
    arrays instead; other databases (SQLite in development) take the portable way.
    """
    if not dated:
        return
    if connection.vendor != "postgresql":
        for row, created_at in dated:
            row.created_at = created_at
        Prediction.objects.bulk_update([row for row, _ in dated], ["created_at"], BATCH_SIZE)
        return
    quote = connection.ops.quote_name
    table = quote(Prediction._meta.db_table)
    pk = quote(Prediction._meta.pk.column)
    column = quote(Prediction._meta.get_field("created_at").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = given.created_at "
            f"FROM unnest(%s::bigint[], %s::timestamptz[]) AS given(id, created_at) "
            f"WHERE {table}.{pk} = given.id",
            [[row.pk for row, _ in dated], [created_at for _, created_at in dated]],
        )


def _user_ids(usernames: set[str], emails: dict[str, str]) -> dict[str, int]:
    """username -> id; people the file names who have no account get an inactive one.

    Inactive with an unusable password: they exist so that authorship is kept, not to log in.
    """
    if not usernames:
        return {}
    user_model = get_user_model()
    found = dict(user_model.objects.filter(username__in=usernames).values_list("username", "pk"))
    missing = sorted(usernames - found.keys())
    if missing:
        new_users = []
        for name in missing:
            user = user_model(username=name, email=emails.get(name, ""), is_active=False)
            user.set_unusable_password()
            new_users.append(user)
        # A concurrent import may create the same people; whoever is second reuses them.
        user_model.objects.bulk_create(new_users, batch_size=BATCH_SIZE, ignore_conflicts=True)
        found.update(user_model.objects.filter(username__in=missing).values_list("username", "pk"))
    return found


def _tag_ids(project: Project, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    Tag.objects.bulk_create(
        [Tag(project=project, name=name) for name in sorted(names)],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,  # existing tags (and concurrently created ones) are reused
    )
    return dict(Tag.objects.filter(project=project, name__in=names).values_list("name", "pk"))
