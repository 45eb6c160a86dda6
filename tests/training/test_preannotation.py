"""Pre-annotation: requests and busy rules (no Spark), then deployed models on real Spark NLP.

The Spark test deploys the session's small NER model (``trained_ner`` in conftest.py, trained
once by the NER trainer's engine and shared with the engine and model-file tests) as a trained
model of a people-and-places project, then pre-annotates from the tasks page with the supervisor
in a thread, as the django-q2 worker runs it, so the predictions checked here come from the child
process that production runs. Train Now's own training and deploy are proven by
``test_ner_training`` (and NER beside the other types by ``test_mixed_training``); a training
here only to have a model would be one more child JVM and NER run for nothing this test reads.
A mixed project (NER, assertion status and classifiers) is pre-annotated in
``test_mixed_training``, right after the run that trains its models, so those four models are
trained once.
"""

from __future__ import annotations

import random
import re
import threading
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.imports import tasks_import
from projects.labeling_config import parse_labeling_config
from projects.models import Prediction, Project, Role, Task
from tests.personas import span
from tests.training.synthetic import PEOPLE, PEOPLE_CONFIG, PLACES, TEMPLATES
from tests.training.worker import check_regions, preannotations, start_worker
from training import services
from training import tasks as worker_tasks
from training.deployed import Target, deployed_models
from training.models import JobStatus, ModelSource, NlpModel, PreannotationJob, TrainingRun
from training.pipeline.preannotate import job_batches, preannotate_tasks
from training.pipeline.predictor import TaskPrediction

TEXT = "Patient denies chest pain but has pneumonia."


def model_row(project: Project, name: str, model_type: str, labels: list[str], **extra: Any) -> Any:
    return NlpModel.objects.create(
        name=name,
        type=model_type,
        project=project,
        labels=labels,
        path=f"/models/{name}",
        source=extra.pop("source", ModelSource.TRAINED),
        **extra,
    )


@pytest.fixture
def deployed(project: Project, alice: Any) -> Project:
    """The clinic project with a NER model bound to both entity labels."""
    ner = model_row(project, "ner_clinic_annotation_manual_v1", "ner", ["Symptom", "Disease"])
    services.deploy_models(project=project, models=[ner], actor=alice)
    project.refresh_from_db()
    return project


def batch_sizes(task_count: int) -> list[int]:
    return [len(batch) for batch in job_batches(list(range(task_count)))]


def test_a_job_is_stored_in_batches_that_move_its_progress_early() -> None:
    sizes = batch_sizes
    assert sizes(0) == []
    assert sizes(19) == [10, 9]  # a small job: LightPipelines either way, so small steps
    assert sizes(200) == [50, 150]
    assert sizes(2500) == [50, 1000, 1000, 450]
    assert [t for batch in job_batches(list(range(2500))) for t in batch] == list(range(2500))


class RecordingPreannotator:
    """Stands in for the loaded models to test the batching around them (Spark-free): a text's
    certainty is its length / 10. The second call waits (10 s at most) until a third one runs
    beside it; each call records the most calls that ran at once while it ran."""

    model_name = "recording_v1"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.calls: list[tuple[int, int]] = []  # (batch size, most calls running during it)
        self.third_started = threading.Event()

    def predict(self, texts: list[str]) -> list[TaskPrediction]:
        with self.lock:
            number = len(self.calls)
            self.calls.append((len(texts), 0))
            self.running.add(number)
            for call in self.running:
                size, most = self.calls[call]
                self.calls[call] = (size, max(most, len(self.running)))
            if number == 2:
                self.third_started.set()
        if number == 1:
            self.third_started.wait(timeout=10)
        with self.lock:
            self.running.discard(number)
        return [TaskPrediction([], len(text) / 10) for text in texts]


def test_batches_after_the_first_are_predicted_two_at_a_time_and_stored_in_order(
    project: Project,
) -> None:
    tasks = Task.objects.bulk_create(
        [Task(project=project, data={"text": "x" * (n % 7)}) for n in range(2090)]
    )
    ids = [task.pk for task in tasks]
    Task.objects.filter(pk=ids[60]).delete()  # deleted meanwhile: skipped, still counted done
    preannotator = RecordingPreannotator()
    progress: list[tuple[int, int]] = []

    def after_batch(done: int) -> None:
        progress.append((done, Prediction.objects.filter(task__project=project).count()))

    # job_batches gives 50, 1000, 1000 and 40.
    preannotate_tasks(
        preannotator, project_id=project.pk, batches=job_batches(ids), after_batch=after_batch
    )
    assert progress == [(50, 50), (1050, 1049), (2050, 2049), (2090, 2089)]
    # The first batch and the LightPipeline remainder alone; the two big ones side by side.
    assert preannotator.calls == [(50, 1), (999, 2), (1000, 2), (40, 1)]
    stored = dict(Prediction.objects.filter(task__project=project).values_list("task", "certainty"))
    assert stored == {task.pk: (n % 7) / 10 for n, task in enumerate(tasks) if task.pk != ids[60]}


# --- requests, without Spark --------------------------------------------------------------------


def test_nothing_deployed_is_400(api: Any, mike: Any, project: Project, make_task: Any) -> None:
    make_task(TEXT)
    response = api(mike).post(preannotations(project), {}, format="json")
    assert response.status_code == 400
    assert "No model is deployed" in response.json()["detail"]
    assert not PreannotationJob.objects.exists()


def test_an_assertion_model_alone_is_not_a_deployment(
    api: Any, mike: Any, alice: Any, project: Project, make_task: Any
) -> None:
    make_task(TEXT)
    assertion = model_row(
        project, "assertion_clinic_annotation_manual_v1", "assertion", ["Absent", "Present"]
    )
    services.deploy_models(project=project, models=[assertion], actor=alice)
    response = api(mike).post(preannotations(project), {}, format="json")
    assert response.status_code == 400  # statuses need the spans a NER model finds


def test_start_queues_the_open_tasks_and_enqueues_on_commit(
    api: Any,
    mike: Any,
    anna: Any,
    deployed: Project,
    make_task: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    submitted, drafted, untouched = make_task(TEXT), make_task(TEXT), make_task(TEXT)
    result = [span(TEXT, "chest pain", "Symptom")]
    project_services.completion_create(task=submitted, actor=anna, result=result, submit=True)
    project_services.completion_create(task=drafted, actor=anna, result=result)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(mike).post(preannotations(deployed), {}, format="json")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["error"] == ""
    assert job["progress"] == {"done": 0, "total": 2}
    assert job["task_ids"] == [drafted.pk, untouched.pk]  # a draft does not close a task
    assert job["models_used"] == ["ner_clinic_annotation_manual_v1"]
    assert len(callbacks) == 1  # enqueued only once the row is committed

    polled = api(mike).get(f"{preannotations(deployed)}{job['id']}").json()
    assert polled["id"] == job["id"] and polled["progress"] == {"done": 0, "total": 2}
    status = api(mike).get(f"/api/projects/{deployed.name}/status").json()
    assert status["busy"] is True and status["preannotation"]["id"] == job["id"]


def test_explicit_task_ids(api: Any, mike: Any, deployed: Project, make_task: Any) -> None:
    first, second = make_task(TEXT), make_task(TEXT)
    response = api(mike).post(
        preannotations(deployed), {"task_ids": [second.pk, first.pk, second.pk]}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["task_ids"] == [second.pk, first.pk]
    assert response.json()["progress"] == {"done": 0, "total": 2}


def test_task_ids_outside_the_project_are_400(
    api: Any, mike: Any, alice: Any, deployed: Project, make_task: Any
) -> None:
    mine = make_task(TEXT)
    other = project_services.project_create(owner=alice, name="elsewhere")
    foreign = Task.objects.create(project=other, data={"text": TEXT})
    response = api(mike).post(
        preannotations(deployed), {"task_ids": [mine.pk, foreign.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "task_ids.1"
    empty = api(mike).post(preannotations(deployed), {"task_ids": []}, format="json")
    assert empty.status_code == 400
    assert not PreannotationJob.objects.exists()


def test_nothing_open_is_400(
    api: Any, mike: Any, anna: Any, deployed: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    project_services.completion_create(task=task, actor=anna, result=[], submit=True)
    response = api(mike).post(preannotations(deployed), {}, format="json")
    assert response.status_code == 400 and "nothing to pre-annotate" in response.json()["detail"]


def test_training_blocks_preannotation(
    api: Any, mike: Any, deployed: Project, make_task: Any
) -> None:
    make_task(TEXT)
    TrainingRun.objects.create(
        project=deployed, status=JobStatus.RUNNING, heartbeat_at=timezone.now(), model_types=["ner"]
    )
    response = api(mike).post(preannotations(deployed), {}, format="json")
    assert response.status_code == 409
    assert not PreannotationJob.objects.exists()


def test_preannotation_blocks_training_and_another_preannotation(
    api: Any, mike: Any, anna: Any, deployed: Project, make_task: Any
) -> None:
    labelled = make_task(TEXT)
    make_task(TEXT)
    project_services.completion_create(
        task=labelled, actor=anna, result=[span(TEXT, "chest pain", "Symptom")], submit=True
    )
    assert api(mike).post(preannotations(deployed), {}, format="json").status_code == 202
    training = api(mike).post(f"/api/projects/{deployed.name}/trainings/", {}, format="json")
    assert training.status_code == 409
    assert api(mike).post(preannotations(deployed), {}, format="json").status_code == 409
    assert not TrainingRun.objects.exists()


def test_only_managers_preannotate(
    api: Any, anna: Any, rita: Any, oscar: Any, deployed: Project, make_task: Any
) -> None:
    make_task(TEXT)
    assert api(anna).post(preannotations(deployed), {}, format="json").status_code == 403
    assert api(rita).post(preannotations(deployed), {}, format="json").status_code == 403
    assert api(oscar).post(preannotations(deployed), {}, format="json").status_code == 404
    job = PreannotationJob.objects.create(project=deployed)
    assert api(anna).get(f"{preannotations(deployed)}{job.pk}").status_code == 403


def test_predictions_of_a_task_newest_first_for_whoever_sees_the_task(
    api: Any, alice: Any, anna: Any, rita: Any, oscar: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    older = Prediction.objects.create(task=task, model_name="ner_a", score=0.5, result=[])
    newer = Prediction.objects.create(
        task=task,
        model_name="ner_b",
        score=0.9,
        result=[
            {
                **span(TEXT, "pneumonia", "Disease"),
                "value": {**span(TEXT, "pneumonia", "Disease")["value"], "confidence": 0.9},
            }
        ],
    )
    url = f"/api/projects/{project.name}/tasks/{task.pk}/predictions/"
    for user in (alice, anna, rita):
        response = api(user).get(url)
        assert response.status_code == 200
        assert [p["id"] for p in response.json()] == [newer.pk, older.pk]
    first = api(anna).get(url.rstrip("/")).json()[0]
    assert set(first) >= {"id", "task", "model", "created_at", "score", "result"}
    assert first["task"] == task.pk and first["model"] == "ner_b" and first["score"] == 0.9
    assert api(oscar).get(url).status_code == 404

    # an annotator does not see a task assigned to someone else (mike), nor its predictions
    project_services.task_update(task=task, actor=alice, annotators=["mike"])
    assert api(anna).get(url).status_code == 404


def test_the_schema_describes_the_preannotation_endpoints(api: Any, alice: Any) -> None:
    text = api(alice).get("/api/schema/").content.decode()
    for path in (
        "/api/projects/{name}/preannotations/:",
        "/api/projects/{name}/preannotations/{job_id}/:",
        "/api/projects/{name}/tasks/{task_id}/predictions/:",
    ):
        assert path in text


def test_each_ner_model_predicts_only_the_labels_bound_to_it(alice: Any, project: Project) -> None:
    symptoms = model_row(project, "ner_symptoms", "ner", ["Symptom", "Disease"])
    diseases = model_row(project, "ner_diseases", "ner", ["Disease"])
    assertion = model_row(project, "assertion_x", "assertion", ["Absent", "Present"])
    age = model_row(
        project, "classification_age", "classification", ["Child", "Adult"], choices_group="age"
    )
    services.deploy_models(project=project, models=[symptoms], actor=alice)
    services.deploy_models(project=project, models=[diseases, assertion, age], actor=alice)
    project.refresh_from_db()
    found = deployed_models(parse_labeling_config(project.labeling_config))
    target = Target("label", "text")
    assert [(m.name, t) for m, t in found.ner] == [
        ("ner_symptoms", {"Symptom": target}),
        ("ner_diseases", {"Disease": target}),
    ]
    assert found.assertion == (assertion, {"Absent": target, "Present": target})
    assert [(m.name, g.name) for m, g in found.classification] == [("classification_age", "age")]
    assert found.model_name == "ner_symptoms+ner_diseases+assertion_x+classification_age"


# --- real Spark NLP -----------------------------------------------------------------------------


def people_tasks(labelled: int, unlabelled: int, seed: int = 23) -> list[dict[str, Any]]:
    """Import-format sentences like the session NER model's corpus: ``labelled`` with a submitted
    completion (a PER and a LOC region), then ``unlabelled`` open ones."""
    rng = random.Random(seed)
    tasks: list[dict[str, Any]] = []
    for number in range(labelled + unlabelled):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        text = rng.choice(TEMPLATES).format(person=person, place=place)
        task: dict[str, Any] = {"data": {"text": text}}
        if number < labelled:
            task["completions"] = [
                {
                    "created_username": "anna",
                    "created_at": "2026-01-02T10:00:00Z",
                    "submitted_at": f"2026-01-02T10:{number % 60:02d}:00Z",
                    "result": [span(text, person, "PER", "p"), span(text, place, "LOC", "l")],
                }
            ]
        tasks.append(task)
    return tasks


@pytest.mark.spark
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("workdirs")
def test_preannotate_with_a_deployed_ner_model(
    api: Any,
    alice: Any,
    mike: Any,
    anna: Any,
    register_trained_ner: Any,
    page: Page,
    live_server: Any,
    sign_in: Any,
) -> None:
    """Deploys a trained NER model, then pre-annotates 200 open tasks from the tasks page in
    Chromium, the job run by the worker's own entry point, and watches the page's progress move
    before it ends."""
    project = project_services.project_create(owner=alice, name="preannotate-ner")
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    project_services.member_add(project=project, actor=alice, username="anna", role=Role.ANNOTATOR)
    project_services.project_update(project=project, actor=alice, labeling_config=PEOPLE_CONFIG)
    imported = tasks_import(project=project, payload=people_tasks(30, unlabelled=200))
    task_ids = imported.task_ids
    labelled, open_ids = task_ids[:30], task_ids[30:]
    drafted = Task.objects.get(pk=open_ids[0])
    project_services.completion_create(task=drafted, actor=anna, result=[])  # still open
    earlier = Prediction.objects.create(task=drafted, model_name="imported", result=[])

    # The session's model, saved where a run saves it and registered as the project's own.
    model_name = "ner_preannotate-ner_annotation_manual_v1"
    register_trained_ner(project, model_name)
    response = api(mike).post(
        f"/api/projects/{project.name}/deploy", {"models": [model_name]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert f'model="{model_name}"' in Project.objects.get(pk=project.pk).labeling_config

    # Nothing selected on the tasks page: Pre-Annotate takes every open task.
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/{project.name}/tasks/")
    page.get_by_role("button", name="Pre-Annotate").click()
    message = page.locator("#preannotate-message")
    expect(message).to_contain_text("Queued")
    queued = PreannotationJob.objects.get(project=project)
    assert queued.task_ids == open_ids
    worker = start_worker(queued.pk, worker_tasks.execute_preannotation)
    # Seen between the start and the end: 1 to 199 of the 200 tasks done.
    expect(message).to_contain_text(
        re.compile(r"Pre-annotating: ([1-9]\d?|1\d\d)/200 tasks"), timeout=300_000
    )
    # Finished, the page reloads with the predictions (the first open task is on page 1).
    predicted = page.locator(f"#tasks tr[data-task='{open_ids[1]}'] .prediction")
    expect(predicted).not_to_have_text("none", timeout=300_000)
    worker.join(timeout=30)
    job = api(mike).get(f"{preannotations(project)}{queued.pk}/").json()
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == {"done": 200, "total": 200} and job["error"] == ""
    assert job["task_ids"] == open_ids and job["models_used"] == [model_name]

    made = Prediction.objects.filter(model_name=model_name).select_related("task")
    assert sorted(p.task_id for p in made) == sorted(open_ids)  # one per open task, none else
    assert not Prediction.objects.filter(task_id__in=labelled).exists()
    regions = [region for p in made for region in p.result]
    assert regions, "the model found no entity in any open task"
    for prediction in made:
        check_regions(prediction)
    for region in regions:
        assert region["from_name"] == "label" and region["to_name"] == "text"
        assert region["type"] == "labels"
        assert region["value"]["labels"][0] in ("PER", "LOC")

    # newest first, and the shape of api.md's prediction resource
    listed = api(anna).get(f"/api/projects/{project.name}/tasks/{drafted.pk}/predictions/").json()
    assert [p["model"] for p in listed] == [model_name, "imported"]
    assert listed[1]["id"] == earlier.pk
    ours = made.get(task=drafted)
    assert listed[0] == {
        "id": ours.pk,
        "task": drafted.pk,
        "model": model_name,
        "created_at": listed[0]["created_at"],
        "score": ours.score,
        "result": ours.result,
    }

    # the JSON export carries them under "predictions"
    exported = api(mike).get(f"/api/projects/{project.name}/export?format=json").json()
    by_id = {entry["id"]: entry for entry in exported}
    for prediction in made:
        entry = by_id[prediction.task_id]
        mine = [p for p in entry["predictions"] if p["model"] == model_name]
        assert len(mine) == 1
        assert mine[0]["result"] == prediction.result and mine[0]["score"] == prediction.score
    assert all(not by_id[task_id]["predictions"] for task_id in labelled)

    status = api(mike).get(f"/api/projects/{project.name}/status").json()
    assert status["busy"] is False and status["preannotation"] is None
