"""The labeling config: parse, validate and rewrite a project's Label Studio XML (a subset).

The config is read by the API (which validates it), the import (which checks completions
against it), training (which reads its labels and choices) and deployment (which rewrites its
``model`` attributes). All of them come here, so this module is pure Python + lxml with no
Django import: it works without settings, and ``projects`` stays free of ``training`` (the known
models are passed in as plain ``KnownModel`` values).

The XML comes from users, so it is parsed defensively: a size cap before parsing, no DTD at all
(which rules out XXE and entity expansion bombs whatever the parser's defaults), no network.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

MAX_CONFIG_BYTES = 256 * 1024

ModelType = Literal["ner", "assertion", "classification"]
ModelSource = Literal["trained", "registered"]
ChoiceMode = Literal["single", "multiple"]

#: The tags a config may use. Anything else is an error rather than ignored, because Label
#: Studio and this module would otherwise disagree silently: a typo such as ``<Lable>`` or a
#: control we cannot train or import (``<TextArea>``, ``<Rating>``) would vanish from training
#: and pre-annotation while the annotators still see it.
OBJECT_TAGS = frozenset({"Text", "HyperText"})
CONTROL_TAGS = frozenset({"Labels", "Choices"})
LAYOUT_TAGS = frozenset({"View", "Header", "Style", "Filter", "Collapse", "Panel"})
#: Relations are drawn by annotators but not trained; they are accepted so that Label Studio
#: configs that use them still load.
RELATION_TAGS = frozenset({"Relations", "Relation"})
SUPPORTED_TAGS = OBJECT_TAGS | CONTROL_TAGS | LAYOUT_TAGS | RELATION_TAGS | {"Label", "Choice"}

ASSERTION_NER_MODEL_MESSAGE = (
    "It is not possible to mark a label as an Assertion Status label and use a NER model to "
    "predict it"
)


@dataclass(frozen=True)
class KnownModel:
    """A model the project may reference, as ``training`` knows it.

    ``labels`` are the values it predicts (empty when unknown, e.g. some registered models).
    ``group`` is the ``<Choices name>`` a classification model was trained for.
    """

    name: str
    type: ModelType
    labels: frozenset[str]
    source: ModelSource = "trained"
    group: str | None = None


@dataclass(frozen=True)
class ConfigError:
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The API's error shape: ``{"message", "line"?}``."""
        return {"message": self.message} | ({"line": self.line} if self.line is not None else {})


class LabelingConfigError(Exception):
    """The config is invalid; ``errors`` holds every problem found, not just the first."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        self.errors = list(errors)
        super().__init__(
            "; ".join(
                f"line {error.line}: {error.message}" if error.line else error.message
                for error in self.errors
            )
        )


@dataclass(frozen=True)
class ObjectTag:
    """What annotators label: ``<Text>`` or ``<HyperText>``; ``value`` names the task field."""

    tag: str
    name: str
    value: str | None
    line: int


@dataclass(frozen=True)
class LabelDef:
    value: str
    assertion: bool
    model: str | None
    line: int


@dataclass(frozen=True)
class LabelsGroup:
    name: str
    to_name: str
    labels: tuple[LabelDef, ...]
    line: int


@dataclass(frozen=True)
class ChoiceDef:
    value: str
    line: int


@dataclass(frozen=True)
class ChoicesGroup:
    name: str
    to_name: str
    mode: ChoiceMode
    train: bool
    model: str | None
    choices: tuple[ChoiceDef, ...]
    line: int

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class LabelingConfig:
    """A valid config. Tuples keep it truly immutable (and hashable) once parsed."""

    objects: tuple[ObjectTag, ...] = ()
    labels: tuple[LabelsGroup, ...] = ()
    choices: tuple[ChoicesGroup, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.objects or self.labels or self.choices)

    @property
    def ner_labels(self) -> tuple[str, ...]:
        """Values an NER model learns: every non-assertion label, in config order, once."""
        return _unique(label.value for label in self._all_labels() if not label.assertion)

    @property
    def assertion_labels(self) -> tuple[str, ...]:
        return _unique(label.value for label in self._all_labels() if label.assertion)

    @property
    def control_names(self) -> tuple[str, ...]:
        """Names a completion's ``from_name`` may use, in config order."""
        controls = sorted([*self.labels, *self.choices], key=lambda group: group.line)
        return tuple(group.name for group in controls)

    @property
    def object_names(self) -> tuple[str, ...]:
        return tuple(obj.name for obj in self.objects)

    def labels_group(self, name: str) -> LabelsGroup | None:
        return next((group for group in self.labels if group.name == name), None)

    def choices_group(self, name: str) -> ChoicesGroup | None:
        return next((group for group in self.choices if group.name == name), None)

    @property
    def default_classification_group(self) -> ChoicesGroup | None:
        """The group a classifier is trained for by default (the spec's ``train`` attribute).

        The group with ``train="true"``, else the one whose name sorts first; None without
        ``<Choices>``.
        """
        if not self.choices:
            return None
        flagged = [group for group in self.choices if group.train]
        return flagged[0] if flagged else min(self.choices, key=lambda group: group.name)

    @property
    def label_models(self) -> dict[str, str]:
        """Label value -> the model that pre-annotates it (first bound occurrence wins)."""
        bound: dict[str, str] = {}
        for label in self._all_labels():
            if label.model is not None:
                bound.setdefault(label.value, label.model)
        return bound

    @property
    def choices_models(self) -> dict[str, str]:
        """``<Choices name>`` -> the classification model that pre-annotates it."""
        return {group.name: group.model for group in self.choices if group.model is not None}

    @property
    def assertion_model(self) -> str | None:
        """The project's one assertion model, if any label is bound to one."""
        return next(
            (label.model for label in self._all_labels() if label.assertion and label.model),
            None,
        )

    @property
    def model_names(self) -> tuple[str, ...]:
        """Every model the config references (what pre-annotation has to load)."""
        return _unique([*self.label_models.values(), *self.choices_models.values()])

    @property
    def trainable_model_types(self) -> tuple[ModelType, ...]:
        """The model types this config allows training, in the order training runs them."""
        types: list[ModelType] = []
        if self.ner_labels:
            types.append("ner")
        if self.assertion_labels:
            types.append("assertion")
        if self.choices:
            types.append("classification")
        return tuple(types)

    def _all_labels(self) -> list[LabelDef]:
        return [label for group in self.labels for label in group.labels]


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


def bind_models(
    xml: str, models: Sequence[KnownModel], known_models: Mapping[str, KnownModel]
) -> str:
    """Deploy ``models``: the config text with ``model`` attributes set, nothing else changed.

    The edit is made on the text, not by serialising a tree, so the owner's comments,
    attribute order, quotes and whitespace survive every deployment byte for byte.

    - an NER model binds to every non-assertion ``<Label>`` whose value it predicts;
    - an assertion model binds to every assertion ``<Label>`` it predicts (all of them when its
      labels are unknown);
    - a classification model binds to the ``<Choices>`` named by its ``group``.

    A tag whose current model is a registered (pretrained) one is left alone when a trained
    model is deployed: the owner chose that model on purpose. Models are applied in order, so
    when two of them predict the same label the later one wins.

    Raises ``LabelingConfigError`` when the config is invalid, when a model finds nothing to
    bind to, or when the result would be invalid (e.g. two assertion models in one project).
    """
    document, errors = _read(xml)
    if errors:
        raise LabelingConfigError(errors)
    effective = {**known_models, **{model.name: model for model in models}}
    elements = document.elements if document is not None else []
    new_models: dict[int, str] = {}
    for model in models:
        targets, held = _binding_targets(model, elements, effective)
        if not targets:
            errors.append(ConfigError(_nothing_to_bind_message(model, held)))
        new_models.update(dict.fromkeys(targets, model.name))
    if errors:
        raise LabelingConfigError(errors)
    text = xml
    # From the end backwards, so that the offsets of the earlier tags stay valid.
    for index in sorted(new_models, reverse=True):
        item = elements[index]
        if item.element.get("model") == new_models[index]:
            continue  # already bound: leave its bytes (quotes, entities) exactly as they were
        if item.span is None:
            raise LabelingConfigError(
                [ConfigError("The labeling config could not be rewritten safely", item.line)]
            )
        start, end = item.span
        text = text[:start] + _set_model_attribute(text[start:end], new_models[index]) + text[end:]
    errors = validate_labeling_config(text, effective)
    if errors:
        raise LabelingConfigError(errors)
    return text


# --- Reading the document -------------------------------------------------------------------


@dataclass(frozen=True)
class _Element:
    element: Any  # etree._Element; kept as Any because lxml ships no type stubs here
    tag: str
    line: int
    span: tuple[int, int] | None  # offsets of the opening tag in the config text
    control: int | None  # index of the nearest enclosing <Labels>/<Choices>, if any


@dataclass(frozen=True)
class _Document:
    elements: list[_Element]  # document order; elements[0] is the root


# Items allowed before the root element besides a DOCTYPE: a BOM, whitespace, the XML
# declaration and other processing instructions, comments.
_PROLOG_ITEM = re.compile(r"\ufeff|\s+|<\?.*?\?>|<!--.*?-->", re.S)

# Markup of a well-formed document, used to find each opening tag's text. Comments, CDATA and
# processing instructions are matched first so that tag-like text inside them is skipped.
_MARKUP = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|</[^>]*>"
    r"|<(?P<name>[^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>",
    re.S,
)

_ATTRIBUTE = re.compile(
    r"(?P<space>\s+)(?P<name>[^\s=/>]+)\s*=\s*(?P<quote>[\"'])(?P<value>.*?)(?P=quote)", re.S
)


def _doctype_offset(xml: str) -> int | None:
    """Where a DOCTYPE starts in the prolog, found without handing anything to a parser."""
    position = 0
    while (match := _PROLOG_ITEM.match(xml, position)) and match.end() > position:
        position = match.end()
    return position if xml.startswith("<!DOCTYPE", position) else None


def _read(xml: str) -> tuple[_Document | None, list[ConfigError]]:
    """Parse safely. Returns (None, []) for an empty config and (None, errors) when unreadable."""
    # Characters never outnumber UTF-8 bytes, so the cheap check first spares encoding a huge str.
    if len(xml) > MAX_CONFIG_BYTES or len(xml.encode("utf-8")) > MAX_CONFIG_BYTES:
        size = len(xml.encode("utf-8"))
        return None, [
            ConfigError(
                f"The labeling config is {size} bytes; at most {MAX_CONFIG_BYTES} bytes "
                f"({MAX_CONFIG_BYTES // 1024} KB) are allowed"
            )
        ]
    if not xml.strip():
        return None, []
    newlines = [match.start() for match in re.finditer("\n", xml)]

    def line_of(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    # A DTD is refused outright instead of parsed with entities disabled: that keeps external
    # entities (file://, http://) and expansion bombs away from libxml2 entirely.
    doctype = _doctype_offset(xml)
    if doctype is not None:
        return None, [ConfigError("DOCTYPE declarations are not allowed", line_of(doctype))]
    # A new parser per call: its error_log then holds this document's errors only.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        # The text is a Python str, so the bytes below are UTF-8 whatever the declaration says.
        encoding="utf-8",
    )
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        entries = [entry for entry in parser.error_log if entry.level >= etree.ErrorLevels.ERROR]
        if not entries:
            return None, [ConfigError(f"Malformed XML: {exc}")]
        return None, [
            ConfigError(f"Malformed XML: {entry.message}", entry.line or None) for entry in entries
        ]
    docinfo = root.getroottree().docinfo
    # Belt and braces: the prolog scan above should have caught any DOCTYPE already.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return None, [ConfigError("DOCTYPE declarations are not allowed", 1)]

    nodes = [node for node in root.iter() if isinstance(node.tag, str)]
    opening_tags = [match for match in _MARKUP.finditer(xml) if match.group("name")]
    located = len(opening_tags) == len(nodes) and all(
        match.group("name").rpartition(":")[2] == etree.QName(node).localname
        for match, node in zip(opening_tags, nodes, strict=False)
    )
    positions = {node: position for position, node in enumerate(nodes)}
    elements = []
    for position, node in enumerate(nodes):
        control = next((positions[a] for a in node.iterancestors() if a.tag in CONTROL_TAGS), None)
        if located:
            match = opening_tags[position]
            line, span = line_of(match.start()), (match.start(), match.end())
        else:
            # libxml2 reports the line where the opening tag ends; good enough as a fallback.
            line, span = node.sourceline or 1, None
        elements.append(_Element(node, _display_tag(node), line, span, control))
    return _Document(elements), []


def _display_tag(node: Any) -> str:
    """The tag as the owner wrote it (a namespaced tag is never one of ours)."""
    qname = etree.QName(node)
    return f"{node.prefix}:{qname.localname}" if node.prefix else qname.localname


# --- Validation -----------------------------------------------------------------------------


def _analyse(
    xml: str, known_models: Mapping[str, KnownModel] | None
) -> tuple[LabelingConfig | None, list[ConfigError]]:
    document, errors = _read(xml)
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
    members: dict[int, list[_Element]] = {}
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


def _structure_errors(item: _Element, elements: list[_Element]) -> list[ConfigError]:
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


def _read_object(item: _Element, errors: list[ConfigError]) -> ObjectTag:
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


def _read_control_names(item: _Element, errors: list[ConfigError]) -> tuple[str, str]:
    name = item.element.get("name") or ""
    to_name = item.element.get("toName") or ""
    if not name:
        errors.append(ConfigError(f"<{item.tag}> has no name", item.line))
    if not to_name:
        errors.append(ConfigError(f'<{item.tag} name="{name}"> has no toName', item.line))
    return name, to_name


def _read_flag(item: _Element, attribute: str, errors: list[ConfigError]) -> bool:
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


def _read_labels(item: _Element, members: list[_Element], errors: list[ConfigError]) -> LabelsGroup:
    name, to_name = _read_control_names(item, errors)
    labels: list[LabelDef] = []
    first_line: dict[str, int] = {}
    if not members:
        errors.append(ConfigError(f'<Labels name="{name}"> has no <Label>', item.line))
    for member in members:
        assertion = _read_flag(member, "assertion", errors)
        value = member.element.get("value") or ""
        if not value:
            errors.append(
                ConfigError(f'<Label> in <Labels name="{name}"> has no value', member.line)
            )
            continue
        if value in first_line:
            errors.append(
                ConfigError(
                    f'Duplicate label "{value}" in <Labels name="{name}"> '
                    f"(first on line {first_line[value]})",
                    member.line,
                )
            )
            continue
        first_line[value] = member.line
        labels.append(LabelDef(value, assertion, member.element.get("model") or None, member.line))
    return LabelsGroup(name, to_name, tuple(labels), item.line)


def _read_choices(
    item: _Element, members: list[_Element], errors: list[ConfigError]
) -> ChoicesGroup:
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
        value = member.element.get("value") or ""
        if not value:
            errors.append(
                ConfigError(f'<Choice> in <Choices name="{name}"> has no value', member.line)
            )
            continue
        if value in first_line:
            errors.append(
                ConfigError(
                    f'Duplicate choice "{value}" in <Choices name="{name}"> '
                    f"(first on line {first_line[value]})",
                    member.line,
                )
            )
            continue
        first_line[value] = member.line
        choices.append(ChoiceDef(value, member.line))
    model = item.element.get("model") or None
    return ChoicesGroup(name, to_name, mode, train, model, tuple(choices), item.line)


def _name_errors(
    elements: list[_Element],
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
    errors = []
    for label in (label for group in labels_groups for label in group.labels):
        if label.model is None:
            continue
        model = known_models.get(label.model)
        if model is None:
            errors.append(ConfigError(f'Unknown model "{label.model}"', label.line))
            continue
        if label.assertion and model.type == "ner":
            errors.append(
                ConfigError(
                    f'{ASSERTION_NER_MODEL_MESSAGE} (label "{label.value}", NER model '
                    f'"{model.name}")',
                    label.line,
                )
            )
            continue
        if not label.assertion and model.type == "assertion":
            errors.append(
                ConfigError(
                    f'Label "{label.value}" is not an Assertion Status label, so the assertion '
                    f'model "{model.name}" cannot predict it (add assertion="true" or use a NER '
                    f"model)",
                    label.line,
                )
            )
            continue
        if model.type == "classification":
            errors.append(
                ConfigError(
                    f'The classification model "{model.name}" cannot predict the label '
                    f'"{label.value}"; it belongs on a <Choices>',
                    label.line,
                )
            )
            continue
        if model.labels and label.value not in model.labels:
            errors.append(
                ConfigError(
                    f'Model "{model.name}" does not predict the label "{label.value}"', label.line
                )
            )
    for group in choices_groups:
        if group.model is None:
            continue
        model = known_models.get(group.model)
        if model is None:
            errors.append(ConfigError(f'Unknown model "{group.model}"', group.line))
            continue
        if model.type != "classification":
            errors.append(
                ConfigError(
                    f'<Choices name="{group.name}"> needs a classification model, but '
                    f'"{model.name}" is a {model.type} model',
                    group.line,
                )
            )
            continue
        # The model may know fewer values than the group offers (a choice nobody picked yet),
        # but every value it predicts must be a choice, or its predictions could not be shown.
        unknown = sorted(model.labels - set(group.values))
        if unknown:
            listed = ", ".join(f'"{value}"' for value in unknown)
            errors.append(
                ConfigError(
                    f'Model "{model.name}" predicts {listed}, which <Choices name="{group.name}"> '
                    f"does not offer",
                    group.line,
                )
            )
    return errors


# --- Deployment -----------------------------------------------------------------------------


def _binding_targets(
    model: KnownModel, elements: list[_Element], known_models: Mapping[str, KnownModel]
) -> tuple[list[int], int]:
    """Indexes of the elements ``model`` binds to, and how many it skipped as pretrained-held."""
    targets: list[int] = []
    held = 0
    for index, item in enumerate(elements):
        if model.type == "classification":
            wanted = item.tag == "Choices" and model.group is not None
            wanted = wanted and item.element.get("name") == model.group
        elif item.tag == "Label" and item.control is not None:
            value = item.element.get("value")
            is_assertion = item.element.get("assertion") == "true"
            if model.type == "assertion":
                wanted = is_assertion and (not model.labels or value in model.labels)
            else:
                wanted = not is_assertion and value in model.labels
        else:
            wanted = False
        if not wanted:
            continue
        current = known_models.get(item.element.get("model") or "")
        if model.source == "trained" and current is not None and current.source == "registered":
            held += 1
            continue
        targets.append(index)
    return targets, held


def _nothing_to_bind_message(model: KnownModel, held: int) -> str:
    if held:
        return (
            f'Model "{model.name}" has nothing to bind to: every tag it can predict is associated '
            f"with a pretrained model"
        )
    if model.type == "ner":
        return f'NER model "{model.name}" predicts none of the NER labels of this config'
    if model.type == "assertion":
        return (
            f'Assertion model "{model.name}" predicts none of the assertion labels of this config'
        )
    if model.group is None:
        return f'Classification model "{model.name}" does not say which <Choices> it predicts'
    return (
        f'Classification model "{model.name}" predicts <Choices name="{model.group}">, which '
        f"this config does not have"
    )


def _set_model_attribute(opening_tag: str, model_name: str) -> str:
    """``opening_tag`` with its ``model`` value replaced, or the attribute added after the last."""
    name_end = re.match(r"<[^\s/>]+", opening_tag)
    assert name_end is not None  # the tag came from _MARKUP, which requires a name
    position = name_end.end()
    while (attribute := _ATTRIBUTE.match(opening_tag, position)) is not None:
        if attribute.group("name") == "model":
            quote = attribute.group("quote")
            escaped = _escape_attribute(model_name, quote)
            return (
                opening_tag[: attribute.start("value")]
                + escaped
                + opening_tag[attribute.end("value") :]
            )
        position = attribute.end()
    added = f' model="{_escape_attribute(model_name, chr(34))}"'
    return opening_tag[:position] + added + opening_tag[position:]


def _escape_attribute(value: str, quote: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;")
    escaped = escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return escaped.replace(quote, "&quot;" if quote == '"' else "&apos;")


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
