"""What a labeling config is made of: the limits and tag sets, the known models, the errors and
the typed, immutable ``LabelingConfig`` with its labels and choices groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
