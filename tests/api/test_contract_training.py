"""api.md "Training data" and "Training", through the URL router: each row's success, its
403/404, its 409 and its 400 field. Anonymous 401 and both trailing-slash forms:
test_contract_conventions.py.

No Spark: POST answers a queued run (the test transaction never commits, so no worker is asked
to run it), and the other rows read TrainingRun rows created here as data.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from projects import services as project_services
from projects.models import Project
from tests.activelearning.helpers import TEXT, ner_result
from tests.api.contract import JOB, RUN, assert_error, assert_page, carries
from training.jobs.directory import job_dir
from training.models import JobStatus, NlpModel, PreannotationJob, TrainingRun


@pytest.fixture
def labelled(project: Project, make_task: Any, anna: Any) -> Project:
    """clinic with two tasks labelled and submitted by anna: something to train on."""
    for _ in range(2):
        project_services.completion_create(
            task=make_task(TEXT), actor=anna, result=ner_result(), submit=True
        )
    return project


@pytest.fixture
def queued(labelled: Project) -> TrainingRun:
    return TrainingRun.objects.create(
        project=labelled,
        model_types=["ner"],
        params={"epochs": 2},
        results=[{"model_type": "ner", "status": "queued", "model": None, "error": ""}],
    )


TRAININGS = "/api/projects/clinic/trainings/"


# --- GET /api/projects/{name}/training-data -------------------------------------------------------


def test_training_data_answers_each_tasks_reason_and_the_counts(
    api: Any, mike: Any, labelled: Project, make_task: Any
) -> None:
    open_task = make_task("Nothing labelled yet.")
    response = api(mike).get("/api/projects/clinic/training-data?completions=submitted")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"tasks", "counts"}
    by_task = {t["task_id"]: t for t in body["tasks"]}
    assert by_task[open_task.pk] == {
        "task_id": open_task.pk,
        "completion_id": None,
        "reason": "no_submitted_completion",
    }
    assert body["counts"] == {"most_recent": 2, "no_submitted_completion": 1}
    reviewed = api(mike).get("/api/projects/clinic/training-data?completions=reviewed").json()
    assert reviewed["counts"] == {"not_reviewed": 2, "no_submitted_completion": 1}
    tagged = api(mike).get("/api/projects/clinic/training-data?tags=gold").json()
    assert tagged["counts"] == {"filtered_by_tag": 3}


def test_training_data_roles_and_bad_input(
    api: Any, mike: Any, anna: Any, rita: Any, oscar: Any, labelled: Project
) -> None:
    url = "/api/projects/clinic/training-data"
    assert_error(api(mike).get(f"{url}?completions=all"), 400, field="completions")
    for user in (anna, rita):
        assert_error(api(user).get(url), 403)
    assert_error(api(oscar).get(url), 404)


# --- POST /api/projects/{name}/trainings/ ---------------------------------------------------------


def test_train_answers_202_a_queued_run_and_a_second_is_409(
    api: Any, mike: Any, labelled: Project
) -> None:
    response = api(mike).post(
        TRAININGS, {"deploy": True, "params": {"model_types": ["ner"], "epochs": 3}}, format="json"
    )
    assert response.status_code == 202
    run = response.json()
    carries(run, RUN)
    assert run["status"] == "queued" and run["trigger"] == "manual" and run["deploy"] is True
    assert run["params"]["epochs"] == 3 and run["progress"] is None and run["models"] == []
    assert [(r["model_type"], r["status"]) for r in run["results"]] == [("ner", "queued")]
    assert TrainingRun.objects.get().pk == run["id"]
    assert_error(api(mike).post(TRAININGS, {"deploy": False}, format="json"), 409)
    assert TrainingRun.objects.count() == 1


def test_train_is_409_while_a_preannotation_runs(api: Any, mike: Any, labelled: Project) -> None:
    PreannotationJob.objects.create(project=labelled, status=JobStatus.QUEUED)
    assert_error(api(mike).post(TRAININGS, {}, format="json"), 409)
    assert not TrainingRun.objects.exists()


def test_train_names_the_bad_field_and_stores_nothing(
    api: Any, mike: Any, labelled: Project
) -> None:
    client = api(mike)
    assert_error(
        client.post(TRAININGS, {"params": {"epochs": 0}}, format="json"), 400, field="params.epochs"
    )
    assert_error(
        client.post(TRAININGS, {"params": {"dropout": 1}}, format="json"),
        400,
        field="params.dropout",
    )
    assert_error(client.post(TRAININGS, {"deploy": "maybe"}, format="json"), 400, field="deploy")
    assert not TrainingRun.objects.exists()


def test_train_with_nothing_to_train_is_400(api: Any, mike: Any, project: Project) -> None:
    assert_error(api(mike).post(TRAININGS, {}, format="json"), 400)
    assert not TrainingRun.objects.exists()


def test_train_is_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, labelled: Project
) -> None:
    for user in (anna, rita):
        assert_error(api(user).post(TRAININGS, {}, format="json"), 403)
    assert_error(api(oscar).post(TRAININGS, {}, format="json"), 404)
    assert not TrainingRun.objects.exists()


# --- GET /api/projects/{name}/trainings/ ----------------------------------------------------------


def test_run_list_is_paginated_newest_first(
    api: Any, mike: Any, labelled: Project, queued: TrainingRun
) -> None:
    queued.status = JobStatus.CANCELLED
    queued.save()
    newer = TrainingRun.objects.create(project=labelled, model_types=["ner"])
    results = assert_page(api(mike).get(TRAININGS), count=2)
    for run in results:
        carries(run, RUN)
    assert [r["id"] for r in results] == [newer.pk, queued.pk]


def test_run_list_is_for_owner_and_manager(
    api: Any, anna: Any, oscar: Any, queued: TrainingRun
) -> None:
    assert_error(api(anna).get(TRAININGS), 403)
    assert_error(api(oscar).get(TRAININGS), 404)


# --- GET /api/projects/{name}/trainings/{id}/ -----------------------------------------------------


def test_run_detail(api: Any, mike: Any, queued: TrainingRun) -> None:
    response = api(mike).get(f"{TRAININGS}{queued.pk}/")
    assert response.status_code == 200
    run = response.json()
    carries(run, RUN)
    assert run["id"] == queued.pk and run["status"] == "queued" and run["params"] == {"epochs": 2}


def test_run_detail_of_an_unknown_or_other_projects_run_is_404(
    api: Any, alice: Any, mike: Any, anna: Any, oscar: Any, queued: TrainingRun
) -> None:
    other = project_services.project_create(owner=alice, name="other")
    assert_error(api(alice).get(f"/api/projects/other/trainings/{queued.pk}/"), 404)
    assert_error(api(mike).get(f"{TRAININGS}{queued.pk + 1000}/"), 404)
    assert_error(api(oscar).get(f"{TRAININGS}{queued.pk}/"), 404)
    assert_error(api(anna).get(f"{TRAININGS}{queued.pk}/"), 403)
    assert other.training_runs.count() == 0


# --- POST /api/projects/{name}/trainings/{id}/cancel ----------------------------------------------


def test_cancel_answers_200_cancelled_run_deploying_nothing_then_409(
    api: Any, mike: Any, labelled: Project, queued: TrainingRun
) -> None:
    response = api(mike).post(f"{TRAININGS}{queued.pk}/cancel")
    assert response.status_code == 200
    run = response.json()
    carries(run, RUN)
    assert run["status"] == "cancelled" and run["finished_at"] and run["models"] == []
    assert not NlpModel.objects.exists()
    assert Project.objects.get(pk=labelled.pk).labeling_config == labelled.labeling_config
    assert_error(api(mike).post(f"{TRAININGS}{queued.pk}/cancel"), 409)


def test_cancel_roles_and_unknown_runs(
    api: Any, mike: Any, anna: Any, oscar: Any, queued: TrainingRun
) -> None:
    assert_error(api(anna).post(f"{TRAININGS}{queued.pk}/cancel"), 403)
    assert_error(api(oscar).post(f"{TRAININGS}{queued.pk}/cancel"), 404)
    assert_error(api(mike).post(f"{TRAININGS}{queued.pk + 1000}/cancel"), 404)
    assert TrainingRun.objects.get(pk=queued.pk).status == JobStatus.QUEUED


# --- GET /api/projects/{name}/trainings/{id}/logs -------------------------------------------------


def test_run_logs_are_a_zip_of_every_log_file(
    api: Any, mike: Any, queued: TrainingRun, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    folder = job_dir(queued)
    (folder / "run.log").write_text("epoch 1 of 2\n")
    (folder / "ner").mkdir()
    (folder / "ner" / "train.log").write_text("loss 0.42\n")
    response = api(mike).get(f"{TRAININGS}{queued.pk}/logs")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["ner/train.log", "run.log"]
    assert archive.read("ner/train.log") == b"loss 0.42\n"


def test_run_logs_roles_and_unknown_runs(
    api: Any, mike: Any, anna: Any, oscar: Any, queued: TrainingRun, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    assert_error(api(anna).get(f"{TRAININGS}{queued.pk}/logs"), 403)
    assert_error(api(oscar).get(f"{TRAININGS}{queued.pk}/logs"), 404)
    assert_error(api(mike).get(f"{TRAININGS}{queued.pk + 1000}/logs"), 404)


# --- GET /api/projects/{name}/status --------------------------------------------------------------


def test_status_while_a_run_is_queued_and_after_it_ends(
    api: Any, mike: Any, anna: Any, queued: TrainingRun
) -> None:
    busy = api(anna).get("/api/projects/clinic/status")
    assert busy.status_code == 200
    body = busy.json()
    assert set(body) >= {"busy", "training", "preannotation", "last_training"}
    assert body["busy"] is True and body["training"]["id"] == queued.pk
    carries(body["training"], RUN)
    assert body["preannotation"] is None and body["last_training"] is None
    api(mike).post(f"{TRAININGS}{queued.pk}/cancel")
    free = api(anna).get("/api/projects/clinic/status").json()
    assert free["busy"] is False and free["training"] is None
    assert free["last_training"]["id"] == queued.pk


def test_status_shows_a_running_preannotation(api: Any, rita: Any, labelled: Project) -> None:
    job = PreannotationJob.objects.create(project=labelled, total=3)
    body = api(rita).get("/api/projects/clinic/status").json()
    assert body["busy"] is True and body["training"] is None
    carries(body["preannotation"], JOB)
    assert body["preannotation"]["id"] == job.pk


def test_status_is_404_for_outsiders(api: Any, oscar: Any, labelled: Project) -> None:
    assert_error(api(oscar).get("/api/projects/clinic/status"), 404)
    assert_error(api(oscar).get("/api/projects/nowhere/status"), 404)
