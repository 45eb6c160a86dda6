"""Train Now for NER on real Spark NLP, end to end: API → worker → child → registry → deploy.

One run is trained for the module and shared by the tests that inspect it, so the suite pays
for one JVM here. The supervisor (what the django-q2 worker runs) is called in a thread, as the
worker would, so the test can watch the run move from queued to running to succeeded.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.conf import settings as django_settings

from projects import services as project_services
from projects.imports import tasks_import
from projects.models import Project, Role
from tests.training.synthetic import labelled_tasks
from tests.training.worker import run_training
from training.models import JobStatus, ModelSource, NlpModel, TrainingRun

pytestmark = [pytest.mark.spark, pytest.mark.django_db(transaction=True)]

NER_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <!-- entities only -->
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease" model="clinical_ner_pretrained"/>
  </Labels>
</View>
"""


def test_train_now_end_to_end(
    api: Any,
    alice: Any,
    mike: Any,
    anna: Any,
    workdirs: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = project_services.project_create(owner=alice, name="ner-e2e")
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    registered = NlpModel.objects.create(
        name="clinical_ner_pretrained",
        type="ner",
        labels=["Disease"],
        path="/models/x",
        source=ModelSource.REGISTERED,
    )
    project_services.project_update(project=project, actor=alice, labeling_config=NER_CONFIG)
    tasks_import(project=project, payload=labelled_tasks(40, ner_only=True))

    with django_capture_on_commit_callbacks(execute=False):
        response = api(mike).post(
            f"/api/projects/{project.name}/trainings/",
            {"deploy": True, "params": {"epochs": 3, "validation_split": 0.25, "batch_size": 4}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    assert (
        api(mike).post(f"/api/projects/{project.name}/trainings/", {}, format="json").status_code
        == 409
    )

    seen_progress = run_training(api, mike, project, run_id)
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    assert seen_progress and seen_progress[-1]["model_type"] == "ner"
    assert {p["epochs"] for p in seen_progress} == {3}
    model_name = "ner_ner-e2e_annotation_manual_v1"
    assert run.results == [
        {
            "model_type": "ner",
            "status": "succeeded",
            "model": model_name,
            "error": "",
            "deployed": True,
            "deploy_reason": "deployed: deploy is true",
        }
    ]

    # the model list carries entity-level metrics
    listed = api(mike).get(f"/api/models/?project={project.name}").json()["results"]
    assert [m["name"] for m in listed] == [model_name]
    model = listed[0]
    assert (
        model["type"] == "ner" and model["trigger"] == "manual" and model["training_run"] == run_id
    )
    assert set(model["metrics"]["per_label"]) <= {"Symptom", "Disease"}
    assert 0 <= model["metrics"]["micro"]["f1"] <= 1
    assert model["labels"] == ["Disease", "Symptom"]

    # logs: per model and per run
    log = api(mike).get(f"/api/models/{model_name}/logs").content.decode()
    for expected in ("== Parameters ==", "epochs: 3", "blstm_", "Epoch 3/3", "precision", "micro"):
        assert expected in log, expected
    archive = zipfile.ZipFile(
        io.BytesIO(api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/logs").content)
    )
    assert f"{model_name}.log" in archive.namelist()

    # deploy: Symptom bound to the new model, the registered model's label untouched
    config = Project.objects.get(pk=project.pk).labeling_config
    assert f'<Label value="Symptom" model="{model_name}"/>' in config
    assert f'<Label value="Disease" model="{registered.name}"/>' in config
    assert "<!-- entities only -->" in config
    # the run's deployment is recorded; a restore checks each model's folder on disk: the real
    # saved model passes, the registered one (no folder at /models/x) is named
    deployments = f"/api/projects/{project.name}/deployments/"
    (record,) = api(mike).get(deployments).json()["results"]
    assert record["trigger"] == "manual" and record["actor"] is None
    assert record["training_run"] == run_id and record["after"]["Symptom"] == model_name
    refused = api(mike).post(f"{deployments}{record['id']}/restore")
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["after.Disease"]

    status = api(mike).get(f"/api/projects/{project.name}/status").json()
    assert status["busy"] is False and status["last_training"]["id"] == run_id
    assert (django_settings.MODELS_DIR / model_name / "stages").is_dir()
