"""Training requests before any Spark runs: validation, busy rules, cancel, registry, deploy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from projects import services as project_services
from projects.models import Project
from tests.personas import span
from training import services, tasks
from training.jobs import lifecycle
from training.models import (
    Deployment,
    JobStatus,
    ModelSource,
    NlpModel,
    PreannotationJob,
    TrainingRun,
)

TEXT = "Patient denies chest pain but has pneumonia."


@pytest.fixture
def labelled(project: Project, make_task: Any, anna: Any) -> Project:
    for _ in range(3):
        task = make_task(TEXT)
        project_services.completion_create(
            task=task,
            actor=anna,
            result=[span(TEXT, "chest pain", "Symptom"), span(TEXT, "pneumonia", "Disease")],
            submit=True,
        )
    return project


def trainings(project: Project) -> str:
    return f"/api/projects/{project.name}/trainings/"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"epochs": 0}, "params.epochs"),
        ({"epochs": 501}, "params.epochs"),
        ({"validation_split": 0.6}, "params.validation_split"),
        ({"learning_rate": 0}, "params.learning_rate"),
        ({"dropout": 1}, "params.dropout"),
        ({"decay": -0.1}, "params.decay"),
        ({"batch_size": 2048}, "params.batch_size"),
        ({"completions": "all"}, "params.completions"),
        ({"model_types": ["parser"]}, "params.model_types"),
        ({"classification_groups": "some"}, "params.classification_groups"),
        ({"embeddings": {"source": "file", "path": "../etc/passwd"}}, "params.embeddings.path"),
        ({"embeddings": {"source": "glove"}}, "params.embeddings.source"),
        ({"epochz": 3}, "params.epochz"),
    ],
)
def test_out_of_range_params_are_400_with_the_field(
    api: Any, mike: Any, labelled: Project, params: dict[str, Any], field: str
) -> None:
    response = api(mike).post(
        trainings(labelled), {"deploy": False, "params": params}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert not TrainingRun.objects.exists()


def test_nothing_selected_is_400(api: Any, mike: Any, project: Project, make_task: Any) -> None:
    make_task(TEXT)
    response = api(mike).post(trainings(project), {"deploy": False}, format="json")
    assert response.status_code == 400
    assert "No completions are selected" in response.json()["detail"]


def test_no_ner_labels_in_selected_completions_is_400(
    api: Any, mike: Any, project: Project, make_task: Any, anna: Any
) -> None:
    task = make_task(TEXT)
    project_services.completion_create(task=task, actor=anna, result=[], submit=True)
    response = api(mike).post(
        trainings(project), {"params": {"model_types": ["ner"]}}, format="json"
    )
    assert response.status_code == 400
    assert "no NER labels" in response.json()["detail"]


def test_tags_filter_can_leave_nothing(api: Any, mike: Any, labelled: Project) -> None:
    response = api(mike).post(trainings(labelled), {"params": {"tags": ["gold"]}}, format="json")
    assert response.status_code == 400 and "filtered_by_tag" in response.json()["detail"]


def test_train_queues_a_run_and_a_second_is_409(
    api: Any, mike: Any, labelled: Project, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(mike).post(
            trainings(labelled),
            {"deploy": True, "params": {"model_types": ["ner"], "epochs": 2}},
            format="json",
        )
    assert response.status_code == 202
    run = response.json()
    assert run["status"] == "queued" and run["trigger"] == "manual" and run["deploy"] is True
    assert run["params"]["epochs"] == 2
    assert run["results"] == [{"model_type": "ner", "status": "queued", "model": None, "error": ""}]
    assert len(callbacks) == 1  # enqueued only once the row is committed
    status = api(mike).get(f"/api/projects/{labelled.name}/status").json()
    assert status["busy"] is True and status["training"]["id"] == run["id"]
    again = api(mike).post(trainings(labelled), {"deploy": False}, format="json")
    assert again.status_code == 409


def test_preannotation_blocks_training(api: Any, mike: Any, labelled: Project) -> None:
    PreannotationJob.objects.create(
        project=labelled, status=JobStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert api(mike).post(trainings(labelled), {}, format="json").status_code == 409


def test_annotator_cannot_train(api: Any, anna: Any, labelled: Project) -> None:
    assert api(anna).post(trainings(labelled), {}, format="json").status_code == 403


def test_cancel_a_queued_run(api: Any, mike: Any, labelled: Project) -> None:
    run = TrainingRun.objects.create(project=labelled, model_types=["ner"])
    response = api(mike).post(f"{trainings(labelled)}{run.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api(mike).get(f"/api/projects/{labelled.name}/status").json()["busy"] is False
    assert api(mike).post(f"{trainings(labelled)}{run.pk}/cancel").status_code == 409


def test_a_run_whose_heartbeat_stopped_is_failed_and_frees_the_project(
    api: Any, mike: Any, labelled: Project
) -> None:
    run = TrainingRun.objects.create(
        project=labelled,
        status=JobStatus.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=10),
        model_types=["ner"],
        results=[{"model_type": "ner", "status": "running", "model": None, "error": ""}],
    )
    status_url = f"/api/projects/{labelled.name}/status"
    assert api(mike).get(status_url).json()["busy"] is True  # a GET only reads
    run.refresh_from_db()
    assert run.status == JobStatus.RUNNING
    tasks.reap_lost_jobs()  # the worker's every-minute schedule
    status = api(mike).get(status_url).json()
    assert status["busy"] is False
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.error.startswith("worker lost")
    assert run.results[0]["status"] == "failed"
    assert status["last_training"]["id"] == run.pk


def test_claim_happens_once(labelled: Project) -> None:
    run = TrainingRun.objects.create(project=labelled, model_types=["ner"])
    assert lifecycle.job_claim(job=run) is True
    assert lifecycle.job_claim(job=run) is False


def model_row(
    project: Project, name: str, model_type: str, labels: list[str], **extra: Any
) -> NlpModel:
    return NlpModel.objects.create(
        name=name,
        type=model_type,
        project=project,
        labels=labels,
        path=f"/models/{name}",
        source=extra.pop("source", ModelSource.TRAINED),
        **extra,
    )


def test_deploy_binds_models_and_leaves_registered_labels_alone(
    api: Any, mike: Any, project: Project
) -> None:
    registered = model_row(
        project, "clinical_ner_pretrained", "ner", ["Disease"], source=ModelSource.REGISTERED
    )
    api(mike).post(
        f"/api/projects/{project.name}/deploy", {"models": [registered.name]}, format="json"
    )
    ner = model_row(project, "ner_clinic_annotation_manual_v1", "ner", ["Symptom", "Disease"])
    assertion = model_row(
        project, "assertion_clinic_annotation_manual_v1", "assertion", ["Absent", "Present"]
    )
    age = model_row(
        project,
        "classification_clinic_age_annotation_manual_v1",
        "classification",
        ["Child", "Adult"],
        choices_group="age",
    )
    response = api(mike).post(
        f"/api/projects/{project.name}/deploy",
        {"models": [ner.name, assertion.name, age.name]},
        format="json",
    )
    assert response.status_code == 200
    config = response.json()["labeling_config"]
    assert f'<Label value="Symptom" model="{ner.name}"/>' in config
    assert '<Label value="Disease" model="clinical_ner_pretrained"/>' in config
    assert f'<Label value="Absent" assertion="true" model="{assertion.name}"/>' in config
    assert f'<Choices name="age" toName="text" choice="single" model="{age.name}">' in config
    assert '<Choices name="smoking" toName="text" choice="multiple">' in config
    assert Deployment.objects.filter(project=project).count() == 2
    detail = api(mike).get(f"/api/models/{ner.name}/").json()
    assert detail["deployed_in"] == ["clinic"] and detail["source"] == "trained"


def test_deploy_refuses_an_assertion_model_on_ner_labels(
    api: Any, mike: Any, project: Project
) -> None:
    wrong = model_row(project, "ner_for_status", "ner", ["Absent"])
    response = api(mike).post(
        f"/api/projects/{project.name}/deploy", {"models": [wrong.name]}, format="json"
    )
    assert response.status_code == 400
    assert Project.objects.get(pk=project.pk).labeling_config == project.labeling_config


def test_model_names_count_up(project: Project) -> None:
    first = services.next_model_name(project=project, model_type="ner", trigger="manual")
    assert first == "ner_clinic_annotation_manual_v1"
    model_row(project, first, "ner", ["Symptom"])
    assert services.next_model_name(project=project, model_type="ner", trigger="manual").endswith(
        "_v2"
    )
    assert (
        services.next_model_name(
            project=project, model_type="classification", trigger="active_learning", group="age"
        )
        == "classification_clinic_age_annotation_active_learning_v1"
    )


def test_model_list_filters_and_hides_other_projects(
    api: Any, mike: Any, oscar: Any, project: Project
) -> None:
    model_row(project, "ner_clinic_annotation_manual_v1", "ner", ["Symptom"])
    model_row(project, "assertion_clinic_annotation_manual_v1", "assertion", ["Absent"])
    listing = api(mike).get("/api/models/?project=clinic&type=ner").json()
    assert [m["name"] for m in listing["results"]] == ["ner_clinic_annotation_manual_v1"]
    assert api(oscar).get("/api/models/").json()["count"] == 0
    assert api(oscar).get("/api/models/ner_clinic_annotation_manual_v1/").status_code == 404
