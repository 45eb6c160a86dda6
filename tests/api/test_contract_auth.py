"""api.md "Auth and users", through the URL router: token login and user creation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from tests.api.contract import assert_error

User = get_user_model()


def test_token_login_answers_a_token_that_authenticates(api: Any, alice: Any) -> None:
    response = api(None).post(
        "/api/auth/token/", {"username": "alice", "password": "alice-password"}, format="json"
    )
    assert response.status_code == 200
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/projects/").status_code == 200


def test_token_login_with_bad_credentials_is_400(api: Any, alice: Any) -> None:
    bad = api(None).post(
        "/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert_error(bad, 400)
    missing = api(None).post("/api/auth/token/", {"username": "alice"}, format="json")
    assert_error(missing, 400, field="password")


def test_site_admin_creates_a_user(api: Any, site_admin: Any) -> None:
    response = api(site_admin).post(
        "/api/users/",
        {"username": "newbie", "password": "s3cret-pass", "email": "n@example.org"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="newbie")
    assert body["id"] == user.pk and body["username"] == "newbie"
    assert user.check_password("s3cret-pass") and user.email == "n@example.org"


def test_only_a_site_admin_creates_users(api: Any, alice: Any) -> None:
    response = api(alice).post(
        "/api/users/", {"username": "x", "password": "y-password"}, format="json"
    )
    assert_error(response, 403)
    assert not User.objects.filter(username="x").exists()


def test_user_creation_names_the_bad_field(api: Any, site_admin: Any, alice: Any) -> None:
    assert_error(
        api(site_admin).post("/api/users/", {"username": "newbie"}, format="json"),
        400,
        field="password",
    )
    assert_error(
        api(site_admin).post(
            "/api/users/", {"username": "alice", "password": "p-password"}, format="json"
        ),
        400,
        field="username",
    )
    assert not User.objects.filter(username="newbie").exists()
