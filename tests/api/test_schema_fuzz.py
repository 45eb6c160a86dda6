"""The OpenAPI document, proven by a fuzzer: Schemathesis against the live server.

Schemathesis reads ``/api/schema/`` from a running server (pytest-django's live server, on the
test PostgreSQL) and sends every operation schema-valid and schema-invalid requests, checking:

- ``not_a_server_error``: no 5xx, whatever arrives;
- ``status_code_conformance``: every status answered is documented for that operation;
- ``content_type_conformance``: the body's content type is the documented one;
- ``response_schema_conformance``: the body matches the documented schema (list envelopes,
  error shapes, nullable fields);
- ``negative_data_rejection``: a request that violates the schema is refused with a 4xx.

The server holds a realistic project (tasks with completions, a review and predictions, a
registered model bound in its config, a finished training run with a log, a pre-annotation job),
and the caller is its owner, so the fuzzer reaches the code behind the 404s: most schema-valid
cases get the real project name and ids in place of the generated path parameters (the rest keep
the generated ones, which must be a clean 404 or 400). ``DELETE /api/projects/{name}/`` gets a
scratch project of its own, so the fuzzing of other operations does not lose its data.
``POST /api/users/`` is called by a site admin, the only caller it serves.

The run is bounded and reproducible: a fixed seed, derandomised generation and a few examples per
operation (``MAX_EXAMPLES``), about a minute in all. No operation or check is excluded.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from projects import services as project_services
from projects.labeling_config import binding_map
from projects.models import Membership, Prediction, Project, Role, Task
from tests.personas import MIXED_CONFIG, choice, make_user, span
from training.models import (
    Deployment,
    JobStatus,
    ModelSource,
    ModelUpload,
    NlpModel,
    PreannotationJob,
    TrainingRun,
    Trigger,
)

# A deeper run for a developer: FUZZ_MAX_EXAMPLES=200 make test PYTEST_ARGS=tests/api
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
TEXTS = [
    "Patient denies chest pain.",
    "Mild fever and cough since Monday.",
    "No history of diabetes.",
    "Severe headache, possible migraine.",
]


def _realistic_project(owner: Any, models_dir: Path) -> dict[str, Any]:
    """The data a team has after a round of work; the ids the fuzzer's cases are pointed at."""
    annotator = make_user("fuzz-anna")
    reviewer = make_user("fuzz-rita")
    project = project_services.project_create(
        owner=owner, name="clinic", labeling_config=MIXED_CONFIG
    )
    Membership.objects.create(project=project, user=annotator, role=Role.ANNOTATOR, priority=2)
    Membership.objects.create(project=project, user=reviewer, role=Role.REVIEWER, priority=3)
    model = NlpModel.objects.create(
        name="ner_registered_clinical",
        type="ner",
        project=project,
        source=ModelSource.REGISTERED,
        labels=["Symptom", "Disease"],
        path=str(models_dir / "ner_registered_clinical"),
    )
    # A saved folder's shape (no Spark reads it here): its download is a 200 to check.
    for relative in ("metadata/part-00000", "stages/0_document/metadata/part-00000"):
        (models_dir / model.name / relative).parent.mkdir(parents=True, exist_ok=True)
        (models_dir / model.name / relative).write_text("{}")
    tasks = [Task.objects.create(project=project, data={"text": text}) for text in TEXTS]
    completion = project_services.completion_create(
        task=tasks[0],
        actor=annotator,
        result=[span(TEXTS[0], "chest pain", "Symptom"), choice("age", "Adult")],
        submit=True,
    )
    project_services.completion_review(
        completion=completion, actor=reviewer, approved=False, comment="Missed a label."
    )
    project_services.completion_create(task=tasks[1], actor=annotator, result=[])  # a draft
    Prediction.objects.create(
        task=tasks[2],
        model_name=model.name,
        score=0.8,
        result=[
            {
                **span(TEXTS[2], "diabetes", "Disease"),
                "value": {**span(TEXTS[2], "diabetes", "Disease")["value"], "confidence": 0.8},
            }
        ],
    )
    now = timezone.now()
    run = TrainingRun.objects.create(
        project=project,
        created_by=owner,
        trigger=Trigger.MANUAL,
        status=JobStatus.FAILED,
        error="Nothing to train.",
        params={},
        model_types=["ner"],
        results=[{"model_type": "ner", "status": "failed", "model": None, "error": "x"}],
        started_at=now,
        finished_at=now,
    )
    job = PreannotationJob.objects.create(
        project=project,
        created_by=owner,
        task_ids=[tasks[3].pk],
        models_used=[model.name],
        total=1,
        status=JobStatus.SUCCEEDED,
        done=1,
    )
    # A deployment record whose restore succeeds (its models are the config's): a 200 to check.
    bindings = binding_map(project.labeling_config)
    deployment = Deployment.objects.create(
        project=project,
        actor=owner,
        trigger="manual",
        before=bindings,
        after=bindings,
        old_config=project.labeling_config,
        new_config=project.labeling_config,
    )
    upload = ModelUpload.objects.create(
        project=project,
        created_by=owner,
        name="ner_uploaded",
        type="ner",
        labels=["Symptom"],
        status=JobStatus.FAILED,
        error="The zip is not a ner model annolab can use.",
    )
    return {
        "name": project.name,
        "upload_id": upload.pk,
        "deployment_id": deployment.pk,
        "task_id": tasks[0].pk,
        "completion_id": completion.pk,
        "run_id": run.pk,
        "job_id": job.pk,
        "model_name": model.name,
        "username": annotator.username,
    }


@pytest.fixture
def fuzz_target(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Path
) -> dict[str, Any]:
    # The live server runs in this process: uploads unpack under the test's own folders.
    settings.MODELS_DIR = tmp_path / "models"
    settings.VAR_DIR = tmp_path / "var"
    owner = make_user("fuzz-owner")
    admin = make_user("fuzz-admin", is_staff=True)
    return {
        "url": live_server.url,
        "ids": _realistic_project(owner, settings.MODELS_DIR),
        "owner_token": Token.objects.create(user=owner).key,
        "admin_token": Token.objects.create(user=admin).key,
    }


@pytest.fixture
def api_schema(fuzz_target: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_target['url']}/api/schema/")


schema = schemathesis.pytest.from_fixture("api_schema")


def _scratch_project(owner_token: str) -> str:
    owner = Token.objects.get(key=owner_token).user
    name = f"scratch-{Project.objects.count()}"
    project_services.project_create(owner=owner, name=name)
    return name


def _point_at_real_data(case: Any, target: dict[str, Any]) -> None:
    """Most schema-valid cases address the real project and ids; a fixed third keep theirs."""
    if not case.path_parameters or not case.meta or not case.meta.generation.mode.is_positive:
        return
    if zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 3 == 0:
        return
    real = dict(target["ids"])
    if case.method == "DELETE" and case.path == "/api/projects/{name}/":
        real["name"] = _scratch_project(target["owner_token"])
    for key in case.path_parameters:
        if key in real:
            case.path_parameters[key] = real[key]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_conforms_to_the_schema(case: Any, fuzz_target: dict[str, Any]) -> None:
    _point_at_real_data(case, fuzz_target)
    token = fuzz_target["admin_token" if case.path == "/api/users/" else "owner_token"]
    case.call_and_validate(
        base_url=fuzz_target["url"],
        headers={"Authorization": f"Token {token}"},
        checks=CHECKS,
    )


PAGINATED_LISTS = [
    "/api/projects/",
    "/api/projects/{name}/members/",
    "/api/projects/{name}/tasks/",
    "/api/projects/{name}/tasks/{task_id}/completions/",
    "/api/projects/{name}/trainings/",
    "/api/projects/{name}/deployments/",
    "/api/models/",
]


def test_the_schema_documents_list_envelopes_and_errors(api: Any, alice: Any) -> None:
    """What a generated client reads: envelopes for lists, the error shape for every 4xx."""
    response = api(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = json.loads(response.content)
    components = document["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        return components[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    for path in PAGINATED_LISTS:
        ok = document["paths"][path]["get"]["responses"]["200"]
        envelope = resolve(ok["content"]["application/json"]["schema"])
        assert set(envelope["required"]) >= {"count", "results"}, path
        assert {"count", "next", "previous", "results"} <= set(envelope["properties"]), path
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            error = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert resolve(error)["required"] == ["detail", "errors"], (method, path)
            if path != "/api/auth/token/":
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
    export = document["paths"]["/api/projects/{name}/export/"]["get"]["responses"]["200"]
    assert set(export["content"]) == {"application/json", "text/plain"}
    logs = document["paths"]["/api/projects/{name}/trainings/{run_id}/logs/"]["get"]
    assert set(logs["responses"]["200"]["content"]) == {"application/zip"}
    download = document["paths"]["/api/models/{model_name}/download/"]["get"]["responses"]
    assert set(download["200"]["content"]) == {"application/zip"} and "409" in download
    upload = document["paths"]["/api/models/"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    form = resolve(upload["requestBody"]["content"]["multipart/form-data"]["schema"])
    assert form["properties"]["file"]["format"] == "binary"
    assert set(form["required"]) == {"file", "name", "type", "labels"}
    assert "202" in upload["responses"]
