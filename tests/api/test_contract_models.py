"""api.md "Models", through the URL router: the registry's rows and deploy, each with its 403/404
and its 400 field. Anonymous 401 and both trailing-slash forms: test_contract_conventions.py.

NlpModel rows are created here as data (no Spark): these rows read and bind the registry, they
never load a model.
"""

from __future__ import annotations

from typing import Any

import pytest

from projects import services as project_services
from projects.models import Project
from tests.api.contract import MODEL, PROJECT, assert_error, assert_page, carries
from tests.training.test_training_api import model_row
from training import services
from training.models import Deployment, NlpModel, TrainingRun

NER = "ner_clinic_annotation_manual_v1"


@pytest.fixture
def models(project: Project) -> dict[str, NlpModel]:
    run = TrainingRun.objects.create(project=project, status="succeeded", model_types=["ner"])
    return {
        "ner": model_row(
            project,
            NER,
            "ner",
            ["Symptom", "Disease"],
            training_run=run,
            trigger="manual",
            params={"epochs": 2},
            log="epoch 1 of 2\nepoch 2 of 2\n",
        ),
        "assertion": model_row(
            project, "assertion_clinic_annotation_manual_v1", "assertion", ["Absent", "Present"]
        ),
    }


@pytest.fixture
def elsewhere(oscar: Any) -> NlpModel:
    """A model of oscar's project, which no persona of clinic is a member of."""
    other = project_services.project_create(
        owner=oscar,
        name="radiology",
        labeling_config=Project.objects.get(name="clinic").labeling_config,
    )
    return model_row(other, "ner_radiology_annotation_manual_v1", "ner", ["Symptom", "Disease"])


# --- GET /api/models/ -----------------------------------------------------------------------------


def test_model_list_is_paginated_and_filters_by_project_and_type(
    api: Any, rita: Any, models: dict[str, NlpModel], elsewhere: NlpModel
) -> None:
    results = assert_page(api(rita).get("/api/models/?project=clinic"), count=2)
    for model in results:
        carries(model, MODEL)
    assert {m["name"] for m in results} == {NER, "assertion_clinic_annotation_manual_v1"}
    ner = assert_page(api(rita).get("/api/models/?project=clinic&type=ner"), count=1)
    assert [m["name"] for m in ner] == [NER]
    everything = {m["name"] for m in assert_page(api(rita).get("/api/models/"))}
    assert elsewhere.name not in everything and NER in everything


def test_model_list_hides_projects_the_caller_is_not_in(
    api: Any, oscar: Any, models: dict[str, NlpModel], elsewhere: NlpModel
) -> None:
    assert [m["name"] for m in assert_page(api(oscar).get("/api/models/"))] == [elsewhere.name]
    assert assert_page(api(oscar).get("/api/models/?project=clinic"), count=0) == []


def test_model_list_refuses_an_unknown_type(
    api: Any, rita: Any, models: dict[str, NlpModel]
) -> None:
    assert_error(api(rita).get("/api/models/?type=parser"), 400, field="type")


# --- GET /api/models/{model}/ ---------------------------------------------------------------------


def test_model_detail_carries_every_field(
    api: Any, alice: Any, anna: Any, models: dict[str, NlpModel]
) -> None:
    services.deploy_models(project=models["ner"].project, models=[models["ner"]], actor=alice)
    response = api(anna).get(f"/api/models/{NER}/")
    assert response.status_code == 200
    body = response.json()
    carries(body, MODEL)
    assert body["name"] == NER and body["type"] == "ner" and body["project"] == "clinic"
    assert body["source"] == "trained" and body["labels"] == ["Symptom", "Disease"]
    assert body["trigger"] == "manual" and body["training_run"] == models["ner"].training_run_id
    assert body["params"] == {"epochs": 2} and body["metrics"] is None
    assert body["deployed_in"] == ["clinic"]


def test_model_detail_of_another_projects_or_an_unknown_model_is_404(
    api: Any, mike: Any, oscar: Any, models: dict[str, NlpModel], elsewhere: NlpModel
) -> None:
    assert_error(api(mike).get(f"/api/models/{elsewhere.name}/"), 404)
    assert_error(api(oscar).get(f"/api/models/{NER}/"), 404)
    assert_error(api(mike).get("/api/models/ner_nowhere_annotation_manual_v9/"), 404)


# --- GET /api/models/{model}/logs -----------------------------------------------------------------


def test_model_logs_are_its_training_log_as_text(
    api: Any, rita: Any, models: dict[str, NlpModel]
) -> None:
    response = api(rita).get(f"/api/models/{NER}/logs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "epoch 1 of 2\nepoch 2 of 2\n"


def test_model_logs_of_another_projects_or_an_unknown_model_are_404(
    api: Any, mike: Any, oscar: Any, models: dict[str, NlpModel], elsewhere: NlpModel
) -> None:
    assert_error(api(mike).get(f"/api/models/{elsewhere.name}/logs"), 404)
    assert_error(api(oscar).get(f"/api/models/{NER}/logs"), 404)
    assert_error(api(mike).get("/api/models/ner_nowhere_annotation_manual_v9/logs"), 404)


# --- POST /api/projects/{name}/deploy -------------------------------------------------------------


def test_deploy_answers_200_project_with_the_models_bound(
    api: Any, mike: Any, models: dict[str, NlpModel]
) -> None:
    response = api(mike).post(
        "/api/projects/clinic/deploy",
        {"models": [NER, "assertion_clinic_annotation_manual_v1"]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    carries(body, PROJECT)
    assert f'<Label value="Symptom" model="{NER}"/>' in body["labeling_config"]
    assert 'model="assertion_clinic_annotation_manual_v1"' in body["labeling_config"]
    assert Project.objects.get(name="clinic").labeling_config == body["labeling_config"]


def test_deploy_names_models_when_one_is_unknown_or_of_another_project(
    api: Any, mike: Any, project: Project, models: dict[str, NlpModel], elsewhere: NlpModel
) -> None:
    url = "/api/projects/clinic/deploy"
    for names in ([elsewhere.name], [NER, elsewhere.name], ["ner_nowhere_v1"], []):
        assert_error(api(mike).post(url, {"models": names}, format="json"), 400, field="models")
    assert_error(api(mike).post(url, {}, format="json"), 400, field="models")
    assert_error(api(mike).post(url, {"models": NER}, format="json"), 400, field="models")
    assert Project.objects.get(pk=project.pk).labeling_config == project.labeling_config
    assert not Deployment.objects.exists()


def test_deploy_of_an_invalid_combination_is_400(api: Any, mike: Any, project: Project) -> None:
    model_row(project, "ner_for_status", "ner", ["Absent"])
    response = api(mike).post(
        "/api/projects/clinic/deploy", {"models": ["ner_for_status"]}, format="json"
    )
    assert_error(response, 400)
    assert Project.objects.get(pk=project.pk).labeling_config == project.labeling_config


def test_deploy_is_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project, models: dict[str, NlpModel]
) -> None:
    for user in (anna, rita):
        assert_error(
            api(user).post("/api/projects/clinic/deploy", {"models": [NER]}, format="json"), 403
        )
    assert_error(
        api(oscar).post("/api/projects/clinic/deploy", {"models": [NER]}, format="json"), 404
    )
    assert Project.objects.get(pk=project.pk).labeling_config == project.labeling_config
