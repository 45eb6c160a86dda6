"""Label Studio uses annolab as its ML backend: a real Label Studio (PyPI ``label-studio``, its
own virtualenv and SQLite, on 127.0.0.1) talks to annolab's live server, only through Label
Studio's own REST API, and annolab's jobs run through the worker's entry points with real Spark.

One test, in the order a team meets it: connect (Label Studio calls health and setup), import
tasks, annotate in Label Studio (webhooks: submitted completions, counted by active learning; an
update replaces), train from Label Studio (START_TRAINING: annolab pulls the export and trains
one epoch, deploying), then Label Studio's "Retrieve predictions" action fills its tasks with the
new model's entities and scores (predict: a pre-annotation job by the worker).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from activelearning import services as activelearning_services
from activelearning.models import ActiveLearningSettings
from labelstudio.models import AnnotationLink, Connection, TaskLink
from projects import services as project_services
from projects.models import Completion, CompletionStatus, Project, Role
from tests.labelstudio.conftest import JobRunner, LabelStudio
from tests.training.synthetic import NER_CONFIG, labelled_tasks
from training.models import JobStatus, NlpModel, PreannotationJob, TrainingRun

# Label Studio's side: the same NER labels, plus a comment box annolab does not train.
LS_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
  </Labels>
  <TextArea name="comment" toName="text"/>
</View>
"""
LABELLED = 30
OPEN = 3
PARAMS = {"epochs": 1, "validation_split": 0, "batch_size": 2, "learning_rate": 0.02}


class Client:
    """Label Studio's REST API with its legacy token, as a script or its SDK would call it."""

    def __init__(self, label_studio: LabelStudio) -> None:
        self.base = label_studio.url
        self.token = label_studio.token
        self.log = label_studio.log

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:2000]
            raise AssertionError(f"{method} {path}: {exc.code} {detail!r}; log {self.log}") from exc
        return json.loads(raw) if raw else None


def wait_for(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def ls_region(text: str, fragment: str, label: str, rid: str) -> dict[str, Any]:
    start = text.index(fragment)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {
            "start": start,
            "end": start + len(fragment),
            "text": fragment,
            "labels": [label],
        },
    }


@pytest.mark.spark
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("workdirs")
def test_label_studio_uses_annolab_as_its_ml_backend(
    label_studio: LabelStudio,
    live_server: Any,
    job_runner: JobRunner,
    settings: Any,
    alice: Any,
    mike: Any,
) -> None:
    ls = Client(label_studio)
    settings.LABEL_STUDIO_URLS = [label_studio.url]
    project = project_services.project_create(
        owner=alice, name="from-label-studio", labeling_config=NER_CONFIG
    )
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    # Train Now from Label Studio takes active learning's params (it stays off).
    activelearning_services.active_learning_update(project=project, actor=mike, params=PARAMS)
    token = Token.objects.get_or_create(user=mike)[0].key

    # --- connect: Label Studio calls health and setup ------------------------------------------
    ls_project = ls.call("POST", "/api/projects", {"title": "notes", "label_config": LS_CONFIG})
    pid = ls_project["id"]
    backend = ls.call(
        "POST",
        "/api/ml",
        {
            "project": pid,
            "title": "annolab",
            "url": f"{live_server.url}/ml/{project.name}/",
            "auth_method": "BASIC_AUTH",
            "basic_auth_user": "mike",
            "basic_auth_pass": token,
        },
    )
    assert backend["state"] == "CO", backend  # connected: health and setup answered
    connection = Connection.objects.get(project=project)
    assert connection.ls_project == str(pid) and connection.hostname == label_studio.url
    assert connection.access_token == label_studio.token
    # Label Studio made the backend's webhook itself, without credentials: a team adds the
    # Basic auth header once (Settings → Webhooks), as the README says.
    hooks = [h for h in ls.call("GET", f"/api/webhooks?project={pid}") if "/ml/" in h["url"]]
    assert [h["url"] for h in hooks] == [f"{live_server.url}/ml/{project.name}/webhook"]
    basic = base64.b64encode(f"mike:{token}".encode()).decode()
    ls.call(
        "PATCH", f"/api/webhooks/{hooks[0]['id']}", {"headers": {"Authorization": f"Basic {basic}"}}
    )

    # --- tasks, and annotations made in Label Studio --------------------------------------------
    notes = labelled_tasks(LABELLED, ner_only=True, unlabelled=OPEN)
    ls.call("POST", f"/api/projects/{pid}/import", [{"data": n["data"]} for n in notes])
    ls_tasks = sorted(
        ls.call("GET", f"/api/tasks?project={pid}&page_size=100")["tasks"], key=lambda t: t["id"]
    )
    assert [t["data"]["text"] for t in ls_tasks] == [n["data"]["text"] for n in notes]
    annotations = []
    for note, ls_task in zip(notes[:LABELLED], ls_tasks[:LABELLED], strict=True):
        text = note["data"]["text"]
        regions = [
            ls_region(text, r["value"]["text"], r["value"]["labels"][0], r["id"])
            for r in note["completions"][0]["result"]
        ]
        comment = {
            "id": f"t{ls_task['id']}",
            "from_name": "comment",
            "to_name": "text",
            "type": "textarea",
            "value": {"text": ["checked"]},
        }
        body = {"result": [*regions, comment], "lead_time": 4.5}
        annotations.append(ls.call("POST", f"/api/tasks/{ls_task['id']}/annotations", body))
    wait_for(
        lambda: Completion.objects.filter(task__project=project).count() == LABELLED,
        60,
        "the annotations' webhooks",
    )
    first = AnnotationLink.objects.get(ls_annotation_id=annotations[0]["id"]).completion
    assert first.status == CompletionStatus.SUBMITTED and first.created_by == mike
    assert [r["type"] for r in first.result] == ["labels", "labels"]  # the comment is dropped
    assert TaskLink.objects.get(ls_task_id=ls_tasks[0]["id"]).task == first.task
    counter = ActiveLearningSettings.objects.get(project=project)
    assert counter.completions_since_last_training == LABELLED

    # An update in Label Studio replaces the completion.
    shorter = [r for r in annotations[0]["result"] if r["value"].get("labels") == ["Disease"]]
    ls.call("PATCH", f"/api/annotations/{annotations[0]['id']}", {"result": shorter})
    wait_for(
        lambda: AnnotationLink.objects.get(ls_annotation_id=annotations[0]["id"]).completion_id
        != first.pk,
        60,
        "the update's webhook",
    )
    assert not Completion.objects.filter(pk=first.pk).exists()
    replaced = AnnotationLink.objects.get(ls_annotation_id=annotations[0]["id"]).completion
    assert [r["value"]["labels"] for r in replaced.result] == [["Disease"]]
    assert Completion.objects.filter(task__project=project).count() == LABELLED

    # --- train from Label Studio -----------------------------------------------------------------
    ls.call("POST", f"/api/ml/{backend['id']}/train", {}, timeout=120)
    run = TrainingRun.objects.get(project=project)
    assert run.created_by == mike and run.params["epochs"] == 1
    wait_for(
        lambda: TrainingRun.objects.get(pk=run.pk).status
        not in (JobStatus.QUEUED, JobStatus.RUNNING),
        1200,
        "the training run",
    )
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    model = NlpModel.objects.get(name=run.results[0]["model"])
    assert f'model="{model.name}"' in Project.objects.get(pk=project.pk).labeling_config
    # The pull mirrored nothing twice: one task per Label Studio task, one completion each.
    assert TaskLink.objects.filter(project=project).count() == LABELLED
    assert Completion.objects.filter(task__project=project).count() == LABELLED

    # --- Label Studio's "Retrieve predictions" on the open tasks ----------------------------------
    open_ids = [t["id"] for t in ls_tasks[LABELLED:]]

    def predictions_of(task_id: int) -> list[dict[str, Any]]:
        found = ls.call("GET", f"/api/predictions?task={task_id}")
        return [p for p in found if p["model_version"] == model.name]

    for _attempt in range(3):  # a task predict answered empty (job still running) is asked again
        ls.call(
            "POST",
            f"/api/dm/actions?id=retrieve_tasks_predictions&project={pid}",
            {"selectedItems": {"all": False, "included": open_ids}},
            timeout=150,
        )
        if all(predictions_of(task_id) for task_id in open_ids):
            break
    assert PreannotationJob.objects.filter(project=project).exists()
    regions = []
    for task_id, note in zip(open_ids, notes[LABELLED:], strict=True):
        (prediction,) = predictions_of(task_id)
        assert 0.0 < prediction["score"] <= 1.0
        for region in prediction["result"]:
            value = region["value"]
            assert value["text"] == note["data"]["text"][value["start"] : value["end"]]
            assert value["labels"][0] in ("Symptom", "Disease")
            regions.append(region)
    assert regions, "annolab's model found no entity in the open tasks"
