"""What results may contain: the project's labeling config as a schema of controls and objects,
and the problems of a completion's or prediction's ``result`` against it and the task text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from projects.imports.json_values import is_int, is_number, json_type, shown
from projects.labeling_config import LabelingConfigError, parse_labeling_config
from projects.models import Project

REGION_TYPES = ("labels", "choices")


@dataclass(frozen=True)
class _Control:
    kind: str  # a region type: "labels" or "choices"
    to_names: frozenset[str]
    values: frozenset[str]
    single: bool = False


@dataclass(frozen=True)
class ResultSchema:
    """The controls and objects of the project's config, or why no result is allowed."""

    controls: dict[str, _Control]
    objects: frozenset[str]
    problem: str | None = None


def result_schema(project: Project) -> ResultSchema:
    try:
        config = parse_labeling_config(project.labeling_config)
    except LabelingConfigError:
        return ResultSchema({}, frozenset(), "the project's labeling config is invalid")
    if config.is_empty:
        return ResultSchema({}, frozenset(), "the project has no labeling config")
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
    return ResultSchema(controls, frozenset(config.object_names))


def _names(to_name: str) -> frozenset[str]:
    # Label Studio lets one control name several objects, comma-separated.
    return frozenset(name.strip() for name in to_name.split(",") if name.strip())


def result_problems(result: Any, text: str, schema: ResultSchema) -> Iterator[tuple[str, str]]:
    """(region, message) per bad region, region "" for the result as a whole."""
    if not isinstance(result, list):
        yield "", f"result must be a list, not {json_type(result)}"
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


def _region_problem(region: Any, text: str, schema: ResultSchema) -> str | None:
    if not isinstance(region, dict):
        return f"must be an object, not {json_type(region)}"
    region_type = region.get("type")
    if region_type is None:
        return "type is missing"
    if region_type not in REGION_TYPES:
        return f"unsupported region type {shown(region_type)} (only 'labels' and 'choices')"
    from_name = region.get("from_name")
    if not isinstance(from_name, str):
        return _not_a_string(from_name, "from_name")
    control = schema.controls.get(from_name)
    if control is None:
        return f"from_name {shown(from_name)} names no control tag of the labeling config"
    if control.kind != region_type:
        return (
            f"type {shown(region_type)} does not match from_name {shown(from_name)}, "
            f"a <{control.kind.capitalize()}> control"
        )
    to_name = region.get("to_name")
    if not isinstance(to_name, str):
        return _not_a_string(to_name, "to_name")
    if to_name not in schema.objects:
        return f"to_name {shown(to_name)} names no object tag of the labeling config"
    if to_name not in control.to_names:
        targets = ", ".join(f"'{name}'" for name in sorted(control.to_names))
        return f"to_name {shown(to_name)} is not what control {shown(from_name)} labels ({targets})"
    value = region.get("value")
    if not isinstance(value, dict):
        return f"value must be an object, not {json_type(value)}"
    for number, where in (
        (value.get("confidence"), "value.confidence"),
        (region.get("score"), "score"),
    ):
        if number is not None and not is_number(number):
            return f"{where} must be a number"
    if region_type == "labels":
        return _span_problem(value, text) or _values_problem(
            value.get("labels"), "labels", "label", from_name, control
        )
    return _values_problem(value.get("choices"), "choices", "choice", from_name, control)


def _not_a_string(value: Any, where: str) -> str:
    return f"{where} is missing" if value is None else f"{where} must be a string"


def _span_problem(value: dict[str, Any], text: str) -> str | None:
    start, end = value.get("start"), value.get("end")
    if not (is_int(start) and is_int(end) and 0 <= start < end <= len(text)):
        return (
            f"start {shown(start)} and end {shown(end)} must be integers with "
            f"0 <= start < end <= {len(text)} (the length of data.text)"
        )
    span_text = value.get("text")
    if not isinstance(span_text, str):
        return _not_a_string(span_text, "value.text")
    if span_text != text[start:end]:
        return f"text {shown(span_text)} is not data.text[{start}:{end}] ({shown(text[start:end])})"
    return None


def _values_problem(
    values: Any, key: str, noun: str, from_name: str, control: _Control
) -> str | None:
    if not (isinstance(values, list) and values and all(isinstance(item, str) for item in values)):
        return f"value.{key} must be a non-empty list of strings"
    for item in values:
        if item not in control.values:
            return f"{noun} {shown(item)} is not defined for control {shown(from_name)}"
    if control.single and len(values) > 1:
        return f"control {shown(from_name)} takes a single choice, got {len(values)}"
    return None
