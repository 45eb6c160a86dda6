"""A real Label Studio for the ML backend tests, and a worker that runs the jobs annolab queues.

Label Studio is PyPI's ``label-studio`` from its own virtualenv (``make labelstudio``:
var/labelstudio/venv), started on 127.0.0.1 on a free port with its own SQLite under a temporary
folder, a known user and API token, and stopped after the test module. A fresh Label Studio
spends about a minute on its migrations, so the first start on a machine keeps its migrated
data folder in a cache outside the repository (``~/.cache/annolab/``, one per Label Studio
version, like the wheels ``make labelstudio`` keeps in pip's cache) and later starts, a fresh
clone's too, copy it (about 10 s).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABEL_STUDIO = ROOT / "var" / "labelstudio"
LABEL_STUDIO_BIN = LABEL_STUDIO / "venv" / "bin" / "label-studio"
USERNAME = "owner@annolab.test"
PASSWORD = "label-studio-owner-1"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
START_SECONDS = 240
#: Migrated data folders, one per Label Studio version: outside the repository, so a fresh
#: clone does not migrate again.
TEMPLATES = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "annolab"


@dataclass(frozen=True)
class LabelStudio:
    url: str
    token: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path, url: str) -> dict[str, str]:
    # Nothing of annolab's environment (its DATABASE_URL, DEBUG, SECRET_KEY) leaks into it.
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return {
        **keep,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        # The hostname Label Studio sends at setup (annolab pulls the export from it).
        "LABEL_STUDIO_HOST": url,
        # Offline and quiet: no version check against PyPI, no analytics, no Sentry reports
        # (Label Studio's settings default to its own Sentry project).
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        # annolab (the ML backend and its webhook) is on loopback, which Label Studio's SSRF
        # protection refuses by default.
        "ML_BLOCK_LOCAL_IP": "false",
        "SSRF_PROTECTION_ENABLED": "false",
        # The token Label Studio sends at setup is the owner's legacy API token.
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        # A shared 2-core machine that trains Spark NLP meanwhile: Label Studio's 1-3 s limits
        # for health, setup and webhooks would fail on load, not on annolab.
        "ML_TIMEOUT_HEALTH": "20",
        "ML_TIMEOUT_SETUP": "20",
        "WEBHOOK_TIMEOUT": "20",
    }


def _start(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(LABEL_STUDIO_BIN),
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        "--host",
        url,
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        "--user-token",
        TOKEN,
        "--enable-legacy-api-token",
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            env=_environment(data_dir, url),
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped whole
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Label Studio exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        time.sleep(1)
    _stop(process)
    raise RuntimeError(f"Label Studio did not answer {url}/health in {START_SECONDS} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def _template() -> Path:
    """A migrated data folder with the user and token, made once per Label Studio install."""
    stamps = sorted((LABEL_STUDIO / "venv").glob(".label-studio-*.installed"))
    version = stamps[-1].name.removeprefix(".label-studio-").removesuffix(".installed")
    template = TEMPLATES / f"label-studio-data-{version}"
    if (template / "label_studio.sqlite3").is_file():
        return template
    building = TEMPLATES / f"label-studio-data-{version}.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    process, _url = _start(building, building / "first-start.log")
    _stop(process)
    shutil.rmtree(template, ignore_errors=True)
    building.rename(template)
    return template


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudio]:
    if not LABEL_STUDIO_BIN.exists():
        # A skip would let a green run hide that the real Label Studio was never talked to.
        pytest.fail(f"Label Studio is not installed at {LABEL_STUDIO_BIN}: run `make labelstudio`")
    data_dir = tmp_path_factory.mktemp("label-studio") / "data"
    shutil.copytree(_template(), data_dir)
    log = data_dir / "label-studio.log"
    process, url = _start(data_dir, log)
    try:
        yield LabelStudio(url=url, token=TOKEN, log=log)
    finally:
        _stop(process)


class JobRunner(threading.Thread):
    """The django-q2 worker's part, in a thread: runs every queued training run and
    pre-annotation through the worker's own entry points (``training.tasks``), whose supervisor
    starts the real child process with Spark. The web queued them (with the live server's
    commit), so polling their rows is all a broker would add."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        from django.db import connection

        from training import tasks as worker_tasks
        from training.models import JobStatus, PreannotationJob, TrainingRun

        entries: list[tuple[Any, Any]] = [
            (TrainingRun, worker_tasks.execute_training_run),
            (PreannotationJob, worker_tasks.execute_preannotation),
        ]
        try:
            while not self.halt.is_set():
                for model, entry in entries:
                    queued = model.objects.filter(status=JobStatus.QUEUED).order_by("id")
                    for job_id in list(queued.values_list("id", flat=True)):
                        entry(job_id)
                self.halt.wait(0.5)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.failure = exc
        finally:
            connection.close()


@pytest.fixture
def job_runner() -> Iterator[JobRunner]:
    runner = JobRunner()
    runner.start()
    yield runner
    runner.halt.set()
    runner.join(timeout=120)
    if runner.failure is not None:
        raise runner.failure
