"""Checking tasks: each uploaded item (Annotation Lab or Label Studio format) read into a
``ImportedTask`` with its completions, reviews and predictions, or rejected with its first problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.imports.json_values import is_int, is_number, json_type, shown
from projects.imports.result_checks import ResultSchema, result_problems
from projects.models import Prediction, Tag, Task

#: The model name of a prediction whose file does not say which model made it.
UNKNOWN_MODEL = "imported"

_EXTERNAL_ID_MAX = Task._meta.get_field("external_id").max_length
_TAG_NAME_MAX = Tag._meta.get_field("name").max_length
_MODEL_NAME_MAX = Prediction._meta.get_field("model_name").max_length
_USERNAME_MAX = get_user_model()._meta.get_field("username").max_length


class InvalidTask(Exception):
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
    certainty: float | None
    result: list[Any]
    created_at: datetime | None


@dataclass(frozen=True)
class ImportedTask:
    data: dict[str, Any]
    tags: list[str]
    external_id: str
    completions: list[_Completion]
    predictions: list[_Prediction]


@dataclass
class ImportContext:
    schema: ResultSchema
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
                if name and is_int(person_id):
                    self.names_by_id.setdefault(person_id, name)
                if name and isinstance(email, str) and email:
                    self.names_by_email.setdefault(email, name)
                    self.emails.setdefault(name, email)

    def label_studio_user(self, value: Any, what: str) -> str:
        """The username for Label Studio's ``completed_by`` (id or object) or a draft's ``user``."""
        if is_int(value):
            name = self.names_by_id.get(value, f"ls-user-{value}")
        elif isinstance(value, dict):
            person_id = value.get("id")
            name = self.names_by_id.get(person_id) if is_int(person_id) else None
            name = name or _person_name(value)
            if name is None:
                raise InvalidTask(f"{what} has no username, email or id")
            email = value.get("email")
            if isinstance(email, str) and email:
                self.emails.setdefault(name, email)
        elif isinstance(value, str) and value.strip():
            name = self.names_by_email.get(value, value)
        else:
            raise InvalidTask(f"{what} must be a user id or an object with a username, email or id")
        return _username(name, what)


def _person_name(person: dict[str, Any]) -> str | None:
    for key in ("username", "email"):
        if isinstance(person.get(key), str) and person[key].strip():
            return person[key].strip()
    if is_int(person.get("id")):
        return f"ls-user-{person['id']}"
    return None


def parse_task(item: Any, context: ImportContext) -> ImportedTask:
    if not isinstance(item, dict):
        raise InvalidTask(f"a task must be an object, not {json_type(item)}")
    data = item.get("data")
    if not isinstance(data, dict):
        raise InvalidTask("data is missing" if data is None else "data must be an object")
    text = data.get("text")
    if not isinstance(text, str):
        raise InvalidTask("data.text is missing" if text is None else "data.text must be a string")
    if not text:
        raise InvalidTask("data.text is empty")
    unstorable = _unstorable(item)
    if unstorable:
        raise InvalidTask(unstorable)
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
    return ImportedTask(data, tags, external_id, completions, predictions)


def _tags(value: Any) -> list[str]:
    tags = _list(value, "tags")
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise InvalidTask("tags must be a list of non-empty strings")
        if len(tag) > _TAG_NAME_MAX:
            raise InvalidTask(f"tag {shown(tag)} is longer than {_TAG_NAME_MAX} characters")
    return list(dict.fromkeys(tags))


def _completion(raw: Any, where: str, text: str, context: ImportContext) -> _Completion:
    """One completion of the Annotation Lab format."""
    if not isinstance(raw, dict):
        raise InvalidTask(f"{where}: must be an object, not {json_type(raw)}")
    author = raw.get("created_username")
    if author is not None:
        author = _username(author, f"{where}: created_username")
    elif raw.get("completed_by") is not None:
        # Older Label Studio exports kept annotations under "completions" too.
        author = context.label_studio_user(raw["completed_by"], f"{where}: completed_by")
    else:
        raise InvalidTask(f"{where}: created_username is missing")
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
    item: dict[str, Any], text: str, context: ImportContext
) -> list[_Completion]:
    completions = []
    for n, raw in enumerate(_list(item.get("annotations"), "annotations")):
        where = f"annotation {n}"
        if not isinstance(raw, dict):
            raise InvalidTask(f"{where}: must be an object, not {json_type(raw)}")
        # A cancelled annotation is Label Studio's "skip": the annotator labeled nothing.
        if _flag(raw.get("was_cancelled"), f"{where}: was_cancelled"):
            continue
        if raw.get("completed_by") is None:
            raise InvalidTask(f"{where}: completed_by is missing")
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
            raise InvalidTask(f"{where}: must be an object, not {json_type(raw)}")
        person = raw.get("user", raw.get("completed_by"))
        if person is None:
            raise InvalidTask(f"{where}: user is missing")
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
    raw: Any, where: str, submitted_at: datetime | None, context: ImportContext
) -> _Review | None:
    if raw is None:
        return None
    where = f"{where}: review_status"
    if not isinstance(raw, dict):
        raise InvalidTask(f"{where} must be an object, not {json_type(raw)}")
    if submitted_at is None:
        raise InvalidTask(f"{where}: a draft (no submitted_at) cannot be reviewed")
    approved = raw.get("approved")
    if not isinstance(approved, bool):
        raise InvalidTask(f"{where}.approved must be true or false")
    if raw.get("reviewer") is None:
        raise InvalidTask(f"{where}.reviewer is missing")
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidTask(f"{where}.comment must be a string")
    return _Review(
        reviewer=_username(raw["reviewer"], f"{where}.reviewer"),
        approved=approved,
        comment=comment or "",
        reviewed_at=_datetime(raw.get("reviewed_at"), f"{where}.reviewed_at") or context.now,
    )


def _prediction(raw: Any, where: str, text: str, context: ImportContext) -> _Prediction:
    if not isinstance(raw, dict):
        raise InvalidTask(f"{where}: must be an object, not {json_type(raw)}")
    # Annotation Lab names the model in "model" or "created_username", Label Studio in
    # "model_version".
    names = [raw.get(key) for key in ("model", "created_username", "model_version")]
    model_name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), UNKNOWN_MODEL)
    if len(model_name) > _MODEL_NAME_MAX:
        raise InvalidTask(f"{where}: the model name is longer than {_MODEL_NAME_MAX} characters")
    result = _result(raw, where, text, context)
    score = raw.get("score")
    if score is not None and not is_number(score):
        raise InvalidTask(f"{where}: score must be a number")
    if score is None:
        score = _mean_confidence(result)
    # annolab's own export carries how sure pre-annotation was, so a re-import keeps the order
    # of the uncertainty strategy; other tools' files have none.
    certainty = raw.get("certainty")
    if certainty is not None and not is_number(certainty):
        raise InvalidTask(f"{where}: certainty must be a number")
    return _Prediction(
        model_name=model_name,
        score=None if score is None else min(1.0, max(0.0, float(score))),
        certainty=None if certainty is None else min(1.0, max(0.0, float(certainty))),
        result=result,
        created_at=_datetime(raw.get("created_at"), f"{where}: created_at"),
    )


def _mean_confidence(result: list[Any]) -> float | None:
    confidences = []
    for region in result:
        value = region.get("value", {})
        for number in (value.get("confidence"), region.get("score")):
            if is_number(number):
                confidences.append(float(number))
                break
    return sum(confidences) / len(confidences) if confidences else None


def _result(raw: dict[str, Any], where: str, text: str, context: ImportContext) -> list[Any]:
    if "result" not in raw:
        raise InvalidTask(f"{where}: result is missing")
    result = raw["result"]
    for region, message in result_problems(result, text, context.schema):
        raise InvalidTask(f"{where}, {region}: {message}" if region else f"{where}: {message}")
    return result


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidTask(f"{what} must be a list, not {json_type(value)}")
    return value


def _username(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidTask(f"{what} must be a non-empty string")
    if len(value.strip()) > _USERNAME_MAX:
        raise InvalidTask(f"{what} is longer than {_USERNAME_MAX} characters")
    return value.strip()


def _external_id(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InvalidTask(f"{what} must be a string or an integer")
    if len(str(value)) > _EXTERNAL_ID_MAX:
        raise InvalidTask(f"{what} is longer than {_EXTERNAL_ID_MAX} characters")
    return str(value)


def _flag(value: Any, what: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidTask(f"{what} must be true or false")
    return value


def _lead_time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if not is_number(value) or value < 0:
        raise InvalidTask(f"{where}: lead_time must be a number of seconds >= 0")
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
        raise InvalidTask(f"{what} {shown(value)} is not an ISO 8601 date-time")
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
