"""api.md "Pre-annotation", through the URL router: what tests/training/test_preannotation.py
does not already check of these rows (tests/api/coverage.py lists both). No Spark: the job is a
queued row and predictions are rows, as an import would store them."""

from __future__ import annotations

from typing import Any

import pytest

from projects import services as project_services
from projects.models import Prediction, Project, Task
from tests.api.contract import JOB, PREDICTION, assert_error, carries
from tests.training.test_training_api import model_row
from training import services
from training.models import PreannotationJob

TEXT = "Patient denies chest pain."


@pytest.fixture
def deployed(project: Project, alice: Any) -> Project:
    ner = model_row(project, "ner_clinic_annotation_manual_v1", "ner", ["Symptom", "Disease"])
    return services.deploy_models(project=project, models=[ner], actor=alice)


def test_preannotate_answers_202_job_and_names_bad_task_ids(
    api: Any, mike: Any, deployed: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    url = "/api/projects/clinic/preannotations/"
    assert_error(api(mike).post(url, {"task_ids": "all"}, format="json"), 400, field="task_ids")
    assert_error(api(mike).post(url, {"task_ids": [0]}, format="json"), 400, field="task_ids.0")
    assert not PreannotationJob.objects.exists()
    response = api(mike).post(url, {"task_ids": [task.pk]}, format="json")
    assert response.status_code == 202
    carries(response.json(), JOB)
    assert response.json()["progress"] == {"done": 0, "total": 1}
    assert_error(api(mike).post(url, {}, format="json"), 409)


def test_job_detail(api: Any, mike: Any, deployed: Project) -> None:
    job = PreannotationJob.objects.create(project=deployed, total=4, done=1)
    response = api(mike).get(f"/api/projects/clinic/preannotations/{job.pk}/")
    assert response.status_code == 200
    body = response.json()
    carries(body, JOB)
    assert body["id"] == job.pk and body["status"] == "queued"
    assert body["progress"] == {"done": 1, "total": 4} and body["error"] == ""


def test_job_detail_roles_and_unknown_jobs(
    api: Any, alice: Any, mike: Any, anna: Any, oscar: Any, deployed: Project
) -> None:
    job = PreannotationJob.objects.create(project=deployed)
    url = f"/api/projects/clinic/preannotations/{job.pk}/"
    assert_error(api(anna).get(url), 403)
    assert_error(api(oscar).get(url), 404)
    assert_error(api(mike).get(f"/api/projects/clinic/preannotations/{job.pk + 1000}/"), 404)
    project_services.project_create(owner=alice, name="other")
    assert_error(api(alice).get(f"/api/projects/other/preannotations/{job.pk}/"), 404)


def test_predictions_carry_confidence_and_unknown_tasks_are_404(
    api: Any, rita: Any, oscar: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    region = {
        "id": "p1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": 15,
            "end": 25,
            "text": "chest pain",
            "labels": ["Symptom"],
            "confidence": 0.8,
        },
    }
    Prediction.objects.create(task=task, model_name="ner_a", score=0.8, result=[region])
    response = api(rita).get(f"/api/projects/clinic/tasks/{task.pk}/predictions/")
    assert response.status_code == 200
    [prediction] = response.json()
    carries(prediction, PREDICTION)
    assert all(0 <= r["value"]["confidence"] <= 1 for r in prediction["result"])
    assert_error(api(rita).get(f"/api/projects/clinic/tasks/{task.pk + 1000}/predictions/"), 404)
    assert_error(api(oscar).get(f"/api/projects/clinic/tasks/{task.pk}/predictions/"), 404)
    assert Task.objects.count() == 1
