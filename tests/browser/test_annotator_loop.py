"""The annotator's loop in Label Studio's editor: correct a pre-annotated task, skip, rework.

Every task here is pre-annotated (a Prediction row with per-region confidences, as
pre-annotation stores them), because that is the task annotators meet once a model is deployed.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.models import Completion, CompletionStatus, Prediction, Project, Task
from tests.browser.test_annotation_pages import double_click_word
from tests.personas import span

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Patient denies chest pain but has pneumonia and fever."
SUBMIT = {"name": "submit", "exact": True}


def predicted(task: Task, *regions: tuple[str, str, float]) -> Prediction:
    """A prediction of ``task`` with (fragment, label, confidence) regions."""
    result = []
    for fragment, label, confidence in regions:
        region = span(task.text, fragment, label)
        region["value"]["confidence"] = confidence
        result.append(region)
    mean = sum(c for _, _, c in regions) / len(regions)
    return Prediction.objects.create(
        task=task, model_name="ner_clinic_annotation_manual_v1", score=mean, result=result
    )


def pre_annotated(make_task: Any, text: str = TEXT) -> tuple[Task, Prediction]:
    task = make_task(text)
    prediction = predicted(
        task, ("chest pain", "Symptom", 0.91), ("pneumonia", "Symptom", 0.55), ("Patient", "Symptom", 0.2)
    )
    return task, prediction


def spans(completion: Completion) -> set[tuple[str, tuple[str, ...]]]:
    text = completion.task.text
    return {
        (text[r["value"]["start"] : r["value"]["end"]], tuple(r["value"]["labels"]))
        for r in completion.result
        if r["type"] == "labels"
    }


def region_item(page: Page, text: str) -> Any:
    return page.locator(".lsf-region-item", has_text=text)


def open_task(page: Page, live_server: Any, task: Task) -> None:
    page.goto(f"{live_server.url}/projects/clinic/annotate/{task.pk}/")
    expect(page.get_by_role("button", **SUBMIT)).to_be_visible()


def test_correct_a_pre_annotated_task_and_submit_it(
    page: Page, live_server: Any, sign_in: Any, project: Project, make_task: Any, anna: Any
) -> None:
    task, prediction = pre_annotated(make_task)
    sign_in(page, anna)
    open_task(page, live_server, task)
    # The prediction is the annotator's own editable copy, each region with its confidence.
    expect(page.locator(".lsf-region-item")).to_have_count(3)
    expect(region_item(page, "chest pain").locator(".lsf-region-item__score")).to_have_text("0.91")
    expect(region_item(page, "Patient").locator(".lsf-region-item__score")).to_have_text("0.20")

    region_item(page, "pneumonia").click()  # relabel: select the region, pick the right label
    page.locator(".lsf-label", has_text="Disease").click()
    region_item(page, "Patient").click()  # delete
    page.keyboard.press("Backspace")
    expect(page.locator(".lsf-region-item")).to_have_count(2)
    page.keyboard.press("Escape")
    page.locator(".lsf-label", has_text="Symptom").click()  # add
    double_click_word(page, "fever")
    expect(page.locator(".lsf-region-item")).to_have_count(3)

    page.get_by_role("button", **SUBMIT).click()
    page.wait_for_url(f"{live_server.url}/projects/clinic/annotate/next/")
    completion = Completion.objects.get(task=task, created_by=anna)
    assert completion.status == CompletionStatus.SUBMITTED
    assert spans(completion) == {
        ("chest pain", ("Symptom",)),
        ("pneumonia", ("Disease",)),
        ("fever", ("Symptom",)),
    }
    assert completion.prediction == prediction
    assert completion.lead_time is not None and completion.lead_time > 0
