"""What a team used to leave the pages for: users, tags, assignments, predicted labels, and
one per-label F1 chart per model type."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects import services as project_services
from projects.models import Project, Role
from tests.browser.test_annotator_loop import predicted
from training.models import JobStatus, ModelSource, NlpModel, TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_user_model()
TEXT = "Patient denies chest pain but has pneumonia and fever."


def test_a_site_admin_creates_a_user_and_adds_them_to_the_team_in_one_step(
    page: Page, live_server: Any, login: Any, project: Project, site_admin: Any
) -> None:
    login(page, live_server, "root", "root-password", path="/accounts/login/")
    page.goto(f"{live_server.url}/projects/clinic/setup/#team")
    form = page.locator("#member-add")
    form.get_by_label("Username").fill("nora")
    form.get_by_label("Role").select_option("annotator")
    form.get_by_label("new user").check()
    form.get_by_label("Password").fill("nora-secret-1")
    form.get_by_role("button", name="Add member").click()
    expect(page.locator("#members tr[data-username='nora']")).to_contain_text("annotator")
    nora = User.objects.get(username="nora")
    assert nora.check_password("nora-secret-1") and nora.is_active
    assert project.memberships.get(user=nora).role == Role.ANNOTATOR


def test_a_manager_adds_existing_users_and_sets_the_completions_per_task(
    page: Page, live_server: Any, sign_in: Any, project: Project, mike: Any, oscar: Any
) -> None:
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#team")
    form = page.locator("#member-add")
    expect(form.get_by_label("new user")).to_have_count(0)
    form.get_by_label("Username").fill("oscar")
    form.get_by_role("button", name="Add member").click()
    expect(page.locator("#members tr[data-username='oscar']")).to_be_visible()
    assert project.memberships.filter(user=oscar).exists()

    overlap = page.locator("#overlap-form")
    overlap.get_by_label("Completions per task").fill("2")
    overlap.get_by_role("button", name="Save").click()
    expect(overlap).to_contain_text("Saved.")
    project.refresh_from_db()
    assert project.completions_per_task == 2


def test_the_tasks_page_tags_untags_and_assigns_selected_tasks_and_shows_predictions(
    page: Page,
    live_server: Any,
    sign_in: Any,
    project: Project,
    make_task: Any,
    mike: Any,
    anna: Any,
    rita: Any,
) -> None:
    first, second, untouched = make_task(TEXT), make_task(TEXT), make_task(TEXT)
    predicted(first, ("chest pain", "Symptom", 0.9), ("pneumonia", "Disease", 0.7))
    project_services.task_update(task=second, actor=mike, tags=["gold"])
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/tasks/")
    row = page.locator(f"#tasks tr[data-task='{first.pk}']")
    expect(row.locator(".predicted")).to_contain_text("chest pain: Symptom")
    expect(row.locator(".predicted")).to_contain_text("pneumonia: Disease")

    for task in (first, second):
        page.get_by_label(f"Select task {task.pk}").check()
    tags = page.locator("#tag-form")
    tags.get_by_label("Tag").fill("train")
    tags.get_by_role("button", name="Tag selected", exact=True).click()
    expect(row.locator(".tags")).to_contain_text("train")
    assert sorted(second.tags.values_list("name", flat=True)) == ["gold", "train"]
    assert list(first.tags.values_list("name", flat=True)) == ["train"]
    assert not untouched.tags.exists()

    page.get_by_label(f"Select task {second.pk}").check()
    tags.get_by_label("Tag").fill("gold")
    tags.get_by_role("button", name="Untag selected").click()
    expect(page.locator(f"#tasks tr[data-task='{second.pk}'] .tags")).not_to_contain_text("gold")
    assert list(second.tags.values_list("name", flat=True)) == ["train"]

    page.get_by_label(f"Select task {first.pk}").check()
    assign = page.locator("#assign-form")
    assign.get_by_label("Annotators").select_option(["anna"])
    assign.get_by_label("Reviewer").select_option("rita")
    assign.get_by_role("button", name="Assign selected").click()
    expect(row.locator(".assigned")).to_contain_text("review: rita")
    first.refresh_from_db()
    assert list(first.annotators.all()) == [anna] and first.reviewer == rita
    assert not second.annotators.exists() and second.reviewer is None


def evaluated_model(run: TrainingRun, model_type: str, per_label: dict[str, float]) -> NlpModel:
    name = f"{model_type}_clinic_annotation_manual_v{run.pk}"
    return NlpModel.objects.create(
        name=name,
        type=model_type,
        project=run.project,
        source=ModelSource.TRAINED,
        labels=list(per_label),
        trained_at=timezone.now(),
        trigger="manual",
        training_run=run,
        training_completions=10 * run.pk,
        metrics={
            "micro": {"precision": 0.8, "recall": 0.8, "f1": 0.8},
            "macro": {"precision": 0.8, "recall": 0.8, "f1": 0.8},
            "per_label": {
                label: {"precision": f1, "recall": f1, "f1": f1, "support": 3}
                for label, f1 in per_label.items()
            },
        },
        path="/nowhere/no-spark-in-browser-tests",
    )


def test_one_per_label_f1_chart_per_model_type(
    page: Page, live_server: Any, sign_in: Any, project: Project, mike: Any
) -> None:
    for _ in range(2):
        run = TrainingRun.objects.create(
            project=project, status=JobStatus.SUCCEEDED, finished_at=timezone.now(), params={}
        )
        ner = evaluated_model(run, "ner", {"Symptom": 0.9, "Disease": 0.7})
        classes = evaluated_model(run, "classification", {"Adult": 0.95, "Child": 0.6})
        run.results = [
            {"model_type": m.type, "status": "succeeded", "model": m.name, "error": ""}
            for m in (ner, classes)
        ]
        run.save(update_fields=["results"])
    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/clinic/setup/#training")
    charts = page.locator("#f1-chart .chart-part")
    expect(charts).to_have_count(2)
    ner_chart = page.locator("#f1-chart [data-model-type='ner']")
    expect(ner_chart.locator("figcaption")).to_have_text("NER")
    expect(ner_chart.locator(".legend li")).to_have_text(["Disease", "Symptom"])
    expect(ner_chart.locator("svg circle")).to_have_count(4)
    classes_chart = page.locator("#f1-chart [data-model-type='classification']")
    expect(classes_chart.locator(".legend li")).to_have_text(["Adult", "Child"])
