"""Run jobs as the django-q2 worker would, from a test (the supervisor in a thread), and check
what a finished pre-annotation stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from training import tasks as worker_tasks

if TYPE_CHECKING:
    from projects.models import Prediction, Project


def start_worker(run_id: int, entry: Callable[[int], None] | None = None) -> threading.Thread:
    from django.db import connection

    def work() -> None:
        try:
            (entry or worker_tasks.execute_training_run)(run_id)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def wait_for(predicate: Any, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out")


def train_now(
    api: Any, user: Any, project: Project, params: dict[str, Any], capture: Any
) -> tuple[int, list[dict[str, Any]]]:
    """POST a Train Now with deploy on and run it as the worker does: the run's id and each
    progress the API showed while it ran. ``capture`` is pytest-django's on-commit capture, so
    the django-q2 enqueue never happens (the test is the worker)."""
    with capture(execute=False):
        response = api(user).post(
            f"/api/projects/{project.name}/trainings/",
            {"deploy": True, "params": params},
            format="json",
        )
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    return run_id, run_training(api, user, project, run_id)


def run_training(api: Any, user: Any, project: Project, run_id: int) -> list[dict[str, Any]]:
    """Run a queued training as the worker does, until it ends: each progress the API showed."""
    worker = start_worker(run_id)
    seen: list[dict[str, Any]] = []

    def finished() -> bool:
        run = api(user).get(f"/api/projects/{project.name}/trainings/{run_id}/").json()
        if run["progress"]:
            seen.append(run["progress"])
        return run["status"] not in ("queued", "running")

    wait_for(finished, seconds=1800)  # a busy machine; a run normally takes a few minutes
    worker.join(timeout=30)
    return seen


def preannotations(project: Project) -> str:
    return f"/api/projects/{project.name}/preannotations/"


def run_preannotation(
    api: Any, user: Any, project: Project, body: dict[str, Any]
) -> dict[str, Any]:
    """POST a pre-annotation, run it as the worker does, and return the finished job."""
    response = api(user).post(preannotations(project), body, format="json")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["progress"]["done"] == 0
    # Busy the other way: Train Now waits for the pre-annotation.
    training = api(user).post(f"/api/projects/{project.name}/trainings/", {}, format="json")
    assert training.status_code == 409
    worker = start_worker(job["id"], worker_tasks.execute_preannotation)
    url = f"{preannotations(project)}{job['id']}/"
    wait_for(lambda: api(user).get(url).json()["status"] not in ("queued", "running"))
    worker.join(timeout=30)
    return api(user).get(url).json()


def check_regions(prediction: Prediction) -> None:
    """What a reviewer relies on: spans that match the text, confidences, score = their mean."""
    text = prediction.task.data["text"]
    confidences = []
    for region in prediction.result:
        value = region["value"]
        assert 0.0 <= value["confidence"] <= 1.0
        confidences.append(value["confidence"])
        if region["type"] == "labels":
            assert value["text"] == text[value["start"] : value["end"]], region
            assert len(value["labels"]) == 1
    assert len({region["id"] for region in prediction.result}) == len(prediction.result)
    if confidences:
        assert prediction.score == pytest.approx(sum(confidences) / len(confidences), abs=1e-4)
    else:
        assert prediction.score is None
    # Every text with a token gets a certainty for the uncertainty strategy, entities or not.
    if text.strip():
        assert prediction.certainty is not None and 0.0 <= prediction.certainty <= 1.0
