"""Annotating in Label Studio's editor, reviewing, and the tasks page, in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.models import Completion, CompletionStatus, Prediction, Project, Review, Task
from projects.views import LABEL_STUDIO_BUILD
from tests.personas import choice, span
from training import services
from training.jobs import lifecycle
from training.models import JobStatus, ModelSource, NlpModel, PreannotationJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Patient denies chest pain but has pneumonia."


def double_click_word(page: Page, word: str) -> None:
    """Double-click ``word`` in the editor's text, as a person selects one word."""
    box = page.evaluate(
        """(word) => {
          const root = document.querySelector(".lsf-richtext__container.lsf-htx-richtext");
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.textContent.indexOf(word);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            const r = range.getBoundingClientRect();
            return {x: r.x + r.width / 2, y: r.y + r.height / 2};
          }
          return null;
        }""",
        word,
    )
    assert box is not None, f"{word!r} is not in the editor's text"
    page.mouse.dblclick(box["x"], box["y"])


def test_annotate_in_label_studio_save_a_draft_then_submit(
    page: Page,
    live_server: Any,
    sign_in: Any,
    save_screenshot: Any,
    project: Project,
    make_task: Any,
    anna: Any,
) -> None:
    assert (LABEL_STUDIO_BUILD / "js/main.js").is_file(), "run `make frontend` first"
    task = make_task(TEXT)
    sign_in(page, anna)
    page.goto(f"{live_server.url}/projects/clinic/annotate/{task.pk}/")
    submit = page.get_by_role("button", name="submit", exact=True)
    expect(submit).to_be_visible()

    page.locator(".lsf-label", has_text="Disease").click()
    double_click_word(page, "pneumonia")
    expect(page.locator(".lsf-richtext__container.lsf-htx-richtext .htx-highlight")).to_have_count(
        1
    )
    page.get_by_role("checkbox", name=re.compile(r"^Adult")).check()
    with page.expect_response(lambda r: "/completions/" in r.url and r.request.method == "POST"):
        page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#annotate-status")).to_contain_text("Draft saved")
    draft = Completion.objects.get(task=task, created_by=anna)
    assert draft.status == CompletionStatus.DRAFT
    save_screenshot(page, "annotate")

    submit.click()
    page.wait_for_url(f"{live_server.url}/projects/clinic/annotate/next/")
    # The only task is done: the next-task service answers 204 and the page says so.
    expect(page.get_by_text("Nothing left to annotate")).to_be_visible()
    completion = Completion.objects.get(task=task, created_by=anna)
    assert completion.pk == draft.pk  # the draft itself was submitted, not a second completion
    assert completion.status == CompletionStatus.SUBMITTED
    regions = {region["type"]: region["value"] for region in completion.result}
    assert regions["labels"]["labels"] == ["Disease"]
    assert TEXT[regions["labels"]["start"] : regions["labels"]["end"]] == "pneumonia"
    assert regions["choices"] == {"choices": ["Adult"]}
    assert completion.lead_time is not None and completion.lead_time > 0


def test_review_a_submitted_completion_beside_the_latest_prediction(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    make_task: Any,
    anna: Any,
    rita: Any,
) -> None:
    task = make_task(TEXT)
    completion = project_services.completion_create(
        task=task,
        actor=anna,
        result=[span(TEXT, "chest pain", "Symptom"), choice("age", "Adult")],
        submit=True,
    )
    Prediction.objects.create(
        task=task,
        model_name="ner_clinic_annotation_manual_v1",
        score=0.64,
        result=[span(TEXT, "pneumonia", "Disease")],
    )
    sign_in(page, rita)
    page.goto(f"{live_server.url}/projects/clinic/review/")
    card = page.locator(f"[data-completion='{completion.pk}']")
    expect(card).to_contain_text("by anna")
    expect(card.locator("mark", has_text="chest pain")).to_contain_text("Symptom")
    expect(card).to_contain_text("ner_clinic_annotation_manual_v1 · score 0.64")
    expect(card.locator("mark", has_text="pneumonia")).to_contain_text("Disease")

    card.get_by_label("Comment").fill("Also mark the disease.")
    card.get_by_role("button", name="Reject").click()
    expect(card).to_contain_text("Rejected")
    review = Review.objects.get(completion=completion)
    assert (review.approved, review.comment, review.reviewer) == (
        False,
        "Also mark the disease.",
        rita,
    )

    page.reload()  # reviewed: it has left the queue
    expect(page.locator(f"[data-completion='{completion.pk}']")).to_have_count(0)
    expect(page.get_by_text("Nothing to review")).to_be_visible()


def test_tasks_filter_by_tag_status_and_prediction_confidence_and_import(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    make_task: Any,
    mike: Any,
    tmp_path: Any,
) -> None:
    sure, unsure, bare = make_task("Sure text."), make_task("Unsure text."), make_task("Bare.")
    Prediction.objects.create(task=sure, model_name="m", score=0.9, result=[])
    Prediction.objects.create(task=unsure, model_name="m", score=0.3, result=[])
    project_services.task_update(task=bare, actor=mike, tags=["gold"])
    sign_in(page, mike)
    tasks_page = f"{live_server.url}/projects/clinic/tasks/"
    rows = page.locator("#tasks tbody tr[data-task]")

    page.goto(f"{tasks_page}?min_score=0.5")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task", str(sure.pk))
    expect(rows.first.locator(".prediction")).to_have_text("0.90")
    page.goto(f"{tasks_page}?max_score=0.5")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task", str(unsure.pk))
    page.goto(tasks_page)
    page.select_option("select[name=tag]", "gold")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task", str(bare.pk))
    expect(page.get_by_role("link", name="CoNLL")).to_have_attribute(
        "href", "/api/projects/clinic/export?format=conll&tags=gold"
    )
    page.goto(f"{tasks_page}?status=incomplete")
    expect(rows).to_have_count(3)

    note = tmp_path / "note.txt"
    note.write_text("Imported patient reports fever.")
    page.goto(tasks_page)
    page.set_input_files("#import-form input[type=file]", note)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#import-message")).to_contain_text("Imported 1 task,")
    expect(rows).to_have_count(4)  # the page reloads with the new task
    assert Task.objects.filter(project=project, data__text="Imported patient reports fever.")


def preannotation_api_exists() -> bool:
    try:
        resolve("/api/projects/clinic/preannotations/")
    except Resolver404:
        return False
    return True


def test_preannotate_selected_tasks_and_see_their_predictions(
    page: Page, live_server: Any, sign_in: Any, project: Project, make_task: Any, mike: Any
) -> None:
    """Simulates the worker: the job the page queued through the real API is claimed, given its
    predictions and finished from the test with training.jobs.lifecycle (job_claim, job_finish)."""
    if not preannotation_api_exists():
        pytest.skip("POST /api/projects/<name>/preannotations/ is not in this build yet")
    model = NlpModel.objects.create(
        name="ner_clinic_annotation_manual_v1",
        type="ner",
        project=project,
        source=ModelSource.TRAINED,
        labels=["Symptom", "Disease"],
        trained_at=timezone.now(),
        trigger="manual",
        path="/nowhere/no-spark-in-browser-tests",
    )
    services.deploy_models(project=project, models=[model], actor=mike)
    chosen, other = make_task(TEXT), make_task("Nothing to see.")
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/tasks/")
    page.get_by_label(f"Select task {chosen.pk}").check()
    page.get_by_role("button", name="Pre-Annotate").click()
    expect(page.locator("#preannotate-message")).to_contain_text("Queued")

    job = PreannotationJob.objects.get(project=project)
    assert job.task_ids == [chosen.pk]
    assert lifecycle.job_claim(job=job)
    region = span(TEXT, "chest pain", "Symptom")
    region["value"]["confidence"] = 0.87
    Prediction.objects.create(task=chosen, model_name=model.name, score=0.87, result=[region])
    assert lifecycle.job_finish(job=job, status=JobStatus.SUCCEEDED, done=1)

    row = page.locator(f"#tasks tr[data-task='{chosen.pk}']")
    expect(row.locator(".prediction")).to_have_text("0.87", timeout=10_000)
    expect(page.locator(f"#tasks tr[data-task='{other.pk}'] .prediction")).to_have_text("none")
