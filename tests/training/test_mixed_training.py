"""Mixed projects (NER + assertion status + classification) on real Spark NLP.

One run trains every model type in one Spark session: one model per type and per ``<Choices>``
group, each with its own log, all logs in the run's zip, and deployment rewrites every tag to its
model. A second run shows that one model failing on its data leaves the run ``partial`` with the
other models trained and deployed.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from projects import services as project_services
from projects.imports import tasks_import
from projects.models import Project, Role
from tests.training.synthetic import labelled_tasks, with_choice, with_systems, without_regions
from tests.training.worker import start_worker, wait_for
from training.models import JobStatus, TrainingRun

pytestmark = [pytest.mark.spark, pytest.mark.django_db(transaction=True)]

MIXED_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
    <Label value="Present" assertion="true"/>
  </Labels>
  <Choices name="age" toName="text" choice="single">
    <Choice value="Child"/>
    <Choice value="Adult"/>
  </Choices>
  <Choices name="systems" toName="text" choice="multiple">
    <Choice value="Respiratory"/>
    <Choice value="Neurological"/>
    <Choice value="Other"/>
  </Choices>
</View>
"""

PARAMS = {"epochs": 2, "validation_split": 0.25, "batch_size": 4, "learning_rate": 0.01}


def mixed_tasks() -> list[dict[str, Any]]:
    return with_systems(without_regions(labelled_tasks(40), "smoking"))


def train_now(api: Any, user: Any, project: Project, params: dict[str, Any], capture: Any) -> int:
    with capture(execute=False):
        response = api(user).post(
            f"/api/projects/{project.name}/trainings/",
            {"deploy": True, "params": params},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    worker = start_worker(run_id)
    wait_for(
        lambda: TrainingRun.objects.get(pk=run_id).status not in ("queued", "running"),
        seconds=1800,  # a busy machine; a run normally takes a few minutes
    )
    worker.join(timeout=30)
    return run_id


def new_project(alice: Any, name: str) -> Project:
    project = project_services.project_create(owner=alice, name=name, labeling_config=MIXED_CONFIG)
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    return project


def test_one_run_trains_and_deploys_every_model_type(
    api: Any, alice: Any, mike: Any, workdirs: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = new_project(alice, "mixed")
    tasks_import(project=project, payload=mixed_tasks())

    params = {**PARAMS, "classification_groups": "all"}
    run_id = train_now(api, mike, project, params, django_capture_on_commit_callbacks)

    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    ner = "ner_mixed_annotation_manual_v1"
    assertion = "assertion_mixed_annotation_manual_v1"
    age = "classification_mixed_age_annotation_manual_v1"
    systems = "classification_mixed_systems_annotation_manual_v1"
    assert run.results == [
        {"model_type": "ner", "status": "succeeded", "model": ner, "error": ""},
        {"model_type": "assertion", "status": "succeeded", "model": assertion, "error": ""},
        {
            "model_type": "classification",
            "status": "succeeded",
            "model": f"{age}, {systems}",
            "error": "",
        },
    ]
    body = api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/").json()
    assert sorted(body["models"]) == sorted([ner, assertion, age, systems])

    listed = api(mike).get(f"/api/models/?project={project.name}").json()["results"]
    assert {m["name"]: m["type"] for m in listed} == {
        ner: "ner",
        assertion: "assertion",
        age: "classification",
        systems: "classification",
    }

    # each model its own log, and the run's zip holds all of them
    titles = {
        ner: f"NER model {ner}",
        assertion: f"Assertion status model {assertion}",
        age: f'Classification model {age} for <Choices name="age">',
        systems: f'Classification model {systems} for <Choices name="systems">',
    }
    for name, title in titles.items():
        log = api(mike).get(f"/api/models/{name}/logs").content.decode()
        assert log.startswith(f"annolab training log: {title}\n"), name
        assert "Epoch 2/2" in log or "Epoch 1/2" in log, name
    archive = zipfile.ZipFile(
        io.BytesIO(api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/logs").content)
    )
    assert {f"{name}.log" for name in titles} <= set(archive.namelist())

    # deployment rewrote every tag to the model that predicts it
    config = Project.objects.get(pk=project.pk).labeling_config
    assert f'<Label value="Symptom" model="{ner}"/>' in config
    assert f'<Label value="Disease" model="{ner}"/>' in config
    assert f'<Label value="Absent" assertion="true" model="{assertion}"/>' in config
    assert f'<Label value="Present" assertion="true" model="{assertion}"/>' in config
    assert f'<Choices name="age" toName="text" choice="single" model="{age}">' in config
    assert f'<Choices name="systems" toName="text" choice="multiple" model="{systems}">' in config


def test_a_model_that_cannot_train_leaves_the_run_partial(
    api: Any, alice: Any, mike: Any, workdirs: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = new_project(alice, "mixed-partial")
    # Every completion says "Adult": the default group (age, the first name) has one class.
    tasks_import(project=project, payload=with_choice(mixed_tasks(), "age", "Adult"))

    params = {**PARAMS, "model_types": ["ner", "classification"]}
    run_id = train_now(api, mike, project, params, django_capture_on_commit_callbacks)

    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.PARTIAL, (run.error, run.results)
    ner = "ner_mixed-partial_annotation_manual_v1"
    reason = (
        '<Choices name="age">: A classifier needs at least 2 classes, but every selected '
        "completion chose 'Adult'."
    )
    assert run.results == [
        {"model_type": "ner", "status": "succeeded", "model": ner, "error": ""},
        {"model_type": "classification", "status": "failed", "model": None, "error": reason},
    ]
    assert run.error == f"classification: {reason}"

    listed = api(mike).get(f"/api/models/?project={project.name}").json()["results"]
    assert [m["name"] for m in listed] == [ner]
    # the NER model is deployed; the group that failed keeps no model
    config = Project.objects.get(pk=project.pk).labeling_config
    assert f'<Label value="Symptom" model="{ner}"/>' in config
    assert '<Choices name="age" toName="text" choice="single">' in config
    assert '<Label value="Absent" assertion="true"/>' in config
