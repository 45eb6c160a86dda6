"""Bindings: which model each bindable place of a config names, keyed by a readable *tag*.

A deployment record keeps the full map ``{tag: model name or None}`` of the config before and
after, and a restore sets the places of a record's map again, so the key must name the same
place in a later version of the config as long as that place still exists.

The tag of a place:

- a ``<Label>`` of a ``<Labels>`` group (NER or assertion status): its ``value``, e.g.
  ``"Disease"``;
- a ``<Choices>`` (classification): its ``name``, e.g. ``"age"``;
- when that natural key is shared by more than one place (the same label value in two
  ``<Labels>`` groups, or a label value equal to a ``<Choices>`` name), each such ``<Label>``
  is keyed ``"<Labels name>/<value>"`` instead, e.g. ``"findings/Disease"``. Control names are
  unique in a valid config, so a ``<Choices>`` keeps its name.

Pure Python, like the rest of the package: no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from projects.labeling_config.reading import read_config

PlaceKind = Literal["ner", "assertion", "classification"]


@dataclass(frozen=True)
class BindingPlace:
    """A tag of the config that a ``model`` attribute can sit on."""

    tag: str
    kind: PlaceKind  # the model type it takes
    model: str | None
    element: int  # index in read_config's elements (the text offsets for a rewrite)


def binding_places(xml: str) -> dict[str, BindingPlace]:
    """Every bindable place of ``xml`` by tag, in document order; empty when it is unreadable."""
    document, errors = read_config(xml)
    if errors or document is None:
        return {}
    elements = document.elements
    found: list[tuple[str, str | None, PlaceKind, str | None, int]] = []
    for index, item in enumerate(elements):
        model = item.element.get("model") or None
        if item.tag == "Choices":
            found.append((item.element.get("name") or "", None, "classification", model, index))
        elif item.tag == "Label" and item.control is not None:
            if elements[item.control].tag != "Labels":
                continue
            kind: PlaceKind = "assertion" if item.element.get("assertion") == "true" else "ner"
            group = elements[item.control].element.get("name") or ""
            found.append((item.element.get("value") or "", group, kind, model, index))
    shared = Counter(key for key, *_ in found)
    places: dict[str, BindingPlace] = {}
    for key, group, kind, model, index in found:
        tag = f"{group}/{key}" if group is not None and shared[key] > 1 else key
        places.setdefault(tag, BindingPlace(tag, kind, model, index))
    return places


def binding_map(xml: str) -> dict[str, str | None]:
    """``{tag: model name or None}`` for every bindable place (None: no model bound there)."""
    return {tag: place.model for tag, place in binding_places(xml).items()}


def changed_tags(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> list[str]:
    """The tags whose model differs between two maps (a tag missing from one counts as None)."""
    return [tag for tag in dict.fromkeys([*before, *after]) if before.get(tag) != after.get(tag)]
