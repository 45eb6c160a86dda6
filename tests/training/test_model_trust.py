"""Models a team can trust (issue 19): a frozen test set, deploy only if better, evaluation.

The first part needs no Spark: which tasks reach a training dataset, the test set's fingerprint,
the request-time rules of ``"if_better"`` and the evaluate endpoint's edge. The last test trains
three real NER models through Train Now and the worker (a poor one, a good one, a poor one
again) and shows ``"if_better"`` deploying the better model, keeping the worse one out with the
reason in ``results``, re-scoring a deployed model whose score is from an older test set, and
an evaluation job re-scoring a model on today's set.
"""

from __future__ import annotations

from typing import Any

import pytest

from projects import services as project_services
from projects.imports import tasks_import
from projects.labeling_config import parse_labeling_config
from projects.models import Project, Role, Task
from tests.personas import MIXED_CONFIG
from tests.training.synthetic import NER_CONFIG, labelled_tasks, without_regions
from tests.training.worker import run_training, start_worker, wait_for
from training import datasets
from training import tasks as worker_tasks
from training.deploy_policy import decide
from training.deployed import deployed_models
from training.models import DeployPolicy, EvaluationJob, JobStatus, NlpModel, TrainingRun
from training.params import TrainingParams
from training.pipeline.trainers.assertion import assertion_data
from training.pipeline.trainers.classification import group_data
from training.pipeline.trainers.ner import ner_data

HELD_OUT_WORD = "Heldoutword"


def tagged(tasks: list[dict[str, Any]], tag: str, positions: range) -> list[dict[str, Any]]:
    for position in positions:
        tasks[position]["tags"] = [*tasks[position].get("tags", []), tag]
    return tasks


@pytest.fixture
def mixed(alice: Any, mike: Any) -> Project:
    """30 labelled tasks, the last 8 tagged ``test``; every region type and a choice."""
    project = project_services.project_create(owner=alice, name="trust")
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    project_services.project_update(project=project, actor=alice, labeling_config=MIXED_CONFIG)
    tasks = without_regions(labelled_tasks(30, unlabelled=0), "systems")
    for task in tasks[22:]:
        # A word only test texts have (after the regions, so their offsets stay right).
        task["data"]["text"] += f" {HELD_OUT_WORD}."
    tasks_import(project=project, payload=tagged(tasks, "test", range(22, 30)))
    return project


def held_out_ids(project: Project) -> set[int]:
    return set(Task.objects.filter(project=project, tags__name="test").values_list("id", flat=True))


# --- the frozen test set ---------------------------------------------------------------------


def test_test_tagged_tasks_never_reach_a_training_dataset(mixed: Project) -> None:
    config = parse_labeling_config(mixed.labeling_config)
    documents, reasons = datasets.selected_documents(project=mixed, params=TrainingParams())
    held_out = held_out_ids(mixed)
    assert len(held_out) == 8 and reasons["test_set"] == 8
    assert {d.task_id for d in documents}.isdisjoint(held_out) and len(documents) == 22
    # What each model type trains on: no sentence, example or text of a test task.
    ner_sentences = [s.text for s in ner_data(documents, config).sentences]
    assertion_examples = [e.text for e in assertion_data(documents, config).examples]
    age = next(group for group in config.choices if group.name == "age")
    classification_texts = group_data(documents, age).texts
    assert len(classification_texts) == 22 and assertion_examples and ner_sentences
    for trained_on in (ner_sentences, assertion_examples, classification_texts):
        assert not [text for text in trained_on if HELD_OUT_WORD in text]
    # The same builders over every task do see the word: the check can fail.
    everything = datasets.documents_of(
        list(Task.objects.filter(project=mixed).values_list("completions__id", flat=True))
    )
    assert [s.text for s in ner_data(everything, config).sentences if HELD_OUT_WORD in s.text]
    assert {d.task_id for d in datasets.frozen_test_set(project=mixed).documents} == held_out


def test_the_preview_and_the_conll_export_leave_the_test_set_out(
    api: Any, mike: Any, mixed: Project
) -> None:
    preview = api(mike).get(f"/api/projects/{mixed.name}/training-data").json()
    reasons = {row["task_id"]: row["reason"] for row in preview["tasks"]}
    assert {task_id for task_id, reason in reasons.items() if reason == "test_set"} == held_out_ids(
        mixed
    )
    assert all(
        row["completion_id"] is None for row in preview["tasks"] if row["reason"] == "test_set"
    )
    assert preview["counts"]["test_set"] == 8
    export = api(mike).get(f"/api/projects/{mixed.name}/export?format=conll")
    assert export.status_code == 200
    conll = export.content.decode()
    for task in Task.objects.filter(pk__in=held_out_ids(mixed)):
        first_word = task.data["text"].split()[0]
        sentence_start = f"{first_word} -X- -X-"
        # The export's sentences are the 22 training tasks': none starts like a test task
        # unless a training task starts with the same word.
        training_starts = {
            t.data["text"].split()[0]
            for t in Task.objects.filter(project=mixed).exclude(pk__in=held_out_ids(mixed))
        }
        if first_word not in training_starts:
            assert sentence_start not in conll
    assert conll.count("\n\n") >= 22


def test_no_test_tag_means_no_test_set_and_every_task_trains(
    api: Any, mike: Any, mixed: Project
) -> None:
    response = api(mike).patch(f"/api/projects/{mixed.name}/", {"test_tag": ""}, format="json")
    assert response.status_code == 200 and response.json()["test_tag"] == ""
    mixed.refresh_from_db()
    documents, reasons = datasets.selected_documents(project=mixed, params=TrainingParams())
    assert len(documents) == 30 and "test_set" not in reasons
    assert datasets.frozen_test_set(project=mixed).is_empty


def test_the_fingerprint_changes_when_the_set_changes(alice: Any, mixed: Project) -> None:
    first = datasets.frozen_test_set(project=mixed)
    assert first.size == 8
    assert datasets.frozen_test_set(project=mixed).fingerprint == first.fingerprint

    # An edit of a test completion's regions.
    test_task = Task.objects.filter(pk__in=held_out_ids(mixed)).order_by("id").first()
    completion = test_task.completions.get()
    completion.result = completion.result[:-1]
    completion.save(update_fields=["result"])
    edited = datasets.frozen_test_set(project=mixed)
    assert edited.size == 8 and edited.fingerprint != first.fingerprint

    # One more test task.
    tasks_import(
        project=mixed,
        payload=tagged(
            without_regions(labelled_tasks(1, seed=9, unlabelled=0), "systems"),
            "test",
            range(1),
        ),
    )
    grown = datasets.frozen_test_set(project=mixed)
    assert grown.size == 9 and grown.fingerprint not in (first.fingerprint, edited.fingerprint)

    # Another test tag: another set.
    project_services.project_update(project=mixed, actor=alice, test_tag="holdout")
    assert datasets.frozen_test_set(project=mixed).is_empty


# --- deploy: true | false | "if_better" at the edge ------------------------------------------


def test_if_better_without_a_test_set_is_refused_at_request_time(
    api: Any, mike: Any, alice: Any, mixed: Project
) -> None:
    project_services.project_update(project=mixed, actor=alice, test_tag="holdout")
    trainings = f"/api/projects/{mixed.name}/trainings/"
    response = api(mike).post(trainings, {"deploy": "if_better"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "deploy"
    assert "holdout" in response.json()["errors"][0]["message"]
    settings_url = f"/api/projects/{mixed.name}/active-learning"
    response = api(mike).put(settings_url, {"deploy": "if_better"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "deploy"
    for wrong in ("yes", 1, "always", None):
        response = api(mike).post(trainings, {"deploy": wrong}, format="json")
        assert response.status_code == 400, wrong
        assert response.json()["errors"][0]["field"] == "deploy"
    assert not TrainingRun.objects.filter(project=mixed).exists()


def test_active_learning_deploys_if_better_by_default_when_there_is_a_test_set(
    api: Any, mike: Any, alice: Any, mixed: Project
) -> None:
    settings_url = f"/api/projects/{mixed.name}/active-learning"
    assert api(mike).get(settings_url).json()["deploy"] == "if_better"
    response = api(mike).put(settings_url, {"deploy": True}, format="json")
    assert response.status_code == 200 and response.json()["deploy"] is True
    response = api(mike).put(settings_url, {"deploy": "if_better"}, format="json")
    assert response.status_code == 200 and response.json()["deploy"] == "if_better"
    project_services.project_update(project=mixed, actor=alice, test_tag="")
    other = project_services.project_create(owner=alice, name="no-test-set")
    assert api(alice).get(f"/api/projects/{other.name}/active-learning").json()["deploy"] is False


def scored(name: str, f1: float | None, fingerprint: str = "abc") -> NlpModel:
    test_metrics = None if f1 is None else {"micro": {"f1": f1}, "fingerprint": fingerprint}
    return NlpModel(name=name, type="ner", labels=["Disease"], test_metrics=test_metrics)


@pytest.mark.parametrize(
    ("policy", "new", "rivals", "deployed", "reason"),
    [
        (DeployPolicy.NEVER, 0.9, [], False, "not deployed: deploy is false"),
        (DeployPolicy.ALWAYS, 0.1, [scored("old", 0.9)], True, "deployed: deploy is true"),
        (
            DeployPolicy.IF_BETTER,
            0.744,
            [scored("old", 0.712)],
            True,
            "deployed: test F1 0.744 ≥ deployed 0.712 (old)",
        ),
        (
            DeployPolicy.IF_BETTER,
            0.712,
            [scored("old", 0.712)],
            True,
            "deployed: test F1 0.712 ≥ deployed 0.712 (old)",
        ),
        (
            DeployPolicy.IF_BETTER,
            0.712,
            [scored("old", 0.744)],
            False,
            "not deployed: test F1 0.712 < deployed 0.744 (old)",
        ),
        (
            DeployPolicy.IF_BETTER,
            0.5,
            [],
            True,
            "deployed: test F1 0.500, no ner model was deployed",
        ),
        (
            DeployPolicy.IF_BETTER,
            None,
            [scored("old", 0.2)],
            False,
            "not deployed: it could not be scored on the test set",
        ),
        (
            DeployPolicy.IF_BETTER,
            0.5,
            [scored("old", 0.9, "stale")],
            True,
            "deployed: test F1 0.500, old could not be scored",
        ),
    ],
)
def test_the_if_better_rule(
    policy: str, new: float | None, rivals: list[NlpModel], deployed: bool, reason: str
) -> None:
    decision = decide(policy=policy, model=scored("new", new), rivals=rivals, fingerprint="abc")
    assert (decision.deployed, decision.reason) == (deployed, reason)


# --- the evaluate endpoint's edge ---------------------------------------------------------------


def test_evaluate_roles_and_refusals(
    api: Any, mike: Any, anna: Any, alice: Any, mixed: Project, client: Any
) -> None:
    model = NlpModel.objects.create(
        name="ner_trust_v1", type="ner", project=mixed, labels=["Disease"], path="/models/x"
    )
    url = f"/api/models/{model.name}/evaluate"
    assert client.post(url).status_code == 401
    project_services.member_add(project=mixed, actor=alice, username="anna", role=Role.ANNOTATOR)
    assert api(anna).post(url, {}, format="json").status_code == 403
    outsider = project_services.project_create(owner=anna, name="elsewhere")
    assert outsider is not None
    response = api(mike).post(url, {}, format="json")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["progress"] == {"done": 0, "total": 0}
    assert api(mike).post(url, {}, format="json").status_code == 409  # busy, as pre-annotation
    assert api(mike).get(url).json()["id"] == job["id"]
    shared = NlpModel.objects.create(name="shared_ner", type="ner", labels=["Disease"], path="/m")
    response = api(mike).post(f"/api/models/{shared.name}/evaluate", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "project"
    EvaluationJob.objects.all().delete()
    project_services.project_update(project=mixed, actor=alice, test_tag="holdout")
    response = api(mike).post(url, {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "project"
    assert api(anna).post("/api/models/nope/evaluate", {}, format="json").status_code == 404
    # Someone outside the project does not see its model at all.
    project_services.member_remove(project=mixed, actor=alice, username="anna")
    assert api(anna).post(url, {}, format="json").status_code == 404


# --- real Spark: three trainings and an evaluation -----------------------------------------------


@pytest.mark.spark
@pytest.mark.django_db(transaction=True)
def test_if_better_deploys_the_better_model_and_keeps_the_worse_out(
    api: Any, alice: Any, mike: Any, workdirs: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = project_services.project_create(owner=alice, name="trust-e2e")
    project_services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    project_services.project_update(project=project, actor=alice, labeling_config=NER_CONFIG)
    tasks = tagged(labelled_tasks(40, ner_only=True, unlabelled=0), "test", range(30, 40))
    tasks_import(project=project, payload=tagged(tasks, "tiny", range(2)))
    trainings = f"/api/projects/{project.name}/trainings/"
    poor = {"tags": ["tiny"], "epochs": 1, "validation_split": 0, "batch_size": 2}
    good = {"epochs": 5, "validation_split": 0, "batch_size": 2, "learning_rate": 0.01}

    def train(deploy: Any, params: dict[str, Any]) -> TrainingRun:
        with django_capture_on_commit_callbacks(execute=False):
            response = api(mike).post(
                trainings, {"deploy": deploy, "params": params}, format="json"
            )
        assert response.status_code == 202, response.json()
        run_training(api, mike, project, response.json()["id"])
        run = TrainingRun.objects.get(pk=response.json()["id"])
        assert run.status == JobStatus.SUCCEEDED, (run.error, run.results)
        return run

    def deployed_names() -> list[str]:
        project.refresh_from_db()
        return deployed_models(parse_labeling_config(project.labeling_config)).names

    first = train(True, poor)
    v1 = NlpModel.objects.get(name=first.results[0]["model"])
    assert v1.training_completions == 2
    assert v1.test_metrics["size"] == 10
    assert set(v1.test_metrics) >= {"micro", "macro", "per_label", "size", "fingerprint"}
    assert first.results[0]["deployed"] is True
    assert first.results[0]["deploy_reason"] == "deployed: deploy is true"
    assert deployed_names() == [v1.name]

    # The set changes (one more test task): v1's score is from another set, so the child
    # re-scores it before comparing.
    old_fingerprint = v1.test_metrics["fingerprint"]
    extra = tagged(labelled_tasks(1, seed=11, ner_only=True, unlabelled=0), "test", range(1))
    tasks_import(project=project, payload=extra)
    second = train("if_better", good)
    v2 = NlpModel.objects.get(name=second.results[0]["model"])
    v1.refresh_from_db()
    assert v1.test_metrics["fingerprint"] == v2.test_metrics["fingerprint"] != old_fingerprint
    assert v1.test_metrics["size"] == v2.test_metrics["size"] == 11
    f1_v1, f1_v2 = v1.test_metrics["micro"]["f1"], v2.test_metrics["micro"]["f1"]
    assert f1_v2 > f1_v1, (f1_v1, f1_v2)
    assert second.results[0]["deployed"] is True
    assert second.results[0]["deploy_reason"] == (
        f"deployed: test F1 {f1_v2:.3f} ≥ deployed {f1_v1:.3f} ({v1.name})"
    )
    assert deployed_names() == [v2.name]
    assert api(mike).get(trainings + f"{second.pk}/").json()["deploy"] == "if_better"

    third = train("if_better", poor)
    v3 = NlpModel.objects.get(name=third.results[0]["model"])
    f1_v3 = v3.test_metrics["micro"]["f1"]
    assert f1_v3 < f1_v2
    assert third.results[0]["deployed"] is False
    assert third.results[0]["deploy_reason"] == (
        f"not deployed: test F1 {f1_v3:.3f} < deployed {f1_v2:.3f} ({v2.name})"
    )
    assert deployed_names() == [v2.name]
    model = api(mike).get(f"/api/models/{v3.name}").json()
    assert model["test_metrics"]["fingerprint"] == v2.test_metrics["fingerprint"]

    # Evaluate v3 on today's set after a test completion changed: a job in the worker.
    test_task = Task.objects.filter(project=project, tags__name="test").order_by("id").first()
    completion = test_task.completions.get()
    completion.result = []
    completion.save(update_fields=["result"])
    response = api(mike).post(f"/api/models/{v3.name}/evaluate", {}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    worker = start_worker(job_id, worker_tasks.execute_evaluation)
    url = f"/api/models/{v3.name}/evaluate"
    wait_for(lambda: api(mike).get(url).json()["status"] not in ("queued", "running"))
    worker.join(timeout=30)
    job = api(mike).get(url).json()
    assert job["status"] == "succeeded", job
    assert job["progress"] == {"done": 11, "total": 11}
    v3.refresh_from_db()
    assert v3.test_metrics["fingerprint"] == datasets.frozen_test_set(project=project).fingerprint
    assert v3.test_metrics["fingerprint"] != v2.test_metrics["fingerprint"]
