"""The cast every test reuses, and the pre-flight check that PostgreSQL and Redis are up.

Cast (STYLE.md): an admin, a leader for EMEA, a manager for Germany, a manager for Japan and a
partner user of partnership A — on a small org tree Global > EMEA/APAC > DACH/JAPAN > DE/AT/JP.
"""

from __future__ import annotations

import os
import socket
from datetime import date
from urllib.parse import urlparse

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls in tests that use `page`


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        url = f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        if not _reachable(url, 5432):
            pytest.exit(f"PostgreSQL is not reachable at {url} — start it or set DATABASE_URL.", returncode=3)
    redis_url = settings.REDIS_URL
    if redis_url and not _reachable(redis_url, 6379):
        pytest.exit(f"Redis is not reachable at {redis_url} — start it or set REDIS_URL.", returncode=3)


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts throttles and sign-in failures under a key prefix of its own: the shared
    Redis keeps other tests' (and other checkouts') counts apart, and nothing is ever flushed."""
    import uuid

    settings.CACHES = {alias: {**conf, "KEY_PREFIX": f"{conf.get('KEY_PREFIX', '')}:t-{uuid.uuid4().hex[:12]}"}
                       for alias, conf in settings.CACHES.items()}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium"),
        "args": ["--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
    }


# --- The org tree and the cast ---------------------------------------------------------------


@pytest.fixture
def functions(db):
    from governance import services

    return {
        code: services.function_create(code=code, name=name)
        for code, name in [("SALES", "Sales"), ("ACCESS", "Market Access"), ("COMPLIANCE", "Compliance"),
                           ("MKT", "Marketing"), ("FINANCE", "Finance")]
    }


@pytest.fixture
def org(db):
    """Global > EMEA > DACH > DE, AT; Global > APAC > JAPAN > JP."""
    from governance import services

    units = {}

    def add(code, name, level, parent, tz):
        units[code] = services.org_unit_create(code=code, name=name, level=level, parent=units.get(parent), timezone=tz)

    add("GLOBAL", "Global", "global", None, "UTC")
    add("EMEA", "EMEA", "region", "GLOBAL", "Europe/London")
    add("APAC", "APAC", "region", "GLOBAL", "Asia/Singapore")
    add("DACH", "DACH", "cluster", "EMEA", "Europe/Berlin")
    add("JAPAN", "Japan cluster", "cluster", "APAC", "Asia/Tokyo")
    add("DE", "Germany", "market", "DACH", "Europe/Berlin")
    add("AT", "Austria", "market", "DACH", "Europe/Vienna")
    add("JP", "Japan", "market", "JAPAN", "Asia/Tokyo")
    return units


def _make_user(username, role, assignments=(), partnerships=()):
    from governance import services

    return services.user_create(
        username=username, password="pw-" + username, role=role, email=f"{username}@example.com",
        assignments=assignments, partnerships=partnerships,
    )


@pytest.fixture
def admin_user(org, functions):
    return _make_user("ada.admin", "admin")


@pytest.fixture
def leader_emea(org, functions):
    return _make_user("lena.leader", "leader", [(functions["SALES"], org["EMEA"], "Commercial Lead EMEA")])


@pytest.fixture
def manager_de(org, functions):
    return _make_user("max.de", "manager", [(functions["SALES"], org["DE"], "Country Manager Germany")])


@pytest.fixture
def manager_jp(org, functions):
    return _make_user("yuki.jp", "manager", [(functions["SALES"], org["JP"], "Country Manager Japan")])


@pytest.fixture
def partner_a(org, functions):
    """Partnership A: a distribution partnership in Germany. Partnership B: the same in Japan."""
    from partners.models import Partner, Partnership
    from partners.services import partnership_refresh_review_due

    distributor = Partner.objects.create(name="MedDistrib GmbH", kind="distributor")
    a = Partnership.objects.create(partner=distributor, name="Partnership A", type="distribution",
                                   owner_function=functions["SALES"], start=date(2025, 1, 1))
    a.org_units.set([org["DE"]])
    partnership_refresh_review_due(partnership=a)
    return a


@pytest.fixture
def partner_b(org, functions):
    from partners.models import Partner, Partnership
    from partners.services import partnership_refresh_review_due

    other = Partner.objects.create(name="Nihon Supply KK", kind="distributor")
    b = Partnership.objects.create(partner=other, name="Partnership B", type="distribution",
                                   owner_function=functions["SALES"], start=date(2025, 1, 1))
    b.org_units.set([org["JP"]])
    partnership_refresh_review_due(partnership=b)
    return b


@pytest.fixture
def partner_user(partner_a, partner_b):
    return _make_user("pat.partner", "partner", partnerships=[partner_a])


@pytest.fixture
def cast(admin_user, leader_emea, manager_de, manager_jp, partner_user):
    return {"admin": admin_user, "leader": leader_emea, "manager_de": manager_de,
            "manager_jp": manager_jp, "partner": partner_user}


@pytest.fixture
def api():
    """An API client factory: ``api(user)`` is authenticated as user; ``api()`` is anonymous."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
