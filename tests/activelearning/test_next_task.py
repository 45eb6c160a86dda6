"""next-task: the strategies, reservations that expire, and no task handed out twice."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from activelearning import services
from activelearning.models import TaskReservation
from activelearning.selectors import prediction_certainty
from projects import services as project_services
from projects.models import Membership, Prediction, Project, Role, Task
from tests.activelearning.helpers import TEXT
from tests.personas import MIXED_CONFIG, make_user


def url(project: Project, strategy: str | None = None) -> str:
    query = f"?strategy={strategy}" if strategy else ""
    return f"/api/projects/{project.name}/next-task{query}"


def annotators(project: Project, count: int) -> list[Any]:
    users = [make_user(f"annotator{i}") for i in range(count)]
    Membership.objects.bulk_create(
        [Membership(project=project, user=u, role=Role.ANNOTATOR) for u in users]
    )
    return users


def ner_prediction(task: Task, model: str, *confidences: tuple[str, float]) -> Prediction:
    regions = []
    for fragment, confidence in confidences:
        start = task.text.index(fragment)
        value = {"start": start, "end": start + len(fragment), "text": fragment}
        regions.append(
            {
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {**value, "labels": ["Symptom"], "confidence": confidence},
            }
        )
    return Prediction.objects.create(task=task, model_name=model, result=regions)


def choices_prediction(task: Task, model: str, scores: dict[str, float]) -> Prediction:
    best = max(scores, key=scores.__getitem__)
    region = {
        "from_name": "age",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": [best], "confidence": scores[best], "scores": scores},
    }
    return Prediction.objects.create(task=task, model_name=model, result=[region])


# --- strategies --------------------------------------------------------------------------------


def test_sequential_hands_out_the_lowest_open_task_and_reserves_it(
    api: Any, anna: Any, alice: Any, project: Project, make_task: Any
) -> None:
    first, second, _ = (make_task(TEXT) for _ in range(3))
    response = api(anna).get(url(project, "sequential"))
    assert response.status_code == 200
    task = response.json()
    assert task["id"] == first.pk and task["data"] == {"text": TEXT}
    assert task["status"] == "incomplete"
    reservation = TaskReservation.objects.get(task=first)
    assert reservation.user == anna
    left = reservation.expires_at - timezone.now()
    assert timedelta(minutes=9) < left <= timedelta(minutes=10)
    # Nobody else gets it meanwhile; asking again gives anna the task she holds.
    assert api(alice).get(url(project, "sequential")).json()["id"] == second.pk
    assert api(anna).get(url(project, "random")).json()["id"] == first.pk


def test_the_project_strategy_is_the_default(
    api: Any, alice: Any, project: Project, make_task: Any
) -> None:
    tasks = [make_task(TEXT) for _ in range(20)]
    services.active_learning_update(project=project, actor=alice, strategy="sequential")
    handed_out = [api(user).get(url(project)).json()["id"] for user in annotators(project, 3)]
    assert handed_out == [t.pk for t in tasks[:3]]


def test_random_hands_out_each_open_task_once(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    tasks = [make_task(TEXT) for _ in range(5)]
    project_services.completion_create(task=tasks[0], actor=anna, result=[], submit=True)
    ids = [api(user).get(url(project, "random")).json()["id"] for user in annotators(project, 4)]
    assert sorted(ids) == [t.pk for t in tasks[1:]]  # anna's completion finished tasks[0]
    # anna submitted one task and the others are held by someone: nothing left for her.
    assert api(anna).get(url(project, "random")).status_code == 204


def test_uncertainty_hands_out_the_least_certain_task_first(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    text = "Chest pain and a cough since Monday, treated for pneumonia."
    sure, unsure, torn, unpredicted = (make_task(text) for _ in range(4))
    ner_prediction(sure, "ner_v1", ("Chest pain", 0.95), ("pneumonia", 0.9))
    ner_prediction(unsure, "ner_v1", ("Chest pain", 0.01))  # superseded below
    ner_prediction(unsure, "ner_v1", ("Chest pain", 0.4))
    choices_prediction(unsure, "cls_v1", {"Child": 0.9, "Adult": 0.1})  # margin 0.8
    choices_prediction(torn, "cls_v1", {"Child": 0.55, "Adult": 0.45})  # margin 0.1
    users = annotators(project, 4)
    handed_out = [api(user).get(url(project, "uncertainty")).json()["id"] for user in users]
    assert handed_out == [torn.pk, unsure.pk, sure.pk, unpredicted.pk]


def test_uncertainty_counts_only_the_deployed_models_when_the_config_names_some(
    api: Any, project: Project, make_task: Any
) -> None:
    deployed = MIXED_CONFIG.replace('value="Symptom"/>', 'value="Symptom" model="ner_v2"/>')
    Project.objects.filter(pk=project.pk).update(labeling_config=deployed)
    project.refresh_from_db()
    stale, current = make_task(TEXT), make_task(TEXT)
    ner_prediction(stale, "ner_v1", ("chest pain", 0.05))  # a model no longer deployed
    ner_prediction(stale, "ner_v2", ("chest pain", 0.9))
    ner_prediction(current, "ner_v2", ("chest pain", 0.5))
    [user] = annotators(project, 1)
    assert api(user).get(url(project, "uncertainty")).json()["id"] == current.pk


def test_uncertainty_reads_the_certainty_pre_annotation_measured(
    api: Any, project: Project, make_task: Any
) -> None:
    """A measured certainty (every token, entity or not) outranks the estimate from regions: a
    sentence without any entity can be the least certain one."""
    no_entity, unsure_entity, estimated = (make_task(TEXT) for _ in range(3))
    Prediction.objects.create(task=no_entity, model_name="ner_v1", result=[], certainty=0.31)
    ner_prediction(unsure_entity, "ner_v1", ("chest pain", 0.2))
    Prediction.objects.filter(task=unsure_entity).update(certainty=0.9)
    ner_prediction(estimated, "ner_v1", ("chest pain", 0.5))  # made elsewhere: no certainty
    users = annotators(project, 3)
    handed_out = [api(user).get(url(project, "uncertainty")).json()["id"] for user in users]
    assert handed_out == [no_entity.pk, estimated.pk, unsure_entity.pk]


def test_uncertainty_without_predictions_falls_back_to_random(
    api: Any, project: Project, make_task: Any
) -> None:
    tasks = {make_task(TEXT).pk for _ in range(5)}
    ids = [
        api(user).get(url(project, "uncertainty")).json()["id"] for user in annotators(project, 5)
    ]
    assert set(ids) == tasks


def test_certainty_weights_entities_by_length_and_uses_the_class_margin() -> None:
    long_unsure = {"type": "labels", "value": {"start": 0, "end": 20, "confidence": 0.2}}
    short_sure = {"type": "labels", "value": {"start": 30, "end": 32, "confidence": 1.0}}
    assert prediction_certainty([long_unsure, short_sure]) == pytest.approx(6 / 22)
    scores = {"type": "choices", "value": {"scores": {"a": 0.5, "b": 0.3, "c": 0.2}}}
    assert prediction_certainty([scores]) == pytest.approx(0.2)
    confidence_only = {"type": "choices", "value": {"choices": ["a"], "confidence": 0.7}}
    assert prediction_certainty([confidence_only]) == pytest.approx(0.7)
    assert prediction_certainty([long_unsure, scores]) == pytest.approx(0.2)
    assert prediction_certainty([], score=0.4) == pytest.approx(0.4)
    assert prediction_certainty([]) is None


# --- reservations ------------------------------------------------------------------------------


def test_an_expired_reservation_is_free_again(
    api: Any, anna: Any, alice: Any, project: Project, make_task: Any
) -> None:
    first, _ = make_task(TEXT), make_task(TEXT)
    assert api(anna).get(url(project, "sequential")).json()["id"] == first.pk
    TaskReservation.objects.filter(task=first).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api(alice).get(url(project, "sequential")).json()["id"] == first.pk
    assert TaskReservation.objects.get(task=first).user == alice


def test_submitting_frees_the_task_for_others_and_moves_the_annotator_on(
    api: Any, anna: Any, alice: Any, project: Project, make_task: Any
) -> None:
    project_services.project_update(project=project, actor=alice, completions_per_task=2)
    first, second = make_task(TEXT), make_task(TEXT)
    assert api(anna).get(url(project, "sequential")).json()["id"] == first.pk
    posted = api(anna).post(
        f"/api/projects/{project.name}/tasks/{first.pk}/completions/",
        {"result": [], "submit": True},
        format="json",
    )
    assert posted.status_code == 201
    assert api(anna).get(url(project, "sequential")).json()["id"] == second.pk
    assert api(alice).get(url(project, "sequential")).json()["id"] == first.pk


def test_204_when_nothing_is_left(api: Any, anna: Any, project: Project, make_task: Any) -> None:
    assert api(anna).get(url(project)).status_code == 204
    task = make_task(TEXT)
    project_services.completion_create(task=task, actor=anna, result=[], submit=True)
    for strategy in ("sequential", "random", "uncertainty"):
        response = api(anna).get(url(project, strategy))
        assert response.status_code == 204 and not response.content


# --- skip, rework, overlap ---------------------------------------------------------------------


def test_skip_releases_the_task_and_it_returns_after_the_callers_other_tasks(
    api: Any, anna: Any, alice: Any, project: Project, make_task: Any
) -> None:
    first, second, third = (make_task(TEXT) for _ in range(3))
    assert api(anna).get(url(project, "sequential")).json()["id"] == first.pk
    response = api(anna).get(f"{url(project, 'sequential')}&skip={first.pk}")
    assert response.json()["id"] == second.pk
    # The reservation is gone: someone else may take the skipped task at once.
    assert not TaskReservation.objects.filter(task=first, user=anna).exists()
    for done in (second, third):
        project_services.completion_create(task=done, actor=anna, result=[], submit=True)
    assert api(anna).get(url(project, "sequential")).json()["id"] == first.pk


def test_skip_of_a_task_that_is_not_there_is_400_and_stores_nothing(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    make_task(TEXT)
    for bad in ("999999", "abc", "1.5"):
        response = api(anna).get(f"{url(project)}?skip={bad}")
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "skip"
    assert not TaskReservation.objects.exists()


def test_rejected_work_comes_back_first_to_its_author_until_resubmitted(
    api: Any, anna: Any, rita: Any, project: Project, make_task: Any
) -> None:
    done, open_task = make_task(TEXT), make_task(TEXT)
    completion = project_services.completion_create(task=done, actor=anna, result=[], submit=True)
    assert api(anna).get(url(project, "sequential")).json()["id"] == open_task.pk
    TaskReservation.objects.all().delete()
    project_services.completion_review(
        completion=completion, actor=rita, approved=False, comment="Mark the disease."
    )
    assert api(anna).get(url(project, "sequential")).json()["id"] == done.pk
    project_services.completion_create(task=done, actor=anna, result=[], submit=True)
    assert api(anna).get(url(project, "sequential")).json()["id"] == open_task.pk


def test_untouched_tasks_go_first_and_overlap_only_above_one_completion_per_task(
    api: Any, anna: Any, alice: Any, project: Project, make_task: Any
) -> None:
    done, fresh = make_task(TEXT), make_task(TEXT)
    project_services.completion_create(task=done, actor=anna, result=[], submit=True)
    other = annotators(project, 1)[0]
    assert api(other).get(url(project, "sequential")).json()["id"] == fresh.pk
    project_services.completion_create(task=fresh, actor=other, result=[], submit=True)
    # One completion per task (the default): both tasks are finished.
    assert api(other).get(url(project, "sequential")).status_code == 204
    project_services.project_update(project=project, actor=alice, completions_per_task=2)
    assert api(other).get(url(project, "sequential")).json()["id"] == done.pk


def test_completions_per_task_is_a_project_field(api: Any, alice: Any, project: Project) -> None:
    path = f"/api/projects/{project.name}/"
    assert api(alice).get(path).json()["completions_per_task"] == 1
    assert api(alice).patch(path, {"completions_per_task": 0}, format="json").status_code == 400
    assert api(alice).patch(path, {"completions_per_task": 3}, format="json").status_code == 200
    project.refresh_from_db()
    assert project.completions_per_task == 3


def test_a_completion_records_the_prediction_it_started_from(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    task, other = make_task(TEXT), make_task(TEXT)
    prediction = ner_prediction(task, "ner_v1", ("chest pain", 0.8))
    foreign = ner_prediction(other, "ner_v1", ("chest pain", 0.8))
    path = f"/api/projects/{project.name}/tasks/{task.pk}/completions/"
    body = {"result": [], "submit": True, "lead_time": 3.5}
    refused = api(anna).post(path, {**body, "prediction": foreign.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "prediction"
    posted = api(anna).post(path, {**body, "prediction": prediction.pk}, format="json")
    assert posted.status_code == 201 and posted.json()["prediction"] == prediction.pk
    assert task.completions.get().prediction == prediction


# --- who may ask -------------------------------------------------------------------------------


def test_an_annotator_never_gets_a_task_assigned_to_others(
    api: Any, anna: Any, mike: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    project_services.task_update(task=task, actor=mike, annotators=["mike"])
    assert api(anna).get(url(project, "sequential")).status_code == 204
    assert api(mike).get(url(project, "sequential")).json()["id"] == task.pk


def test_roles(api: Any, rita: Any, oscar: Any, project: Project, make_task: Any) -> None:
    make_task(TEXT)
    assert api(rita).get(url(project)).status_code == 403  # reviewers do not annotate
    assert api(oscar).get(url(project)).status_code == 404
    assert api(None).get(url(project)).status_code == 401


def test_an_unknown_strategy_is_400(api: Any, anna: Any, project: Project) -> None:
    response = api(anna).get(url(project, "smartest"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "strategy"


# --- concurrency (real transactions on PostgreSQL) ---------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("strategy", ["sequential", "random", "uncertainty"])
def test_concurrent_callers_never_get_the_same_task(
    project: Project, make_task: Any, strategy: str
) -> None:
    tasks = [make_task(TEXT) for _ in range(8)]
    for position, task in enumerate(tasks[:4]):  # some ranked by certainty, some not
        ner_prediction(task, "ner_v1", ("chest pain", 0.1 * (position + 1)))
    users = annotators(project, 12)
    barrier = threading.Barrier(len(users))
    handed_out: list[int | None] = []
    errors: list[BaseException] = []

    def ask(user: Any) -> None:
        try:
            barrier.wait(timeout=30)
            task = services.task_reserve_next(project=project, actor=user, strategy=strategy)
            handed_out.append(task.pk if task else None)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    given = [task_id for task_id in handed_out if task_id is not None]
    assert sorted(given) == sorted(t.pk for t in tasks)  # each task once, none twice
    assert handed_out.count(None) == 4
    assert TaskReservation.objects.count() == 8
