"""Validation: every problem of a config with its line (structure, names, flags, models), and
the typed ``LabelingConfig`` of a valid one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from projects.labeling_config.reading import Element, read_config
from projects.labeling_config.types import (
    ASSERTION_NER_MODEL_MESSAGE,
    CONTROL_TAGS,
    OBJECT_TAGS,
    SUPPORTED_TAGS,
    ChoiceDef,
    ChoicesGroup,
    ConfigError,
    KnownModel,
    LabelDef,
    LabelingConfig,
    LabelingConfigError,
    LabelsGroup,
    ObjectTag,
)


def validate_labeling_config(
    xml: str, known_models: Mapping[str, KnownModel] | None = None
) -> list[ConfigError]:
    """Every problem of ``xml``, sorted by line; empty when it is valid.

    Model names are checked only when ``known_models`` is given: the API passes the models the
    project may use, while a plain structural check (e.g. an import) does not need them.
    """
    return _analyse(xml, known_models)[1]


def parse_labeling_config(
    xml: str, known_models: Mapping[str, KnownModel] | None = None
) -> LabelingConfig:
    """The typed config; raises ``LabelingConfigError`` with every error when it is invalid.

    An empty (or blank) config is valid: a project may exist before it has one.
    """
    config, errors = _analyse(xml, known_models)
    if errors or config is None:
        raise LabelingConfigError(errors)
    return config


def _analyse(
    xml: str, known_models: Mapping[str, KnownModel] | None
) -> tuple[LabelingConfig | None, list[ConfigError]]:
    document, errors = read_config(xml)
    if errors:
        return None, errors
    if document is None:
        return LabelingConfig(), []
    errors = []
    elements = document.elements
    if elements[0].tag != "View":
        root = elements[0]
        errors.append(ConfigError(f"The root tag must be <View>, not <{root.tag}>", root.line))

    objects: list[ObjectTag] = []
    labels_groups: list[LabelsGroup] = []
    choices_groups: list[ChoicesGroup] = []
    members: dict[int, list[Element]] = {}
    for item in elements:
        if item.control is not None:
            members.setdefault(item.control, []).append(item)
    for index, item in enumerate(elements):
        errors.extend(_structure_errors(item, elements))
        if item.tag in OBJECT_TAGS:
            objects.append(_read_object(item, errors))
        elif item.tag == "Labels":
            labels = [member for member in members.get(index, []) if member.tag == "Label"]
            labels_groups.append(_read_labels(item, labels, errors))
        elif item.tag == "Choices":
            choices = [member for member in members.get(index, []) if member.tag == "Choice"]
            choices_groups.append(_read_choices(item, choices, errors))

    errors.extend(_name_errors(elements, objects, labels_groups, choices_groups))
    errors.extend(_train_errors(choices_groups))
    errors.extend(_assertion_model_errors(labels_groups))
    if known_models is not None:
        errors.extend(_known_model_errors(labels_groups, choices_groups, known_models))
    if errors:
        # Stable sort: errors about one line keep the order in which they were found.
        return None, sorted(errors, key=lambda error: error.line or 0)
    config = LabelingConfig(tuple(objects), tuple(labels_groups), tuple(choices_groups))
    return config, []


def _structure_errors(item: Element, elements: list[Element]) -> list[ConfigError]:
    if item.tag not in SUPPORTED_TAGS:
        return [ConfigError(f"Unsupported tag <{item.tag}>", item.line)]
    enclosing = elements[item.control].tag if item.control is not None else None
    if item.tag == "Label" and enclosing != "Labels":
        return [ConfigError("<Label> must be inside <Labels>", item.line)]
    if item.tag == "Choice" and enclosing != "Choices":
        return [ConfigError("<Choice> must be inside <Choices>", item.line)]
    if item.tag in OBJECT_TAGS | CONTROL_TAGS and enclosing is not None:
        return [ConfigError(f"<{item.tag}> cannot be inside <{enclosing}>", item.line)]
    return []


def _read_object(item: Element, errors: list[ConfigError]) -> ObjectTag:
    name = item.element.get("name") or ""
    value = item.element.get("value") or None
    if not name:
        errors.append(ConfigError(f"<{item.tag}> has no name", item.line))
    if value is None:
        errors.append(
            ConfigError(
                f'<{item.tag} name="{name}"> has no value (the task field it shows, '
                f'e.g. value="$text")',
                item.line,
            )
        )
    return ObjectTag(item.tag, name, value, item.line)


def _read_control_names(item: Element, errors: list[ConfigError]) -> tuple[str, str]:
    name = item.element.get("name") or ""
    to_name = item.element.get("toName") or ""
    if not name:
        errors.append(ConfigError(f"<{item.tag}> has no name", item.line))
    if not to_name:
        errors.append(ConfigError(f'<{item.tag} name="{name}"> has no toName', item.line))
    return name, to_name


def _read_flag(item: Element, attribute: str, errors: list[ConfigError]) -> bool:
    raw = item.element.get(attribute)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        errors.append(
            ConfigError(
                f'<{item.tag}> {attribute} must be "true" or "false", not "{raw}"', item.line
            )
        )
    return raw == "true"


def _member_value(
    member: Element, group: str, noun: str, first_line: dict[str, int], errors: list[ConfigError]
) -> str | None:
    """The value of a ``<Label>`` or ``<Choice>``, or None (with an error) when it has none or
    repeats one of its group; ``first_line`` maps the group's values so far to their lines."""
    value = member.element.get("value") or ""
    if not value:
        errors.append(ConfigError(f"<{member.tag}> in {group} has no value", member.line))
        return None
    if value in first_line:
        errors.append(
            ConfigError(
                f'Duplicate {noun} "{value}" in {group} (first on line {first_line[value]})',
                member.line,
            )
        )
        return None
    first_line[value] = member.line
    return value


def _read_labels(item: Element, members: list[Element], errors: list[ConfigError]) -> LabelsGroup:
    name, to_name = _read_control_names(item, errors)
    labels: list[LabelDef] = []
    first_line: dict[str, int] = {}
    if not members:
        errors.append(ConfigError(f'<Labels name="{name}"> has no <Label>', item.line))
    for member in members:
        assertion = _read_flag(member, "assertion", errors)
        value = _member_value(member, f'<Labels name="{name}">', "label", first_line, errors)
        if value is None:
            continue
        labels.append(LabelDef(value, assertion, member.element.get("model") or None, member.line))
    return LabelsGroup(name, to_name, tuple(labels), item.line)


def _read_choices(item: Element, members: list[Element], errors: list[ConfigError]) -> ChoicesGroup:
    name, to_name = _read_control_names(item, errors)
    mode = item.element.get("choice", "single")
    if mode not in ("single", "multiple"):
        errors.append(
            ConfigError(
                f'<Choices name="{name}"> choice must be "single" or "multiple", not "{mode}"',
                item.line,
            )
        )
        mode = "single"
    train = _read_flag(item, "train", errors)
    choices: list[ChoiceDef] = []
    first_line: dict[str, int] = {}
    if not members:
        errors.append(ConfigError(f'<Choices name="{name}"> has no <Choice>', item.line))
    for member in members:
        value = _member_value(member, f'<Choices name="{name}">', "choice", first_line, errors)
        if value is None:
            continue
        choices.append(ChoiceDef(value, member.line))
    model = item.element.get("model") or None
    return ChoicesGroup(name, to_name, mode, train, model, tuple(choices), item.line)


def _name_errors(
    elements: list[Element],
    objects: list[ObjectTag],
    labels_groups: list[LabelsGroup],
    choices_groups: list[ChoicesGroup],
) -> list[ConfigError]:
    errors = []
    # Results refer to tags by name (from_name/to_name), so a name must mean one tag only.
    first_line: dict[str, int] = {}
    for item in elements:
        name = item.element.get("name")
        if not name:
            continue
        if name in first_line:
            errors.append(
                ConfigError(
                    f'Duplicate name "{name}" on <{item.tag}> (first on line {first_line[name]})',
                    item.line,
                )
            )
        else:
            first_line[name] = item.line
    object_names = {obj.name for obj in objects if obj.name}
    for group in [*labels_groups, *choices_groups]:
        if group.to_name and group.to_name not in object_names:
            tag = "Labels" if isinstance(group, LabelsGroup) else "Choices"
            errors.append(
                ConfigError(
                    f'<{tag} name="{group.name}"> has toName="{group.to_name}", which names no '
                    f"<Text> or <HyperText>",
                    group.line,
                )
            )
    return errors


def _train_errors(choices_groups: list[ChoicesGroup]) -> list[ConfigError]:
    # Only one classifier is trained at a time, so train="true" may pick one group only.
    flagged = [group for group in choices_groups if group.train]
    return [
        ConfigError(
            f'Only one <Choices> may have train="true"; "{flagged[0].name}" on line '
            f"{flagged[0].line} already has it",
            group.line,
        )
        for group in flagged[1:]
    ]


def _assertion_model_errors(labels_groups: list[LabelsGroup]) -> list[ConfigError]:
    # The spec allows one assertion model per project: assertion status is predicted per span
    # after NER, and two models would disagree on the same span.
    first: LabelDef | None = None
    errors = []
    for label in (label for group in labels_groups for label in group.labels):
        if not label.assertion or label.model is None:
            continue
        if first is None:
            first = label
        elif label.model != first.model:
            errors.append(
                ConfigError(
                    f"Only one Assertion Status model is allowed in a project: label "
                    f'"{label.value}" uses "{label.model}" but "{first.value}" on line '
                    f'{first.line} uses "{first.model}"',
                    label.line,
                )
            )
    return errors


def _known_model_errors(
    labels_groups: list[LabelsGroup],
    choices_groups: list[ChoicesGroup],
    known_models: Mapping[str, KnownModel],
) -> list[ConfigError]:
    """One error per label or <Choices> whose model is unknown or cannot predict it."""
    # (model name, line, what is wrong with that model for this label or group)
    uses: list[tuple[str, int, Callable[[KnownModel], str | None]]] = [
        (label.model, label.line, partial(_label_model_problem, label))
        for group in labels_groups
        for label in group.labels
        if label.model is not None
    ]
    uses += [
        (group.model, group.line, partial(_choices_model_problem, group))
        for group in choices_groups
        if group.model is not None
    ]
    errors = []
    for name, line, problem_with in uses:
        model = known_models.get(name)
        problem = f'Unknown model "{name}"' if model is None else problem_with(model)
        if problem:
            errors.append(ConfigError(problem, line))
    return errors


def _label_model_problem(label: LabelDef, model: KnownModel) -> str | None:
    if label.assertion and model.type == "ner":
        return f'{ASSERTION_NER_MODEL_MESSAGE} (label "{label.value}", NER model "{model.name}")'
    if not label.assertion and model.type == "assertion":
        return (
            f'Label "{label.value}" is not an Assertion Status label, so the assertion model '
            f'"{model.name}" cannot predict it (add assertion="true" or use a NER model)'
        )
    if model.type == "classification":
        return (
            f'The classification model "{model.name}" cannot predict the label '
            f'"{label.value}"; it belongs on a <Choices>'
        )
    if model.labels and label.value not in model.labels:
        return f'Model "{model.name}" does not predict the label "{label.value}"'
    return None


def _choices_model_problem(group: ChoicesGroup, model: KnownModel) -> str | None:
    if model.type != "classification":
        return (
            f'<Choices name="{group.name}"> needs a classification model, but '
            f'"{model.name}" is a {model.type} model'
        )
    # The model may know fewer values than the group offers (a choice nobody picked yet),
    # but every value it predicts must be a choice, or its predictions could not be shown.
    unknown = sorted(model.labels - set(group.values))
    if unknown:
        listed = ", ".join(f'"{value}"' for value in unknown)
        return (
            f'Model "{model.name}" predicts {listed}, which <Choices name="{group.name}"> '
            f"does not offer"
        )
    return None
