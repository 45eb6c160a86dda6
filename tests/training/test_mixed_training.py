"""Mixed projects (NER + assertion status + classification) on real Spark NLP.

One run trains every model type in one Spark session: one model per type and per ``<Choices>``
group (a single-choice ClassifierDL and a multiple-choice MultiClassifierDL), while a third group,
whose completions all chose the same class, cannot be trained and must not take the others down
with it. Each model has its own log, all logs are in the run's zip, and deployment rewrites every
tag to its model. The same project is then pre-annotated through the API, so the four models are
trained once for both (a real run is the slowest part of the suite). A second run shows that one
model failing on its data leaves the run ``partial`` with the other models trained and deployed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from projects import services as project_services
from projects.imports import tasks_import
from projects.models import Prediction, Project, Role
from tests.training.synthetic import labelled_tasks, with_choice, with_systems, without_regions
from tests.training.worker import check_regions, run_preannotation, train_now
from training.deployed import choices_margin
from training.models import JobStatus, NlpModel, TrainingRun

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

# Three epochs of batches of 2 at this rate: enough for the tiny NER model to find entities in
# the open tasks, which the pre-annotation checks need.
PARAMS = {"epochs": 3, "validation_split": 0.25, "batch_size": 2, "learning_rate": 0.01}
NER_LABELS = ("Symptom", "Disease")
DEPLOYED = {"deployed": True, "deploy_reason": "deployed: deploy is true"}
STATUSES = ("Absent", "Present")


def mixed_tasks() -> list[dict[str, Any]]:
    """12 labelled notes (age, systems, no smoking choice) and 5 open ones: the partial run
    checks which models it keeps, not what they learned, so a few notes do."""
    return with_systems(without_regions(labelled_tasks(12), "smoking"))


def new_project(alice: Any, name: str) -> Project:
    project = project_services.project_create(owner=alice, name=name, labeling_config=MIXED_CONFIG)
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    return project


@pytest.mark.usefixtures("workdirs")
def test_one_run_trains_and_deploys_every_model_type_then_preannotates(
    api: Any, alice: Any, mike: Any, spark: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = new_project(alice, "mixed")
    # Every completion chose "Smoker": that group cannot be trained, the others can.
    tasks = with_choice(with_systems(labelled_tasks(40)), "smoking", "Smoker")
    open_ids = tasks_import(project=project, payload=tasks).task_ids[40:]
    assert len(open_ids) == 5

    params = {**PARAMS, "classification_groups": "all"}
    run_id, progress = train_now(api, mike, project, params, django_capture_on_commit_callbacks)

    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    seen = {p["model_type"] for p in progress}
    assert seen <= {"ner", "assertion", "classification"} and seen, seen
    ner = "ner_mixed_annotation_manual_v1"
    assertion = "assertion_mixed_annotation_manual_v1"
    age = "classification_mixed_age_annotation_manual_v1"
    systems = "classification_mixed_systems_annotation_manual_v1"
    assert run.results == [
        {"model_type": "ner", "status": "succeeded", "model": ner, "error": "", **DEPLOYED},
        {
            "model_type": "assertion",
            "status": "succeeded",
            "model": assertion,
            "error": "",
            **DEPLOYED,
        },
        {
            "model_type": "classification",
            "status": "succeeded",
            "model": f"{age}, {systems}",
            "error": "",
            "deployed": True,
            "deploy_reason": (
                f"{age}: deployed: deploy is true; {systems}: deployed: deploy is true"
            ),
        },
    ]
    body = api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/").json()
    assert sorted(body["models"]) == sorted([ner, assertion, age, systems])

    listed = api(mike).get(f"/api/models/?project={project.name}").json()["results"]
    models = {m["name"]: m for m in listed}
    assert {name: m["type"] for name, m in models.items()} == {
        ner: "ner",
        assertion: "assertion",
        age: "classification",
        systems: "classification",
    }

    # single choice: ClassifierDL, per class scores and a confusion matrix over the validation
    age_metrics = models[age]["metrics"]
    assert models[age]["labels"] == ["Adult", "Child"]
    assert NlpModel.objects.get(name=age).choices_group == "age"
    assert not NlpModel.objects.get(name=age).multi_label
    support = sum(score["support"] for score in age_metrics["per_label"].values())
    assert 9 <= support <= 11  # a quarter of each class of the 40 documents
    assert age_metrics["confusion_matrix"]["labels"] == ["Adult", "Child"]
    assert sum(map(sum, age_metrics["confusion_matrix"]["matrix"])) == support
    assert 0 <= age_metrics["micro"]["f1"] <= 1
    # multiple choice: MultiClassifierDL over the same documents, per label scores
    assert set(models[systems]["labels"]) == {"Respiratory", "Neurological", "Other"}
    assert NlpModel.objects.get(name=systems).multi_label
    assert set(models[systems]["metrics"]["per_label"]) <= {"Respiratory", "Neurological", "Other"}
    assert "confusion_matrix" not in models[systems]["metrics"]

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
        assert "Epoch 3/3" in log or "Epoch 2/3" in log, name
    # a classifier's log also says why the smoking group was not trained
    for name, kind in ((age, "ClassifierDL"), (systems, "MultiClassifierDL")):
        log = api(mike).get(f"/api/models/{name}/logs").content.decode()
        for expected in (
            kind,
            "epochs: 3",
            "40 documents with a choice for this group",
            "micro",
            "Other groups of this run that could not be trained",
            '<Choices name="smoking">: A classifier needs at least 2 classes, but every '
            "selected completion chose 'Smoker'.",
        ):
            assert expected in log, (name, expected)
    archive = zipfile.ZipFile(
        io.BytesIO(api(mike).get(f"/api/projects/{project.name}/trainings/{run_id}/logs").content)
    )
    assert {f"{name}.log" for name in titles} <= set(archive.namelist())

    # deployment rewrote every tag to the model that predicts it; smoking has none
    config = Project.objects.get(pk=project.pk).labeling_config
    assert f'<Label value="Symptom" model="{ner}"/>' in config
    assert f'<Label value="Disease" model="{ner}"/>' in config
    assert f'<Label value="Absent" assertion="true" model="{assertion}"/>' in config
    assert f'<Label value="Present" assertion="true" model="{assertion}"/>' in config
    assert f'<Choices name="age" toName="text" choice="single" model="{age}">' in config
    assert '<Choices name="smoking" toName="text" choice="single">' in config
    assert f'<Choices name="systems" toName="text" choice="multiple" model="{systems}">' in config

    check_classifier_scores(spark, age, [task["data"]["text"] for task in tasks])

    # pre-annotation of the open tasks with all four deployed models, in the worker's child
    job = run_preannotation(api, mike, project, {})
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == {"done": 5, "total": 5}
    assert job["models_used"] == [ner, assertion, age, systems]
    made = list(Prediction.objects.filter(task__project=project).select_related("task"))
    assert sorted(p.task_id for p in made) == sorted(open_ids)
    assert {p.model_name for p in made} == {f"{ner}+{assertion}+{age}+{systems}"}
    for prediction in made:
        check_regions(prediction)
        by_group: dict[str, list[dict[str, Any]]] = {}
        for region in prediction.result:
            by_group.setdefault(region["from_name"], []).append(region)
        assert "smoking" not in by_group  # no model
        # one choices region for the single-choice group, whose choice is the best score
        (chosen_age,) = by_group["age"]
        scores = chosen_age["value"]["scores"]
        assert set(scores) == {"Child", "Adult"}
        assert chosen_age["value"]["choices"] == [max(scores, key=lambda c: scores[c])]
        assert chosen_age["value"]["confidence"] == max(scores.values())
        # the multiple-choice group: every class scored (MultiClassifierDL's threshold is 0 in
        # the predictor), and every class at 0.5 or more chosen, in the config's order
        for region in by_group.get("systems", []):
            scores = region["value"]["scores"]
            assert set(scores) == {"Respiratory", "Neurological", "Other"}
            assert all(0.0 <= p <= 1.0 for p in scores.values())
            assert region["value"]["choices"] == [
                c for c in ("Respiratory", "Neurological", "Other") if scores[c] >= 0.5
            ]
        labels = by_group.get("label", [])
        entities = [r for r in labels if r["value"]["labels"][0] in NER_LABELS]
        statuses = [r for r in labels if r["value"]["labels"][0] in STATUSES]
        # one status per entity span, on exactly that span
        spans = sorted({(r["value"]["start"], r["value"]["end"]) for r in entities})
        assert sorted((r["value"]["start"], r["value"]["end"]) for r in statuses) == spans
        # the lowest model wins: never surer than the closest class margin or the mean status
        ceilings = [
            choices_margin(r["value"]["scores"].values())
            for r in prediction.result
            if r["type"] == "choices"
        ]
        if statuses:
            ceilings.append(sum(r["value"]["confidence"] for r in statuses) / len(statuses))
        assert prediction.certainty is not None
        assert prediction.certainty <= min(ceilings) + 1e-3
    # the multiple-choice model proposed something (its "Other" is at 0.56 to 0.72 here)
    assert any(r["from_name"] == "systems" for p in made for r in p.result)
    found = [r for p in made for r in p.result if r["value"].get("labels", [""])[0] in NER_LABELS]
    assert found, "the NER model found no entity in any open task"


def check_classifier_scores(spark: Any, age: str, texts: list[str]) -> None:
    """What pre-annotation gets from a saved single-choice classifier: every class with a score
    in [0, 1], the same from a LightPipeline (a few texts) as from a DataFrame transform (many),
    and 0 for every class of a blank text. (The multiple-choice model's scores are checked in
    the pre-annotation that follows: loading a MultiClassifierDL takes 20 s, here as there.)"""
    from training.engine.classification import ClassifierPredictor

    single = ClassifierPredictor(spark, Path(NlpModel.objects.get(name=age).path), False)
    few = single.predict(texts[:3])
    for scores in few:
        assert set(scores) == {"Adult", "Child"}
        assert all(0.0 <= p <= 1.0 for p in scores.values())
        assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)  # softmax
    many = single.predict(texts * 2 + ["  "])  # 91 texts: a DataFrame transform
    for mine, theirs in zip(few, many[:3], strict=True):
        assert mine == pytest.approx(theirs, abs=1e-4)
    assert many[-1] == {"Adult": 0.0, "Child": 0.0}


def test_a_model_that_cannot_train_leaves_the_run_partial(
    api: Any, alice: Any, mike: Any, workdirs: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = new_project(alice, "mixed-partial")
    # Every completion says "Adult": the default group (age, the first name) has one class.
    tasks_import(project=project, payload=with_choice(mixed_tasks(), "age", "Adult"))

    # One epoch: nothing here reads the NER model's quality, only that it was kept and deployed.
    params = {**PARAMS, "epochs": 1, "model_types": ["ner", "classification"]}
    run_id, progress = train_now(api, mike, project, params, django_capture_on_commit_callbacks)
    seen = {p["model_type"] for p in progress}
    assert seen <= {"ner", "assertion", "classification"} and seen, seen

    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == JobStatus.PARTIAL, (run.error, run.results)
    ner = "ner_mixed-partial_annotation_manual_v1"
    reason = (
        '<Choices name="age">: A classifier needs at least 2 classes, but every selected '
        "completion chose 'Adult'."
    )
    assert run.results == [
        {"model_type": "ner", "status": "succeeded", "model": ner, "error": "", **DEPLOYED},
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
