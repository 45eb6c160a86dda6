"""Train Now for classification on real Spark NLP: one model per ``<Choices>`` group.

One run with ``classification_groups: all`` trains a single-choice (ClassifierDL) and a
multiple-choice (MultiClassifierDL) classifier, while a third group, whose completions all chose
the same class, cannot be trained and must not take the other two down with it. The saved
models are then loaded in this process to check what pre-annotation gets from them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from projects import services as project_services
from projects.imports import tasks_import
from projects.labeling_config import parse_labeling_config
from projects.models import Project, Role
from tests.training.synthetic import labelled_tasks, with_choice, with_systems
from tests.training.worker import start_worker, wait_for
from training.models import JobStatus, NlpModel, TrainingRun
from training.params import TrainingParams
from training.trainers.classification import groups_to_train

CLASSIFICATION_CONFIG = """<View>
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
  <Choices name="smoking" toName="text" choice="single">
    <Choice value="Smoker"/>
    <Choice value="Nonsmoker"/>
  </Choices>
  <Choices name="systems" toName="text" choice="multiple">
    <Choice value="Respiratory"/>
    <Choice value="Neurological"/>
    <Choice value="Other"/>
  </Choices>
</View>
"""


def test_default_trains_one_group_and_all_trains_every_group() -> None:
    config = parse_labeling_config(CLASSIFICATION_CONFIG)
    flagged = parse_labeling_config(
        CLASSIFICATION_CONFIG.replace('name="systems"', 'name="systems" train="true"')
    )

    def names(config: Any, groups: str) -> list[str]:
        context: Any = SimpleNamespace(
            config=config, params=TrainingParams(classification_groups=groups)
        )
        return [group.name for group in groups_to_train(context)]

    # without train="true" the default is the alphabetically first name
    assert names(config, "default") == ["age"]
    assert names(flagged, "default") == ["systems"]
    assert names(config, "all") == ["age", "smoking", "systems"]


@pytest.mark.spark
@pytest.mark.django_db(transaction=True)
def test_every_choices_group_gets_its_classifier(
    api: Any,
    alice: Any,
    mike: Any,
    workdirs: Any,
    spark: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = project_services.project_create(
        owner=alice, name="classify", labeling_config=CLASSIFICATION_CONFIG
    )
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    tasks = with_choice(with_systems(labelled_tasks(40)), "smoking", "Smoker")
    tasks_import(project=project, payload=tasks)

    params = {
        "epochs": 3,
        "validation_split": 0.25,
        "batch_size": 4,
        "learning_rate": 0.01,
        "model_types": ["classification"],
        "classification_groups": "all",
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = api(mike).post(
            f"/api/projects/{project.name}/trainings/",
            {"deploy": True, "params": params},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]

    worker = start_worker(run_id)
    seen_progress: list[dict[str, Any]] = []

    def finished() -> bool:
        run = api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/").json()
        if run["progress"]:
            seen_progress.append(run["progress"])
        return run["status"] not in ("queued", "running")

    wait_for(finished, seconds=1800)  # a busy machine; a run normally takes a few minutes
    worker.join(timeout=30)
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    age_name = "classification_classify_age_annotation_manual_v1"
    systems_name = "classification_classify_systems_annotation_manual_v1"
    assert run.results == [
        {
            "model_type": "classification",
            "status": "succeeded",
            "model": f"{age_name}, {systems_name}",
            "error": "",
        }
    ]
    assert seen_progress and {p["model_type"] for p in seen_progress} == {"classification"}

    listed = api(mike).get(f"/api/models/?project={project.name}&type=classification").json()
    models = {m["name"]: m for m in listed["results"]}
    assert set(models) == {age_name, systems_name}

    # single choice: ClassifierDL, per class scores and a confusion matrix over the validation
    age = models[age_name]
    assert age["labels"] == ["Adult", "Child"]
    assert NlpModel.objects.get(name=age_name).choices_group == "age"
    assert not NlpModel.objects.get(name=age_name).multi_label
    support = sum(score["support"] for score in age["metrics"]["per_label"].values())
    assert 9 <= support <= 11  # a quarter of each class of the 40 documents
    confusion = age["metrics"]["confusion_matrix"]
    assert confusion["labels"] == ["Adult", "Child"]
    assert sum(map(sum, confusion["matrix"])) == support
    assert 0 <= age["metrics"]["micro"]["f1"] <= 1

    # multiple choice: MultiClassifierDL over the same documents, per label scores
    systems = models[systems_name]
    assert set(systems["labels"]) == {"Respiratory", "Neurological", "Other"}
    assert NlpModel.objects.get(name=systems_name).multi_label
    assert set(systems["metrics"]["per_label"]) <= {"Respiratory", "Neurological", "Other"}
    assert "confusion_matrix" not in systems["metrics"]

    # each model has its own log, which also says why the smoking group was not trained
    for name, kind in ((age_name, "ClassifierDL"), (systems_name, "MultiClassifierDL")):
        log = api(mike).get(f"/api/models/{name}/logs").content.decode()
        for expected in (
            kind,
            "epochs: 3",
            "40 documents with a choice for this group",
            "Epoch",
            "micro",
            "Other groups of this run that could not be trained",
            '<Choices name="smoking">: A classifier needs at least 2 classes, but every '
            "selected completion chose 'Smoker'.",
        ):
            assert expected in log, (name, expected)
    archive = zipfile.ZipFile(
        io.BytesIO(api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/logs").content)
    )
    assert {f"{age_name}.log", f"{systems_name}.log"} <= set(archive.namelist())

    # deploy bound each <Choices> to its own model; smoking has none
    config = Project.objects.get(pk=project.pk).labeling_config
    assert f'<Choices name="age" toName="text" choice="single" model="{age_name}">' in config
    assert (
        f'<Choices name="systems" toName="text" choice="multiple" model="{systems_name}">' in config
    )
    assert '<Choices name="smoking" toName="text" choice="single">' in config

    # what pre-annotation gets: every class of the model with a score in [0, 1]
    from training.engine.classification import ClassifierPredictor

    texts = [task["data"]["text"] for task in tasks]  # 45: below 50, a LightPipeline
    single = ClassifierPredictor(spark, Path(NlpModel.objects.get(name=age_name).path), False)
    few = single.predict(texts[:3])
    for scores in few:
        assert set(scores) == {"Adult", "Child"}
        assert all(0.0 <= p <= 1.0 for p in scores.values())
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)  # softmax
    many = single.predict(texts * 2)  # 90 texts: a DataFrame transform, same scores
    for mine, theirs in zip(few, many[:3], strict=True):
        assert mine == pytest.approx(theirs, abs=1e-4)
    multi = ClassifierPredictor(spark, Path(NlpModel.objects.get(name=systems_name).path), True)
    for scores in multi.predict(texts[:3] + [""]):
        assert set(scores) == {"Respiratory", "Neurological", "Other"}
        assert all(0.0 <= p <= 1.0 for p in scores.values())
