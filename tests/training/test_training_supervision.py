"""Supervised runs on real Spark NLP: cancel, a killed child, no network, a standalone cluster."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from projects import services as project_services
from projects.imports import tasks_import
from projects.models import Project
from tests.training.synthetic import NER_CONFIG, labelled_tasks
from tests.training.worker import start_worker, wait_for
from training import services
from training.models import JobStatus, NlpModel, TrainingRun

pytestmark = [pytest.mark.spark, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ner_project(alice: Any, workdirs: Any) -> Project:
    project = project_services.project_create(owner=alice, name="notes", labeling_config=NER_CONFIG)
    tasks_import(project=project, payload=labelled_tasks(24, ner_only=True))
    return project


def queue_run(project: Project, alice: Any, **params: Any) -> TrainingRun:
    return services.training_run_start(
        project=project, actor=alice, deploy=True, params={"validation_split": 0, **params}
    )


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running_epoch(run: TrainingRun) -> bool:
    run.refresh_from_db()
    return bool(run.progress and run.progress["epoch"] >= 1) or run.status not in (
        "queued",
        "running",
    )


def test_cancel_kills_the_child_and_deploys_nothing(ner_project: Project, alice: Any) -> None:
    config_before = ner_project.labeling_config
    run = queue_run(ner_project, alice, epochs=400)
    worker = start_worker(run.pk)
    wait_for(lambda: running_epoch(run))
    assert run.status == JobStatus.RUNNING, run.error
    child = run.child_pid
    assert child and group_alive(child)

    services.training_run_cancel(run=run, actor=alice)
    wait_for(lambda: TrainingRun.objects.get(pk=run.pk).status != JobStatus.RUNNING, 60)
    worker.join(timeout=30)
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED
    assert not group_alive(child)  # the child and its JVM are gone
    assert not NlpModel.objects.exists()
    assert Project.objects.get(pk=ner_project.pk).labeling_config == config_before
    assert services.ensure_project_free(ner_project) is None


def test_a_killed_child_fails_the_run_and_frees_the_project(
    ner_project: Project, alice: Any
) -> None:
    run = queue_run(ner_project, alice, epochs=400)
    worker = start_worker(run.pk)
    wait_for(lambda: running_epoch(run))
    os.killpg(run.child_pid, signal.SIGKILL)
    worker.join(timeout=60)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.error  # one line saying why
    assert run.results[0]["status"] == JobStatus.FAILED
    assert services.ensure_project_free(ner_project) is None


@pytest.fixture
def no_network(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    socket_url = os.environ.get("ANNOLAB_TEST_PG_SOCKET_URL")
    if not socket_url:
        pytest.fail("run under scripts/with_test_postgres.sh, which exposes the server's socket")
    # Inside the namespace only loopback exists: the child reaches PostgreSQL by its unix socket.
    monkeypatch.setenv("DATABASE_URL", socket_url)
    settings.TRAINING_CHILD_WRAPPER = str(ROOT / "scripts" / "no_network.sh")


def test_training_needs_no_network(ner_project: Project, alice: Any, no_network: None) -> None:
    run = queue_run(ner_project, alice, epochs=2)
    start_worker(run.pk).join(timeout=600)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)

    # Pretrained embeddings need a download: a clear sentence, no stack trace.
    run = queue_run(
        ner_project, alice, epochs=2, embeddings={"source": "pretrained", "name": "glove_100d"}
    )
    start_worker(run.pk).join(timeout=600)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert (
        run.error == "Pretrained embeddings 'glove_100d' cannot be downloaded: "
        "no internet access on this server"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def standalone_cluster(tmp_path: Path) -> Iterator[str]:
    """A Spark master and one worker on loopback, started with pyspark's own spark-class."""
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
    }
    port = free_port()
    master = subprocess.Popen(
        [
            str(spark_class),
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"spark://127.0.0.1:{port}"
    worker = subprocess.Popen(
        [
            str(spark_class),
            "org.apache.spark.deploy.worker.Worker",
            url,
            "--host",
            "127.0.0.1",
            "--cores",
            "2",
            "--memory",
            "2g",
            "--webui-port",
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        time.sleep(3)  # let the worker register with the master
        yield url
    finally:
        for process in (worker, master):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_training_on_a_standalone_spark_cluster(
    ner_project: Project, alice: Any, settings: Any, standalone_cluster: str
) -> None:
    settings.SPARK_MASTER = standalone_cluster
    run = queue_run(ner_project, alice, epochs=2)
    start_worker(run.pk).join(timeout=900)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
    assert NlpModel.objects.filter(training_run=run).count() == 1
