"""Named people and a mixed project every test can lean on (a pytest plugin).

alice owns the project, mike manages it, anna annotates, rita reviews, oscar is an outsider;
``api(user)`` gives a DRF client authenticated as that user by token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from projects import services
from projects.models import Project, Role, Task

User = get_user_model()

MIXED_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
    <Label value="Present" assertion="true"/>
  </Labels>
  <Choices name="age" toName="text" choice="single">
    <Choice value="Child"/>
    <Choice value="Adult"/>
  </Choices>
  <Choices name="smoking" toName="text" choice="multiple">
    <Choice value="Smoker"/>
    <Choice value="Nonsmoker"/>
  </Choices>
</View>
"""


def make_user(username: str, **extra: Any) -> Any:
    return User.objects.create_user(username=username, password=f"{username}-password", **extra)


@pytest.fixture
def alice(db: None) -> Any:
    return make_user("alice")


@pytest.fixture
def mike(db: None) -> Any:
    return make_user("mike")


@pytest.fixture
def anna(db: None) -> Any:
    return make_user("anna")


@pytest.fixture
def rita(db: None) -> Any:
    return make_user("rita")


@pytest.fixture
def oscar(db: None) -> Any:
    return make_user("oscar")


@pytest.fixture
def site_admin(db: None) -> Any:
    return User.objects.create_superuser(username="root", password="root-password")


@pytest.fixture
def project(alice: Any, mike: Any, anna: Any, rita: Any) -> Project:
    project = services.project_create(owner=alice, name="clinic", labeling_config=MIXED_CONFIG)
    services.member_add(project=project, actor=alice, username="mike", role=Role.MANAGER)
    services.member_add(project=project, actor=alice, username="anna", role=Role.ANNOTATOR)
    services.member_add(project=project, actor=alice, username="rita", role=Role.REVIEWER)
    return project


@pytest.fixture
def make_task(project: Project) -> Callable[..., Task]:
    def make(text: str = "Patient denies chest pain.", **data: Any) -> Task:
        return Task.objects.create(project=project, data={"text": text, **data})

    return make


def span(text: str, fragment: str, label: str, region_id: str = "") -> dict[str, Any]:
    """A labels region on the first occurrence of ``fragment`` in ``text``."""
    start = text.index(fragment)
    return {
        "id": region_id or f"r{start}-{label}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": start + len(fragment),
            "text": fragment,
            "labels": [label],
        },
    }


def choice(group: str, *values: str) -> dict[str, Any]:
    return {
        "id": f"c-{group}",
        "from_name": group,
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(values)},
    }


@pytest.fixture
def api(db: None) -> Callable[[Any], APIClient]:
    def client_for(user: Any | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
