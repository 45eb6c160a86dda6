"""Deployment: ``bind_models`` rewrites the ``model`` attributes of a config's text in place,
leaving every other byte as the owner wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from projects.labeling_config.bindings import binding_places
from projects.labeling_config.reading import Element, read_config
from projects.labeling_config.types import ConfigError, KnownModel, LabelingConfigError
from projects.labeling_config.validation import validate_labeling_config

_ATTRIBUTE = re.compile(
    r"(?P<space>\s+)(?P<name>[^\s=/>]+)\s*=\s*(?P<quote>[\"'])(?P<value>.*?)(?P=quote)", re.S
)


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
    document, errors = read_config(xml)
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


def set_bindings(
    xml: str, bindings: Mapping[str, str | None], known_models: Mapping[str, KnownModel]
) -> str:
    """A restore: the config text with each tag of ``bindings`` (``bindings.binding_places``'
    keys) naming exactly its model, or no model where it maps to None; nothing else changed.

    Unlike ``bind_models`` there is no rule about registered models: the caller asks for an
    exact set of bindings, which it has checked. Tags not in ``bindings`` keep their model.
    Raises ``LabelingConfigError`` for a tag the config does not have, or an invalid result.
    """
    document, errors = read_config(xml)
    if errors:
        raise LabelingConfigError(errors)
    elements = document.elements if document is not None else []
    places = binding_places(xml)
    missing = [tag for tag in bindings if tag not in places]
    if missing:
        raise LabelingConfigError(
            [ConfigError(f'The labeling config has no tag "{tag}" to bind') for tag in missing]
        )
    text = xml
    wanted = {places[tag].element: model for tag, model in bindings.items()}
    for index in sorted(wanted, reverse=True):
        item = elements[index]
        if (item.element.get("model") or None) == wanted[index]:
            continue
        if item.span is None:
            raise LabelingConfigError(
                [ConfigError("The labeling config could not be rewritten safely", item.line)]
            )
        start, end = item.span
        model = wanted[index]
        opening = text[start:end]
        rewritten = (
            _remove_model_attribute(opening)
            if model is None
            else _set_model_attribute(opening, model)
        )
        text = text[:start] + rewritten + text[end:]
    errors = validate_labeling_config(text, known_models)
    if errors:
        raise LabelingConfigError(errors)
    return text


def _binding_targets(
    model: KnownModel, elements: list[Element], known_models: Mapping[str, KnownModel]
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


def _remove_model_attribute(opening_tag: str) -> str:
    """``opening_tag`` without its ``model`` attribute (and the space before it)."""
    name_end = re.match(r"<[^\s/>]+", opening_tag)
    assert name_end is not None  # the tag came from _MARKUP, which requires a name
    position = name_end.end()
    while (attribute := _ATTRIBUTE.match(opening_tag, position)) is not None:
        if attribute.group("name") == "model":
            return opening_tag[: attribute.start()] + opening_tag[attribute.end() :]
        position = attribute.end()
    return opening_tag


def _escape_attribute(value: str, quote: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;")
    escaped = escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return escaped.replace(quote, "&quot;" if quote == '"' else "&apos;")
