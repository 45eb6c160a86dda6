"""api.md "Tasks, import, export", through the URL router: each row's success, its 403/404 and
its 400 field. Anonymous 401 and both trailing-slash forms: test_contract_conventions.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services as project_services
from projects.models import Completion, Project, Task
from tests.api.contract import TASK, assert_error, assert_page, carries
from tests.personas import span

TEXT = "Patient denies chest pain."


def imported_task(**extra: Any) -> dict[str, Any]:
    """A task of api.md's task format with one submitted, starred completion."""
    return {
        "id": 17,
        "data": {"text": TEXT},
        "tags": ["train"],
        "completions": [
            {
                "created_username": "anna",
                "created_at": "2026-01-02T10:00:00Z",
                "submitted_at": "2026-01-02T10:05:00Z",
                "honeypot": True,
                "lead_time": 12.5,
                "result": [
                    span(TEXT, "chest pain", "Symptom", "r1"),
                    span(TEXT, "chest pain", "Absent", "r2"),
                ],
            }
        ],
        "predictions": [],
        **extra,
    }


@pytest.fixture
def labelled(project: Project, make_task: Any, anna: Any, alice: Any) -> Task:
    """A task tagged ``train`` with anna's submitted completion (Symptom, absent)."""
    task = make_task(TEXT)
    project_services.task_update(task=task, actor=alice, tags=["train"])
    project_services.completion_create(
        task=task,
        actor=anna,
        result=[
            span(TEXT, "chest pain", "Symptom", "r1"),
            span(TEXT, "chest pain", "Absent", "r2"),
        ],
        submit=True,
    )
    return task


# --- POST /api/projects/{name}/import -------------------------------------------------------------


def test_import_of_a_json_array_answers_the_counts_and_ids(
    api: Any, mike: Any, project: Project
) -> None:
    response = api(mike).post(
        "/api/projects/clinic/import",
        [imported_task(), {"data": {"text": "No fever."}}],
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    tasks = list(Task.objects.filter(project=project).order_by("id"))
    assert body == {
        "task_count": 2,
        "completion_count": 1,
        "prediction_count": 0,
        "failed_count": 0,
        "task_ids": [t.pk for t in tasks],
    }
    assert [t.data["text"] for t in tasks] == [TEXT, "No fever."]


def test_import_of_a_multipart_file(api: Any, mike: Any, project: Project) -> None:
    upload = SimpleUploadedFile("note.txt", b"Patient reports a headache.", "text/plain")
    response = api(mike).post("/api/projects/clinic/import", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["task_count"] == 1 and response.json()["failed_count"] == 0
    assert Task.objects.get(project=project).data["text"] == "Patient reports a headache."


def test_import_names_each_bad_task_by_index_and_stores_nothing(
    api: Any, mike: Any, project: Project
) -> None:
    bad_span = imported_task()
    bad_span["completions"][0]["result"][0]["value"]["text"] = "chest"
    response = api(mike).post(
        "/api/projects/clinic/import",
        [{"data": {"text": "fine"}}, bad_span, {"data": {}}],
        format="json",
    )
    body = assert_error(response, 400)
    assert sorted({e["index"] for e in body["errors"]}) == [1, 2]
    not_a_list = api(mike).post("/api/projects/clinic/import", {"data": {}}, format="json")
    assert_error(not_a_list, 400)
    assert not Task.objects.exists() and not Completion.objects.exists()


def test_import_is_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project
) -> None:
    for user in (anna, rita):
        assert_error(
            api(user).post("/api/projects/clinic/import", [{"data": {"text": "x"}}], format="json"),
            403,
        )
    assert_error(
        api(oscar).post("/api/projects/clinic/import", [{"data": {"text": "x"}}], format="json"),
        404,
    )
    assert not Task.objects.exists()


# --- GET /api/projects/{name}/export --------------------------------------------------------------


def test_json_export_is_the_task_format(
    api: Any, mike: Any, anna: Any, project: Project, labelled: Task, make_task: Any
) -> None:
    make_task("Untagged, unlabelled.")
    response = api(mike).get("/api/projects/clinic/export?format=json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    exported = response.json()
    assert [t["data"]["text"] for t in exported] == [TEXT, "Untagged, unlabelled."]
    first = exported[0]
    assert first["id"] == labelled.pk and first["tags"] == ["train"]
    completion = first["completions"][0]
    assert completion["created_username"] == "anna" and completion["submitted_at"]
    assert [r["value"]["labels"] for r in completion["result"]] == [["Symptom"], ["Absent"]]
    only_train = api(mike).get("/api/projects/clinic/export?format=json&tags=train").json()
    assert [t["id"] for t in only_train] == [labelled.pk]
    starred = make_task(TEXT)
    project_services.completion_create(
        task=starred, actor=anna, result=[], submit=True, ground_truth=True
    )
    ground_truth = api(mike).get("/api/projects/clinic/export?ground_truth=1").json()
    # every task, with its starred completions only
    assert [[c["honeypot"] for c in t["completions"]] for t in ground_truth] == [[], [], [True]]


def test_conll_export_is_conll_2003_text(
    api: Any, mike: Any, project: Project, labelled: Task
) -> None:
    response = api(mike).get("/api/projects/clinic/export?format=conll")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "-DOCSTART- -X- -X- O"
    assert "chest -X- -X- B-Symptom" in lines and "pain -X- -X- I-Symptom" in lines
    assert "Patient -X- -X- O" in lines
    assert not any("Absent" in line for line in lines)  # assertion labels are excluded


def test_export_of_an_unknown_format_is_400_naming_format(
    api: Any, mike: Any, project: Project
) -> None:
    assert_error(api(mike).get("/api/projects/clinic/export?format=xml"), 400, field="format")


def test_export_is_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project, labelled: Task
) -> None:
    for user in (anna, rita):
        assert_error(api(user).get("/api/projects/clinic/export"), 403)
        assert_error(api(user).get("/api/projects/clinic/export?format=conll"), 403)
    assert_error(api(oscar).get("/api/projects/clinic/export?format=json"), 404)
    assert_error(api(oscar).get("/api/projects/clinic/export?format=conll"), 404)
    assert_error(api(anna).get("/api/projects/nowhere/export?format=conll"), 404)


# --- GET /api/projects/{name}/tasks/ --------------------------------------------------------------


def test_task_list_is_paginated_and_filters_by_tags_and_status(
    api: Any, rita: Any, project: Project, labelled: Task, make_task: Any
) -> None:
    open_task = make_task("Still open.")
    results = assert_page(api(rita).get("/api/projects/clinic/tasks/"), count=2)
    for task in results:
        carries(task, TASK)
    assert [(t["id"], t["status"]) for t in results] == [
        (labelled.pk, "submitted"),
        (open_task.pk, "incomplete"),
    ]
    tagged = assert_page(api(rita).get("/api/projects/clinic/tasks/?tags=train,gold"), count=1)
    assert tagged[0]["id"] == labelled.pk and tagged[0]["tags"] == ["train"]
    incomplete = assert_page(api(rita).get("/api/projects/clinic/tasks/?status=incomplete"))
    assert [t["id"] for t in incomplete] == [open_task.pk]


def test_task_list_refuses_an_unknown_status(api: Any, rita: Any, project: Project) -> None:
    assert_error(api(rita).get("/api/projects/clinic/tasks/?status=done"), 400, field="status")


def test_task_list_is_404_for_outsiders(api: Any, oscar: Any, project: Project) -> None:
    assert_error(api(oscar).get("/api/projects/clinic/tasks/"), 404)
    assert_error(api(oscar).get("/api/projects/nowhere/tasks/"), 404)


# --- GET, PATCH, DELETE /api/projects/{name}/tasks/{id}/ ------------------------------------------


def test_task_detail_for_members_404_for_others_and_unknown_ids(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project, labelled: Task
) -> None:
    for user in (anna, rita):
        response = api(user).get(f"/api/projects/clinic/tasks/{labelled.pk}/")
        assert response.status_code == 200
        carries(response.json(), TASK)
        assert response.json()["data"] == {"text": TEXT}
    assert_error(api(oscar).get(f"/api/projects/clinic/tasks/{labelled.pk}/"), 404)
    assert_error(api(anna).get(f"/api/projects/clinic/tasks/{labelled.pk + 1000}/"), 404)


def test_a_task_of_another_project_is_404(
    api: Any, alice: Any, project: Project, labelled: Task
) -> None:
    other = project_services.project_create(owner=alice, name="other")
    assert_error(api(alice).get(f"/api/projects/{other.name}/tasks/{labelled.pk}/"), 404)


def test_task_patch_sets_tags_reviewer_and_annotators(
    api: Any, mike: Any, project: Project, labelled: Task
) -> None:
    response = api(mike).patch(
        f"/api/projects/clinic/tasks/{labelled.pk}/",
        {"tags": ["gold", "train"], "reviewer": "rita", "annotators": ["anna", "mike"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    carries(body, TASK)
    assert body["tags"] == ["gold", "train"] and body["reviewer"] == "rita"
    assert body["annotators"] == ["anna", "mike"]
    cleared = api(mike).patch(
        f"/api/projects/clinic/tasks/{labelled.pk}/", {"reviewer": None}, format="json"
    )
    assert cleared.status_code == 200 and cleared.json()["reviewer"] is None


def test_task_patch_names_the_bad_field_and_stores_nothing(
    api: Any, mike: Any, oscar: Any, project: Project, labelled: Task
) -> None:
    url = f"/api/projects/clinic/tasks/{labelled.pk}/"
    client = api(mike)
    assert_error(client.patch(url, {"reviewer": "nobody"}, format="json"), 400, field="reviewer")
    assert_error(
        client.patch(url, {"annotators": ["nobody"]}, format="json"), 400, field="annotators"
    )
    assert_error(client.patch(url, {"tags": "train"}, format="json"), 400, field="tags")
    # oscar exists but is not a member: he can neither review nor annotate this task
    assert_error(client.patch(url, {"reviewer": "oscar"}, format="json"), 400, field="reviewer")
    assert_error(
        client.patch(url, {"annotators": ["oscar"]}, format="json"), 400, field="annotators"
    )
    labelled.refresh_from_db()
    assert labelled.reviewer is None and not labelled.annotators.exists()


def test_task_patch_and_delete_are_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project, labelled: Task
) -> None:
    url = f"/api/projects/clinic/tasks/{labelled.pk}/"
    for user in (anna, rita):
        assert_error(api(user).patch(url, {"tags": ["mine"]}, format="json"), 403)
        assert_error(api(user).delete(url), 403)
    assert_error(api(oscar).patch(url, {"tags": ["mine"]}, format="json"), 404)
    assert_error(api(oscar).delete(url), 404)
    assert Task.objects.filter(pk=labelled.pk).exists()
    assert [t.name for t in Task.objects.get(pk=labelled.pk).tags.all()] == ["train"]


def test_task_delete_answers_204_and_removes_it(
    api: Any, mike: Any, project: Project, labelled: Task
) -> None:
    assert api(mike).delete(f"/api/projects/clinic/tasks/{labelled.pk}/").status_code == 204
    assert not Task.objects.filter(pk=labelled.pk).exists()
    assert_error(api(mike).delete(f"/api/projects/clinic/tasks/{labelled.pk}/"), 404)
