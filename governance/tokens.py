"""API tokens (django-rest-knox): issued at sign-in, expiring, revocable by their owner, revoked
when the owner's password changes.

* Every ``POST /api/v1/auth/token/`` issues a new random token; only its SHA-512 digest is stored,
  so the token itself is shown once, in that answer. It expires after ``REST_KNOX["TOKEN_TTL"]``
  (``ACCORD_TOKEN_TTL_HOURS``, default 24 h) and is never extended.
* A token is named by its ``token_key`` — the first 15 characters of the token, stored in clear by
  knox to find the digest — in the owner's list (``/api/v1/auth/tokens/``, ``/accounts/``) and
  when they revoke it. The key alone does not authenticate.
* A password change (any path: the form, a reset, the admin, the API) revokes every token of the
  user: :class:`RevokeTokensOnPasswordChange` is a password validator, whose ``password_changed``
  hook Django calls after every saved password change.
* Expired tokens stop working at once (the authentication class checks the expiry) and are deleted
  by :func:`tokens_delete_expired` (periodic job).
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

from governance.models import User

_HEX_TOKEN = re.compile(rb"[0-9a-f]{16,128}")


def token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for ``user``: the stored row and the token string (shown once)."""
    return AuthToken.objects.create(user=user)


def tokens_of(user: User):
    """The user's tokens that still work, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


@transaction.atomic
def token_revoke(*, user: User, key: str) -> int:
    """Revoke the user's token(s) named ``key``; another user's key revokes nothing. Returns how many."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=key).delete()
    return deleted


@transaction.atomic
def tokens_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def tokens_delete_expired(*, now: datetime | None = None) -> int:
    """Delete expired tokens (they already fail authentication; this keeps the table small)."""
    deleted, _ = AuthToken.objects.filter(expiry__lte=now or timezone.now()).delete()
    return deleted


class TokenAuthentication(KnoxTokenAuthentication):
    """knox's ``Authorization: Token <token>`` authentication, without its per-request sweep of
    the user's other tokens (one more query on every API call): expired tokens are refused here and
    deleted by the periodic job instead."""

    def _cleanup_token(self, auth_token) -> bool:
        return auth_token.expiry is not None and auth_token.expiry <= timezone.now()

    def authenticate_credentials(self, token):
        # Tokens are hexadecimal: anything else (NUL bytes, non-ASCII) is refused before a lookup.
        if not _HEX_TOKEN.fullmatch(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)


class RevokeTokensOnPasswordChange:
    """A password "validator" that validates nothing: Django calls ``password_changed`` on every
    configured validator after a user's new password is saved, whichever path changed it."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        return "Changing your password signs out every API token you hold."


class TokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema documents :class:`TokenAuthentication` (``Authorization: Token …``)."""

    target_class = "governance.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 - the header keyword
