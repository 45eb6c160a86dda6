"""The Model Training tab's Deployments card in Chromium: the history of deployments, and a
Restore that binds an older deployment's models again and shows itself as a new record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from projects.labeling_config import binding_map
from projects.models import Project
from training import services
from training.models import (
    Deployment,
    JobStatus,
    ModelSource,
    NlpModel,
    TrainingRun,
    Trigger,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def saved_model(project: Project, folder: Path, name: str) -> NlpModel:
    """A NER model whose folder has a saved PipelineModel's shape (metadata/, stages/)."""
    (folder / name / "metadata").mkdir(parents=True)
    (folder / name / "stages").mkdir()
    return NlpModel.objects.create(
        name=name,
        type="ner",
        project=project,
        labels=["Symptom", "Disease"],
        path=str(folder / name),
        source=ModelSource.TRAINED,
    )


def test_the_card_lists_deployments_and_restores_an_older_one(
    page: Page,
    live_server: Any,
    sign_in: Any,
    save_screenshot: Any,
    project: Project,
    mike: Any,
    tmp_path: Path,
) -> None:
    v1 = saved_model(project, tmp_path, "ner_clinic_annotation_manual_v1")
    v2 = saved_model(project, tmp_path, "ner_clinic_annotation_active_learning_v1")
    services.deploy_models(project=project, models=[v1], actor=mike)
    # The second one as an active-learning run deploys it: no person, the run's trigger.
    run = TrainingRun.objects.create(
        project=project,
        trigger=Trigger.ACTIVE_LEARNING,
        model_types=["ner"],
        status=JobStatus.SUCCEEDED,
    )
    services.deploy_models(project=project, models=[v2], actor=None, run=run)
    first = Deployment.objects.order_by("id").first()
    assert first is not None

    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/{project.name}/setup/#training")
    card = page.locator("#deployments-card")
    expect(card).to_be_visible()
    rows = card.locator("tbody tr")
    expect(rows).to_have_count(2)
    newest, oldest = rows.nth(0), rows.nth(1)
    expect(newest.locator("[data-role=trigger]")).to_have_text("active learning")
    expect(newest).to_contain_text(f"training run {run.pk}")
    expect(newest.locator("li[data-tag=Disease]")).to_have_text(f"Disease: {v1.name} → {v2.name}")
    expect(oldest).to_contain_text("mike")
    expect(oldest.locator("[data-role=trigger]")).to_have_text("manual")
    expect(oldest.locator("li[data-tag=Symptom]")).to_have_text(f"Symptom: none → {v1.name}")

    oldest.get_by_role("button", name="Restore").click()
    dialog = page.locator("#restore-dialog")
    expect(dialog).to_contain_text(f"{v1.name} for Symptom")
    with page.expect_response(lambda r: "/restore" in r.url and r.request.method == "POST"):
        dialog.get_by_role("button", name="Restore").click()

    expect(rows).to_have_count(3)
    restored = rows.nth(0)
    expect(restored.locator("[data-role=trigger]")).to_have_text(f"restore of #{first.pk}")
    expect(restored).to_contain_text("mike")
    expect(restored.locator("li[data-tag=Disease]")).to_have_text(f"Disease: {v2.name} → {v1.name}")
    save_screenshot(page, "deployments-card")
    config = Project.objects.get(pk=project.pk).labeling_config
    assert binding_map(config)["Disease"] == binding_map(config)["Symptom"] == v1.name


def test_a_restore_the_server_refuses_shows_the_model_it_names(
    page: Page, live_server: Any, sign_in: Any, project: Project, mike: Any, tmp_path: Path
) -> None:
    v1 = saved_model(project, tmp_path, "ner_clinic_annotation_manual_v1")
    v2 = saved_model(project, tmp_path, "ner_clinic_annotation_manual_v2")
    services.deploy_models(project=project, models=[v1], actor=mike)
    services.deploy_models(project=project, models=[v2], actor=mike)
    v1.delete()

    sign_in(page, mike)
    page.goto(f"{live_server.url}/projects/{project.name}/setup/#training")
    rows = page.locator("#deployments-card tbody tr")
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_role("button", name="Restore").click()
    page.locator("#restore-dialog").get_by_role("button", name="Restore").click()
    expect(page.locator("#deployments-card [data-role=error]")).to_contain_text(
        f"Model '{v1.name}' no longer exists."
    )
    expect(rows).to_have_count(2)
