"""Regression tests for the defects seen at the HTTP edge (issue 16), each through the URL router
with the caller's role, where a client met it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from projects import services as project_services
from projects.models import Membership, Project, Task
from tests.personas import MIXED_CONFIG, make_user, span
from training.models import ModelSource, NlpModel, TrainingRun

TEXT = "Patient denies chest pain."


def url(project: Project, rest: str = "") -> str:
    return f"/api/projects/{project.name}/{rest}"


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """api.md's error shape: one sentence in ``detail`` and a list of ``errors``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"] and all(e["message"] for e in body["errors"])
    if field is not None:
        assert field in [e.get("field") for e in body["errors"]], body
    return body


# --- 1. ?format= is the export's, not DRF's renderer override --------------------------------


def test_conll_export_answers_conll_and_bad_formats_name_the_field(
    api: Any, alice: Any, anna: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    api(anna).post(
        url(project, f"tasks/{task.pk}/completions/"),
        {"result": [span(TEXT, "chest pain", "Symptom")], "submit": True},
        format="json",
    )
    conll = api(alice).get(url(project, "export?format=conll"))
    assert conll.status_code == 200
    assert conll["Content-Type"].startswith("text/plain")
    lines = conll.content.decode().splitlines()
    assert lines[0] == "-DOCSTART- -X- -X- O"
    assert "chest -X- -X- B-Symptom" in lines and "pain -X- -X- I-Symptom" in lines
    assert api(None).get(url(project, "export?format=conll")).status_code == 401
    assert_error(api(alice).get(url(project, "export?format=xml")), 400, "format")
    # Other endpoints ignore a `format` they do not take instead of answering 404.
    assert api(alice).get(url(project, "tasks/?format=json")).status_code == 200


# --- 3. a project's models stay in the project -------------------------------------------------


@pytest.fixture
def other_project(oscar: Any) -> Project:
    return project_services.project_create(
        owner=oscar, name="other-clinic", labeling_config=MIXED_CONFIG
    )


def model_of(project: Project | None, name: str, **extra: Any) -> NlpModel:
    return NlpModel.objects.create(
        name=name,
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        path=f"/models/{name}",
        source=extra.pop("source", ModelSource.TRAINED),
        **extra,
    )


def test_another_projects_model_is_invisible_and_cannot_be_deployed(
    api: Any, mike: Any, project: Project, other_project: Project
) -> None:
    foreign = model_of(other_project, "ner_other-clinic_annotation_manual_v1")
    assert api(mike).get(f"/api/models/{foreign.name}/").status_code == 404
    assert api(mike).get(f"/api/models/{foreign.name}/logs").status_code == 404
    listed = api(mike).get("/api/models/").json()["results"]
    assert foreign.name not in [m["name"] for m in listed]
    deploy = api(mike).post(url(project, "deploy"), {"models": [foreign.name]}, format="json")
    body = assert_error(deploy, 400, "models")
    assert foreign.name in body["detail"]
    project.refresh_from_db()
    assert foreign.name not in project.labeling_config


def test_a_config_cannot_name_another_projects_model(
    api: Any, mike: Any, project: Project, other_project: Project
) -> None:
    foreign = model_of(other_project, "ner_other-clinic_annotation_manual_v1")
    config = MIXED_CONFIG.replace(
        '<Label value="Symptom"/>', f'<Label value="Symptom" model="{foreign.name}"/>'
    )
    response = api(mike).put(url(project, "config"), {"labeling_config": config}, format="json")
    assert_error(response, 400, "labeling_config")
    validate = api(mike).post(
        url(project, "config/validate"), {"labeling_config": config}, format="json"
    )
    assert validate.json()["valid"] is False


def test_a_shared_registered_model_serves_every_project_and_shows_only_your_projects(
    api: Any, mike: Any, oscar: Any, project: Project, other_project: Project
) -> None:
    shared = model_of(None, "clinical_ner_shared", source=ModelSource.REGISTERED)
    for caller, target in ((mike, project), (oscar, other_project)):
        deployed = api(caller).post(url(target, "deploy"), {"models": [shared.name]}, format="json")
        assert deployed.status_code == 200, deployed.content
    seen_by_mike = api(mike).get(f"/api/models/{shared.name}/").json()
    assert seen_by_mike["deployed_in"] == ["clinic"]  # not oscar's project
    assert api(oscar).get(f"/api/models/{shared.name}/").json()["deployed_in"] == ["other-clinic"]


# --- 4. hostile input: a clear 400, nothing stored ---------------------------------------------


def test_integers_past_the_column_range_are_400s(
    api: Any, alice: Any, mike: Any, project: Project
) -> None:
    huge = 10**20
    make_user("newbie")
    member = api(alice).post(
        url(project, "members/"),
        {"username": "newbie", "role": "annotator", "priority": huge},
        format="json",
    )
    assert_error(member, 400, "priority")
    assert not Membership.objects.filter(user__username="newbie").exists()
    settings = api(mike).put(url(project, "active-learning"), {"frequency": huge}, format="json")
    assert_error(settings, 400, "frequency")
    assert api(mike).get(url(project, "active-learning")).json()["frequency"] == 50


def test_deeply_nested_and_malformed_json_bodies_are_400s_with_errors(
    api: Any, mike: Any, project: Project
) -> None:
    client = api(mike)
    deep = "[" * 50_000 + "]" * 50_000
    for body in (deep, '{"deploy": true', '{"deploy": NaN}', b"\xff\xfe"):
        response = client.post(url(project, "trainings/"), body, content_type="application/json")
        assert_error(response, 400)
    nested = {"params": {"tags": [[[[["x"]]]]]}}
    for _ in range(100):
        nested = {"params": nested}
    response = client.post(url(project, "trainings/"), nested, format="json")
    assert_error(response, 400)
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"])
def test_unstorable_text_is_refused_and_the_project_keeps_working(
    api: Any, alice: Any, project: Project, bad: str
) -> None:
    client = api(alice)
    tasks = [
        {"data": {"text": "Fine text."}},
        {"data": {"text": f"Chest {bad} pain."}, "tags": ["t"]},
        {"data": {"text": "Also fine."}, "tags": [f"tag{bad}"]},
    ]
    # json.dumps escapes the lone surrogate as \ud800, which a client may well send.
    response = client.post(
        url(project, "import"), json.dumps(tasks), content_type="application/json"
    )
    body = assert_error(response, 400)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "data.text"), (2, "tags.0")]
    upload = client.post(
        url(project, "import"),
        {"file": _upload("notes.txt", f"Chest {bad} pain.".encode("utf-8", "surrogatepass"))},
    )
    assert upload.status_code == 400
    assert not Task.objects.filter(project=project).exists()
    # What is stored still lists and exports.
    assert client.get(url(project, "tasks/")).status_code == 200
    assert client.get(url(project, "export?format=json")).status_code == 200


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_nul_in_query_or_path_is_a_400(api: Any, alice: Any, project: Project) -> None:
    assert_error(api(alice).get(url(project, "tasks/?tags=a%00b")), 400, "tags")
    assert_error(api(alice).get("/api/projects/cli%00nic/"), 400, "path")


def test_bad_query_values_are_400s_naming_the_parameter(
    api: Any, alice: Any, project: Project
) -> None:
    client = api(alice)
    assert_error(client.get(url(project, "tasks/?status=finished")), 400, "status")
    assert_error(client.get(url(project, "tasks/?page=0")), 400, "page")
    assert_error(client.get("/api/models/?type=tagger"), 400, "type")
    assert_error(client.get(url(project, "export?ground_truth=maybe")), 400, "ground_truth")
    assert_error(client.get(url(project, "next-task?strategy=fastest")), 400, "strategy")
    # An unknown path under /api/ answers the API's 404, not the HTML page.
    missing = client.get("/api/completions/not-a-number/")
    assert_error(missing, 404)


def test_json_types_are_not_coerced(api: Any, alice: Any, project: Project) -> None:
    response = api(alice).patch(url(project), {"description": 0}, format="json")
    assert_error(response, 400, "description")
    response = api(alice).post(url(project, "trainings/"), {"deploy": "yes"}, format="json")
    assert_error(response, 400, "deploy")


def test_tasks_are_assigned_only_to_members_who_may_do_the_work(
    api: Any, mike: Any, oscar: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    client = api(mike)
    task_url = url(project, f"tasks/{task.pk}/")
    outsider = client.patch(task_url, {"annotators": ["oscar"]}, format="json")
    assert_error(outsider, 400, "annotators")
    assert_error(client.patch(task_url, {"reviewer": "oscar"}, format="json"), 400, "reviewer")
    # anna annotates but does not review; rita reviews but does not annotate.
    assert_error(client.patch(task_url, {"reviewer": "anna"}, format="json"), 400, "reviewer")
    assert_error(client.patch(task_url, {"annotators": ["rita"]}, format="json"), 400, "annotators")
    task.refresh_from_db()
    assert task.reviewer is None and not task.annotators.exists()
    ok = client.patch(
        url(project, f"tasks/{task.pk}/"),
        {"annotators": ["anna"], "reviewer": "rita"},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["annotators"] == ["anna"] and ok.json()["reviewer"] == "rita"


def test_a_missing_embeddings_file_is_refused_at_request_time(
    api: Any, mike: Any, project: Project, settings: Any, tmp_path: Path
) -> None:
    settings.EMBEDDINGS_DIR = tmp_path
    params = {"embeddings": {"source": "file", "path": "pubmed.txt"}}
    response = api(mike).post(url(project, "trainings/"), {"params": params}, format="json")
    body = assert_error(response, 400, "params.embeddings.path")
    assert "pubmed.txt" in body["detail"]
    settings_put = api(mike).put(url(project, "active-learning"), {"params": params}, format="json")
    assert_error(settings_put, 400, "params.embeddings.path")
    assert not TrainingRun.objects.exists()


def test_the_worker_schedules_exist_after_migrating(db: None) -> None:
    """GETs only read: reaping lost jobs and starting pending triggers are the worker's."""
    from django_q.models import Schedule

    schedules = dict(Schedule.objects.values_list("name", "func"))
    assert schedules["annolab: reap lost jobs"] == "training.tasks.reap_lost_jobs"
    assert schedules["annolab: start pending triggers"] == (
        "activelearning.tasks.start_pending_triggers"
    )
