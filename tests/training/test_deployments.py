"""Deployment records and rollback (issue 19, part 3), through the URL router with each role.

Every deployment — the API, the admin action, a training run that deploys, a restore — leaves a
record with the full ``{tag: model}`` maps before and after; a restore binds a record's models
again, or answers 400 naming the model that can no longer be bound, with nothing changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from projects import services as project_services
from projects.labeling_config import binding_map
from projects.models import Project
from tests.api.contract import PROJECT, assert_error, assert_page, carries
from training import services
from training.models import Deployment, ModelSource, NlpModel, TrainingRun, Trigger

RECORD = {"id", "created_at", "actor", "trigger", "before", "after"}

#: The persona project's bindable places with nothing bound (tests/personas.MIXED_CONFIG).
UNBOUND = {
    "Symptom": None,
    "Disease": None,
    "Absent": None,
    "Present": None,
    "age": None,
    "smoking": None,
}


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    return tmp_path / "models"


def model_row(
    project: Project | None,
    folders: Path,
    name: str,
    model_type: str,
    labels: list[str],
    *,
    loadable: bool = True,
    **extra: Any,
) -> NlpModel:
    """A registry row whose folder is shaped like a saved PipelineModel (metadata/, stages/)."""
    folder = folders / name
    if loadable:
        (folder / "metadata").mkdir(parents=True)
        (folder / "stages").mkdir()
    return NlpModel.objects.create(
        name=name,
        type=model_type,
        project=project,
        labels=labels,
        path=str(folder),
        source=extra.pop("source", ModelSource.TRAINED),
        **extra,
    )


def deploy(api: Any, user: Any, *names: str) -> Any:
    return api(user).post("/api/projects/clinic/deploy", {"models": list(names)}, format="json")


def listed(api: Any, user: Any, query: str = "") -> list[dict[str, Any]]:
    return assert_page(api(user).get(f"/api/projects/clinic/deployments/{query}"))


def restore(api: Any, user: Any, record_id: int) -> Any:
    return api(user).post(f"/api/projects/clinic/deployments/{record_id}/restore")


def config_of(project: Project) -> str:
    return Project.objects.get(pk=project.pk).labeling_config


@pytest.fixture
def versions(project: Project, folders: Path) -> dict[str, NlpModel]:
    """Two NER versions, an assertion model and an age classifier of the persona project."""
    return {
        "v1": model_row(project, folders, "ner_clinic_v1", "ner", ["Symptom", "Disease"]),
        "v2": model_row(project, folders, "ner_clinic_v2", "ner", ["Symptom", "Disease"]),
        "status": model_row(project, folders, "assertion_clinic_v1", "assertion", ["Absent"]),
        "age": model_row(
            project,
            folders,
            "classification_clinic_age_v1",
            "classification",
            ["Child", "Adult"],
            choices_group="age",
        ),
    }


# --- every deployment is recorded ------------------------------------------------------------


def test_a_manual_deploy_is_recorded_with_the_full_maps_and_listed_newest_first(
    api: Any, mike: Any, alice: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    assert deploy(api, mike, versions["v1"].name, versions["age"].name).status_code == 200
    assert deploy(api, alice, versions["v2"].name).status_code == 200
    newest, first = listed(api, mike)
    for item in (newest, first):
        carries(item, RECORD)
    assert first["actor"] == "mike" and first["trigger"] == "manual"
    assert first["before"] == UNBOUND
    assert first["after"] == {
        **UNBOUND,
        "Symptom": "ner_clinic_v1",
        "Disease": "ner_clinic_v1",
        "age": "classification_clinic_age_v1",
    }
    assert newest["actor"] == "alice" and newest["before"] == first["after"]
    assert newest["after"] == {
        **first["after"],
        "Symptom": "ner_clinic_v2",
        "Disease": "ner_clinic_v2",
    }
    assert [c["tag"] for c in newest["changes"]] == ["Symptom", "Disease"]
    assert newest["changes"][0] == {
        "tag": "Symptom",
        "before": "ner_clinic_v1",
        "after": "ner_clinic_v2",
    }
    assert newest["models"] == ["ner_clinic_v2"] and newest["restored_from"] is None


def test_a_deploy_that_changes_nothing_is_recorded_too(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    deploy(api, mike, versions["v1"].name)
    config = config_of(project)
    assert deploy(api, mike, versions["v1"].name).status_code == 200
    assert config_of(project) == config
    again, _ = listed(api, mike)
    assert again["before"] == again["after"] and again["changes"] == []
    record = Deployment.objects.get(pk=again["id"])
    assert record.old_config == record.new_config == config


def test_a_refused_deploy_leaves_no_record(
    api: Any, mike: Any, project: Project, folders: Path
) -> None:
    wrong = model_row(project, folders, "ner_for_status", "ner", ["Absent"])
    assert_error(deploy(api, mike, wrong.name), 400)
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("trigger", [Trigger.MANUAL, Trigger.ACTIVE_LEARNING])
def test_a_runs_deploy_records_the_run_and_its_trigger(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel], trigger: str
) -> None:
    # What training.pipeline.train does once its models are saved: no actor, the run.
    run = TrainingRun.objects.create(project=project, trigger=trigger, model_types=["ner"])
    services.deploy_models(project=project, models=[versions["v1"]], actor=None, run=run)
    (item,) = listed(api, mike)
    assert item["trigger"] == trigger and item["actor"] is None
    assert item["training_run"] == run.pk
    assert item["after"]["Disease"] == "ner_clinic_v1"


def test_the_admin_action_is_a_recorded_manual_deployment(
    site_admin: Any, api: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    browser = Client()
    browser.force_login(site_admin)
    response = browser.post(
        "/admin/training/nlpmodel/",
        {"action": "deploy_to_project", "_selected_action": [versions["v2"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Deployed ner_clinic_v2 to" in response.content.decode()
    (item,) = listed(api, mike)
    assert item["trigger"] == "manual" and item["actor"] == "root"
    assert item["after"]["Symptom"] == "ner_clinic_v2"
    # The admin lists the record with the config text before and after.
    page = browser.get(f"/admin/training/deployment/{item['id']}/change/")
    assert page.status_code == 200 and "ner_clinic_v2" in page.content.decode()


# --- restore ---------------------------------------------------------------------------------


def test_restore_binds_exactly_the_recorded_models_and_is_itself_recorded(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    deploy(api, mike, versions["v1"].name)
    deploy(api, mike, versions["v2"].name, versions["age"].name, versions["status"].name)
    first = Deployment.objects.order_by("id").first()
    assert first is not None
    response = restore(api, mike, first.pk)
    assert response.status_code == 200
    body = response.json()
    carries(body, PROJECT)
    # Every tag the record knows is as it was after it: v1 on the NER labels, and the age group
    # and the assertion labels unbound again (the record had them unbound).
    assert binding_map(body["labeling_config"]) == first.after
    assert binding_map(config_of(project)) == {
        **UNBOUND,
        "Symptom": "ner_clinic_v1",
        "Disease": "ner_clinic_v1",
    }
    newest = listed(api, mike)[0]
    assert newest["trigger"] == "restore" and newest["restored_from"] == first.pk
    assert newest["actor"] == "mike" and newest["after"] == first.after
    assert newest["before"]["age"] == "classification_clinic_age_v1"
    assert {c["tag"] for c in newest["changes"]} == {"Symptom", "Disease", "Absent", "age"}


def test_restore_leaves_tags_the_config_gained_since_alone(
    api: Any, alice: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    deploy(api, mike, versions["v1"].name)
    first = Deployment.objects.get()
    deploy(api, mike, versions["v2"].name)
    gained = config_of(project).replace(
        '<Label value="Disease"', '<Label value="Finding"/>\n    <Label value="Disease"'
    )
    project_services.project_update(project=project, actor=alice, labeling_config=gained)
    deploy(api, mike, versions["age"].name)
    assert restore(api, mike, first.pk).status_code == 200
    bindings = binding_map(config_of(project))
    assert bindings["Symptom"] == bindings["Disease"] == "ner_clinic_v1"
    assert bindings["Finding"] is None and bindings["age"] is None


def test_restore_of_a_deleted_model_is_400_naming_it_and_changes_nothing(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    deploy(api, mike, versions["v1"].name)
    first = Deployment.objects.get()
    deploy(api, mike, versions["v2"].name)
    config = config_of(project)
    versions["v1"].delete()
    body = assert_error(restore(api, mike, first.pk), 400, field="after.Symptom")
    assert "Model 'ner_clinic_v1' no longer exists." in body["detail"]
    assert {e["field"] for e in body["errors"]} == {"after.Symptom", "after.Disease"}
    assert config_of(project) == config
    assert Deployment.objects.count() == 2


def test_restore_of_a_model_whose_folder_is_gone_is_400_naming_it(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel], folders: Path
) -> None:
    deploy(api, mike, versions["v1"].name, versions["age"].name)
    first = Deployment.objects.get()
    deploy(api, mike, versions["v2"].name)
    config = config_of(project)
    shutil.rmtree(folders / "ner_clinic_v1")
    body = assert_error(restore(api, mike, first.pk), 400, field="after.Disease")
    message = next(e["message"] for e in body["errors"] if e["field"] == "after.Disease")
    assert message == (
        f"Model 'ner_clinic_v1' no longer loads: its folder {folders / 'ner_clinic_v1'} is missing."
    )
    assert "after.age" not in {e["field"] for e in body["errors"]}
    assert config_of(project) == config and Deployment.objects.count() == 2


def test_restore_of_a_folder_without_metadata_is_400(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel], folders: Path
) -> None:
    deploy(api, mike, versions["v1"].name)
    first = Deployment.objects.get()
    deploy(api, mike, versions["v2"].name)
    (folders / "ner_clinic_v1" / "metadata").rmdir()
    body = assert_error(restore(api, mike, first.pk), 400, field="after.Symptom")
    assert "has no metadata/" in body["errors"][0]["message"]
    assert binding_map(config_of(project))["Symptom"] == "ner_clinic_v2"


def test_restore_of_a_tag_removed_since_is_400_naming_it(
    api: Any, alice: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    deploy(api, mike, versions["age"].name)
    first = Deployment.objects.get()
    without_age = config_of(project)
    start = without_age.index('<Choices name="age"')
    end = without_age.index("</Choices>", start) + len("</Choices>")
    without_age = without_age[:start] + without_age[end:]
    project_services.project_update(project=project, actor=alice, labeling_config=without_age)
    body = assert_error(restore(api, mike, first.pk), 400, field="after.age")
    assert "no longer has the tag 'age'" in body["errors"][0]["message"]
    assert config_of(project) == without_age


def test_restore_of_an_unknown_or_other_projects_record_is_404(
    api: Any, alice: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    other = project_services.project_create(
        owner=alice, name="ward", labeling_config=project.labeling_config
    )
    shared = model_row(None, Path(versions["v1"].path).parent, "ner_shared", "ner", ["Disease"])
    services.deploy_models(project=other, models=[shared], actor=alice)
    elsewhere = Deployment.objects.get(project=other)
    assert_error(restore(api, mike, elsewhere.pk), 404)
    assert_error(restore(api, mike, 999999), 404)
    assert binding_map(config_of(project)) == UNBOUND


def test_the_same_label_in_two_groups_is_keyed_by_group(
    api: Any, alice: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    two_groups = config_of(project).replace(
        "</View>",
        '  <Labels name="findings" toName="text">\n    <Label value="Disease"/>\n  </Labels>\n'
        "</View>",
    )
    project_services.project_update(project=project, actor=alice, labeling_config=two_groups)
    deploy(api, mike, versions["v1"].name)
    (item,) = listed(api, mike)
    assert "Disease" not in item["after"]
    assert item["after"]["label/Disease"] == item["after"]["findings/Disease"] == "ner_clinic_v1"
    deploy(api, mike, versions["v2"].name)
    assert restore(api, mike, item["id"]).status_code == 200
    assert binding_map(config_of(project))["findings/Disease"] == "ner_clinic_v1"


# --- list: pagination and roles --------------------------------------------------------------


def test_the_list_is_paginated(
    api: Any, mike: Any, project: Project, versions: dict[str, NlpModel]
) -> None:
    names = [versions["v1"].name, versions["v2"].name]
    Deployment.objects.bulk_create(
        Deployment(project=project, trigger="manual", model_names=[names[i % 2]])
        for i in range(101)
    )
    response = api(mike).get("/api/projects/clinic/deployments/")
    first_page = assert_page(response)
    assert response.json()["count"] == 101 and len(first_page) == 100
    assert response.json()["next"]
    second = assert_page(api(mike).get("/api/projects/clinic/deployments/?page=2"))
    assert len(second) == 1
    ids = [item["id"] for item in first_page + second]
    assert ids == sorted(ids, reverse=True)
    assert_error(api(mike).get("/api/projects/clinic/deployments/?page=0"), 400, field="page")


def test_roles(
    api: Any,
    alice: Any,
    mike: Any,
    anna: Any,
    rita: Any,
    oscar: Any,
    project: Project,
    versions: dict[str, NlpModel],
) -> None:
    deploy(api, mike, versions["v1"].name)
    record = Deployment.objects.get()
    url = "/api/projects/clinic/deployments/"
    assert len(listed(api, alice)) == len(listed(api, mike)) == 1
    for user in (anna, rita):
        assert_error(api(user).get(url), 403)
        assert_error(restore(api, user, record.pk), 403)
    assert_error(api(oscar).get(url), 404)
    assert_error(restore(api, oscar, record.pk), 404)
    assert_error(api(None).get(url), 401)
    assert_error(restore(api, None, record.pk), 401)
    assert Deployment.objects.count() == 1
    assert restore(api, alice, record.pk).status_code == 200
    assert listed(api, alice)[0]["actor"] == "alice"
