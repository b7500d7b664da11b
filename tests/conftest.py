"""The cast every test reuses, and the harness: which PostgreSQL, broker and browser this run uses.

Cast (STYLE.md): an admin, a leader for EMEA, a manager for Germany, a manager for Japan and a
partner user of partnership A — on a small org tree Global > EMEA/APAC > DACH/JAPAN > DE/AT/JP.

Harness (``governance/settings_test.py`` picks the services): PostgreSQL from ``DATABASE_URL``,
127.0.0.1:5432 or the embedded server; Redis if reachable, else Celery's filesystem broker; the
browser from ``CHROMIUM_PATH``, Debian's Chromium or Playwright's own. What is missing is skipped
with a one-line reason (``-rs`` prints each); on a machine with all three nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls in tests that use `page`

DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def chromium_path() -> tuple[str | None, str]:
    """The Chromium to drive and where it came from: ``CHROMIUM_PATH`` if set (only it: a wrong
    path is reported, not papered over), else Debian's, else Playwright's own download."""
    if os.environ.get("CHROMIUM_PATH"):
        path = os.environ["CHROMIUM_PATH"]
        if os.access(path, os.X_OK):
            return path, "CHROMIUM_PATH"
        return None, f"CHROMIUM_PATH={path} is not executable"
    for candidate in (DEBIAN_CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate, "Debian's Chromium"
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.executable_path
    except Exception:  # playwright missing or its driver broken: no browser either way
        own = None
    if own and os.access(own, os.X_OK):
        return own, "Playwright's Chromium"
    return None, ("no Chromium: set CHROMIUM_PATH, apt-get install chromium, "
                  "or python -m playwright install chromium")


def pytest_configure(config):
    from django.conf import settings

    from governance import embedded_pg

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "governance.embedded_pg":
        data_dir = Path(settings.ACCORD_EMBEDDED_PG_DIR)
        # Under pytest-xdist (``make test-fast``) the controller owns the server: a worker never stops it.
        config._accord_started_pg = not hasattr(config, "workerinput") and not embedded_pg.is_running(data_dir)
        config._accord_services = [f"PostgreSQL: embedded server in {data_dir} (no DATABASE_URL, nothing on "
                                   f"{os.environ.get('ACCORD_TEST_PG_HOST', '127.0.0.1')}:"
                                   f"{os.environ.get('ACCORD_TEST_PG_PORT', '5432')})"]
    else:
        url = f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        if not _reachable(url, 5432):
            pytest.exit(f"PostgreSQL is not reachable at {url} — start it or unset DATABASE_URL.", returncode=3)
        config._accord_services = [f"PostgreSQL: {db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"]
    redis_url = settings.REDIS_URL
    if redis_url and not _reachable(redis_url, 6379):
        pytest.exit(f"Redis is not reachable at {redis_url} — start it or unset REDIS_URL.", returncode=3)
    config._accord_services.append(f"Celery broker: {'Redis ' + redis_url if redis_url else 'filesystem (no Redis)'}")
    config._accord_chromium, config._accord_chromium_why = chromium_path()
    config._accord_services.append(f"Browser: {config._accord_chromium or 'none'} ({config._accord_chromium_why})")


def pytest_sessionstart(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("accord test services: " + " · ".join(session.config._accord_services))


def pytest_collection_modifyitems(config, items):
    if config._accord_chromium:
        return
    skip = pytest.mark.skip(reason=f"browser journey: {config._accord_chromium_why}")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def pytest_unconfigure(config):
    """Stop the embedded PostgreSQL if this run started it (a ``make run`` beside us keeps its own)."""
    if getattr(config, "_accord_started_pg", False):
        from django.conf import settings
        from django.db import connections

        from governance import embedded_pg

        connections.close_all()
        embedded_pg.stop(Path(settings.ACCORD_EMBEDDED_PG_DIR))


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts throttles and sign-in failures under a key prefix of its own: the shared
    Redis keeps other tests' (and other checkouts') counts apart, and nothing is ever flushed."""
    import uuid

    settings.CACHES = {alias: {**conf, "KEY_PREFIX": f"{conf.get('KEY_PREFIX', '')}:t-{uuid.uuid4().hex[:12]}"}
                       for alias, conf in settings.CACHES.items()}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, pytestconfig):
    return {
        **browser_type_launch_args,
        "executable_path": pytestconfig._accord_chromium,
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
def dach_partnership(org, functions):
    """A partnership working in Germany and Austria: the DE manager sees it (and may log against it)
    but may not change it — changing needs every one of its units in scope."""
    from partners.models import Partner, Partnership

    p = Partnership.objects.create(partner=Partner.objects.create(name="Alpen Med", kind="distributor"),
                                   name="Alpen DACH", type="distribution", owner_function=functions["SALES"],
                                   start=date(2025, 1, 1))
    p.org_units.set([org["DE"], org["AT"]])
    return p


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


@pytest.fixture
def mail_worker(monkeypatch):
    """Plays the Celery worker for notification e-mail: the job ``notify``/``notify_many`` enqueue
    after commit runs as soon as it is sent (the request itself never mails)."""
    from governance import tasks
    from governance.notifications import notification_emails_send

    sent = []

    def run(args=None, kwargs=None, **options):
        sent.append(kwargs)
        notification_emails_send(**kwargs)

    monkeypatch.setattr(tasks.send_notification_emails, "apply_async", run)
    return sent
