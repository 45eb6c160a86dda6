"""HTTP Basic with an annolab username and that user's API token, as Label Studio's "Connect
model" dialog sends it ("Basic Authentication": user and password)."""

from __future__ import annotations

from typing import Any

from django.utils.crypto import constant_time_compare
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request


class TokenBasicAuthentication(BasicAuthentication):
    """The password is the user's API token (``POST /api/auth/token``), never their password:
    the token is what an operator pastes into Label Studio, and revoking it disconnects it."""

    www_authenticate_realm = "annolab"

    def authenticate_credentials(
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[Any, Token]:
        token = Token.objects.select_related("user").filter(key=password).first()
        if (
            token is None
            or not token.user.is_active
            or not constant_time_compare(token.user.get_username(), userid)
        ):
            raise exceptions.AuthenticationFailed("Invalid username or API token.")
        return token.user, token
