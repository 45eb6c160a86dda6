"""The ``{tag: model}`` map a deployment record keeps, and the exact rebinding a restore does."""

from __future__ import annotations

import pytest

from projects.labeling_config import (
    KnownModel,
    LabelingConfigError,
    binding_map,
    changed_tags,
    set_bindings,
)

CONFIG = """<View>
  <!-- the owner's comment stays -->
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value='Symptom' model='ner_v1' background="red"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true" model="status_v1"/>
  </Labels>
  <Labels name="findings" toName="text">
    <Label value="Disease" model="ner_v1"/>
    <Label value="smoking"/>
  </Labels>
  <Choices name="smoking" toName="text" model="smoke_v1">
    <Choice value="Smoker"/>
  </Choices>
</View>
"""

KNOWN = {
    "ner_v1": KnownModel("ner_v1", "ner", frozenset({"Symptom", "Disease", "smoking"})),
    "ner_v2": KnownModel("ner_v2", "ner", frozenset({"Symptom", "Disease"})),
    "status_v1": KnownModel("status_v1", "assertion", frozenset({"Absent"})),
    "smoke_v1": KnownModel("smoke_v1", "classification", frozenset({"Smoker"}), group="smoking"),
}


def test_tags_are_label_values_and_choices_names_qualified_where_shared() -> None:
    assert binding_map(CONFIG) == {
        "Symptom": "ner_v1",
        "label/Disease": None,
        "Absent": "status_v1",
        "findings/Disease": "ner_v1",
        # a label value equal to a <Choices> name: the label is qualified, the group keeps it
        "findings/smoking": None,
        "smoking": "smoke_v1",
    }
    assert binding_map("") == {} and binding_map("<View") == {}


def test_set_bindings_rewrites_only_the_named_tags_and_keeps_every_other_byte() -> None:
    new = set_bindings(
        CONFIG, {"Symptom": "ner_v2", "findings/Disease": None, "smoking": None}, KNOWN
    )
    assert "<Label value='Symptom' model='ner_v2' background=\"red\"/>" in new
    assert '<Label value="Disease"/>\n    <Label value="smoking"/>' in new
    assert '<Choices name="smoking" toName="text">' in new
    assert "<!-- the owner's comment stays -->" in new
    assert binding_map(new) == {
        **binding_map(CONFIG),
        "Symptom": "ner_v2",
        "findings/Disease": None,
        "smoking": None,
    }
    assert changed_tags(binding_map(CONFIG), binding_map(new)) == [
        "Symptom",
        "findings/Disease",
        "smoking",
    ]
    assert set_bindings(CONFIG, {"Absent": "status_v1"}, KNOWN) == CONFIG


def test_set_bindings_refuses_an_unknown_tag_or_an_invalid_result() -> None:
    with pytest.raises(LabelingConfigError, match='no tag "Disease"'):
        set_bindings(CONFIG, {"Disease": "ner_v1"}, KNOWN)
    with pytest.raises(LabelingConfigError, match="Assertion Status label and use a NER model"):
        set_bindings(CONFIG, {"Absent": "ner_v1"}, KNOWN)
