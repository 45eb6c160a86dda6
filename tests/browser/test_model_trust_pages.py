"""The Model Training tab with a test set, in Chromium: "Train and deploy if better" in the deploy
prompts, and the per-label chart plotting test-set F1 against the number of training
completions (validation F1 without a test set, labelled as such). No Spark: the registry rows
are what finished trainings leave behind.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from activelearning.models import ActiveLearningSettings
from projects import services as project_services
from projects.models import Project
from tests.personas import choice, span
from training.models import DeployPolicy, JobStatus, ModelSource, NlpModel, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Patient denies chest pain but has pneumonia."


def scores(f1: dict[str, float], **extra: Any) -> dict[str, Any]:
    return {
        "micro": {"precision": 0.8, "recall": 0.8, "f1": 0.8},
        "macro": {"precision": 0.8, "recall": 0.8, "f1": 0.8},
        "per_label": {
            label: {"precision": v, "recall": v, "f1": v, "support": 3} for label, v in f1.items()
        },
        **extra,
    }


@pytest.fixture
def with_test_set(project: Project, make_task: Any, anna: Any, alice: Any) -> Project:
    """Three training tasks and two test-tagged ones, each with a submitted completion."""
    for number in range(5):
        task = make_task(TEXT)
        if number >= 3:
            project_services.task_update(task=task, actor=alice, tags=["test"])
        project_services.completion_create(
            task=task,
            actor=anna,
            result=[
                span(TEXT, "chest pain", "Symptom", "r1"),
                span(TEXT, "chest pain", "Absent", "r2"),
                span(TEXT, "pneumonia", "Disease", "r3"),
                choice("age", "Adult"),
            ],
            submit=True,
        )
    return project


def versions(project: Project) -> list[NlpModel]:
    """Two NER versions: validation says v1 is better, the test set says v2 is."""
    models = []
    for number, (n, validation, test) in enumerate([(40, 0.9, 0.5), (120, 0.6, 0.8)], start=1):
        run = TrainingRun.objects.create(
            project=project, status=JobStatus.SUCCEEDED, finished_at=timezone.now(), params={}
        )
        model = NlpModel.objects.create(
            name=f"ner_clinic_annotation_manual_v{number}",
            type="ner",
            project=project,
            source=ModelSource.TRAINED,
            labels=["Disease"],
            trained_at=timezone.now(),
            trigger="manual",
            training_run=run,
            training_completions=n,
            metrics=scores({"Disease": validation}),
            test_metrics=scores({"Disease": test}, size=2, fingerprint="f"),
            path="/nowhere/no-spark-in-browser-tests",
        )
        run.results = [{"model_type": "ner", "status": "succeeded", "model": model.name}]
        run.save(update_fields=["results"])
        models.append(model)
    return models


def test_deploy_if_better_is_offered_with_a_test_set_and_sent_as_if_better(
    page: Page, live_server: Any, sign_in: Any, with_test_set: Project, mike: Any
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#training")
    train = page.get_by_role("button", name="Train Now")
    expect(train).to_be_enabled()
    train.click()
    dialog = page.locator("#deploy-dialog")
    dialog.get_by_role("button", name="Train and deploy if better").click()
    expect(page.locator("#training-progress")).to_contain_text("queued")
    run = TrainingRun.objects.get(project=with_test_set)
    assert run.deploy == DeployPolicy.IF_BETTER

    page.get_by_text("Train automatically").click()
    page.locator("#al-deploy-dialog").get_by_role(
        "button", name="Train and deploy if better"
    ).click()
    expect(page.locator("#al-info")).to_contain_text("test-set F1 is at least the deployed")
    assert ActiveLearningSettings.objects.get(project=with_test_set).deploy == "if_better"


def test_without_a_test_set_the_prompt_has_no_if_better(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    mike: Any,
    make_task: Any,
    anna: Any,
) -> None:
    project_services.completion_create(
        task=make_task(TEXT), actor=anna, result=[span(TEXT, "pneumonia", "Disease")], submit=True
    )
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#training")
    page.get_by_role("button", name="Train Now").click()
    dialog = page.locator("#deploy-dialog")
    expect(dialog.get_by_role("button", name="Train and deploy", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Train and deploy if better")).to_be_hidden()


def test_the_chart_plots_test_set_f1_by_training_completions(
    page: Page, live_server: Any, sign_in: Any, with_test_set: Project, mike: Any, alice: Any
) -> None:
    versions(with_test_set)
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#training")
    chart = page.locator("#f1-chart")
    expect(chart.locator("[data-role=caption]")).to_contain_text("test-set F1")
    ner = chart.locator("[data-model-type='ner']")
    expect(ner).to_have_attribute("data-scores", "test-set")
    dots = ner.locator("svg circle title")
    expect(dots).to_have_text(
        [
            "Disease: F1 0.50 (ner_clinic_annotation_manual_v1, 40 completions)",
            "Disease: F1 0.80 (ner_clinic_annotation_manual_v2, 120 completions)",
        ]
    )
    expect(ner.locator("svg text", has_text="120")).to_have_count(1)

    # No test set any more: validation F1, and the caption says so.
    project_services.project_update(project=with_test_set, actor=alice, test_tag="")
    page.reload()
    expect(chart.locator("[data-role=caption]")).to_contain_text("validation F1")
    expect(chart.locator("[data-role=caption]")).to_contain_text("no test set")
    expect(ner.locator("svg circle title")).to_have_text(
        [
            "Disease: F1 0.90 (ner_clinic_annotation_manual_v1, 40 completions)",
            "Disease: F1 0.60 (ner_clinic_annotation_manual_v2, 120 completions)",
        ]
    )
