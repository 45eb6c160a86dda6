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
        task,
        ("chest pain", "Symptom", 0.91),
        ("pneumonia", "Symptom", 0.55),
        ("Patient", "Symptom", 0.2),
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
    # Its only task done; waiting for the answer also keeps no request running past the test.
    expect(page.get_by_text("Nothing left to annotate")).to_be_visible()
    completion = Completion.objects.get(task=task, created_by=anna)
    assert completion.status == CompletionStatus.SUBMITTED
    assert spans(completion) == {
        ("chest pain", ("Symptom",)),
        ("pneumonia", ("Disease",)),
        ("fever", ("Symptom",)),
    }
    assert completion.prediction == prediction
    assert completion.lead_time is not None and completion.lead_time > 0


def test_ctrl_enter_on_a_fresh_pre_annotated_task_asks_before_keeping_the_prediction(
    page: Page, live_server: Any, sign_in: Any, project: Project, make_task: Any, anna: Any
) -> None:
    task, prediction = pre_annotated(make_task)
    sign_in(page, anna)
    open_task(page, live_server, task)
    answers = ["dismiss"]
    page.on("dialog", lambda dialog: getattr(dialog, answers[0])())

    page.keyboard.press("Control+Enter")
    expect(page.locator("#annotate-status")).to_contain_text("Not submitted")
    assert not Completion.objects.filter(task=task).exists()

    # The annotator means it this time: the untouched copy becomes their own completion.
    page.wait_for_function("() => !window.Htx.isSubmitting")
    answers[0] = "accept"
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{live_server.url}/projects/clinic/annotate/next/")
    expect(page.get_by_text("Nothing left to annotate")).to_be_visible()
    completion = Completion.objects.get(task=task)
    assert (completion.created_by, completion.status) == (anna, CompletionStatus.SUBMITTED)
    assert spans(completion) == {
        ("chest pain", ("Symptom",)),
        ("pneumonia", ("Symptom",)),
        ("Patient", ("Symptom",)),
    }
    assert completion.prediction == prediction
    assert completion.lead_time is not None and completion.lead_time > 0


def task_on_screen(page: Page) -> int:
    """The id of the task the annotate page shows, once its editor is ready."""
    expect(page.get_by_role("button", **SUBMIT)).to_be_visible()
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def start_submitting_untouched(page: Page) -> str:
    """Submit the copy of the prediction as it is (confirmed); the page then moves on.

    Returns the URL of the task submitted, for ``wait_for_the_next``."""
    page.once("dialog", lambda dialog: dialog.accept())
    left = page.url
    page.get_by_role("button", **SUBMIT).click()
    return left


def wait_for_the_next(page: Page, left: str) -> None:
    """Wait until the page has left the task it submitted and shows the next (or none)."""
    page.wait_for_url(lambda url: url != left)
    expect(
        page.get_by_role("button", **SUBMIT).or_(page.get_by_text("Nothing left to annotate"))
    ).to_be_visible()


def submit_untouched(page: Page) -> None:
    wait_for_the_next(page, start_submitting_untouched(page))


def test_skip_moves_on_and_the_skipped_task_returns_after_the_others(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    make_task: Any,
    anna: Any,
    alice: Any,
) -> None:
    from activelearning import services as al_services
    from activelearning.models import TaskReservation

    al_services.active_learning_update(project=project, actor=alice, strategy="sequential")
    first, second, third = (pre_annotated(make_task)[0] for _ in range(3))
    sign_in(page, anna)
    page.goto(f"{live_server.url}/projects/clinic/annotate/next/")
    assert task_on_screen(page) == first.pk
    page.get_by_role("link", name="Skip").click()
    page.wait_for_url(f"**/annotate/{second.pk}/")
    assert task_on_screen(page) == second.pk
    assert not TaskReservation.objects.filter(task=first).exists()  # released for others
    submit_untouched(page)
    assert task_on_screen(page) == third.pk
    submit_untouched(page)
    assert task_on_screen(page) == first.pk  # back, after anna's other tasks


def test_a_rejected_task_returns_first_with_its_regions_and_the_reviewers_comment(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    make_task: Any,
    anna: Any,
    rita: Any,
) -> None:
    from projects import services as project_services

    rejected_task, _ = pre_annotated(make_task)
    pre_annotated(make_task)  # an untouched task waits too
    first = project_services.completion_create(
        task=rejected_task,
        actor=anna,
        result=[span(TEXT, "chest pain", "Symptom"), span(TEXT, "Patient", "Disease")],
        submit=True,
    )
    project_services.completion_review(
        completion=first, actor=rita, approved=False, comment="Patient is no disease; add fever."
    )
    sign_in(page, anna)
    page.goto(f"{live_server.url}/projects/clinic/annotate/next/")
    assert task_on_screen(page) == rejected_task.pk
    expect(page.locator("#review-comment")).to_contain_text("rita rejected your completion")
    expect(page.locator("#review-comment")).to_contain_text("Patient is no disease; add fever.")
    expect(page.locator(".lsf-region-item")).to_have_count(2)  # her regions, not the prediction
    expect(region_item(page, "Patient")).to_contain_text("Disease")

    region_item(page, "Patient").click()
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")
    page.locator(".lsf-label", has_text="Symptom").click()
    double_click_word(page, "fever")
    expect(page.locator(".lsf-region-item")).to_have_count(2)
    page.get_by_role("button", **SUBMIT).click()
    page.wait_for_url("**/annotate/next/")
    expect(page.get_by_role("button", **SUBMIT)).to_be_visible()

    second = Completion.objects.filter(task=rejected_task).exclude(pk=first.pk).get()
    assert second.status == CompletionStatus.SUBMITTED and second.latest_review is None
    assert spans(second) == {("chest pain", ("Symptom",)), ("fever", ("Symptom",))}
    first.refresh_from_db()
    assert spans(first) == {("chest pain", ("Symptom",)), ("Patient", ("Disease",))}


def test_two_annotators_on_20_tasks_never_get_a_task_the_other_submitted(
    browser: Any, live_server: Any, sign_in: Any, project: Project, make_task: Any, anna: Any
) -> None:
    from projects import services as project_services
    from projects.models import Role
    from tests.personas import make_user

    make_user("bella")
    project_services.member_add(
        project=project, actor=project.owner, username="bella", role=Role.ANNOTATOR
    )
    # The default strategy, uncertainty, on pre-annotated tasks: both annotators are sent to the
    # same least certain tasks first, the case in which a task used to be handed out twice.
    tasks = []
    for i in range(20):
        task = make_task(TEXT)
        predicted(task, ("chest pain", "Symptom", 0.3 + 0.03 * i))
        tasks.append(task)
    pages = {}
    for user in (anna, project.memberships.get(user__username="bella").user):
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        sign_in(page, user)
        page.goto(f"{live_server.url}/projects/clinic/annotate/next/")
        task_on_screen(page)
        pages[user.username] = page
    handed_out: list[tuple[str, int]] = []
    submitting: dict[str, str] = {}
    while pages:
        # Both submit at the same time, then both wait for their next task.
        for name, page in list(pages.items()):
            if name in submitting:
                wait_for_the_next(page, submitting[name])
            if page.get_by_text("Nothing left to annotate").is_visible():
                pages.pop(name).context.close()
                continue
            task_id = task_on_screen(page)
            # Never a task anyone submitted while an untouched one exists (every task here was
            # untouched until submitted once).
            assert not Completion.objects.filter(task_id=task_id).exists(), (name, task_id)
            handed_out.append((name, task_id))
            submitting[name] = start_submitting_untouched(page)
    submitted = Completion.objects.filter(task__project=project, status=CompletionStatus.SUBMITTED)
    assert sorted(submitted.values_list("task_id", flat=True)) == [t.pk for t in tasks]
    assert {name for name, _ in handed_out} == {"anna", "bella"}
