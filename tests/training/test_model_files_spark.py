"""Models out and in on real Spark NLP, through the URL router and the worker's entry points.

The model is the session's small NER model (PER, LOC; ``trained_ner`` in conftest.py, trained
once by the NER trainer's engine and shared with test_engine_ner.py), saved where a training run
saves it and registered as a trained model of a project:

* out and in, one download for both: downloaded through ``GET /api/models/{name}/download``,
  loaded with plain ``PipelineModel.load`` in a Python process of its own that imports only
  pyspark and sparknlp (plain_sparknlp.py), whose entities for three texts are those of the
  trained folder; the same zip uploaded under a new name into a second project, checked by the
  upload job in a child process, deployed there and used by a pre-annotation job, which stores
  for the three texts the entities plain Spark NLP found;
* a zip shaped like a pipeline that Spark cannot load fails its job, keeping nothing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services as project_services
from projects.models import Prediction, Project, Role, Task
from tests.training.synthetic import PEOPLE_CONFIG
from tests.training.worker import run_preannotation, start_worker, wait_for
from training import tasks as worker_tasks
from training.models import ModelUpload, NlpModel

pytestmark = [
    pytest.mark.spark,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("workdirs"),
]

HERE = Path(__file__).resolve().parent
NAME = "ner_people_annotation_manual_v1"
TEXTS = [
    "John Smith lives in Berlin.",
    "Yesterday Mary Jones flew to New York again.",
    "In London, Alice Brown met friends.",
]


def people_project(owner: Any, name: str) -> Project:
    project = project_services.project_create(owner=owner, name=name, labeling_config=PEOPLE_CONFIG)
    project_services.member_add(project=project, actor=owner, username="mike", role=Role.MANAGER)
    return project


def download(api: Any, user: Any, name: str) -> bytes:
    response = api(user).get(f"/api/models/{name}/download")
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def stored_entities(project: Project, model: str) -> list[list[list[Any]]]:
    """What the pre-annotation job stored for TEXTS, as ``[start, end, label]`` per text."""
    entities = []
    for text in TEXTS:
        prediction = Prediction.objects.get(task__project=project, task__data__text=text)
        assert prediction.model_name == model
        entities.append(
            sorted(
                [r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]]
                for r in prediction.result
            )
        )
    return entities


def preannotate(api: Any, mike: Any, project: Project, model: str) -> None:
    deployed = api(mike).post(
        f"/api/projects/{project.name}/deploy", {"models": [model]}, format="json"
    )
    assert deployed.status_code == 200, deployed.json()
    ids = [Task.objects.create(project=project, data={"text": text}).pk for text in TEXTS]
    job = run_preannotation(api, mike, project, {"task_ids": ids})
    assert job["status"] == "succeeded", job["error"]
    assert job["models_used"] == [model]


def test_a_downloaded_model_predicts_in_plain_spark_nlp_what_annolab_predicts_after_reupload(
    api: Any,
    alice: Any,
    mike: Any,
    spark: Any,
    register_trained_ner: Any,
    tmp_path: Path,
) -> None:
    """One download serves both ways out and in: plain Spark NLP loads it, and the same zip,
    uploaded into a second project, is checked, deployed and used by a pre-annotation job,
    whose stored entities are what plain Spark NLP found (one pre-annotation child, not two)."""
    original = register_trained_ner(people_project(alice, "people"), NAME)
    zipped = download(api, mike, NAME)

    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        archive.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped" / NAME
    assert "PipelineModel.load" in (folder / "README.txt").read_text()

    output = tmp_path / "entities.json"
    # The README's recipe in a process of its own: pyspark and sparknlp, nothing of annolab.
    subprocess.run(
        [
            sys.executable,
            str(HERE / "plain_sparknlp.py"),
            str(folder),
            str(settings.SPARK_JARS_DIR),
            str(output),
        ],
        input=json.dumps(TEXTS),
        text=True,
        cwd=tmp_path,
        env={
            k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
        },
        check=True,
        timeout=600,
    )
    plain = json.loads(output.read_text())
    assert any(plain), "the model found no entity in any text"
    # The download is the trained model: annolab's NER predictor (the pre-annotation child's,
    # here in the test's own session) reads the same entities from the folder it was zipped from.
    from training.engine.predict import NerPredictor

    before_download = [
        sorted([e.start, e.end, e.label] for e in entities)
        for entities in NerPredictor(spark, Path(original.path)).predict(TEXTS)
    ]
    assert plain == before_download

    second = people_project(alice, "people-two")
    response = api(mike).post(
        "/api/models/",
        {
            "file": SimpleUploadedFile("model.zip", zipped, content_type="application/zip"),
            "name": "ner_people_reused",
            "type": "ner",
            "labels": "PER,LOC",
            "project": second.name,
        },
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    url = f"/api/models/uploads/{response.json()['id']}/"
    worker = start_worker(response.json()["id"], worker_tasks.execute_model_upload)
    wait_for(lambda: api(mike).get(url).json()["status"] not in ("queued", "running"))
    worker.join(timeout=30)
    job = api(mike).get(url).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["model"] == "ner_people_reused" and job["progress"] == {"done": 1, "total": 1}

    listed = api(mike).get(f"/api/models/?project={second.name}").json()["results"]
    assert [(m["name"], m["source"], m["labels"]) for m in listed] == [
        ("ner_people_reused", "registered", ["PER", "LOC"])
    ]
    preannotate(api, mike, second, "ner_people_reused")
    stored = Prediction.objects.filter(task__project=second, model_name="ner_people_reused")
    assert stored.count() == len(TEXTS)
    assert any(p.result for p in stored)
    # What annolab's pre-annotation job stored for the texts is what plain Spark NLP predicts.
    assert stored_entities(second, "ner_people_reused") == plain


def test_a_zip_that_is_not_a_spark_model_fails_its_job_and_keeps_nothing(
    api: Any, alice: Any, mike: Any
) -> None:
    project = people_project(alice, "people")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/metadata/part-00000", "this is not Spark metadata")
        archive.writestr("model/stages/0_x/metadata/part-00000", "{}")
    response = api(mike).post(
        "/api/models/",
        {
            "file": SimpleUploadedFile("model.zip", buffer.getvalue()),
            "name": "ner_junk",
            "type": "ner",
            "labels": "PER",
            "project": project.name,
        },
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    upload = ModelUpload.objects.get()
    assert Path(upload.staging_path).is_dir()
    start_worker(upload.pk, worker_tasks.execute_model_upload).join(timeout=600)
    job = api(mike).get(f"/api/models/uploads/{upload.pk}/").json()
    assert job["status"] == "failed" and job["model"] is None
    assert job["error"].startswith("The zip is not a ner model annolab can use: "), job["error"]
    assert not Path(upload.staging_path).exists()
    assert not NlpModel.objects.filter(name="ner_junk").exists()
