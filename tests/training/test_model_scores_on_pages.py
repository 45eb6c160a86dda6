"""The micro-F1 a person reads on the dashboard and in the admin, both from NlpModel.micro_f1."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from projects.models import Project
from training.models import JobStatus, ModelSource, NlpModel, TrainingRun

pytestmark = pytest.mark.django_db


def trained(run: TrainingRun, name: str, metrics: dict[str, Any] | None) -> NlpModel:
    return NlpModel.objects.create(
        name=name,
        type="ner",
        project=run.project,
        source=ModelSource.TRAINED,
        labels=["Symptom"],
        trained_at=timezone.now(),
        training_run=run,
        metrics=metrics,
        path="/nowhere",
    )


@pytest.fixture
def finished_run(project: Project) -> TrainingRun:
    run = TrainingRun.objects.create(
        project=project,
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        model_types=["ner"],
    )
    micro = {"precision": 0.9, "recall": 0.75, "f1": 0.8125}
    trained(run, "clinic-ner-v1", {"micro": micro, "macro": micro, "per_label": {}})
    trained(run, "clinic-ner-v2", None)  # trained without a validation split: no metrics
    return run


def test_the_dashboard_shows_each_model_of_the_last_run_with_its_micro_f1(
    client: Client, mike: Any, finished_run: TrainingRun
) -> None:
    client.force_login(mike)
    page = client.get(f"/projects/{finished_run.project.name}/").content.decode()
    assert "ner · micro-F1 0.81</span>" in page
    assert "ner · micro-F1 –</span>" in page


def test_the_admin_model_list_shows_the_micro_f1(
    client: Client, site_admin: Any, finished_run: TrainingRun
) -> None:
    client.force_login(site_admin)
    page = client.get("/admin/training/nlpmodel/").content.decode()
    assert '<td class="field-micro_f1">0.812</td>' in page
    assert '<td class="field-micro_f1">—</td>' in page
