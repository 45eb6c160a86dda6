"""api.md "Conventions" on every row, and the "Schema" rows.

Every built row of api.md (tests/api/coverage.py reads them from api.md itself, so a new row is
checked the day it is written): an anonymous caller gets 401 in api.md's error shape, and the
path works with and without its trailing slash — both forms reach the same view, which serves
the row's method.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from tests.api.coverage import PENDING, spec_rows

BUILT = sorted(row for row in spec_rows() if row not in PENDING)
ROW_IDS = [f"{method} {path}" for method, path in BUILT]

# A value for each placeholder of api.md's paths: any value routes, and anonymous callers are
# refused before anything is looked up.
SAMPLE = {
    "name": "clinic",
    "id": "1",
    "username": "anna",
    "model": "ner_clinic_annotation_manual_v1",
    "project": "clinic",
}

# Rows an anonymous caller may reach: logging in (an empty body is a 400), and the schema and its
# docs page, which api.md does not say need a login.
NOT_BEHIND_A_TOKEN: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/auth/token/"): {400},
    ("GET", "/api/schema/"): {200, 401},
    ("GET", "/api/docs/"): {200, 401},
}


def both_forms(path: str) -> list[str]:
    concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path).rstrip("/")
    return [concrete, f"{concrete}/"]


def _same_shape(path: str) -> str:
    """A path with its placeholders unnamed and no trailing slash, to compare with the schema."""
    return re.sub(r"\{\w+\}", "{}", path).rstrip("/")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), BUILT, ids=ROW_IDS)
def test_every_row_answers_anonymous_callers_401(method: str, path: str) -> None:
    expected = NOT_BEHIND_A_TOKEN.get((method, path), {401})
    for url in both_forms(path):
        response = APIClient().generic(method, url, "{}", content_type="application/json")
        assert response.status_code in expected, (url, response.status_code, response.content[:200])
        if response.status_code == 401:
            assert response.json()["detail"], url
            # The Label Studio ML backend asks for what Label Studio sends: Basic auth.
            scheme = "Basic" if path.startswith("/ml/") else "Token"
            assert response["WWW-Authenticate"].startswith(scheme), url


@pytest.mark.parametrize(("method", "path"), BUILT, ids=ROW_IDS)
def test_every_row_routes_with_and_without_trailing_slash(method: str, path: str) -> None:
    views = []
    for url in both_forms(path):
        try:
            match = resolve(url)
        except Resolver404:
            pytest.fail(f"{method} {url} reaches no view")
        view = match.func.view_class  # type: ignore[attr-defined]
        assert hasattr(view, method.lower()), f"{view.__name__} does not serve {method} {url}"
        views.append(view)
    assert views[0] is views[1], views


def test_schema_is_an_openapi_3_document(api: Any, alice: Any) -> None:
    response = api(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    served = {
        (method.upper(), _same_shape(path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    undocumented = [
        f"{method} {path}"
        for method, path in BUILT
        if path.startswith("/api/")
        and path not in ("/api/schema/", "/api/docs/")
        and (method, _same_shape(path)) not in served
    ]
    assert not undocumented, f"api.md rows missing from the schema: {undocumented}"


def test_docs_page_is_served(api: Any, alice: Any) -> None:
    response = api(alice).get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/schema" in response.content  # the page renders the served document
