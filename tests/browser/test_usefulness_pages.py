"""Prediction vs ground truth on the review page, and a model's kept share on the model list and
the Model Training tab, in a real browser, on a completion that started from a prediction."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.models import Completion, Prediction, Project
from tests.personas import choice, span
from tests.training.test_training_api import model_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Patient denies chest pain but has pneumonia and a cough with fever since Monday."
NER = "ner_clinic_annotation_manual_v1"


@pytest.fixture
def corrected(project: Project, make_task: Any, anna: Any) -> Completion:
    """anna corrected NER's pre-annotation: chest pain kept, pneumonia relabelled, Monday
    deleted, fever added, the age choice kept; 4 predicted regions, 1 kept exactly."""
    model_row(project, NER, "ner", ["Symptom", "Disease"])
    task = make_task(TEXT)
    started = Prediction.objects.create(
        task=task,
        model_name=NER,
        score=0.71,
        result=[
            span(TEXT, "chest pain", "Symptom"),
            span(TEXT, "pneumonia", "Disease"),
            span(TEXT, "cough", "Symptom"),
            span(TEXT, "Monday", "Disease"),
            choice("age", "Adult"),
        ],
    )
    completion = project_services.completion_create(
        task=task,
        actor=anna,
        result=[
            span(TEXT, "chest pain", "Symptom"),
            span(TEXT, "pneumonia", "Symptom"),
            span(TEXT, "a cough", "Symptom"),
            span(TEXT, "fever", "Disease"),
            choice("age", "Adult"),
        ],
        submit=True,
        lead_time=14,
        prediction=started.pk,
    )
    # A newer prediction the annotator never saw: the review compares with the one she started
    # from, not with this.
    Prediction.objects.create(
        task=task, model_name="ner_clinic_annotation_manual_v2", score=0.9, result=[]
    )
    return completion


def test_review_marks_kept_changed_deleted_and_added_beside_the_prediction_started_from(
    page: Page, live_server: Any, sign_in: Any, save_screenshot: Any, rita: Any, corrected: Any
) -> None:
    sign_in(page, rita)
    page.goto(f"{live_server.url}/projects/clinic/review/")
    expect(page.locator("#diff-legend")).to_contain_text("Prediction vs ground truth")
    card = page.locator(f"[data-completion='{corrected.pk}']")
    completion, prediction = card.locator("section").nth(0), card.locator("section").nth(1)
    expect(prediction.locator("h3")).to_contain_text("Prediction it started from")
    expect(prediction.locator("h3")).to_contain_text(f"{NER} · score 0.71")

    def outcome(side: Any, fragment: str) -> Any:
        return side.locator("mark", has_text=fragment).locator("[data-outcome]")

    expect(outcome(prediction, "chest pain")).to_have_text("✓ kept")
    expect(outcome(completion, "chest pain")).to_have_text("✓ kept")
    expect(outcome(prediction, "pneumonia")).to_have_text("~ changed")
    expect(completion.locator("mark", has_text="pneumonia")).to_have_attribute(
        "title", "Symptom: changed"
    )
    expect(outcome(completion, "a cough")).to_have_text("~ changed")
    expect(outcome(prediction, "Monday")).to_have_text("✗ deleted")
    expect(completion.locator("mark", has_text="Monday")).to_have_count(0)
    expect(outcome(completion, "fever")).to_have_text("+ added")
    expect(prediction.locator("mark", has_text="fever")).to_have_count(0)
    expect(completion.locator(".chip", has_text="age: Adult")).to_contain_text("✓ kept")
    save_screenshot(page, "review-prediction-vs-ground-truth")


def test_model_list_and_training_tab_show_the_kept_share(
    page: Page,
    live_server: Any,
    sign_in: Any,
    save_screenshot: Any,
    mike: Any,
    project: Project,
    corrected: Any,
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/models/?project=clinic")
    row = page.locator(f"#models tr[data-model='{NER}']")
    expect(row.locator("[data-role=usefulness]")).to_have_text("kept 25% of 4 predicted regions")

    page.goto(f"{live_server.url}/projects/clinic/setup/#training")
    card = page.locator("#usefulness-card")
    expect(card).to_be_visible()
    line = card.locator(f"tr[data-model='{NER}']")
    # 1 task; kept 1 of 4 (chest pain), changed 2, deleted 1, added 1; 14 s, nothing from scratch.
    expect(line.locator("td")).to_have_text(
        [NER, "1", "1 (25%)", "2", "1", "1", "Symptom 50%Disease 0%", "14 s with / – without"]
    )
    # Symptom: chest pain kept, cough moved; Disease: pneumonia relabelled, Monday deleted.
    expect(line.locator(".chip")).to_have_text(["Symptom 50%", "Disease 0%"])
    save_screenshot(page, "training-tab-usefulness")
