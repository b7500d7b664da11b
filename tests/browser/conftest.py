"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's ``live_server``
(which serves static files through Django's staticfiles handler). Each journey saves a final
screenshot, and one at the point of failure, to ``test-artifacts/`` (CI keeps that folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.decisions.conftest import dach_council, holders, log_de, price_exception  # noqa: F401 - reused fixtures

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(page, request):
    """pytest-playwright's page, with a short default timeout and a screenshot when the journey fails."""
    page.set_default_timeout(10_000)
    failed_shot = ARTIFACTS / f"{_slug(request.node.name)}-FAILED.png"
    failed_shot.unlink(missing_ok=True)  # from an earlier run
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(failed_shot), full_page=True)


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves ``test-artifacts/<test>-<step>.png``."""

    def take(page, step: str = "final") -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{_slug(request.node.name)}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """``login(user)``: sign in through the login form as the cast's user (password ``pw-<username>``)."""

    def sign_in(user, password: str | None = None):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password or f"pw-{user.username}")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, page.content()[:2000]
        return page

    return sign_in


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:120]
