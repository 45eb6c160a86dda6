"""The Label Studio ML backend's four endpoints through the URL router, without Label Studio.

What Label Studio sends is written here as its 1.23 source sends it (``ml/api_connector.py``,
``webhooks/``); tests/labelstudio/test_real_label_studio.py proves it against a running one.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activelearning.models import ActiveLearningSettings
from labelstudio.models import AnnotationLink, Connection, TaskLink
from projects.models import Completion, CompletionStatus, Prediction, Project
from tests.personas import span
from training import services as training_services
from training.models import JobStatus, ModelSource, NlpModel, PreannotationJob, TrainingRun

TEXT = "Patient denies chest pain but has pneumonia."
NER = "ner_clinic_annotation_manual_v1"
# Label Studio's config for the same project: the text under "$note", and two tags annolab
# does not train (a free-text comment and a rating).
LS_CONFIG = """<View>
  <Text name="text" value="$note"/>
  <Labels name="label" toName="text"><Label value="Symptom"/><Label value="Disease"/></Labels>
  <TextArea name="comment" toName="text"/>
  <Rating name="quality" toName="text"/>
</View>"""


def basic(user: Any, token: str | None = None) -> APIClient:
    """A client as Label Studio connects: Basic auth, username and the user's API token."""
    key = token or Token.objects.get_or_create(user=user)[0].key
    client = APIClient()
    credentials = base64.b64encode(f"{user.username}:{key}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return client


def ml(project: Project, endpoint: str) -> str:
    return f"/ml/{project.name}/{endpoint}"


def ls_task(ls_id: int, text: str = TEXT) -> dict[str, Any]:
    return {"id": ls_id, "data": {"note": text}, "meta": {}, "project": 7}


def ls_annotation(ls_id: int, result: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": ls_id, "result": result, "was_cancelled": False, "lead_time": 12.5, "task": 1}


def webhook(action: str, task: dict[str, Any], annotation: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": action,
        "annotation": annotation,
        "task": task,
        "project": {"id": 7, "label_config": LS_CONFIG},
    }


@pytest.fixture(autouse=True)
def no_worker(settings: Any) -> None:
    """No worker runs jobs here: predict waits for none (one test sets its own wait)."""
    settings.LABEL_STUDIO_PREDICT_WAIT = 0


@pytest.fixture
def deployed(project: Project, alice: Any) -> Project:
    ner = NlpModel.objects.create(
        name=NER,
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        path=f"/models/{NER}",
        source=ModelSource.TRAINED,
    )
    training_services.deploy_models(project=project, models=[ner], actor=alice)
    project.refresh_from_db()
    return project


# --- auth ----------------------------------------------------------------------------------------


def test_health_answers_members_with_their_token_as_basic_password(
    anna: Any, rita: Any, project: Project
) -> None:
    for user in (anna, rita):
        response = basic(user).get(ml(project, "health"))
        assert response.status_code == 200
        assert response.json()["status"] == "UP"
    # The trailing-slash form, and the base URL itself (some clients probe it).
    assert basic(anna).get(f"{ml(project, 'health')}/").status_code == 200
    assert basic(anna).get(f"/ml/{project.name}/").status_code == 200


def test_wrong_or_missing_credentials_are_401_asking_for_basic(
    api: Any, anna: Any, mike: Any, project: Project
) -> None:
    token = Token.objects.get_or_create(user=anna)[0].key
    attempts = [
        APIClient(),  # anonymous
        basic(anna, token="not-the-token"),
        basic(mike, token=token),  # another user's token
        api(anna),  # annolab's own "Token" header is not what Label Studio sends
    ]
    password = APIClient()
    password.credentials(
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"anna:anna-password").decode()
    )
    attempts.append(password)  # the password itself never works here
    for client in attempts:
        for method, endpoint in (("get", "health"), ("post", "setup"), ("post", "webhook")):
            response = getattr(client, method)(ml(project, endpoint), {}, format="json")
            assert response.status_code == 401, (endpoint, response.content)
            assert response["WWW-Authenticate"].startswith("Basic")
            body = response.json()
            assert body["detail"] and body["errors"][0]["message"]


def test_outsiders_and_unknown_projects_are_404(oscar: Any, anna: Any, project: Project) -> None:
    for endpoint in ("health", "setup", "predict", "webhook"):
        method = "get" if endpoint == "health" else "post"
        response = getattr(basic(oscar), method)(ml(project, endpoint), {}, format="json")
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}
    assert basic(anna).get("/ml/nowhere/health").status_code == 404
    unrouted = basic(anna).get(f"{ml(project, 'nothing-here')}/deeper")
    assert unrouted.status_code == 404 and set(unrouted.json()) == {"detail", "errors"}


def test_malformed_bodies_are_400_in_the_error_shape(anna: Any, project: Project) -> None:
    client = basic(anna)
    for endpoint in ("setup", "predict", "webhook"):
        for body in ('{"tasks": [', "[1, 2]", '"text"', '{"a": NaN}', '{"x": "\\u0000"}'):
            response = client.post(ml(project, endpoint), body, content_type="application/json")
            assert response.status_code == 400, (endpoint, body, response.content)
            assert response.json()["detail"] and response.json()["errors"]
    bad_tasks = [
        {"tasks": "all"},
        {"tasks": [{"id": "1", "data": {"note": TEXT}}]},
        {"tasks": [{"id": 1, "data": {"other": TEXT}}], "label_config": LS_CONFIG},
        {"tasks": [7]},
    ]
    for body in bad_tasks:
        response = client.post(ml(project, "predict"), body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["errors"][0]["field"].startswith("tasks")
    assert not TaskLink.objects.exists()


# --- setup ---------------------------------------------------------------------------------------


def test_setup_stores_label_studio_and_answers_the_deployed_models(
    anna: Any, deployed: Project
) -> None:
    body = {
        "project": "7.1764000000",
        "schema": LS_CONFIG,
        "hostname": "http://127.0.0.1:8081",
        "access_token": "ls-secret-token",
        "extra_params": None,
    }
    response = basic(anna).post(ml(deployed, "setup"), body, format="json")
    assert response.status_code == 200
    assert response.json() == {"model_version": NER}
    assert b"ls-secret-token" not in response.content
    connection = Connection.objects.get(project=deployed)
    assert (connection.ls_project, connection.hostname) == ("7", "http://127.0.0.1:8081")
    assert connection.access_token == "ls-secret-token"
    # A later setup without a token keeps the stored one; with nothing deployed: "".
    body = {"project": "7.1764000000", "hostname": "http://127.0.0.1:8081"}
    assert basic(anna).post(ml(deployed, "setup"), body, format="json").status_code == 200
    connection.refresh_from_db()
    assert connection.access_token == "ls-secret-token"


def test_a_reviewer_may_not_connect_annotate_or_train(rita: Any, project: Project) -> None:
    client = basic(rita)
    assert client.post(ml(project, "setup"), {"project": "7.1"}, format="json").status_code == 403
    predict = client.post(ml(project, "predict"), {"tasks": [ls_task(1)]}, format="json")
    assert predict.status_code == 403
    created = webhook("ANNOTATION_CREATED", ls_task(1), ls_annotation(1, []))
    assert client.post(ml(project, "webhook"), created, format="json").status_code == 403
    train = {"action": "START_TRAINING", "project": {"id": 7}}
    assert client.post(ml(project, "webhook"), train, format="json").status_code == 403


# --- predict -------------------------------------------------------------------------------------


def test_predict_without_a_deployed_model_mirrors_the_tasks_and_answers_empty_results(
    anna: Any, project: Project
) -> None:
    body = {"tasks": [ls_task(11), ls_task(12, "Fever.")], "label_config": LS_CONFIG}
    for _ in range(2):
        response = basic(anna).post(ml(project, "predict"), body, format="json")
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["result"] for r in results] == [[], []]
        assert all(isinstance(r["score"], float) for r in results)
    links = TaskLink.objects.filter(project=project).order_by("ls_task_id")
    assert [(link.ls_task_id, link.task.text) for link in links] == [(11, TEXT), (12, "Fever.")]
    assert not PreannotationJob.objects.exists()


def test_predict_answers_stored_predictions_in_task_order_with_certainty_as_score(
    anna: Any, deployed: Project
) -> None:
    body = {"tasks": [ls_task(21), ls_task(22, "Cough.")], "label_config": LS_CONFIG}
    basic(anna).post(ml(deployed, "predict"), body, format="json")  # mirrors them (no worker)
    first, second = (TaskLink.objects.get(ls_task_id=i).task for i in (21, 22))
    region = span(TEXT, "pneumonia", "Disease") | {"score": 0.9}
    Prediction.objects.create(task=first, model_name="an_old_model", result=[], certainty=0.1)
    Prediction.objects.create(
        task=first, model_name=NER, result=[region], score=0.9, certainty=0.83
    )
    Prediction.objects.create(task=second, model_name=NER, result=[], score=None, certainty=0.97)
    jobs = PreannotationJob.objects.count()
    response = basic(anna).post(ml(deployed, "predict"), body, format="json")
    assert response.status_code == 200
    assert response.json()["model_version"] == NER
    assert response.json()["results"] == [
        {"result": [region], "score": 0.83, "model_version": NER},
        {"result": [], "score": 0.97, "model_version": NER},
    ]
    assert PreannotationJob.objects.count() == jobs  # everything was predicted already


def test_predict_queues_one_preannotation_for_the_unpredicted_tasks_and_waits_for_it(
    anna: Any, deployed: Project, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.LABEL_STUDIO_PREDICT_WAIT = 1  # no worker here: the wait runs out
    body = {"tasks": [ls_task(31), ls_task(32, "Fever.")], "label_config": LS_CONFIG}
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = basic(anna).post(ml(deployed, "predict"), body, format="json")
    assert response.status_code == 200
    assert [r["result"] for r in response.json()["results"]] == [[], []]  # not an error
    job = PreannotationJob.objects.get()
    mirrored = [TaskLink.objects.get(ls_task_id=i).task_id for i in (31, 32)]
    assert job.task_ids == mirrored and job.status == JobStatus.QUEUED
    assert job.created_by is None and job.models_used == [NER]
    assert len(enqueued) == 1


def test_predict_on_a_busy_project_answers_what_is_stored(
    anna: Any, deployed: Project, settings: Any
) -> None:
    settings.LABEL_STUDIO_PREDICT_WAIT = 30  # must not be waited for: nothing was queued
    TrainingRun.objects.create(
        project=deployed, status=JobStatus.RUNNING, heartbeat_at=timezone.now(), model_types=["ner"]
    )
    started = timezone.now()
    body = {"tasks": [ls_task(41)], "label_config": LS_CONFIG}
    response = basic(anna).post(ml(deployed, "predict"), body, format="json")
    assert response.status_code == 200
    # No prediction yet: version "", so Label Studio asks again once the project is free.
    assert response.json()["results"] == [{"result": [], "score": 0.0, "model_version": ""}]
    assert not PreannotationJob.objects.exists()
    assert (timezone.now() - started).total_seconds() < 10


# --- webhook: annotations -------------------------------------------------------------------------


def test_an_annotation_becomes_a_submitted_completion_counted_once(
    anna: Any, project: Project
) -> None:
    region = span(TEXT, "chest pain", "Symptom")
    ignored = [
        {"id": "c1", "from_name": "comment", "to_name": "text", "type": "textarea",
         "value": {"text": ["looks fine"]}},
        {"id": "q1", "from_name": "quality", "to_name": "text", "type": "rating",
         "value": {"rating": 4}},
        span(TEXT, "pneumonia", "Disease") | {"from_name": "findings"},  # not annolab's control
    ]  # fmt: skip
    body = webhook("ANNOTATION_CREATED", ls_task(51), ls_annotation(501, [region, *ignored]))
    for _ in range(2):  # Label Studio may deliver a webhook twice
        response = basic(anna).post(ml(project, "webhook"), body, format="json")
        assert response.status_code == 201, response.content
    completion = Completion.objects.get()
    assert completion.status == CompletionStatus.SUBMITTED
    assert completion.created_by == anna and completion.result == [region]
    assert completion.lead_time == 12.5
    assert completion.task.text == TEXT
    assert TaskLink.objects.get(ls_task_id=51).task == completion.task
    assert AnnotationLink.objects.get(ls_annotation_id=501).completion == completion
    counter = ActiveLearningSettings.objects.get(project=project)
    assert counter.completions_since_last_training == 1  # as a page submit counts


def test_an_updated_annotation_replaces_its_completion(anna: Any, project: Project) -> None:
    first = [span(TEXT, "chest pain", "Symptom")]
    client = basic(anna)
    created = webhook("ANNOTATION_CREATED", ls_task(61), ls_annotation(601, first))
    assert client.post(ml(project, "webhook"), created, format="json").status_code == 201
    second = [*first, span(TEXT, "pneumonia", "Disease")]
    updated = webhook("ANNOTATION_UPDATED", ls_task(61), ls_annotation(601, second))
    response = client.post(ml(project, "webhook"), updated, format="json")
    assert response.status_code == 201
    completion = Completion.objects.get()  # the first version is gone
    assert completion.result == second and completion.is_submitted
    assert response.json()["completion"] == completion.pk
    assert AnnotationLink.objects.get(ls_annotation_id=601).completion == completion


def test_a_cancelled_annotation_and_other_events_are_ignored(anna: Any, project: Project) -> None:
    client = basic(anna)
    skipped = ls_annotation(701, []) | {"was_cancelled": True}
    body = webhook("ANNOTATION_CREATED", ls_task(71), skipped)
    assert client.post(ml(project, "webhook"), body, format="json").json()["status"] == "ignored"
    for action in ("PROJECT_UPDATED", "ANNOTATIONS_DELETED", "SOMETHING_NEW", None):
        response = client.post(ml(project, "webhook"), {"action": action}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Completion.objects.exists()


def test_an_annotation_with_a_bad_span_is_400_and_stores_nothing(
    anna: Any, project: Project
) -> None:
    bad = span(TEXT, "chest pain", "Symptom")
    bad["value"]["end"] += 3
    body = webhook("ANNOTATION_CREATED", ls_task(81), ls_annotation(801, [bad]))
    response = basic(anna).post(ml(project, "webhook"), body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "result"
    assert not Completion.objects.exists() and not TaskLink.objects.exists()


# --- webhook: START_TRAINING ----------------------------------------------------------------------


def setup_from(client: APIClient, project: Project, hostname: str) -> None:
    body = {"project": "7.1", "hostname": hostname, "access_token": "ls-secret-token"}
    assert client.post(ml(project, "setup"), body, format="json").status_code == 200


def test_start_training_needs_setup_and_an_allowed_hostname(
    mike: Any, anna: Any, project: Project, settings: Any
) -> None:
    train = {"action": "START_TRAINING", "project": {"id": 7}}
    assert basic(anna).post(ml(project, "webhook"), train, format="json").status_code == 403
    response = basic(mike).post(ml(project, "webhook"), train, format="json")
    assert response.status_code == 400 and "setup" in response.json()["detail"]

    settings.LABEL_STUDIO_URLS = ["http://labelstudio.internal:8080"]
    for hostname in (
        "http://169.254.169.254",
        "http://labelstudio.internal:8081",
        "https://labelstudio.internal:8080",
        "http://labelstudio.internal:8080@evil.example",
        "file:///etc/passwd",
    ):
        setup_from(basic(mike), project, hostname)
        response = basic(mike).post(ml(project, "webhook"), train, format="json")
        assert response.status_code == 400, hostname
        assert response.json()["errors"][0]["field"] == "hostname"
        assert "LABEL_STUDIO_URLS" in response.json()["detail"]
    assert not TrainingRun.objects.exists()


def test_start_training_on_a_busy_project_is_409_before_pulling(
    mike: Any, project: Project, settings: Any
) -> None:
    settings.LABEL_STUDIO_URLS = ["http://127.0.0.1:9"]  # the discard port: a pull would fail
    setup_from(basic(mike), project, "http://127.0.0.1:9")
    TrainingRun.objects.create(
        project=project, status=JobStatus.RUNNING, heartbeat_at=timezone.now(), model_types=["ner"]
    )
    train = {"action": "START_TRAINING", "project": {"id": 7}}
    response = basic(mike).post(ml(project, "webhook"), train, format="json")
    assert response.status_code == 409
    assert "already queued or running" in response.json()["detail"]


def test_the_ml_paths_are_not_in_annolabs_openapi_document(api: Any, alice: Any) -> None:
    document = api(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert not [path for path in document["paths"] if path.startswith("/ml/")]


def test_the_admin_shows_the_connection_but_never_the_token(
    client: Any, site_admin: Any, anna: Any, project: Project
) -> None:
    setup_from(basic(anna), project, "http://127.0.0.1:8081")
    connection = Connection.objects.get(project=project)
    client.force_login(site_admin)
    for url in (
        "/admin/labelstudio/connection/",
        f"/admin/labelstudio/connection/{connection.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert b"127.0.0.1:8081" in response.content
        assert b"ls-secret-token" not in response.content


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_annotation_store_one_completion_counted_once(
    anna: Any, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Label Studio retries a webhook that timed out while the first delivery still runs: all
    see no link yet; the unique constraints decide, and the losers' completions and counts are
    rolled back with their savepoints. First on a task seen for the first time (the task link
    decides), then on a task already mirrored (the annotation link decides)."""
    from django.db import connection

    from labelstudio import services

    store = services._completion_of

    def slow_store(*args: Any) -> Any:
        completion = store(*args)
        time.sleep(0.5)  # every delivery is past its "no link yet" check before one commits
        return completion

    monkeypatch.setattr(services, "_completion_of", slow_store)
    token = Token.objects.get_or_create(user=anna)[0].key

    def deliver_at_once(body: dict[str, Any]) -> list[int]:
        start = threading.Barrier(3)
        statuses: list[int] = []

        def deliver() -> None:
            try:
                start.wait()
                response = basic(anna, token).post(ml(project, "webhook"), body, format="json")
                statuses.append(response.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return statuses

    first = [span(TEXT, "chest pain", "Symptom")]
    second = [span(TEXT, "pneumonia", "Disease")]
    bodies = [
        webhook("ANNOTATION_CREATED", ls_task(91), ls_annotation(901, first)),
        webhook("ANNOTATION_CREATED", ls_task(91), ls_annotation(902, second)),
    ]
    for body in bodies:
        assert deliver_at_once(body) == [201] * 3
    assert TaskLink.objects.filter(ls_task_id=91).count() == 1
    stored = {link.ls_annotation_id: link.completion for link in AnnotationLink.objects.all()}
    assert stored[901].result == first and stored[902].result == second
    assert Completion.objects.count() == 2
    counter = ActiveLearningSettings.objects.get(project=project)
    assert counter.completions_since_last_training == 2
