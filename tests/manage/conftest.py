"""The Manage area's tests sign in as several people in one test: ``signed_in`` gives each a client."""

from __future__ import annotations

import pytest
from django.test import Client


def signed_in(user) -> Client:
    """A test client signed in as ``user``."""
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def admin(admin_user) -> Client:
    return signed_in(admin_user)
