"""api.md "Completions and reviews", through the URL router: each row's success, its 403/404,
its 409 and its 400 field. Anonymous 401 and both trailing-slash forms:
test_contract_conventions.py."""

from __future__ import annotations

from typing import Any

import pytest

from projects import services as project_services
from projects.models import Completion, Task
from tests.api.contract import COMPLETION, REVIEW, assert_error, carries
from tests.personas import span

TEXT = "Patient denies chest pain."
RESULT = [span(TEXT, "chest pain", "Symptom")]


@pytest.fixture
def task(make_task: Any) -> Task:
    return make_task(TEXT)


@pytest.fixture
def draft(task: Task, anna: Any) -> Completion:
    return project_services.completion_create(task=task, actor=anna, result=[])


@pytest.fixture
def submitted(task: Task, anna: Any) -> Completion:
    return project_services.completion_create(task=task, actor=anna, result=RESULT, submit=True)


def completions(task: Task) -> str:
    return f"/api/projects/{task.project.name}/tasks/{task.pk}/completions/"


# --- POST /api/projects/{name}/tasks/{id}/completions/ --------------------------------------------


def test_completion_create_answers_201_completion(api: Any, anna: Any, task: Task) -> None:
    response = api(anna).post(
        completions(task),
        {"result": RESULT, "submit": True, "ground_truth": True, "lead_time": 7.5},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    carries(body, COMPLETION)
    assert body["task"] == task.pk and body["created_by"] == "anna"
    assert body["status"] == "submitted" and body["submitted_at"] and body["review"] is None
    assert body["ground_truth"] is True and body["lead_time"] == 7.5
    assert body["result"][0]["value"]["labels"] == ["Symptom"]
    draft = api(anna).post(completions(task), {"result": []}, format="json").json()
    assert draft["status"] == "draft" and draft["submitted_at"] is None


def test_completion_create_names_the_bad_field_and_stores_nothing(
    api: Any, anna: Any, task: Task
) -> None:
    client = api(anna)
    wrong_label = [span(TEXT, "chest pain", "Fracture")]
    assert_error(
        client.post(completions(task), {"result": wrong_label}, format="json"), 400, field="result"
    )
    assert_error(client.post(completions(task), {}, format="json"), 400, field="result")
    assert_error(
        client.post(completions(task), {"result": [], "lead_time": -1}, format="json"),
        400,
        field="lead_time",
    )
    assert_error(
        client.post(completions(task), {"result": [], "submit": "maybe"}, format="json"),
        400,
        field="submit",
    )
    assert not Completion.objects.exists()


def test_completion_create_is_for_annotating_roles(
    api: Any, rita: Any, oscar: Any, alice: Any, task: Task
) -> None:
    assert_error(api(rita).post(completions(task), {"result": []}, format="json"), 403)
    assert_error(api(oscar).post(completions(task), {"result": []}, format="json"), 404)
    unknown = f"/api/projects/clinic/tasks/{task.pk + 1000}/completions/"
    assert_error(api(alice).post(unknown, {"result": []}, format="json"), 404)
    assert not Completion.objects.exists()


# --- PATCH /api/completions/{id}/ -----------------------------------------------------------------


def test_draft_patch_changes_result_star_and_lead_time(
    api: Any, anna: Any, draft: Completion
) -> None:
    response = api(anna).patch(
        f"/api/completions/{draft.pk}/",
        {"result": RESULT, "ground_truth": True, "lead_time": 4.5},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    carries(body, COMPLETION)
    assert body["status"] == "draft" and body["ground_truth"] is True and body["lead_time"] == 4.5
    assert Completion.objects.get(pk=draft.pk).result == RESULT


def test_patch_of_a_submitted_completion_is_409(api: Any, anna: Any, submitted: Completion) -> None:
    response = api(anna).patch(f"/api/completions/{submitted.pk}/", {"result": []}, format="json")
    assert_error(response, 409)
    assert Completion.objects.get(pk=submitted.pk).result == RESULT


def test_draft_patch_names_the_bad_field(api: Any, anna: Any, draft: Completion) -> None:
    url = f"/api/completions/{draft.pk}/"
    wrong_label = [span(TEXT, "chest pain", "Fracture")]
    assert_error(api(anna).patch(url, {"result": wrong_label}, format="json"), 400, field="result")
    assert_error(api(anna).patch(url, {"lead_time": "slow"}, format="json"), 400, field="lead_time")
    assert Completion.objects.get(pk=draft.pk).result == []


def test_only_the_author_patches_a_draft(
    api: Any, mike: Any, rita: Any, oscar: Any, draft: Completion
) -> None:
    url = f"/api/completions/{draft.pk}/"
    for user in (mike, rita):
        assert_error(api(user).patch(url, {"result": RESULT}, format="json"), 403)
    assert_error(api(oscar).patch(url, {"result": RESULT}, format="json"), 404)
    assert_error(api(mike).patch(f"/api/completions/{draft.pk + 1000}/", {}, format="json"), 404)
    assert Completion.objects.get(pk=draft.pk).result == []


# --- POST /api/completions/{id}/submit ------------------------------------------------------------


def test_submit_answers_200_submitted_completion_then_409(
    api: Any, anna: Any, draft: Completion
) -> None:
    response = api(anna).post(f"/api/completions/{draft.pk}/submit")
    assert response.status_code == 200
    body = response.json()
    carries(body, COMPLETION)
    assert body["status"] == "submitted" and body["submitted_at"]
    assert_error(api(anna).post(f"/api/completions/{draft.pk}/submit"), 409)


def test_only_the_author_submits(api: Any, mike: Any, oscar: Any, draft: Completion) -> None:
    assert_error(api(mike).post(f"/api/completions/{draft.pk}/submit"), 403)
    assert_error(api(oscar).post(f"/api/completions/{draft.pk}/submit"), 404)
    assert_error(api(mike).post(f"/api/completions/{draft.pk + 1000}/submit"), 404)
    assert Completion.objects.get(pk=draft.pk).status == "draft"


# --- POST /api/completions/{id}/review ------------------------------------------------------------


def test_review_answers_200_completion_with_its_review(
    api: Any, rita: Any, mike: Any, alice: Any, submitted: Completion
) -> None:
    response = api(rita).post(
        f"/api/completions/{submitted.pk}/review",
        {"approved": False, "comment": "span too short"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    carries(body, COMPLETION)
    carries(body["review"], REVIEW)
    assert body["review"]["approved"] is False and body["review"]["reviewer"] == "rita"
    assert body["review"]["comment"] == "span too short" and body["review"]["reviewed_at"]
    for manager in (mike, alice):
        again = api(manager).post(
            f"/api/completions/{submitted.pk}/review", {"approved": True}, format="json"
        )
        assert again.status_code == 200 and again.json()["review"]["approved"] is True


def test_review_is_for_reviewer_manager_and_owner(
    api: Any, anna: Any, oscar: Any, submitted: Completion
) -> None:
    url = f"/api/completions/{submitted.pk}/review"
    assert_error(api(anna).post(url, {"approved": True}, format="json"), 403)
    assert_error(api(oscar).post(url, {"approved": True}, format="json"), 404)
    assert not submitted.reviews.exists()


def test_review_names_the_bad_field_and_refuses_drafts(
    api: Any, rita: Any, submitted: Completion, draft: Completion
) -> None:
    url = f"/api/completions/{submitted.pk}/review"
    assert_error(api(rita).post(url, {}, format="json"), 400, field="approved")
    assert_error(api(rita).post(url, {"approved": "perhaps"}, format="json"), 400, field="approved")
    assert_error(
        api(rita).post(f"/api/completions/{draft.pk}/review", {"approved": True}, format="json"),
        409,
    )
    assert_error(
        api(rita).post(
            f"/api/completions/{draft.pk + 1000}/review", {"approved": True}, format="json"
        ),
        404,
    )
    assert not submitted.reviews.exists()
