"""api.md "Round 2 additions": models out (``GET /api/models/{model}/download``) and in
(``POST /api/models/``, polled at ``GET /api/models/uploads/{id}/``), through the URL router with
each persona's role. No Spark: a model folder here is files in the shape Spark saves; loading
real ones is tests/training/test_model_files_spark.py.
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services as project_services
from projects.models import Project
from projects.tokenizer import SPARK_RESERVED_CHARS
from tests.api.contract import JOB, assert_error, carries
from training.models import JobStatus, ModelSource, ModelUpload, NlpModel

NER = "ner_clinic_annotation_manual_v1"
FILES = {
    "metadata/part-00000": b'{"class":"org.apache.spark.ml.PipelineModel"}',
    "metadata/_SUCCESS": b"",
    "stages/0_document_abc/metadata/part-00000": b"{}",
    "stages/4_NerDLModel_def/tensorflow": b"\x00\x01graph" * 100,
}


@pytest.fixture
def models_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MODELS_DIR = tmp_path / "models"
    settings.VAR_DIR = tmp_path / "var"
    return settings.MODELS_DIR


def saved_folder(root: Path, name: str) -> Path:
    folder = root / name
    for relative, data in FILES.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    return folder


def saved_ner_model(project: Project, models_dir: Path) -> NlpModel:
    """``NER``, a trained model of ``project`` whose folder has the shape of a saved pipeline."""
    return NlpModel.objects.create(
        name=NER,
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        source=ModelSource.TRAINED,
        path=str(saved_folder(models_dir, NER)),
    )


@pytest.fixture
def ner(project: Project, models_dir: Path) -> NlpModel:
    return saved_ner_model(project, models_dir)


def download(api: Any, user: Any, name: str = NER) -> Any:
    return api(user).get(f"/api/models/{name}/download")


def zip_bytes(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in entries:
            out.writestr(name, data)
    return buffer.getvalue()


def pipeline_zip(top: str = "mymodel") -> bytes:
    prefix = f"{top}/" if top else ""
    return zip_bytes(*((f"{prefix}{name}", data) for name, data in FILES.items()))


def upload(api: Any, user: Any, data: bytes, **fields: Any) -> Any:
    body = {"name": "ner_uploaded", "type": "ner", "labels": "Symptom, Disease", **fields}
    body = {key: value for key, value in body.items() if value is not None}
    body["file"] = SimpleUploadedFile("model.zip", data, content_type="application/zip")
    return api(user).post("/api/models/", body, format="multipart")


def nothing_kept(models_dir: Path) -> None:
    uploads = models_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert not ModelUpload.objects.exists()
    assert not NlpModel.objects.filter(name="ner_uploaded").exists()


# --- GET /api/models/{model}/download -------------------------------------------------------------


def test_download_streams_the_pipeline_folder_and_a_readme(
    api: Any, mike: Any, alice: Any, ner: NlpModel
) -> None:
    for user in (mike, alice):
        response = download(api, user)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f'attachment; filename="{NER}.zip"'
        assert response.streaming  # never the whole zip in memory
        data = b"".join(response.streaming_content)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            names = set(archive.namelist())
            assert names == {f"{NER}/{name}" for name in FILES} | {f"{NER}/README.txt"}
            for name, content in FILES.items():
                assert archive.read(f"{NER}/{name}") == content
            readme = archive.read(f"{NER}/README.txt").decode()
    assert "Spark NLP 5.5.3" in readme
    assert "Labels: Symptom, Disease" in readme
    assert f'PipelineModel.load("{NER}")' in readme
    assert "Input column: text" in readme and "ner_chunk" in readme
    # The recipe blanks exactly the characters annolab blanks before Spark sees a text.
    assert "range(0xF050, 0xF058)" in readme
    assert "".join(map(chr, range(0xF050, 0xF058))) == SPARK_RESERVED_CHARS


def test_download_readme_explains_assertion_and_classification_inputs(
    api: Any, mike: Any, project: Project, models_dir: Path
) -> None:
    assertion = NlpModel.objects.create(
        name="assertion_x",
        type="assertion",
        project=project,
        labels=["absent", "present"],
        source=ModelSource.TRAINED,
        path=str(saved_folder(models_dir, "assertion_x")),
    )
    classifier = NlpModel.objects.create(
        name="classification_x",
        type="classification",
        project=project,
        labels=["Adult", "Child"],
        choices_group="age",
        source=ModelSource.TRAINED,
        path=str(saved_folder(models_dir, "classification_x")),
    )
    for model, says in (
        (assertion, ["[[ chest pain ]]", "B-<status>"]),
        (classifier, ["Output column: category", "ClassifierDLModel", "'age'"]),
    ):
        data = b"".join(download(api, mike, model.name).streaming_content)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            readme = archive.read(f"{model.name}/README.txt").decode()
        for text in says:
            assert text in readme, (text, readme)


def test_download_roles_annotator_and_reviewer_403_outsider_404(
    api: Any, anna: Any, rita: Any, oscar: Any, ner: NlpModel
) -> None:
    assert_error(download(api, anna), 403)
    assert_error(download(api, rita), 403)
    assert_error(download(api, oscar), 404)
    assert_error(download(api, oscar, "no_such_model"), 404)


def test_download_of_a_model_without_files_is_409(api: Any, mike: Any, ner: NlpModel) -> None:
    NlpModel.objects.filter(pk=ner.pk).update(path="/nonexistent/folder")
    body = assert_error(download(api, mike), 409)
    assert "cannot be downloaded" in body["detail"] and "missing" in body["detail"]


def test_a_shared_model_is_downloaded_by_whoever_manages_a_project(
    api: Any, mike: Any, anna: Any, oscar: Any, ner: NlpModel
) -> None:
    NlpModel.objects.filter(pk=ner.pk).update(project=None, source=ModelSource.REGISTERED)
    assert download(api, mike).status_code == 200  # manages clinic
    assert_error(download(api, anna), 403)  # annotates only
    assert_error(download(api, oscar), 403)  # sees shared models, manages nothing


# --- POST /api/models/ and GET /api/models/uploads/{id}/ ------------------------------------------


@pytest.mark.parametrize("top", ["mymodel", ""])
def test_upload_unpacks_and_queues_a_job_on_commit(
    api: Any,
    mike: Any,
    anna: Any,
    oscar: Any,
    project: Project,
    models_dir: Path,
    top: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(api, mike, pipeline_zip(top), project="clinic")
    assert response.status_code == 202, response.json()
    job = response.json()
    carries(job, JOB)
    assert job["status"] == "queued" and job["error"] == "" and job["model"] is None
    assert job["progress"] == {"done": 0, "total": 1}
    assert (job["name"], job["type"], job["project"]) == ("ner_uploaded", "ner", "clinic")
    assert job["labels"] == ["Symptom", "Disease"]
    assert len(callbacks) == 1  # enqueued once the row is committed

    row = ModelUpload.objects.get()
    pipeline = Path(row.pipeline_path)
    assert pipeline.parent == Path(row.staging_path) if top else pipeline == Path(row.staging_path)
    assert Path(row.staging_path).parent == models_dir / "uploads"
    assert (pipeline / "stages/4_NerDLModel_def/tensorflow").read_bytes() == FILES[
        "stages/4_NerDLModel_def/tensorflow"
    ]
    assert not NlpModel.objects.filter(name="ner_uploaded").exists()  # only once the job succeeds

    polled = api(mike).get(f"/api/models/uploads/{job['id']}/")
    assert polled.status_code == 200 and polled.json() == job
    assert_error(api(anna).get(f"/api/models/uploads/{job['id']}/"), 404)
    assert_error(api(oscar).get(f"/api/models/uploads/{job['id']}/"), 404)
    # The name is reserved while its upload runs.
    again = upload(api, mike, pipeline_zip(top), project="clinic")
    assert_error(again, 400, field="name")


def symlink_entry() -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo("mymodel/stages/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, b"/etc/passwd"


HOSTILE = {
    "traversal": (
        zip_bytes(("mymodel/metadata/part-00000", b"{}"), ("../x", b"x")),
        "points outside its folder: '../x'",
    ),
    "absolute": (
        zip_bytes(("mymodel/metadata/part-00000", b"{}"), ("/tmp/x", b"x")),
        "absolute path: '/tmp/x'",
    ),
    "symlink": (
        zip_bytes(("mymodel/metadata/part-00000", b"{}"), symlink_entry()),
        "symbolic link",
    ),
    "bomb": (
        zip_bytes(("mymodel/metadata/part-00000", b"\0" * (8 * 1024 * 1024))),
        "would unpack to more than 1048576 bytes",
    ),
    "not a zip": (b"this is not a zip at all", "The file is not a zip archive."),
    "corrupt": (pipeline_zip()[:80], "corrupt"),
    "empty": (zip_bytes(), "The zip is empty"),
    "too many entries": (
        zip_bytes(*((f"mymodel/metadata/{n}", b"{}") for n in range(30))),
        "holds 30 entries; at most 25",
    ),
    "no pipeline": (
        zip_bytes(("notes/a.txt", b"hello"), ("b.txt", b"x")),
        "holds no saved Spark NLP pipeline",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_or_unusable_zip_is_a_400_naming_file_and_nothing_is_kept(
    api: Any, mike: Any, project: Project, models_dir: Path, settings: Any, case: str
) -> None:
    settings.MODEL_UPLOAD_MAX_UNPACKED_BYTES = 1024 * 1024
    settings.MODEL_UPLOAD_MAX_ENTRIES = 25
    data, message = HOSTILE[case]
    body = assert_error(upload(api, mike, data, project="clinic"), 400, field="file")
    assert message in body["errors"][0]["message"], body
    nothing_kept(models_dir)
    assert not (models_dir.parent / "x").exists()


def test_a_zip_over_the_size_limit_is_a_400_naming_file(
    api: Any, mike: Any, project: Project, models_dir: Path, settings: Any
) -> None:
    settings.MODEL_UPLOAD_MAX_BYTES = 500
    data = pipeline_zip()
    body = assert_error(upload(api, mike, data, project="clinic"), 400, field="file")
    assert body["errors"][0]["message"] == (
        f"The zip is {len(data)} bytes; at most 500 are accepted."
    )
    nothing_kept(models_dir)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": NER}, "name"),  # taken
        ({"name": "../evil"}, "name"),
        ({"name": ""}, "name"),
        ({"type": "pos"}, "type"),
        ({"type": None}, "type"),
        ({"labels": " , "}, "labels"),
        ({"project": "nowhere"}, "project"),
        ({"project": "radiology"}, "project"),  # oscar's: as unknown as one that does not exist
        ({"project": None}, "project"),  # shared: a site admin's act
        ({"multi_label": "maybe"}, "multi_label"),
    ],
)
def test_upload_fields_are_checked_before_anything_is_kept(
    api: Any,
    mike: Any,
    oscar: Any,
    ner: NlpModel,
    models_dir: Path,
    fields: dict[str, Any],
    field: str,
) -> None:
    project_services.project_create(owner=oscar, name="radiology")
    response = upload(api, mike, pipeline_zip(), **{"project": "clinic", **fields})
    body = assert_error(response, 400, field=field)
    assert body["detail"]
    nothing_kept(models_dir)


def test_upload_roles_annotator_403_and_a_shared_model_only_by_a_site_admin(
    api: Any, anna: Any, site_admin: Any, project: Project, models_dir: Path
) -> None:
    assert_error(upload(api, anna, pipeline_zip(), project="clinic"), 403)
    nothing_kept(models_dir)
    response = upload(api, site_admin, pipeline_zip())
    assert response.status_code == 202, response.json()
    assert response.json()["project"] is None
    assert ModelUpload.objects.get().status == JobStatus.QUEUED


def test_upload_takes_multipart_only(api: Any, mike: Any, project: Project) -> None:
    response = api(mike).post(
        "/api/models/", {"name": "x", "type": "ner", "labels": "A"}, format="json"
    )
    assert_error(response, 415)
    assert_error(
        api(mike).post("/api/models/", {"name": "x"}, format="multipart"), 400, field="file"
    )


def test_a_classifier_trained_elsewhere_gets_annolabs_note_from_the_form(
    api: Any, mike: Any, project: Project, models_dir: Path
) -> None:
    """annolab's predictors read a classifier's classes from annolab.json; one made elsewhere
    has none, so the form's labels and multi_label are written there. annolab's own download
    carries its note, which is kept."""
    response = upload(
        api,
        mike,
        pipeline_zip(),
        name="classification_age",
        type="classification",
        labels="Adult,Child",
        project="clinic",
        choices_group="age",
        multi_label="true",
    )
    assert response.status_code == 202, response.json()
    assert (response.json()["choices_group"], response.json()["multi_label"]) == ("age", True)
    folder = Path(ModelUpload.objects.get().pipeline_path)
    note = json.loads((folder / "annolab.json").read_text())
    assert note == {"kind": "classification", "multi_label": True, "classes": ["Adult", "Child"]}

    kept = zip_bytes(
        *((f"m/{name}", data) for name, data in FILES.items()),
        ("m/annolab.json", b'{"kind": "assertion", "design": "ner", "labels": ["absent"]}'),
    )
    response = upload(
        api, mike, kept, name="assertion_x", type="assertion", labels="absent", project="clinic"
    )
    assert response.status_code == 202, response.json()
    folder = Path(ModelUpload.objects.get(name="assertion_x").pipeline_path)
    assert json.loads((folder / "annolab.json").read_text())["labels"] == ["absent"]


def test_a_lost_upload_is_failed_by_the_reaper_and_keeps_nothing(
    api: Any, mike: Any, project: Project, models_dir: Path, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from training.jobs.lifecycle import WORKER_LOST, reap_lost_jobs

    response = upload(api, mike, pipeline_zip(), project="clinic")
    row = ModelUpload.objects.get(pk=response.json()["id"])
    stale = timezone.now() - timedelta(seconds=settings.TRAINING_LEASE_SECONDS + 5)
    ModelUpload.objects.filter(pk=row.pk).update(status=JobStatus.RUNNING, heartbeat_at=stale)
    reap_lost_jobs()
    row.refresh_from_db()
    assert (row.status, row.error) == (JobStatus.FAILED, WORKER_LOST)
    assert not Path(row.staging_path).exists()
    assert not NlpModel.objects.filter(name="ner_uploaded").exists()
    # An upload busies no project: the status of clinic does not change with it.
    assert api(mike).get("/api/projects/clinic/status").json()["busy"] is False
