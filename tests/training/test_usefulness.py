"""Does pre-annotation help? ``GET /api/models/{name}/usefulness`` on crafted completions.

Every number asserted here is counted by hand in the comments next to the data: what each
annotator did with each predicted region (kept, relabelled, moved, deleted, added), for an NER, an
assertion and a classification model, beside a prediction by another model and a draft that must
not count. No Spark: the predictions are rows, as pre-annotation would have stored them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from projects import services as project_services
from projects.models import Completion, Prediction, Project, Task
from projects.prediction_diff import Outcome, Span, match_spans
from tests.personas import choice, span
from tests.training.test_training_api import model_row
from training.models import NlpModel

pytestmark = pytest.mark.django_db

TEXT = "Patient denies chest pain but has pneumonia and a cough with fever since Monday."
NER = "ner_clinic_annotation_manual_v1"
ASSERTION = "assertion_clinic_annotation_manual_v1"
AGE = "classification_clinic_age_annotation_manual_v1"
# Its name contains NER's: a LIKE alone would count its predictions for NER.
OTHER_NER = "ner_clinic_annotation_manual_v10"
ALL_THREE = f"{NER}+{ASSERTION}+{AGE}"


def status(fragment: str, value: str) -> dict[str, Any]:
    """An assertion status: a second labels region on the entity's span."""
    return span(TEXT, fragment, value, region_id=f"s-{fragment}-{value}")


@pytest.fixture
def models(project: Project) -> dict[str, NlpModel]:
    return {
        "ner": model_row(project, NER, "ner", ["Symptom", "Disease"]),
        "assertion": model_row(project, ASSERTION, "assertion", ["Absent", "Present"]),
        "age": model_row(project, AGE, "classification", ["Child", "Adult"], choices_group="age"),
        "other": model_row(project, OTHER_NER, "ner", ["Symptom", "Disease"]),
    }


def started_from(
    task: Task,
    annotator: Any,
    model_name: str | None,
    predicted: list[dict[str, Any]],
    completed: list[dict[str, Any]],
    *,
    lead_time: float | None,
    submit: bool = True,
) -> Completion:
    """A completion of ``task`` that started from a prediction of ``model_name`` (None: none)."""
    prediction = (
        Prediction.objects.create(task=task, model_name=model_name, score=0.8, result=predicted)
        if model_name
        else None
    )
    return project_services.completion_create(
        task=task,
        actor=annotator,
        result=completed,
        submit=submit,
        lead_time=lead_time,
        prediction=prediction.pk if prediction else None,
    )


@pytest.fixture
def crafted(project: Project, make_task: Any, anna: Any, models: dict[str, NlpModel]) -> None:
    # Task 1, all three models. NER: chest pain kept; pneumonia relabelled Disease → Symptom
    # (changed); cough → "a cough" (moved boundary: changed); Monday deleted; fever added.
    # Assertion: Absent on chest pain kept. Age: Adult kept. Smoking is no model's: ignored.
    started_from(
        make_task(TEXT),
        anna,
        ALL_THREE,
        [
            span(TEXT, "chest pain", "Symptom"),
            status("chest pain", "Absent"),
            span(TEXT, "pneumonia", "Disease"),
            span(TEXT, "cough", "Symptom"),
            span(TEXT, "Monday", "Disease"),
            choice("age", "Adult"),
            choice("smoking", "Smoker"),
        ],
        [
            span(TEXT, "chest pain", "Symptom"),
            status("chest pain", "Absent"),
            span(TEXT, "pneumonia", "Symptom"),
            span(TEXT, "a cough", "Symptom"),
            span(TEXT, "fever", "Disease"),
            choice("age", "Adult"),
            choice("smoking", "Nonsmoker"),
        ],
        lead_time=10,
    )
    # Task 2. NER: pneumonia kept. Assertion: Present → Absent (changed). Age: Child predicted,
    # nothing chosen (deleted).
    started_from(
        make_task(TEXT),
        anna,
        ALL_THREE,
        [
            span(TEXT, "pneumonia", "Disease"),
            status("pneumonia", "Present"),
            choice("age", "Child"),
        ],
        [span(TEXT, "pneumonia", "Disease"), status("pneumonia", "Absent")],
        lead_time=20,
    )
    # Task 3, saved as a draft and submitted 30 s later without a lead_time. NER: chest pain
    # kept. Assertion: Present added. Age: nothing predicted, Adult chosen (added).
    third = started_from(
        make_task(TEXT),
        anna,
        ALL_THREE,
        [span(TEXT, "chest pain", "Symptom")],
        [
            span(TEXT, "chest pain", "Symptom"),
            status("chest pain", "Present"),
            choice("age", "Adult"),
        ],
        lead_time=None,
        submit=False,
    )
    project_services.completion_submit(completion=third, actor=anna)
    third.refresh_from_db()
    Completion.objects.filter(pk=third.pk).update(
        created_at=third.submitted_at - timedelta(seconds=30)
    )
    # Task 4, the classifier alone: Child predicted, Adult chosen (changed). The chest pain span
    # the annotator drew is not NER's: no NER model predicted this task.
    started_from(
        make_task(TEXT),
        anna,
        AGE,
        [choice("age", "Child")],
        [choice("age", "Adult"), span(TEXT, "chest pain", "Symptom")],
        lead_time=25,
    )
    # Task 5, another NER model (its name contains NER's): counts for neither of ours.
    started_from(
        make_task(TEXT),
        anna,
        OTHER_NER,
        [span(TEXT, "chest pain", "Symptom")],
        [],
        lead_time=99,
    )
    # Task 6, a draft that started from NER: not submitted, not counted.
    started_from(
        make_task(TEXT),
        anna,
        ALL_THREE,
        [span(TEXT, "chest pain", "Symptom")],
        [],
        lead_time=5,
        submit=False,
    )
    # Tasks 7-9, work from scratch: 40 s and 60 s, and one submitted at once with no time at all
    # (left out of the median, not counted as 0 s).
    for lead_time in (40, 60, None):
        started_from(
            make_task(TEXT), anna, None, [], [span(TEXT, "fever", "Disease")], lead_time=lead_time
        )


def counts(predicted: int, kept: int, changed: int, deleted: int, added: int) -> dict[str, Any]:
    return {
        "predicted": predicted,
        "kept": kept,
        "changed": changed,
        "deleted": deleted,
        "added": added,
        "acceptance": pytest.approx(kept / predicted) if predicted else None,
    }


@pytest.mark.usefixtures("crafted")
def test_ner_counts_kept_relabelled_moved_deleted_and_added_regions(api: Any, rita: Any) -> None:
    response = api(rita).get(f"/api/models/{NER}/usefulness")
    assert response.status_code == 200, response.content
    body = response.json()
    # Tasks 1, 2, 3. Kept: chest pain (1), pneumonia (2), chest pain (3); changed: pneumonia
    # relabelled and cough moved (1); deleted: Monday (1); added: fever (1).
    assert {k: body[k] for k in ("tasks", "predicted_regions", "kept", "changed", "deleted")} == {
        "tasks": 3,
        "predicted_regions": 6,
        "kept": 3,
        "changed": 2,
        "deleted": 1,
    }
    assert body["added"] == 1
    assert body["per_label"] == {
        # chest pain ×2 kept, cough moved.
        "Symptom": counts(predicted=3, kept=2, changed=1, deleted=0, added=0),
        # pneumonia kept (2) and relabelled (1), Monday deleted, fever added.
        "Disease": counts(predicted=3, kept=1, changed=1, deleted=1, added=1),
    }
    # Lead times 10, 20 and 30 (task 3: draft to submit) against 40 and 60 from scratch.
    assert body["lead_time"] == {"with_prediction": 20, "without_prediction": 50}


@pytest.mark.usefixtures("crafted")
def test_assertion_counts_status_regions_only(api: Any, anna: Any) -> None:
    body = api(anna).get(f"/api/models/{ASSERTION}/usefulness").json()
    # Absent kept (1), Present → Absent (2), Present added (3); the entity spans are NER's.
    assert (body["tasks"], body["predicted_regions"]) == (3, 2)
    assert (body["kept"], body["changed"], body["deleted"], body["added"]) == (1, 1, 0, 1)
    assert body["per_label"] == {
        "Absent": counts(predicted=1, kept=1, changed=0, deleted=0, added=0),
        "Present": counts(predicted=1, kept=0, changed=1, deleted=0, added=1),
    }


@pytest.mark.usefixtures("crafted")
def test_classification_counts_one_outcome_per_task_in_its_group(api: Any, mike: Any) -> None:
    body = api(mike).get(f"/api/models/{AGE}/usefulness").json()
    # Adult kept (1), Child deleted (2), Adult added (3), Child → Adult (4); smoking ignored.
    assert (body["tasks"], body["predicted_regions"]) == (4, 3)
    assert (body["kept"], body["changed"], body["deleted"], body["added"]) == (1, 1, 1, 1)
    assert body["per_label"] == {
        "Child": counts(predicted=2, kept=0, changed=1, deleted=1, added=0),
        "Adult": counts(predicted=1, kept=1, changed=0, deleted=0, added=1),
    }
    assert body["acceptance"] == pytest.approx(1 / 3)
    assert body["lead_time"] == {"with_prediction": 22.5, "without_prediction": 50}


@pytest.mark.usefixtures("crafted")
def test_a_model_whose_name_another_contains_counts_only_its_own_predictions(
    api: Any, rita: Any
) -> None:
    body = api(rita).get(f"/api/models/{OTHER_NER}/usefulness").json()
    # Task 5 only: chest pain deleted.
    assert (body["tasks"], body["predicted_regions"], body["deleted"]) == (1, 1, 1)
    assert body["lead_time"] == {"with_prediction": 99, "without_prediction": 50}


def test_a_model_never_used_answers_zeros_and_nulls(
    api: Any, rita: Any, models: dict[str, NlpModel]
) -> None:
    body = api(rita).get(f"/api/models/{NER}/usefulness").json()
    assert body == {
        "model": NER,
        "tasks": 0,
        "predicted_regions": 0,
        "kept": 0,
        "changed": 0,
        "deleted": 0,
        "added": 0,
        "acceptance": None,
        "per_label": {
            "Symptom": counts(0, 0, 0, 0, 0),
            "Disease": counts(0, 0, 0, 0, 0),
        },
        "lead_time": {"with_prediction": None, "without_prediction": None},
    }


@pytest.mark.usefixtures("crafted")
def test_roles_outsiders_and_anonymous(api: Any, oscar: Any, alice: Any) -> None:
    assert api(alice).get(f"/api/models/{NER}/usefulness/").status_code == 200
    outsider = api(oscar).get(f"/api/models/{NER}/usefulness")
    assert outsider.status_code == 404
    assert outsider.json()["detail"]
    assert api(None).get(f"/api/models/{NER}/usefulness").status_code == 401
    assert api(alice).get("/api/models/no_such_model/usefulness").status_code == 404


def test_a_shared_model_counts_only_the_readers_projects(
    api: Any, project: Project, make_task: Any, anna: Any, oscar: Any, rita: Any
) -> None:
    shared = NlpModel.objects.create(
        name="clinical_ner_shared", type="ner", labels=["Disease"], source="registered", path="/m"
    )
    # In clinic: pneumonia kept. In oscar's radiology: pneumonia deleted, fever added.
    started_from(
        make_task(TEXT),
        anna,
        shared.name,
        [span(TEXT, "pneumonia", "Disease")],
        [span(TEXT, "pneumonia", "Disease")],
        lead_time=12,
    )
    radiology = project_services.project_create(
        owner=oscar, name="radiology", labeling_config=project.labeling_config
    )
    started_from(
        Task.objects.create(project=radiology, data={"text": TEXT}),
        oscar,
        shared.name,
        [span(TEXT, "pneumonia", "Disease")],
        [span(TEXT, "fever", "Disease")],
        lead_time=70,
    )
    mine = api(rita).get(f"/api/models/{shared.name}/usefulness").json()
    assert (mine["tasks"], mine["kept"], mine["deleted"], mine["added"]) == (1, 1, 0, 0)
    assert mine["lead_time"] == {"with_prediction": 12, "without_prediction": None}
    theirs = api(oscar).get(f"/api/models/{shared.name}/usefulness").json()
    assert (theirs["tasks"], theirs["kept"], theirs["deleted"], theirs["added"]) == (1, 0, 1, 1)
    assert theirs["lead_time"]["with_prediction"] == 70


def test_matching_is_one_to_one_exact_first_then_largest_overlap() -> None:
    # One predicted span over two drawn ones: the exact twin of another prediction is kept, the
    # larger overlap is the change, the smaller one is added.
    wide = Span(0, 20, frozenset({"Disease"}), 0)
    exact = Span(30, 35, frozenset({"Symptom"}), 1)
    matches = match_spans(
        [wide, exact],
        [
            Span(30, 35, frozenset({"Symptom"}), 0),
            Span(0, 4, frozenset({"Disease"}), 1),
            Span(5, 18, frozenset({"Symptom"}), 2),
        ],
    )
    found = {
        (m.outcome, m.predicted and m.predicted.index, m.completed and m.completed.index)
        for m in matches
    }
    assert found == {
        (Outcome.KEPT, 1, 0),
        (Outcome.CHANGED, 0, 2),
        (Outcome.ADDED, None, 1),
    }
    # Equal overlaps: the pair with the same labels wins, whatever the order of the result.
    predicted = [Span(0, 10, frozenset({"Disease"}), 0)]
    left = Span(0, 5, frozenset({"Symptom"}), 0)
    right = Span(5, 10, frozenset({"Disease"}), 1)
    for completed in ([left, right], [right, left]):
        changed = [m for m in match_spans(predicted, completed) if m.outcome is Outcome.CHANGED]
        assert [m.completed for m in changed] == [right]
