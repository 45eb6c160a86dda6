"""api.md "Projects", through the URL router: each row's success, its 403/404 and its 400 field.

Anonymous 401 and both trailing-slash forms of every row: test_contract_conventions.py.
"""

from __future__ import annotations

from typing import Any

from projects.models import Membership, Project
from tests.api.contract import MEMBER, PROJECT, assert_error, assert_page, carries
from tests.personas import MIXED_CONFIG

BROKEN_CONFIG = (
    "<View>\n  <Text name='text' value='$text'/>\n  <Labels name='l' toName='nowhere'>\n"
    "    <Label value='A'/>\n  </Labels>\n</View>"
)


def test_project_list_is_paginated_and_shows_the_callers_projects(
    api: Any, anna: Any, oscar: Any, site_admin: Any, project: Project
) -> None:
    api(oscar).post("/api/projects/", {"name": "oscars"}, format="json")
    results = assert_page(api(anna).get("/api/projects/"), count=1)
    carries(results[0], PROJECT)
    assert results[0]["name"] == "clinic" and results[0]["owner"] == "alice"
    assert [p["name"] for p in assert_page(api(oscar).get("/api/projects/"))] == ["oscars"]
    assert {p["name"] for p in assert_page(api(site_admin).get("/api/projects/"))} == {
        "clinic",
        "oscars",
    }


def test_project_create_answers_201_and_the_caller_owns_it(api: Any, anna: Any) -> None:
    response = api(anna).post(
        "/api/projects/",
        {
            "name": "notes-2026",
            "description": "discharge notes",
            "labeling_config": MIXED_CONFIG,
            "selection_rule": "team_priority",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    carries(body, PROJECT)
    assert body["owner"] == "anna" and body["selection_rule"] == "team_priority"
    assert body["description"] == "discharge notes"
    assert Membership.objects.get(project__name="notes-2026").role == "owner"


def test_project_create_names_the_bad_field_and_stores_nothing(
    api: Any, anna: Any, project: Project
) -> None:
    client = api(anna)
    assert_error(
        client.post("/api/projects/", {"name": "-bad name"}, format="json"), 400, field="name"
    )
    assert_error(client.post("/api/projects/", {}, format="json"), 400, field="name")
    assert_error(
        client.post("/api/projects/", {"name": "clinic"}, format="json"), 400, field="name"
    )
    assert_error(
        client.post("/api/projects/", {"name": "p1", "selection_rule": "oldest"}, format="json"),
        400,
        field="selection_rule",
    )
    bad_config = assert_error(
        client.post(
            "/api/projects/", {"name": "p1", "labeling_config": BROKEN_CONFIG}, format="json"
        ),
        400,
        field="labeling_config",
    )
    assert all("line" in e for e in bad_config["errors"])
    assert list(Project.objects.values_list("name", flat=True)) == ["clinic"]


def test_project_detail_for_every_member_404_for_others(
    api: Any, alice: Any, rita: Any, oscar: Any, project: Project
) -> None:
    for user in (alice, rita):
        response = api(user).get("/api/projects/clinic/")
        assert response.status_code == 200
        carries(response.json(), PROJECT)
        assert response.json()["labeling_config"] == MIXED_CONFIG
    assert_error(api(oscar).get("/api/projects/clinic/"), 404)
    assert_error(api(alice).get("/api/projects/no-such-project/"), 404)


def test_project_patch_changes_the_fields_api_md_names(
    api: Any, mike: Any, project: Project
) -> None:
    response = api(mike).patch(
        "/api/projects/clinic/",
        {
            "description": "triage notes",
            "selection_rule": "team_priority",
            "labeling_config": MIXED_CONFIG.replace("Child", "Kid"),
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    carries(body, PROJECT)
    assert body["description"] == "triage notes" and body["selection_rule"] == "team_priority"
    stored = Project.objects.get(pk=project.pk)
    assert stored.description == "triage notes" and "Kid" in stored.labeling_config


def test_project_patch_is_for_owner_and_manager(
    api: Any, anna: Any, rita: Any, oscar: Any, project: Project
) -> None:
    for user in (anna, rita):
        assert_error(
            api(user).patch("/api/projects/clinic/", {"description": "x"}, format="json"), 403
        )
    assert_error(
        api(oscar).patch("/api/projects/clinic/", {"description": "x"}, format="json"), 404
    )
    assert Project.objects.get(pk=project.pk).description == ""


def test_project_patch_names_the_bad_field_and_stores_nothing(
    api: Any, mike: Any, project: Project
) -> None:
    client = api(mike)
    assert_error(
        client.patch("/api/projects/clinic/", {"selection_rule": "oldest"}, format="json"),
        400,
        field="selection_rule",
    )
    broken = assert_error(
        client.patch(
            "/api/projects/clinic/",
            {"description": "never stored", "labeling_config": BROKEN_CONFIG},
            format="json",
        ),
        400,
        field="labeling_config",
    )
    assert [e["line"] for e in broken["errors"]] == [3]
    stored = Project.objects.get(pk=project.pk)
    assert stored.labeling_config == MIXED_CONFIG and stored.description == ""


def test_project_delete_is_for_the_owner_only(
    api: Any, alice: Any, mike: Any, oscar: Any, project: Project
) -> None:
    assert_error(api(mike).delete("/api/projects/clinic/"), 403)
    assert_error(api(oscar).delete("/api/projects/clinic/"), 404)
    assert Project.objects.filter(name="clinic").exists()
    assert api(alice).delete("/api/projects/clinic/").status_code == 204
    assert not Project.objects.filter(name="clinic").exists()
    assert_error(api(alice).get("/api/projects/clinic/"), 404)


def test_config_put_stores_a_valid_config(api: Any, mike: Any, project: Project) -> None:
    response = api(mike).put(
        "/api/projects/clinic/config",
        {"labeling_config": MIXED_CONFIG.replace("Child", "Kid")},
        format="json",
    )
    assert response.status_code == 200
    carries(response.json(), PROJECT)
    assert "Kid" in Project.objects.get(pk=project.pk).labeling_config


def test_config_put_answers_every_error_with_its_line_and_stores_nothing(
    api: Any, mike: Any, anna: Any, oscar: Any, project: Project
) -> None:
    body = assert_error(
        api(mike).put(
            "/api/projects/clinic/config", {"labeling_config": BROKEN_CONFIG}, format="json"
        ),
        400,
        field="labeling_config",
    )
    assert [e["line"] for e in body["errors"]] == [3]
    assert_error(
        api(mike).put("/api/projects/clinic/config", {}, format="json"),
        400,
        field="labeling_config",
    )
    assert_error(
        api(anna).put("/api/projects/clinic/config", {"labeling_config": ""}, format="json"), 403
    )
    assert_error(
        api(oscar).put("/api/projects/clinic/config", {"labeling_config": ""}, format="json"), 404
    )
    assert Project.objects.get(pk=project.pk).labeling_config == MIXED_CONFIG


def test_config_validate_answers_valid_and_errors_and_never_stores(
    api: Any, mike: Any, project: Project
) -> None:
    url = "/api/projects/clinic/config/validate"
    good = api(mike).post(url, {"labeling_config": MIXED_CONFIG}, format="json")
    assert good.status_code == 200 and good.json() == {"valid": True, "errors": []}
    bad = api(mike).post(url, {"labeling_config": BROKEN_CONFIG}, format="json")
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert [(e["line"], bool(e["message"])) for e in bad.json()["errors"]] == [(3, True)]
    assert Project.objects.get(pk=project.pk).labeling_config == MIXED_CONFIG


def test_config_validate_roles_and_bad_body(
    api: Any, mike: Any, anna: Any, oscar: Any, project: Project
) -> None:
    url = "/api/projects/clinic/config/validate"
    assert_error(api(mike).post(url, {}, format="json"), 400, field="labeling_config")
    assert_error(api(anna).post(url, {"labeling_config": MIXED_CONFIG}, format="json"), 403)
    assert_error(api(oscar).post(url, {"labeling_config": MIXED_CONFIG}, format="json"), 404)


def test_member_list_is_paginated_in_team_order(
    api: Any, anna: Any, oscar: Any, project: Project
) -> None:
    results = assert_page(api(anna).get("/api/projects/clinic/members/"), count=4)
    for member in results:
        carries(member, MEMBER)
    assert results[0] == {"username": "alice", "role": "owner", "priority": 1}
    assert {m["username"]: m["role"] for m in results} == {
        "alice": "owner",
        "mike": "manager",
        "anna": "annotator",
        "rita": "reviewer",
    }
    assert_error(api(oscar).get("/api/projects/clinic/members/"), 404)


def test_member_add_answers_201_member(api: Any, mike: Any, oscar: Any, project: Project) -> None:
    response = api(mike).post(
        "/api/projects/clinic/members/",
        {"username": "oscar", "role": "annotator", "priority": 3},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {"username": "oscar", "role": "annotator", "priority": 3}
    assert Membership.objects.get(project=project, user=oscar).role == "annotator"


def test_member_add_roles_and_bad_fields(
    api: Any, mike: Any, anna: Any, oscar: Any, project: Project
) -> None:
    url = "/api/projects/clinic/members/"
    assert_error(
        api(anna).post(url, {"username": "oscar", "role": "annotator"}, format="json"), 403
    )
    assert_error(api(oscar).post(url, {"username": "oscar", "role": "manager"}, format="json"), 404)
    client = api(mike)
    assert_error(
        client.post(url, {"username": "oscar", "role": "boss"}, format="json"), 400, field="role"
    )
    assert_error(
        client.post(url, {"username": "nobody", "role": "annotator"}, format="json"),
        400,
        field="username",
    )
    assert_error(
        client.post(url, {"username": "anna", "role": "reviewer"}, format="json"),
        400,
        field="username",
    )
    assert_error(
        client.post(url, {"username": "oscar", "role": "annotator", "priority": 0}, format="json"),
        400,
        field="priority",
    )
    assert_error(client.post(url, {"role": "annotator"}, format="json"), 400, field="username")
    assert Membership.objects.filter(project=project).count() == 4


def test_member_remove_answers_204(api: Any, mike: Any, anna: Any, project: Project) -> None:
    assert api(mike).delete("/api/projects/clinic/members/anna/").status_code == 204
    assert not Membership.objects.filter(project=project, user=anna).exists()


def test_member_remove_roles_and_unknown_members(
    api: Any, mike: Any, anna: Any, oscar: Any, project: Project
) -> None:
    assert_error(api(anna).delete("/api/projects/clinic/members/rita/"), 403)
    assert_error(api(oscar).delete("/api/projects/clinic/members/rita/"), 404)
    assert_error(api(mike).delete("/api/projects/clinic/members/oscar/"), 404)
    assert_error(api(mike).delete("/api/projects/clinic/members/nobody/"), 404)
    assert_error(api(mike).delete("/api/projects/clinic/members/alice/"), 403)
    assert Membership.objects.filter(project=project).count() == 4
