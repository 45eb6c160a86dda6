"""Exporting a project: the JSON task format (which imports back) and CoNLL 2003 for NER."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.exports import bio_tags, export_conll, export_json
from projects.imports import tasks_import
from projects.models import Completion, CompletionStatus, Prediction, Project, Review, Tag, Task
from projects.tokenizer import Token, tokenize

User = get_user_model()

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
  </Labels>
  <Choices name="age" toName="text" choice="single">
    <Choice value="Child"/>
    <Choice value="Adult"/>
  </Choices>
</View>
"""

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)


def span(text: str, fragment: str, label: str, region_id: str = "") -> dict[str, Any]:
    start = text.index(fragment)
    return {
        "id": region_id or f"{label}-{start}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": start + len(fragment),
            "text": fragment,
            "labels": [label],
        },
    }


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    return {
        name: User.objects.create_user(username=name, password=None)
        for name in ("alice", "anna", "bob", "rita")
    }


@pytest.fixture
def project(people: dict[str, Any]) -> Project:
    return Project.objects.create(owner=people["alice"], name="clinic", labeling_config=CONFIG)


def make_task(project: Project, text: str, *tags: str) -> Task:
    task = Task.objects.create(project=project, data={"text": text})
    for name in tags:
        task.tags.add(Tag.objects.get_or_create(project=project, name=name)[0])
    return task


def submitted(
    task: Task, author: Any, result: list[dict[str, Any]], minutes: int, **fields: Any
) -> Completion:
    return Completion.objects.create(
        task=task,
        result=result,
        created_by=author,
        status=CompletionStatus.SUBMITTED,
        created_at=T0 + timedelta(minutes=minutes - 1),
        submitted_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def review(completion: Completion, reviewer: Any, approved: bool, minutes: int) -> Review:
    made = Review.objects.create(
        completion=completion,
        reviewer=reviewer,
        approved=approved,
        comment="" if approved else "missed one",
        reviewed_at=T0 + timedelta(minutes=minutes),
    )
    completion.latest_review = made
    completion.save(update_fields=["latest_review"])
    return made


def without_ids(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An export with annolab's own ids left out: they differ between projects by design."""
    return [
        {
            **{key: value for key, value in task.items() if key != "id"},
            "completions": [{k: v for k, v in c.items() if k != "id"} for c in task["completions"]],
            "predictions": [{k: v for k, v in p.items() if k != "id"} for p in task["predictions"]],
        }
        for task in tasks
    ]


@pytest.fixture
def labeled(project: Project, people: dict[str, Any]) -> dict[str, Any]:
    text = "Patient denies chest pain."
    first = make_task(project, text, "train", "batch-1")
    starred = submitted(
        first,
        people["anna"],
        [span(text, "chest pain", "Symptom")],
        5,
        ground_truth=True,
        lead_time=12.5,
    )
    review(starred, people["rita"], approved=False, minutes=6)
    review(starred, people["rita"], approved=True, minutes=7)  # the latest one counts
    draft = Completion.objects.create(
        task=first, result=[], created_by=people["bob"], created_at=T0
    )
    prediction = Prediction.objects.create(
        task=first,
        model_name="ner_clinic_annotation_manual_v1",
        score=0.8,
        certainty=0.62,
        result=[
            {
                **span(text, "chest pain", "Symptom"),
                "value": {**span(text, "chest pain", "Symptom")["value"], "confidence": 0.8},
            }
        ],
    )
    Prediction.objects.filter(pk=prediction.pk).update(created_at=T0 - timedelta(days=1))
    second = make_task(project, "No fever.", "test")
    plain = submitted(second, people["bob"], [], 9)
    return {
        "first": first,
        "second": second,
        "starred": starred,
        "draft": draft,
        "prediction": prediction,
        "plain": plain,
    }


def test_json_export_is_the_api_task_format(project: Project, labeled: dict[str, Any]) -> None:
    exported = export_json(project=project)

    first, second = exported
    starred, draft = labeled["starred"], labeled["draft"]
    assert first == {
        "id": labeled["first"].pk,
        "data": {"text": "Patient denies chest pain."},
        "tags": ["batch-1", "train"],
        "completions": [
            {
                "id": starred.pk,
                "created_username": "anna",
                "created_at": "2026-01-02T10:04:00Z",
                "submitted_at": "2026-01-02T10:05:00Z",
                "honeypot": True,
                "lead_time": 12.5,
                "review_status": {
                    "approved": True,
                    "reviewer": "rita",
                    "comment": "",
                    "reviewed_at": "2026-01-02T10:07:00Z",
                },
                "result": starred.result,
            },
            {
                "id": draft.pk,
                "created_username": "bob",
                "created_at": "2026-01-02T10:00:00Z",
                "submitted_at": None,
                "honeypot": False,
                "lead_time": None,
                "result": [],
            },
        ],
        "predictions": [
            {
                "id": labeled["prediction"].pk,
                "model": "ner_clinic_annotation_manual_v1",
                "created_username": "ner_clinic_annotation_manual_v1",
                "created_at": "2026-01-01T10:00:00Z",
                "score": 0.8,
                "certainty": 0.62,
                "result": labeled["prediction"].result,
            }
        ],
    }
    assert second["id"] == labeled["second"].pk
    assert "review_status" not in second["completions"][0]


def test_json_export_filters_by_tag_and_ground_truth(
    project: Project, labeled: dict[str, Any]
) -> None:
    assert [t["id"] for t in export_json(project=project, tags=["test", "nope"])] == [
        labeled["second"].pk
    ]
    starred_only = export_json(project=project, ground_truth_only=True)
    assert [[c["id"] for c in t["completions"]] for t in starred_only] == [
        [labeled["starred"].pk],
        [],
    ]


def test_json_export_then_import_gives_the_same_project(
    project: Project, labeled: dict[str, Any], people: dict[str, Any]
) -> None:
    exported = export_json(project=project)
    copy = Project.objects.create(owner=people["alice"], name="copy", labeling_config=CONFIG)

    result = tasks_import(project=copy, payload=exported)

    assert (result.task_count, result.completion_count, result.prediction_count) == (2, 3, 1)
    assert without_ids(export_json(project=copy)) == without_ids(exported)
    assert set(Tag.objects.filter(project=copy).values_list("name", flat=True)) == {
        "train",
        "batch-1",
        "test",
    }
    # the old ids are kept as external references
    assert [t.external_id for t in Task.objects.filter(project=copy)] == [
        str(t["id"]) for t in exported
    ]


def test_json_export_takes_a_fixed_number_of_queries(
    project: Project, labeled: dict[str, Any], people: dict[str, Any]
) -> None:
    with CaptureQueriesContext(connection) as small:
        export_json(project=project)
    for n in range(20):
        task = make_task(project, "No fever.", "test")
        done = submitted(task, people["anna"], [], 20 + n)
        review(done, people["rita"], approved=True, minutes=30 + n)
        Prediction.objects.create(task=task, model_name=f"m{n}", result=[])

    with CaptureQueriesContext(connection) as large:
        assert len(export_json(project=project)) == 22

    assert len(large.captured_queries) == len(small.captured_queries) == 4


def test_conll_export_of_the_selected_completions(project: Project, people: dict[str, Any]) -> None:
    anna, bob, rita = people["anna"], people["bob"], people["rita"]
    # accepted: anna's older completion wins over bob's newer one because it was accepted
    text = "Patient denies chest pain. No fever."
    accepted_task = make_task(project, text)
    accepted = submitted(
        accepted_task,
        anna,
        [
            span(text, "chest pain", "Symptom"),
            span(text, "chest pain", "Absent"),  # an assertion status on the same span
            span(text, "fever", "Symptom"),
        ],
        1,
    )
    review(accepted, rita, approved=True, minutes=2)
    submitted(accepted_task, bob, [span(text, "Patient", "Disease")], 3)
    # most recent: bob's newer completion wins
    other = "Diabetes mellitus type 2."
    recent_task = make_task(project, other)
    submitted(recent_task, anna, [span(other, "Diabetes", "Disease")], 4)
    submitted(recent_task, bob, [span(other, "Diabetes mellitus type 2", "Disease")], 5)
    # nothing submitted: not exported
    make_task(project, "Unlabeled text.")

    assert export_conll(project=project) == (
        "-DOCSTART- -X- -X- O\n"
        "\n"
        "Patient -X- -X- O\n"
        "denies -X- -X- O\n"
        "chest -X- -X- B-Symptom\n"
        "pain -X- -X- I-Symptom\n"
        ". -X- -X- O\n"
        "\n"
        "No -X- -X- O\n"
        "fever -X- -X- B-Symptom\n"
        ". -X- -X- O\n"
        "\n"
        "Diabetes -X- -X- B-Disease\n"
        "mellitus -X- -X- I-Disease\n"
        "type -X- -X- I-Disease\n"
        "2 -X- -X- I-Disease\n"
        ". -X- -X- O\n"
    )
    assert export_conll(project=project, tags=["none-has-it"]) == "-DOCSTART- -X- -X- O\n\n"


def tokens_of(text: str) -> list[Token]:
    return [token for sentence in tokenize(text) for token in sentence.tokens]


def test_bio_tags_mark_every_token_a_span_touches() -> None:
    tokens = tokens_of("Took 3.5mg aspirin daily.")  # Took 3 . 5mg aspirin daily .

    # "5m" ends inside the token "5mg": the whole token is inside the span
    tags, skipped = bio_tags(tokens, [(5, 9, "Dose"), (11, 18, "Drug")])

    assert tags == ["O", "B-Dose", "I-Dose", "I-Dose", "B-Drug", "O", "O"]
    assert skipped == 0


def test_bio_tags_keep_the_earlier_then_longer_of_overlapping_spans() -> None:
    tokens = tokens_of("chest pain radiating left")

    tags, skipped = bio_tags(
        tokens,
        [
            (6, 20, "Late"),  # starts later than "Long": skipped
            (0, 5, "Short"),  # same start as "Long" but shorter: skipped
            (0, 10, "Long"),
            (21, 25, "Side"),
        ],
    )

    assert tags == ["B-Long", "I-Long", "O", "B-Side"]
    assert skipped == 2


def test_conll_labels_with_spaces_stay_one_column(people: dict[str, Any]) -> None:
    config = CONFIG.replace('"Disease"', '"Medical Condition"')
    project = Project.objects.create(owner=people["alice"], name="spaces", labeling_config=config)
    text = "Known asthma."
    submitted(
        make_task(project, text), people["anna"], [span(text, "asthma", "Medical Condition")], 1
    )

    assert export_conll(project=project).splitlines()[2:] == [
        "Known -X- -X- O",
        "asthma -X- -X- B-Medical_Condition",
        ". -X- -X- O",
    ]


def test_bio_tags_of_a_span_cut_by_a_sentence_boundary_start_once() -> None:
    text = "Pain in the chest.\nRadiating left."
    tokens = tokens_of(text)

    tags, skipped = bio_tags(tokens, [(12, 29, "Symptom")])

    assert [token.text for token, tag in zip(tokens, tags, strict=True) if tag != "O"] == [
        "chest",
        ".",
        "Radiating",
    ]
    assert tags[3:6] == ["B-Symptom", "I-Symptom", "I-Symptom"]
    assert skipped == 0
