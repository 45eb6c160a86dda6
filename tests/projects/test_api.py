"""The REST contract of the annotation core: auth, roles, conventions, completion workflow."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from projects.models import Completion, Project, Task
from tests.personas import MIXED_CONFIG, choice, span

TEXT = "Patient denies chest pain."


def url(project: Project, rest: str = "") -> str:
    return f"/api/projects/{project.name}/{rest}"


def test_anonymous_gets_401_and_token_login_works(api: Any, alice: Any, project: Project) -> None:
    response = api(None).get("/api/projects/")
    assert response.status_code == 401
    token = api(None).post(
        "/api/auth/token/", {"username": "alice", "password": "alice-password"}, format="json"
    )
    assert token.status_code == 200 and token.json()["token"]
    bad = api(None).post("/api/auth/token", {"username": "alice", "password": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["detail"]


def test_paths_work_with_and_without_trailing_slash(api: Any, alice: Any, project: Project) -> None:
    for path in ("/api/projects/clinic/", "/api/projects/clinic", "/api/projects/clinic/tasks"):
        assert api(alice).get(path).status_code == 200, path


def test_project_create_makes_the_caller_owner(api: Any, anna: Any) -> None:
    response = api(anna).post(
        "/api/projects/", {"name": "notes-2026", "labeling_config": MIXED_CONFIG}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == "anna" and body["selection_rule"] == "most_recent"
    members = api(anna).get("/api/projects/notes-2026/members/").json()
    assert members["results"] == [{"username": "anna", "role": "owner", "priority": 1}]


def test_project_create_rejects_bad_names_and_configs(api: Any, anna: Any) -> None:
    bad_name = api(anna).post("/api/projects/", {"name": "-bad name"}, format="json")
    assert bad_name.status_code == 400
    assert bad_name.json()["errors"][0]["field"] == "name"
    bad_config = api(anna).post(
        "/api/projects/",
        {
            "name": "p1",
            "labeling_config": "<View>\n<Labels name='l'>\n<Label value='A'/></Labels></View>",
        },
        format="json",
    )
    assert bad_config.status_code == 400
    errors = bad_config.json()["errors"]
    assert errors and all("line" in e for e in errors)
    assert not Project.objects.filter(name="p1").exists()


def test_outsider_sees_nothing(api: Any, oscar: Any, project: Project, make_task: Any) -> None:
    task = make_task(TEXT)
    client = api(oscar)
    assert client.get("/api/projects/").json()["count"] == 0
    assert client.get(url(project)).status_code == 404
    assert client.get(url(project, f"tasks/{task.pk}/")).status_code == 404
    assert (
        client.post(url(project, "import"), [{"data": {"text": "x"}}], format="json").status_code
        == 404
    )


def test_annotator_cannot_import_configure_or_review(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    client = api(anna)
    assert (
        client.post(url(project, "import"), [{"data": {"text": "x"}}], format="json").status_code
        == 403
    )
    assert (
        client.put(
            url(project, "config"), {"labeling_config": MIXED_CONFIG}, format="json"
        ).status_code
        == 403
    )
    assert client.patch(url(project), {"description": "mine"}, format="json").status_code == 403
    assert (
        client.post(
            url(project, "members/"), {"username": "oscar", "role": "annotator"}, format="json"
        ).status_code
        == 403
    )
    task = make_task(TEXT)
    created = client.post(
        url(project, f"tasks/{task.pk}/completions/"), {"result": [], "submit": True}, format="json"
    )
    assert created.status_code == 201
    review = client.post(
        f"/api/completions/{created.json()['id']}/review", {"approved": True}, format="json"
    )
    assert review.status_code == 403
    assert Task.objects.count() == 1


def test_reviewer_reviews_and_rejection_removes_the_star(
    api: Any, anna: Any, rita: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    created = (
        api(anna)
        .post(
            url(project, f"tasks/{task.pk}/completions/"),
            {"result": [span(TEXT, "chest pain", "Symptom")], "submit": True, "ground_truth": True},
            format="json",
        )
        .json()
    )
    assert created["ground_truth"] is True and created["status"] == "submitted"
    rejected = api(rita).post(
        f"/api/completions/{created['id']}/review",
        {"approved": False, "comment": "too short"},
        format="json",
    )
    assert rejected.status_code == 200
    body = rejected.json()
    assert body["ground_truth"] is False
    assert body["review"]["approved"] is False and body["review"]["reviewer"] == "rita"
    assert body["review"]["comment"] == "too short"
    task_view = api(rita).get(url(project, f"tasks/{task.pk}/")).json()
    assert task_view["status"] == "to_correct"
    accepted = api(rita).post(
        f"/api/completions/{created['id']}/review", {"approved": True}, format="json"
    )
    assert accepted.json()["review"]["approved"] is True
    assert api(rita).get(url(project, f"tasks/{task.pk}/")).json()["status"] == "reviewed"
    assert Completion.objects.get(pk=created["id"]).reviews.count() == 2


def test_draft_edit_submit_then_immutable(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    client = api(anna)
    draft = client.post(
        url(project, f"tasks/{task.pk}/completions/"), {"result": []}, format="json"
    ).json()
    assert draft["status"] == "draft" and draft["submitted_at"] is None
    assert client.get(url(project, f"tasks/{task.pk}/")).json()["status"] == "incomplete"
    edited = client.patch(
        f"/api/completions/{draft['id']}/",
        {"result": [span(TEXT, "chest pain", "Symptom")], "lead_time": 4.5},
        format="json",
    )
    assert edited.status_code == 200 and edited.json()["lead_time"] == 4.5
    submitted = client.post(f"/api/completions/{draft['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["submitted_at"]
    assert client.get(url(project, f"tasks/{task.pk}/")).json()["status"] == "submitted"
    again = client.patch(f"/api/completions/{draft['id']}", {"result": []}, format="json")
    assert again.status_code == 409
    assert client.post(f"/api/completions/{draft['id']}/submit").status_code == 409
    assert Completion.objects.get(pk=draft["id"]).result[0]["value"]["text"] == "chest pain"


def test_completion_with_undefined_label_is_refused(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    response = api(anna).post(
        url(project, f"tasks/{task.pk}/completions/"),
        {"result": [span(TEXT, "chest pain", "Fracture")], "submit": True},
        format="json",
    )
    assert response.status_code == 400
    assert "Fracture" in response.json()["detail"]
    assert not Completion.objects.exists()


def test_annotators_only_see_tasks_assigned_to_them_or_nobody(
    api: Any, alice: Any, anna: Any, mike: Any, project: Project, make_task: Any
) -> None:
    open_task = make_task("open")
    assigned = make_task("assigned to mike")
    api(alice).patch(url(project, f"tasks/{assigned.pk}/"), {"annotators": ["mike"]}, format="json")
    ids = [t["id"] for t in api(anna).get(url(project, "tasks/")).json()["results"]]
    assert ids == [open_task.pk]
    assert api(anna).get(url(project, f"tasks/{assigned.pk}/")).status_code == 404
    assert len(api(mike).get(url(project, "tasks/")).json()["results"]) == 2


def test_task_filters_tags_status_and_pagination(
    api: Any, alice: Any, anna: Any, project: Project, make_task: Any
) -> None:
    tasks = [make_task(f"text {n}") for n in range(105)]
    api(alice).patch(
        url(project, f"tasks/{tasks[0].pk}/"), {"tags": ["gold"], "reviewer": "rita"}, format="json"
    )
    api(anna).post(
        url(project, f"tasks/{tasks[1].pk}/completions/"),
        {"result": [], "submit": True},
        format="json",
    )
    first = api(alice).get(url(project, "tasks/")).json()
    assert first["count"] == 105 and len(first["results"]) == 100 and first["next"]
    assert len(api(alice).get(url(project, "tasks/?page=2")).json()["results"]) == 5
    tagged = api(alice).get(url(project, "tasks/?tags=gold")).json()["results"]
    assert [(t["id"], t["tags"], t["reviewer"]) for t in tagged] == [
        (tasks[0].pk, ["gold"], "rita")
    ]
    submitted = api(alice).get(url(project, "tasks/?status=submitted")).json()["results"]
    assert [t["id"] for t in submitted] == [tasks[1].pk]


def test_members_roles_and_owner_protection(
    api: Any, alice: Any, mike: Any, oscar: Any, project: Project
) -> None:
    added = api(mike).post(
        url(project, "members"),
        {"username": "oscar", "role": "reviewer", "priority": 2},
        format="json",
    )
    assert added.status_code == 201 and added.json() == {
        "username": "oscar",
        "role": "reviewer",
        "priority": 2,
    }
    assert (
        api(mike)
        .post(url(project, "members"), {"username": "oscar", "role": "owner"}, format="json")
        .status_code
        == 400
    )
    assert api(mike).delete(url(project, "members/alice/")).status_code == 403
    assert api(mike).delete(url(project, "members/oscar")).status_code == 204
    assert api(mike).delete(url(project)).status_code == 403
    assert api(alice).delete(url(project)).status_code == 204


def test_config_validate_and_put(api: Any, mike: Any, project: Project) -> None:
    broken = (
        "<View>\n  <Text name='text' value='$text'/>\n  <Labels name='l' toName='nowhere'>\n"
        "    <Label value='A'/>\n  </Labels>\n</View>"
    )
    check = api(mike).post(
        url(project, "config/validate"), {"labeling_config": broken}, format="json"
    )
    assert check.status_code == 200
    assert check.json()["valid"] is False and check.json()["errors"][0]["line"] == 3
    put = api(mike).put(url(project, "config"), {"labeling_config": broken}, format="json")
    assert put.status_code == 400 and put.json()["errors"][0]["line"] == 3
    assert Project.objects.get(pk=project.pk).labeling_config == MIXED_CONFIG
    ok = api(mike).put(
        url(project, "config/"),
        {"labeling_config": MIXED_CONFIG.replace("Child", "Kid")},
        format="json",
    )
    assert ok.status_code == 200 and "Kid" in ok.json()["labeling_config"]


@override_settings(MAX_JSON_BODY_BYTES=1000)
def test_oversized_body_gets_413(api: Any, alice: Any, project: Project) -> None:
    payload = [{"data": {"text": "x" * 2000}}]
    assert api(alice).post(url(project, "import"), payload, format="json").status_code == 413
    assert not Task.objects.exists()


def test_admin_creates_users_others_cannot(api: Any, site_admin: Any, alice: Any) -> None:
    created = api(site_admin).post(
        "/api/users/", {"username": "newbie", "password": "s3cret-pass"}, format="json"
    )
    assert created.status_code == 201 and created.json()["username"] == "newbie"
    assert (
        api(alice).post("/api/users", {"username": "x", "password": "y"}, format="json").status_code
        == 403
    )


def test_schema_describes_the_api(api: Any, alice: Any) -> None:
    response = api(alice).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/projects/{name}/training-data" in text and "openapi: 3" in text


@pytest.mark.parametrize(
    "value", [choice("age", "Adult"), choice("smoking", "Smoker", "Nonsmoker")]
)
def test_choices_results_accepted(
    api: Any, anna: Any, project: Project, make_task: Any, value: Any
) -> None:
    task = make_task(TEXT)
    response = api(anna).post(
        url(project, f"tasks/{task.pk}/completions/"), {"result": [value]}, format="json"
    )
    assert response.status_code == 201
