"""Active-learning settings, the completion counter, and the exactly-once training trigger."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from activelearning import tasks
from activelearning.models import ActiveLearningSettings
from projects import services as project_services
from projects.imports import tasks_import
from projects.models import Project
from tests.activelearning.helpers import NER_PARAMS, TEXT, ner_result
from training import services as training_services
from training.jobs import lifecycle
from training.models import (
    DeployPolicy,
    JobStatus,
    NlpModel,
    PreannotationJob,
    TrainingRun,
    Trigger,
)


def url(project: Project) -> str:
    return f"/api/projects/{project.name}/active-learning"


def counter(project: Project) -> int:
    return ActiveLearningSettings.objects.get(project=project).completions_since_last_training


def al_runs(project: Project) -> list[TrainingRun]:
    return list(TrainingRun.objects.filter(project=project, trigger=Trigger.ACTIVE_LEARNING))


def running_run(project: Project, **extra: Any) -> TrainingRun:
    """A manual run a worker is busy with (its heartbeat is fresh unless said otherwise)."""
    return TrainingRun.objects.create(
        project=project,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=extra.pop("heartbeat_at", timezone.now()),
        model_types=["ner"],
        results=[{"model_type": "ner", "status": "running", "model": None, "error": ""}],
        **extra,
    )


def deployed_results(deployed: bool) -> list[dict[str, Any]]:
    """A finished NER result as the child writes it, saying whether its model was deployed."""
    return [
        {
            "model_type": "ner",
            "status": "succeeded",
            "model": "ner_clinic_annotation_active_learning_v1",
            "error": "",
            "deployed": deployed,
            "deploy_reason": "deployed: deploy is true" if deployed else "not deployed",
        }
    ]


# --- settings API ------------------------------------------------------------------------------


def test_defaults_before_anything_is_configured(api: Any, mike: Any, project: Project) -> None:
    response = api(mike).get(url(project))
    assert response.status_code == 200
    assert response.json() == {
        "enabled": False,
        "frequency": 50,
        "deploy": False,
        "strategy": "uncertainty",
        "params": None,
        "completions_since_last_training": 0,
        "pending": False,
        "effective_params": {},
    }


def test_put_stores_and_get_returns_the_settings(api: Any, mike: Any, project: Project) -> None:
    body = {
        "enabled": True,
        "frequency": 100,
        "deploy": True,
        "strategy": "random",
        "params": {"epochs": 5, "model_types": ["ner"]},
    }
    response = api(mike).put(url(project) + "/", body, format="json")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body
    assert response.json()["completions_since_last_training"] == 0
    again = api(mike).get(url(project)).json()
    assert {k: again[k] for k in body} == body
    # Sending a GET's answer back, read-only fields included, changes nothing; null params means
    # "those of the last manual run".
    again["params"] = None
    assert api(mike).put(url(project), again, format="json").status_code == 200
    assert ActiveLearningSettings.objects.get(project=project).params is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"frequency": 0}, "frequency"),
        ({"frequency": "50"}, "frequency"),
        ({"frequency": 2.5}, "frequency"),
        ({"frequency": True}, "frequency"),
        ({"strategy": "smartest"}, "strategy"),
        ({"enabled": "yes"}, "enabled"),
        ({"deploy": 1}, "deploy"),
        ({"params": {"epochs": 0}}, "params.epochs"),
        ({"params": {"dropout": 1}}, "params.dropout"),
        ({"params": {"epochz": 3}}, "params.epochz"),
        ({"params": "fast"}, "params"),
        ({"frequncy": 10}, "frequncy"),
    ],
)
def test_bad_values_are_400_with_the_field_and_nothing_is_stored(
    api: Any, alice: Any, project: Project, body: dict[str, Any], field: str
) -> None:
    response = api(alice).put(url(project), {"enabled": True, **body}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["detail"]
    assert not ActiveLearningSettings.objects.filter(project=project, enabled=True).exists()


def test_only_owner_and_manager_see_and_change_the_settings(
    api: Any, anna: Any, rita: Any, oscar: Any, alice: Any, project: Project
) -> None:
    for user in (anna, rita):
        assert api(user).get(url(project)).status_code == 403
        assert api(user).put(url(project), {"enabled": True}, format="json").status_code == 403
    assert api(oscar).get(url(project)).status_code == 404
    assert api(None).get(url(project)).status_code == 401
    assert api(alice).put(url(project), {"enabled": True}, format="json").status_code == 200


# --- what counts -------------------------------------------------------------------------------


def test_only_newly_submitted_completions_count(
    api: Any,
    anna: Any,
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    run_commit_hooks: Callable[..., Any],
) -> None:
    task = make_task(TEXT)
    # A draft, then edits of it: not counted.
    draft = project_services.completion_create(task=task, actor=anna, result=[])
    project_services.completion_update(completion=draft, actor=anna, result=ner_result())
    assert api(mike).get(url(project)).json()["completions_since_last_training"] == 0
    # Submitting the draft counts once; a completion created submitted counts once.
    run_commit_hooks(lambda: project_services.completion_submit(completion=draft, actor=anna))
    submit(make_task(TEXT))
    assert counter(project) == 2
    # Re-submitting or editing a submitted completion is refused and does not count.
    assert api(anna).post(f"/api/completions/{draft.pk}/submit").status_code == 409
    patch = api(anna).patch(f"/api/completions/{draft.pk}/", {"result": []}, format="json")
    assert patch.status_code == 409
    # An import of already submitted work is not new labeling.
    imported = tasks_import(
        project=project,
        payload=[
            {
                "data": {"text": TEXT},
                "completions": [
                    {
                        "created_username": "anna",
                        "submitted_at": "2026-01-02T10:05:00Z",
                        "result": ner_result(),
                    }
                ],
            }
        ],
    )
    assert imported.completion_count == 1
    # Deleting counted work does not uncount it.
    project_services.task_delete(task=task, actor=mike)
    assert api(mike).get(url(project)).json()["completions_since_last_training"] == 2


def test_counting_goes_on_while_active_learning_is_off(
    project: Project, make_task: Any, submit: Callable[..., Any]
) -> None:
    for _ in range(3):
        submit(make_task(TEXT))
    assert counter(project) == 3
    assert not TrainingRun.objects.exists()


def test_any_training_run_restarts_the_count(
    api: Any, mike: Any, project: Project, make_task: Any, submit: Callable[..., Any]
) -> None:
    for _ in range(2):
        submit(make_task(TEXT))
    manual = training_services.training_run_start(
        project=project, actor=mike, deploy=False, params=NER_PARAMS
    )
    assert api(mike).get(url(project)).json()["completions_since_last_training"] == 0
    training_services.training_run_cancel(run=manual, actor=mike)
    submit(make_task(TEXT))
    assert counter(project) == 1


# --- the trigger -------------------------------------------------------------------------------


@pytest.mark.parametrize("deploy", [True, False])
def test_reaching_the_frequency_queues_exactly_one_active_learning_run(
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    deploy: bool,
) -> None:
    enable(project, frequency=3, deploy=deploy, params={"model_types": ["ner"], "epochs": 4})
    for _ in range(2):
        submit(make_task(TEXT))
    assert not TrainingRun.objects.exists()
    submit(make_task(TEXT))
    [run] = TrainingRun.objects.all()
    assert run.trigger == Trigger.ACTIVE_LEARNING and run.status == JobStatus.QUEUED
    assert run.deploy == (DeployPolicy.ALWAYS if deploy else DeployPolicy.NEVER)
    assert run.params["epochs"] == 4 and run.model_types == ["ner"]
    assert run.created_by is None
    row = ActiveLearningSettings.objects.get(project=project)
    assert (row.completions_since_last_training, row.pending) == (0, False)
    # The next completions count toward the next run, and do not start another one now.
    submit(make_task(TEXT))
    assert counter(project) == 1 and TrainingRun.objects.count() == 1


def test_params_default_to_those_of_the_last_manual_run(
    api: Any,
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
) -> None:
    submit(make_task(TEXT))
    manual = training_services.training_run_start(
        project=project, actor=mike, deploy=False, params={"model_types": ["ner"], "epochs": 7}
    )
    training_services.training_run_cancel(run=manual, actor=mike)
    enable(project, frequency=2, params=None)
    assert api(mike).get(url(project)).json()["effective_params"]["epochs"] == 7
    submit(make_task(TEXT))
    submit(make_task(TEXT))
    [run] = al_runs(project)
    assert run.params["epochs"] == 7 and run.model_types == ["ner"]


def test_nothing_trainable_is_logged_and_the_submit_succeeds(
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # No manual run and no params: every model type of the mixed config, but the completions
    # hold no assertion labels and no choices, so training refuses.
    enable(project, frequency=1, params=None)
    with caplog.at_level(logging.WARNING, logger="activelearning.services"):
        completion = submit(make_task(TEXT))
    assert completion.is_submitted
    assert not TrainingRun.objects.exists()
    assert "did not start a training run" in caplog.text
    row = ActiveLearningSettings.objects.get(project=project)
    assert row.pending is False


def test_crossings_while_busy_collapse_into_one_pending_run_started_when_free(
    api: Any,
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    run_commit_hooks: Callable[..., Any],
) -> None:
    enable(project, frequency=2, deploy=True)
    busy = running_run(project)
    for _ in range(5):  # thresholds at 2 and 4
        submit(make_task(TEXT))
    state = api(mike).get(url(project)).json()
    assert state["pending"] is True and state["completions_since_last_training"] == 5
    assert al_runs(project) == []
    # The worker finishes the manual run: project_freed starts the one pending run.
    run_commit_hooks(lambda: lifecycle.job_finish(job=busy, status=JobStatus.SUCCEEDED))
    [run] = al_runs(project)
    assert run.deploy == DeployPolicy.ALWAYS and run.status == JobStatus.QUEUED
    state = api(mike).get(url(project)).json()
    assert state["pending"] is False and state["completions_since_last_training"] == 0


@pytest.mark.parametrize("picked_up_by", ["next count", "the worker's schedule"])
def test_a_pending_trigger_survives_a_lost_project_freed(
    api: Any,
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    picked_up_by: str,
) -> None:
    enable(project, frequency=2)
    busy = running_run(project)
    submit(make_task(TEXT))
    submit(make_task(TEXT))
    assert ActiveLearningSettings.objects.get(project=project).pending is True
    # The run ended but its worker died before announcing it: no project_freed was sent.
    TrainingRun.objects.filter(pk=busy.pk).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now()
    )
    assert al_runs(project) == []
    api(mike).get(url(project))
    assert al_runs(project) == []  # a GET only reads
    if picked_up_by == "next count":
        submit(make_task(TEXT))
    else:
        tasks.start_pending_triggers()
    assert len(al_runs(project)) == 1
    assert ActiveLearningSettings.objects.get(project=project).pending is False


def test_a_run_whose_worker_died_is_reaped_and_the_pending_run_starts(
    api: Any,
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
) -> None:
    enable(project, frequency=1)
    busy = running_run(project, heartbeat_at=timezone.now() - timedelta(minutes=10))
    submit(make_task(TEXT))
    assert al_runs(project) == []  # looks busy until something reaps the lost run
    api(mike).get(url(project))
    assert al_runs(project) == []  # a GET only reads
    tasks.start_pending_triggers()  # the worker's schedule reaps, then starts the trigger
    busy.refresh_from_db()
    assert busy.status == JobStatus.FAILED
    assert len(al_runs(project)) == 1


def test_switching_off_drops_a_pending_trigger(
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    run_commit_hooks: Callable[..., Any],
) -> None:
    enable(project, frequency=1)
    busy = running_run(project)
    submit(make_task(TEXT))
    enable(project, enabled=False)
    assert ActiveLearningSettings.objects.get(project=project).pending is False
    run_commit_hooks(lambda: lifecycle.job_finish(job=busy, status=JobStatus.SUCCEEDED))
    assert al_runs(project) == []


def test_a_manual_run_started_after_the_threshold_absorbs_the_pending_trigger(
    mike: Any,
    project: Project,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    run_commit_hooks: Callable[..., Any],
) -> None:
    enable(project, frequency=1)
    busy = running_run(project)
    submit(make_task(TEXT))
    # The project frees without the signal reaching us, and a manager trains by hand at once:
    # that run trains on the completions the pending trigger was for.
    TrainingRun.objects.filter(pk=busy.pk).update(status=JobStatus.SUCCEEDED)
    manual = training_services.training_run_start(
        project=project, actor=mike, deploy=False, params=NER_PARAMS
    )
    run_commit_hooks(lambda: training_services.training_run_cancel(run=manual, actor=mike))
    assert al_runs(project) == []
    row = ActiveLearningSettings.objects.get(project=project)
    assert (row.completions_since_last_training, row.pending) == (0, False)


# --- after an active-learning run --------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "deploy", "status", "preannotates"),
    [
        (Trigger.ACTIVE_LEARNING, True, JobStatus.SUCCEEDED, True),
        (Trigger.ACTIVE_LEARNING, True, JobStatus.PARTIAL, True),
        (Trigger.ACTIVE_LEARNING, True, JobStatus.FAILED, False),
        (Trigger.ACTIVE_LEARNING, False, JobStatus.SUCCEEDED, False),
        (Trigger.MANUAL, True, JobStatus.SUCCEEDED, False),
    ],
)
def test_an_active_learning_deployment_queues_preannotation_of_the_open_tasks(
    project: Project,
    alice: Any,
    make_task: Any,
    submit: Any,
    run_commit_hooks: Any,
    trigger: str,
    deploy: bool,
    status: str,
    preannotates: bool,
) -> None:
    ner = NlpModel.objects.create(
        name="ner_clinic_annotation_manual_v1",
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        path="/models/ner_clinic_annotation_manual_v1",
    )
    training_services.deploy_models(project=project, models=[ner], actor=alice)
    submit(make_task(TEXT))
    open_task = make_task(TEXT)
    run = TrainingRun.objects.create(
        project=project,
        status=JobStatus.RUNNING,
        model_types=["ner"],
        trigger=trigger,
        deploy=DeployPolicy.ALWAYS if deploy else DeployPolicy.NEVER,
        results=deployed_results(deploy),
    )
    run_commit_hooks(lambda: lifecycle.job_finish(job=run, status=status))
    # The job row is what the worker would pick up (its enqueue is left uncommitted here).
    jobs = PreannotationJob.objects.filter(project=project)
    assert [(job.task_ids, job.created_by) for job in jobs] == (
        [([open_task.pk], None)] if preannotates else []
    )


def test_a_preannotation_that_cannot_start_is_logged_and_the_run_still_finishes(
    project: Project, run_commit_hooks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    run = TrainingRun.objects.create(
        project=project,
        status=JobStatus.RUNNING,
        model_types=["ner"],
        trigger=Trigger.ACTIVE_LEARNING,
        deploy=DeployPolicy.ALWAYS,
        results=deployed_results(True),
    )
    with caplog.at_level(logging.WARNING, logger="activelearning.services"):
        run_commit_hooks(lambda: lifecycle.job_finish(job=run, status=JobStatus.SUCCEEDED))
    # Nothing is deployed in this project, so pre-annotation refuses; the run is unaffected.
    assert "did not start: No model is deployed" in caplog.text
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert not PreannotationJob.objects.filter(project=project).exists()


def test_after_a_deploying_run_preannotation_comes_first_then_the_waiting_trigger(
    project: Project,
    alice: Any,
    make_task: Any,
    submit: Callable[..., Any],
    enable: Callable[..., Any],
    run_commit_hooks: Callable[..., Any],
) -> None:
    """One decision after each job (``after_job``): the pre-annotation of the new models, and only
    when that ends the trigger that crossed its threshold meanwhile."""
    ner = NlpModel.objects.create(
        name="ner_clinic_annotation_manual_v1",
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        path="/models/ner_clinic_annotation_manual_v1",
    )
    training_services.deploy_models(project=project, models=[ner], actor=alice)
    enable(project, frequency=1, deploy=True)
    run = running_run(project, trigger=Trigger.ACTIVE_LEARNING, deploy=DeployPolicy.ALWAYS)
    TrainingRun.objects.filter(pk=run.pk).update(results=deployed_results(True))
    submit(make_task(TEXT))  # crosses the threshold while the run trains: pending
    make_task(TEXT)
    assert ActiveLearningSettings.objects.get(project=project).pending is True

    run_commit_hooks(lambda: lifecycle.job_finish(job=run, status=JobStatus.SUCCEEDED))
    [job] = PreannotationJob.objects.filter(project=project)
    assert al_runs(project) == [run]  # the trigger waits for the pre-annotation

    PreannotationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    run_commit_hooks(lambda: lifecycle.job_finish(job=job, status=JobStatus.SUCCEEDED))
    newest = al_runs(project)[0]
    assert newest != run and newest.status == JobStatus.QUEUED
    assert ActiveLearningSettings.objects.get(project=project).pending is False


# --- exactly once under concurrency (real transactions on PostgreSQL) --------------------------


def submit_concurrently(tasks: list[Any], user: Any) -> list[BaseException]:
    """Submit one completion per task, each from its own thread, all released at once."""
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def work(task: Any) -> None:
        try:
            barrier.wait(timeout=30)
            project_services.completion_create(
                task=task, actor=user, result=ner_result(), submit=True
            )
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_start_exactly_one_run(
    anna: Any, project: Project, make_task: Any, enable: Callable[..., Any]
) -> None:
    enable(project, frequency=50, deploy=True)
    tasks = [make_task(TEXT) for _ in range(50)]
    assert submit_concurrently(tasks, anna) == []
    [run] = al_runs(project)
    assert run.deploy == DeployPolicy.ALWAYS
    row = ActiveLearningSettings.objects.get(project=project)
    assert (row.completions_since_last_training, row.pending) == (0, False)


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_while_busy_leave_one_pending_run(
    anna: Any, project: Project, make_task: Any, enable: Callable[..., Any]
) -> None:
    enable(project, frequency=10)
    busy = running_run(project)
    tasks = [make_task(TEXT) for _ in range(50)]
    assert submit_concurrently(tasks, anna) == []  # five thresholds crossed while busy
    row = ActiveLearningSettings.objects.get(project=project)
    assert (row.completions_since_last_training, row.pending) == (50, True)
    assert al_runs(project) == []
    lifecycle.job_finish(job=busy, status=JobStatus.SUCCEEDED)  # commits: signal sent
    assert len(al_runs(project)) == 1
    row.refresh_from_db()
    assert (row.completions_since_last_training, row.pending) == (0, False)


@pytest.mark.django_db(transaction=True)
def test_a_count_that_waited_for_a_run_start_keeps_the_reset(
    anna: Any, project: Project, make_task: Any, enable: Callable[..., Any]
) -> None:
    """A submit whose count waits for the commit of a run start counts from that run on.

    The count's statement began before the run existed; it must count on the reset row (1, since
    the new run), not undo the reset for the older run its snapshot still sees as the newest.
    """
    enable(project, frequency=1000)
    older = TrainingRun.objects.create(
        project=project, status=JobStatus.SUCCEEDED, model_types=["ner"], results=[]
    )
    task = make_task(TEXT)
    project_services.completion_create(task=task, actor=anna, result=ner_result(), submit=True)
    assert counter(project) == 1
    started = threading.Event()
    errors: list[BaseException] = []

    def submit_while_the_run_starts() -> None:
        try:
            started.wait(timeout=30)
            project_services.completion_create(
                task=task, actor=anna, result=ner_result(), submit=True
            )
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    submitter = threading.Thread(target=submit_while_the_run_starts)
    submitter.start()
    with transaction.atomic():
        # What a run start does to the row (pending_trigger_start), holding its lock.
        newer = running_run(project)
        ActiveLearningSettings.objects.filter(project=project).update(
            counted_since_run=newer, completions_since_last_training=0, pending=False
        )
        started.set()
        waiting_for_lock(timeout=30)
    submitter.join(timeout=60)
    assert errors == []
    row = ActiveLearningSettings.objects.get(project=project)
    assert (row.counted_since_run_id, row.completions_since_last_training) == (newer.pk, 1)
    assert older.pk < newer.pk


def waiting_for_lock(timeout: float) -> None:
    """Return once another backend waits for a row lock: the submitter's UPDATE, behind ours."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL shows the activity it read first, unless told not to.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the submitter never waited for the settings row")
