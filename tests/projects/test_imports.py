"""Importing tasks: the Annotation Lab format, Label Studio exports, .txt and .csv files.

All or nothing: a file with any bad task stores nothing and says which tasks are bad and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from annolab.errors import ValidationFailed
from projects.imports import ImportResult, result_errors, tasks_import
from projects.models import Completion, CompletionStatus, Prediction, Project, Review, Tag, Task
from projects.signals import completion_submitted

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
    <Choice value="Adult (19-50y)"/>
  </Choices>
</View>
"""

TEXT = "Patient denies chest pain."


def region(
    start: int = 15,
    end: int = 25,
    text: str = "chest pain",
    label: str = "Symptom",
    region_id: str = "r1",
    **value: Any,
) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": [label], **value},
    }


def age(choice: str = "Adult (19-50y)") -> dict[str, Any]:
    return {
        "id": "r3",
        "from_name": "age",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": [choice]},
    }


def completion(result: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "created_username": "alice",
        "created_at": "2026-01-02T10:00:00Z",
        "submitted_at": "2026-01-02T10:05:00Z",
        "result": [region()] if result is None else result,
        **fields,
    }


def task(**fields: Any) -> dict[str, Any]:
    return {"data": {"text": TEXT}, **fields}


@pytest.fixture
def alice(db: None) -> Any:
    return User.objects.create_user(username="alice", password=None)


@pytest.fixture
def project(alice: Any) -> Project:
    return Project.objects.create(owner=alice, name="clinic", labeling_config=CONFIG)


def import_error(project: Project, payload: Any, filename: str | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        tasks_import(project=project, payload=payload, filename=filename)
    return caught.value


def test_the_api_example_imports_with_every_field(project: Project, alice: Any) -> None:
    example = {
        "id": 17,
        "data": {"text": TEXT, "source": "ward 3"},
        "tags": ["train", "batch-1"],
        "completions": [
            {
                "id": 901,
                "created_username": "alice",
                "created_at": "2026-01-02T10:00:00Z",
                "submitted_at": "2026-01-02T10:05:00Z",
                "honeypot": True,
                "lead_time": 12.5,
                "review_status": {
                    "approved": True,
                    "reviewer": "rita",
                    "comment": "fine",
                    "reviewed_at": "2026-01-03T09:00:00Z",
                },
                "result": [region(), region(label="Absent", region_id="r2"), age()],
            },
            {"id": 902, "created_username": "alice", "result": [], "lead_time": 3},
        ],
        "predictions": [
            {
                "model": "ner_clinic_annotation_manual_v1",
                "result": [region(confidence=0.9), region(label="Absent", confidence=0.5)],
            }
        ],
    }

    result = tasks_import(project=project, payload=[example])

    stored = Task.objects.get()
    assert result == ImportResult(
        task_count=1, completion_count=2, prediction_count=1, failed_count=0, task_ids=[stored.pk]
    )
    assert stored.project == project
    assert stored.data == {"text": TEXT, "source": "ward 3"}
    assert stored.external_id == "17"
    assert sorted(tag.name for tag in stored.tags.all()) == ["batch-1", "train"]

    submitted, draft = stored.completions.order_by("id")
    assert submitted.created_by == alice
    assert submitted.status == CompletionStatus.SUBMITTED
    assert submitted.created_at == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert submitted.submitted_at == datetime(2026, 1, 2, 10, 5, tzinfo=UTC)
    assert submitted.ground_truth is True
    assert submitted.lead_time == 12.5
    assert submitted.external_id == "901"
    assert submitted.result == example["completions"][0]["result"]
    review = submitted.latest_review
    assert review is not None and review.completion == submitted
    assert (review.approved, review.comment) == (True, "fine")
    assert review.reviewed_at == datetime(2026, 1, 3, 9, 0, tzinfo=UTC)
    # rita had no account: she gets an inactive one that cannot log in
    assert review.reviewer.username == "rita"
    assert not review.reviewer.is_active
    assert not review.reviewer.has_usable_password()

    assert draft.status == CompletionStatus.DRAFT
    assert draft.submitted_at is None
    assert draft.latest_review is None
    assert draft.ground_truth is False

    prediction = stored.predictions.get()
    assert prediction.model_name == "ner_clinic_annotation_manual_v1"
    assert prediction.score == pytest.approx(0.7)  # the mean of the regions' confidences
    assert prediction.result == example["predictions"][0]["result"]


def test_imported_ids_are_annolabs_own_and_task_ids_follow_upload_order(project: Project) -> None:
    payload = [task(id=5), task(id="b-2", data={"text": "Second."}), task()]

    result = tasks_import(project=project, payload=payload)

    assert result.task_ids == sorted(result.task_ids)
    stored = {t.pk: t for t in Task.objects.all()}
    assert [stored[pk].external_id for pk in result.task_ids] == ["5", "b-2", ""]
    assert [stored[pk].text for pk in result.task_ids] == [TEXT, "Second.", TEXT]


def test_tags_are_created_once_and_existing_ones_reused(project: Project) -> None:
    existing = Tag.objects.create(project=project, name="train")

    tasks_import(project=project, payload=[task(tags=["train", "new"]), task(tags=["new"])])

    assert sorted(Tag.objects.filter(project=project).values_list("name", flat=True)) == [
        "new",
        "train",
    ]
    assert existing.tasks.count() == 1
    assert Tag.objects.get(project=project, name="new").tasks.count() == 2


def test_three_bad_tasks_of_five_store_nothing_and_are_each_reported(project: Project) -> None:
    payload = [
        task(tags=["kept"], completions=[completion()]),
        {"data": {}},
        task(completions=[completion([region(text="chest pai")])]),
        task(completions=[completion(created_username="newcomer")]),
        task(tags="train"),
    ]

    error = import_error(project, payload)

    assert error.detail == "3 of 5 tasks are invalid; nothing was imported."
    assert error.errors == [
        {"index": 1, "message": "data.text is missing"},
        {
            "index": 2,
            "message": "completion 0, region r1: text 'chest pai' is not data.text[15:25] "
            "('chest pain')",
        },
        {"index": 4, "message": "tags must be a list, not a string"},
    ]
    assert not Task.objects.exists()
    assert not Completion.objects.exists()
    assert not Tag.objects.exists()
    assert not User.objects.filter(username="newcomer").exists()


def choices_region(**changes: Any) -> dict[str, Any]:
    return {**age(), **changes}


INVALID_TASKS = [
    pytest.param("just text", "a task must be an object, not a string", id="not-an-object"),
    pytest.param({"text": TEXT}, "data is missing", id="no-data"),
    pytest.param({"data": {"text": 7}}, "data.text must be a string", id="text-not-string"),
    pytest.param({"data": {"text": ""}}, "data.text is empty", id="empty-text"),
    pytest.param(
        {"data": {"text": "a\x00b"}},
        "the task contains a NUL character (\\u0000), which cannot be stored",
        id="nul",
    ),
    pytest.param(
        task(data={"text": TEXT, "weight": float("inf")}),  # what json reads from 1e400
        "the task contains a number too large for JSON, which cannot be stored",
        id="infinite-number",
    ),
    pytest.param(task(tags=["ok", 3]), "tags must be a list of non-empty strings", id="tag-type"),
    pytest.param(
        task(completions={"result": []}), "completions must be a list, not an object", id="compl"
    ),
    pytest.param(
        task(completions=[completion({"r1": region()})]),
        "completion 0: result must be a list, not an object",
        id="result-not-list",
    ),
    pytest.param(
        task(completions=[completion(lead_time="12s")]),
        "completion 0: lead_time must be a number of seconds >= 0",
        id="lead-time",
    ),
    pytest.param(
        task(completions=[completion(submitted_at="yesterday")]),
        "completion 0: submitted_at 'yesterday' is not an ISO 8601 date-time",
        id="datetime",
    ),
    pytest.param(
        task(completions=[completion(created_at="2026-13-01T00:00:00Z")]),
        "completion 0: created_at '2026-13-01T00:00:00Z' is not an ISO 8601 date-time",
        id="impossible-datetime",
    ),
    pytest.param(
        task(completions=[completion(created_username=None)]),
        "completion 0: created_username is missing",
        id="no-author",
    ),
    pytest.param(
        task(completions=[completion(honeypot="yes")]),
        "completion 0: honeypot must be true or false",
        id="honeypot",
    ),
    pytest.param(
        task(completions=[completion(submitted_at=None, review_status={"approved": True})]),
        "completion 0: review_status: a draft (no submitted_at) cannot be reviewed",
        id="reviewed-draft",
    ),
    pytest.param(
        task(completions=[completion([region(start=15, end=99)])]),
        "completion 0, region r1: start 15 and end 99 must be integers with "
        "0 <= start < end <= 26 (the length of data.text)",
        id="end-outside-text",
    ),
    pytest.param(
        task(completions=[completion([region(start=25, end=15)])]),
        "completion 0, region r1: start 25 and end 15 must be integers with "
        "0 <= start < end <= 26 (the length of data.text)",
        id="start-after-end",
    ),
    pytest.param(
        task(completions=[completion([region(start="15")])]),
        "completion 0, region r1: start '15' and end 25 must be integers with "
        "0 <= start < end <= 26 (the length of data.text)",
        id="start-not-int",
    ),
    pytest.param(
        task(completions=[completion([region(text="chest pai")])]),
        "completion 0, region r1: text 'chest pai' is not data.text[15:25] ('chest pain')",
        id="span-text",
    ),
    pytest.param(
        task(completions=[completion([region(label="Fever")])]),
        "completion 0, region r1: label 'Fever' is not defined for control 'label'",
        id="undefined-label",
    ),
    pytest.param(
        task(completions=[completion([age("Senior")])]),
        "completion 0, region r3: choice 'Senior' is not defined for control 'age'",
        id="undefined-choice",
    ),
    pytest.param(
        task(completions=[completion([{**region(), "from_name": "labels"}])]),
        "completion 0, region r1: from_name 'labels' names no control tag of the labeling config",
        id="unknown-from-name",
    ),
    pytest.param(
        task(completions=[completion([{**region(), "to_name": "txt"}])]),
        "completion 0, region r1: to_name 'txt' names no object tag of the labeling config",
        id="unknown-to-name",
    ),
    pytest.param(
        task(completions=[completion([region(), {**region(region_id="x"), "type": "relation"}])]),
        "completion 0, region x: unsupported region type 'relation' (only 'labels' and 'choices')",
        id="unsupported-type",
    ),
    pytest.param(
        task(completions=[completion([choices_region(type="labels")])]),
        "completion 0, region r3: type 'labels' does not match from_name 'age', a <Choices> "
        "control",
        id="type-of-other-control",
    ),
    pytest.param(
        task(completions=[completion([choices_region(value={"choices": ["Child", "Adult"]})])]),
        "completion 0, region r3: choice 'Adult' is not defined for control 'age'",
        id="second-choice-undefined",
    ),
    pytest.param(
        task(completions=[completion([choices_region(value={"choices": []})])]),
        "completion 0, region r3: value.choices must be a non-empty list of strings",
        id="no-choice",
    ),
    pytest.param(
        task(predictions=[{"model": "m", "result": [region(label="Fever", region_id="p1")]}]),
        "prediction 0, region p1: label 'Fever' is not defined for control 'label'",
        id="prediction-label",
    ),
    pytest.param(
        task(predictions=[{"model": "m", "score": "high", "result": []}]),
        "prediction 0: score must be a number",
        id="prediction-score",
    ),
    pytest.param(
        task(predictions=[{"model": "m", "certainty": [0.5], "result": []}]),
        "prediction 0: certainty must be a number",
        id="prediction-certainty",
    ),
]


@pytest.mark.parametrize(("bad_task", "message"), INVALID_TASKS)
def test_each_kind_of_invalid_task_is_named_precisely(
    project: Project, bad_task: Any, message: str
) -> None:
    error = import_error(project, [task(), bad_task])

    assert error.detail == "1 of 2 tasks are invalid; nothing was imported."
    assert error.errors == [{"index": 1, "message": message}]
    assert not Task.objects.exists()


def test_a_single_choice_control_takes_one_choice(project: Project) -> None:
    both = choices_region(value={"choices": ["Child", "Adult (19-50y)"]})

    error = import_error(project, [task(completions=[completion([both])])])

    assert error.errors[0]["message"] == (
        "completion 0, region r3: control 'age' takes a single choice, got 2"
    )


def test_without_a_labeling_config_only_plain_tasks_import(alice: Any) -> None:
    bare = Project.objects.create(owner=alice, name="bare")

    assert tasks_import(project=bare, payload=[task(tags=["x"])]).task_count == 1
    error = import_error(bare, [task(completions=[completion()])])
    assert error.errors == [
        {"index": 0, "message": "completion 0: the project has no labeling config"}
    ]
    assert Task.objects.filter(project=bare).count() == 1


def test_result_errors_lists_every_bad_region(project: Project) -> None:
    result = [region(), region(label="Fever", region_id="a"), age("Senior")]

    assert result_errors(project=project, text=TEXT, result=result) == [
        "region a: label 'Fever' is not defined for control 'label'",
        "region r3: choice 'Senior' is not defined for control 'age'",
    ]
    assert result_errors(project=project, text=TEXT, result="x") == [
        "result must be a list, not a string"
    ]


def label_studio_export() -> list[dict[str, Any]]:
    """Two tasks as Label Studio's JSON export writes them (docs: "Label Studio JSON format")."""
    ls_region = {
        "id": "Dx_aB91ISN",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": 15, "end": 25, "text": "chest pain", "labels": ["Symptom"]},
    }
    return [
        {
            "id": 1,
            "data": {"text": TEXT},
            "annotations": [
                {
                    "id": 1001,
                    "completed_by": 10,
                    "result": [ls_region],
                    "was_cancelled": False,
                    "ground_truth": True,
                    "created_at": "2021-03-09T22:16:08.728353Z",
                    "updated_at": "2021-03-09T22:20:00.000000Z",
                    "lead_time": 4.288,
                    "result_count": 0,
                    "task": 1,
                    "project": 83,
                    "updated_by": 10,
                    "parent_prediction": None,
                    "parent_annotation": None,
                },
                {
                    "id": 1002,
                    "completed_by": {
                        "id": 11,
                        "email": "erin@example.org",
                        "first_name": "Erin",
                        "last_name": "",
                    },
                    "result": [],
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2021-03-10T08:00:00Z",
                    "updated_at": "2021-03-10T08:00:00Z",
                    "lead_time": 2.0,
                },
                {
                    "id": 1003,
                    "completed_by": 10,
                    "result": [],
                    "was_cancelled": True,
                    "ground_truth": False,
                    "created_at": "2021-03-11T08:00:00Z",
                    "updated_at": "2021-03-11T08:00:00Z",
                },
            ],
            "drafts": [
                {
                    "id": 7,
                    "user": "erin@example.org",
                    "created_username": "Erin erin@example.org, 11",
                    "created_ago": "3 hours",
                    "result": [ls_region],
                    "lead_time": 9.5,
                    "was_postponed": False,
                    "import_id": None,
                    "created_at": "2021-03-12T08:00:00Z",
                    "updated_at": "2021-03-12T08:00:00Z",
                    "task": 1,
                    "annotation": None,
                }
            ],
            "predictions": [
                {
                    "id": 55,
                    "model_version": "model 1",
                    "created_ago": "3 hours",
                    "score": 0.25,
                    "result": [{**ls_region, "score": 0.25}],
                    "created_at": "2021-03-08T00:00:00Z",
                    "task": 1,
                    "project": 83,
                }
            ],
            "meta": {},
            "inner_id": 1,
            "created_at": "2021-03-09T21:52:49.513742Z",
            "updated_at": "2021-03-09T22:16:08.746926Z",
            "project": 83,
            "updated_by": 10,
            "file_upload": "tasks.json",
            "total_annotations": 2,
            "cancelled_annotations": 1,
            "total_predictions": 1,
            "comment_count": 0,
        },
        {
            "id": 2,
            "data": {"text": "No fever."},
            "annotations": [
                {
                    "id": 1004,
                    "completed_by": {"id": 12, "username": "lsuser", "email": "ls@example.org"},
                    "result": [],
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2021-03-13T08:00:00Z",
                    "updated_at": "2021-03-13T08:00:00Z",
                    "lead_time": None,
                },
                {
                    "id": 1005,
                    "completed_by": 11,  # erin again, named by id this time
                    "result": [],
                    "was_cancelled": False,
                    "created_at": "2021-03-14T08:00:00Z",
                    "updated_at": "2021-03-14T08:00:00Z",
                },
            ],
            "drafts": [],
            "predictions": [],
        },
    ]


def test_a_label_studio_export_imports_as_it_is(project: Project) -> None:
    payload = json.dumps(label_studio_export()).encode()

    result = tasks_import(project=project, payload=payload, filename="project-83-at-2021.json")

    assert (result.task_count, result.completion_count, result.prediction_count) == (2, 5, 1)
    first, second = (Task.objects.get(pk=pk) for pk in result.task_ids)
    assert (first.external_id, second.external_id) == ("1", "2")
    assert first.data == {"text": TEXT}

    by_id, by_object, draft = first.completions.order_by("id")
    # an id without an object: a placeholder user named after it
    assert by_id.created_by.username == "ls-user-10"
    assert by_id.status == CompletionStatus.SUBMITTED
    assert by_id.ground_truth is True
    assert by_id.lead_time == pytest.approx(4.288)
    assert by_id.created_at == datetime(2021, 3, 9, 22, 16, 8, 728353, tzinfo=UTC)
    assert by_id.submitted_at == datetime(2021, 3, 9, 22, 20, tzinfo=UTC)
    assert by_id.external_id == "1001"
    assert by_id.result[0]["value"]["labels"] == ["Symptom"]
    # an object without a username: named by email; the draft's author is the same person
    erin = by_object.created_by
    assert (erin.username, erin.email) == ("erin@example.org", "erin@example.org")
    assert by_object.status == CompletionStatus.SUBMITTED
    assert draft.created_by == erin
    assert draft.status == CompletionStatus.DRAFT
    assert draft.submitted_at is None
    assert draft.lead_time == 9.5
    # the cancelled annotation (a skip) is no completion
    assert not Completion.objects.filter(external_id="1003").exists()

    with_username, erin_by_id = second.completions.order_by("id")
    assert with_username.created_by.username == "lsuser"
    assert erin_by_id.created_by == erin

    for user in User.objects.filter(username__in=["ls-user-10", "erin@example.org", "lsuser"]):
        assert not user.is_active
        assert not user.has_usable_password()
    assert User.objects.count() == 4  # alice and the three Label Studio people

    prediction = first.predictions.get()
    assert (prediction.model_name, prediction.score) == ("model 1", 0.25)
    assert prediction.created_at == datetime(2021, 3, 8, tzinfo=UTC)


def test_a_label_studio_region_outside_the_config_is_reported(project: Project) -> None:
    export = label_studio_export()
    export[1]["annotations"][0]["result"] = [
        {
            "id": "k1",
            "from_name": "label",
            "to_name": "text",
            "type": "hypertextlabels",
            "value": {"start": 3, "end": 8, "text": "fever", "hypertextlabels": ["Symptom"]},
        }
    ]

    error = import_error(project, export)

    assert error.errors == [
        {
            "index": 1,
            "message": "annotation 0, region k1: unsupported region type 'hypertextlabels' "
            "(only 'labels' and 'choices')",
        }
    ]


def test_predictions_score_is_given_or_the_mean_confidence_clipped(project: Project) -> None:
    predictions = [
        {"model": "a", "score": 1.7, "certainty": -0.2, "result": []},
        {"created_username": "b", "result": [region(confidence=0.2), region(confidence=0.6)]},
        {"model_version": "c", "result": [{**region(), "score": 0.9}]},
        {"model": "d", "result": [region()]},
        {"result": []},
    ]

    tasks_import(project=project, payload=[task(predictions=predictions)])

    stored = {p.model_name: p.score for p in Prediction.objects.all()}
    assert stored == pytest.approx({"a": 1.0, "b": 0.4, "c": 0.9, "d": None, "imported": None})
    # annolab's own export carries certainty; clipped like the score, absent elsewhere.
    certainties = {p.model_name: p.certainty for p in Prediction.objects.all()}
    assert certainties == {"a": 0.0, "b": None, "c": None, "d": None, "imported": None}


def test_a_txt_file_is_one_task(project: Project) -> None:
    content = "Patient denies chest pain.\nNo fever.\n"

    result = tasks_import(project=project, payload=content.encode(), filename="Note.TXT")

    assert result.task_count == 1
    assert Task.objects.get().data == {"text": content}


def test_a_csv_file_is_one_task_per_row_with_every_column_in_data(project: Project) -> None:
    content = 'id,text,source\n1,"Fever, cough.",er\n\n2,"He said ""no"".",gp\n'

    result = tasks_import(
        project=project, payload=b"\xef\xbb\xbf" + content.encode(), filename="a.csv"
    )

    assert result.task_count == 2
    assert [Task.objects.get(pk=pk).data for pk in result.task_ids] == [
        {"id": "1", "text": "Fever, cough.", "source": "er"},
        {"id": "2", "text": 'He said "no".', "source": "gp"},
    ]


@pytest.mark.parametrize(
    ("payload", "filename", "detail"),
    [
        pytest.param(
            b'[{"data": {"text": "a"}},\n {"data": }]',
            "tasks.json",
            "Malformed JSON at line 2, column 11: Expecting value.",
            id="json",
        ),
        pytest.param(
            '{"data": {"text": "a"}}',
            None,
            "The JSON must be an array of tasks, not an object.",
            id="json-object",
        ),
        pytest.param(
            b"Fi\xe8vre.\n",
            "note.txt",
            "The file is not valid UTF-8: byte 0xe8 at line 1 (byte offset 2) cannot be decoded.",
            id="utf-8",
        ),
        pytest.param(
            b"note,source\nFever.,er\n",
            "a.csv",
            "The CSV header has no 'text' column (it has 'note', 'source').",
            id="csv-no-text",
        ),
        pytest.param(
            b"text,source\nFever.,er,extra\n",
            "a.csv",
            "Malformed CSV at line 2: 3 fields, but the header has 2.",
            id="csv-fields",
        ),
        pytest.param(
            b'text\n"Fever."x\n',
            "a.csv",
            "Malformed CSV at line 2: ',' expected after '\"'.",
            id="csv-quote",
        ),
        pytest.param(
            b"text\n", "a.csv", "Nothing to import: the upload holds no tasks.", id="csv-empty"
        ),
        pytest.param(
            b"<tasks/>",
            "tasks.xml",
            "Unsupported file type '.xml'; upload a .json, .txt or .csv file.",
            id="file-type",
        ),
    ],
)
def test_an_unreadable_file_is_refused_with_a_precise_message(
    project: Project, payload: bytes | str, filename: str | None, detail: str
) -> None:
    error = import_error(project, payload, filename)

    assert error.detail == detail
    assert error.errors == [{"message": detail}]
    assert not Task.objects.exists()


def test_imports_do_not_count_as_new_labeling_work(project: Project) -> None:
    heard: list[Any] = []

    def listener(**kwargs: Any) -> None:
        heard.append(kwargs)

    post_save.connect(listener, sender=Completion, dispatch_uid="test-imports-post-save")
    completion_submitted.connect(listener, dispatch_uid="test-imports-submitted")
    try:
        tasks_import(project=project, payload=[task(completions=[completion()])])
    finally:
        post_save.disconnect(dispatch_uid="test-imports-post-save", sender=Completion)
        completion_submitted.disconnect(dispatch_uid="test-imports-submitted")

    assert Completion.objects.filter(status=CompletionStatus.SUBMITTED).count() == 1
    assert heard == []


def rich_tasks(count: int, suffix: str) -> list[dict[str, Any]]:
    review = {"approved": True, "reviewer": f"reviewer-{suffix}", "comment": ""}
    return [
        task(
            id=n,
            tags=["train", f"batch-{suffix}"],
            completions=[
                completion(created_username=f"author-{suffix}", review_status=review),
                completion(created_username=f"other-{suffix}", submitted_at=None),
            ],
            predictions=[
                {"model": "m", "created_at": "2026-01-01T00:00:00Z", "result": [region()]}
            ],
        )
        for n in range(count)
    ]


def test_the_number_of_queries_does_not_grow_with_the_number_of_tasks(project: Project) -> None:
    with CaptureQueriesContext(connection) as ten:
        tasks_import(project=project, payload=rich_tasks(10, "ten"))
    with CaptureQueriesContext(connection) as hundred:
        tasks_import(project=project, payload=rich_tasks(100, "hundred"))

    assert len(hundred.captured_queries) == len(ten.captured_queries)
    assert Completion.objects.count() == 220
    assert Review.objects.count() == 110
    assert Completion.objects.filter(latest_review__isnull=False).count() == 110
