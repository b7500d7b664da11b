"""Sign-in lockout (django-axes), the token endpoint's throttle, CSP and the other security
headers, inline scripts, and django-guardian never widening a partner user's scope."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client
from guardian.shortcuts import assign_perm
from rest_framework.throttling import ScopedRateThrottle

from governance.models import SecurityEvent

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
ATTACKER, HOME = "198.51.100.66", "203.0.113.10"


def _login(client, username, password, ip):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- lockout -------------------------------------------------------------------------------------


def test_repeated_failures_lock_out_that_username_from_that_address_only(client, manager_de):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _login(client, "max.de", "guess", ATTACKER).status_code == 200  # the form again
    assert _login(client, "max.de", "guess", ATTACKER).status_code == 429  # the limit-th failure locks
    locked = _login(client, "max.de", "pw-max.de", ATTACKER)  # then even the right password is refused
    assert locked.status_code == 429 and "Too many failed sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # The real user, from their own address, is not locked out by the attacker.
    home = _login(client, "max.de", "pw-max.de", HOME)
    assert home.status_code == 302 and home["Location"] == "/"
    lockouts = SecurityEvent.objects.filter(kind="lockout")
    # One event per refused attempt, all for that pair only.
    assert set(lockouts.values_list("username", "ip_address")) == {("max.de", ATTACKER)}
    assert SecurityEvent.objects.filter(kind="login_failed", username="max.de").count() >= limit


def test_a_success_before_the_limit_resets_the_count(client, manager_de):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "max.de", "guess", HOME)
    assert _login(client, "max.de", "pw-max.de", HOME).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "max.de", "guess", HOME)
    assert _login(client, "max.de", "pw-max.de", HOME).status_code == 302
    assert not SecurityEvent.objects.filter(kind="lockout").exists()


def test_token_endpoint_is_covered_by_the_same_lockout(api, manager_de):
    client = api()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "guess"}, format="json",
                               REMOTE_ADDR=ATTACKER)
        assert response.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 400)
    response = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                           REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429 and "token" not in response.json()
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert SecurityEvent.objects.filter(kind="lockout", username="max.de", ip_address=ATTACKER).exists()
    ok = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                     REMOTE_ADDR=HOME)
    assert ok.status_code == 200 and ok.json()["token"]


def test_token_endpoint_has_a_stricter_per_address_throttle(api, manager_de, monkeypatch):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth-token"]  # declared in production settings
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth-token", "3/min")
    client = api()
    codes = [client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                         REMOTE_ADDR=HOME).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --- password spraying: failures per address, across usernames --------------------------------------


def _spray(client, limit: int, ip: str = ATTACKER) -> None:
    for i in range(limit):  # one guess each on many usernames: axes' (username, IP) pairs never fill up
        assert _login(client, f"user{i}", "Summer2026!", ip).status_code == 200


def test_password_spraying_from_one_address_blocks_that_address_for_every_username(client, manager_de, settings):
    settings.ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    _spray(client, 6)
    blocked = _login(client, "max.de", "pw-max.de", ATTACKER)  # a right password, from the sprayer's address
    assert blocked.status_code == 429 and "Too many failed sign-in attempts" in blocked.content.decode()
    assert int(blocked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert _login(client, "max.de", "pw-max.de", HOME).status_code == 302  # other addresses are unaffected
    assert SecurityEvent.objects.filter(kind="address_blocked", ip_address=ATTACKER, username="max.de").exists()
    assert not SecurityEvent.objects.filter(kind="address_blocked").exclude(ip_address=ATTACKER).exists()


def test_password_spraying_through_the_token_endpoint_is_blocked_the_same_way(api, manager_de, settings):
    settings.ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    client = api()
    codes = [client.post("/api/v1/auth/token/", {"username": f"user{i}", "password": "Summer2026!"}, format="json",
                         REMOTE_ADDR=ATTACKER).status_code for i in range(6)]
    assert codes == [400] * 6
    response = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                           REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429 and "token" not in response.json()
    assert response["Retry-After"]
    # Failures on the form and on the API add up: they are one address's attempts.
    assert _login(Client(), "max.de", "pw-max.de", ATTACKER).status_code == 429


def test_a_success_does_not_reset_the_address_count(client, manager_de, settings):
    settings.ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT = 4
    _spray(client, 3)
    assert _login(client, "max.de", "pw-max.de", ATTACKER).status_code == 302  # the sprayer's own account
    client.logout()
    assert _login(client, "someone", "guess", ATTACKER).status_code == 200  # the 4th failure blocks from now on
    assert _login(client, "max.de", "pw-max.de", ATTACKER).status_code == 429


def test_sign_in_failures_are_counted_in_redis_where_every_worker_sees_them(client, manager_de, settings):
    """The count lives in the shared Redis (REDIS_URL), not in this process: a fresh connection —
    as another gunicorn worker or host would open — reads it."""
    import redis
    from django.core.cache import caches

    assert settings.CACHES["default"]["BACKEND"] == "governance.cache.ResilientRedisCache"
    _spray(client, 3)
    other_worker = caches.create_connection("default")
    assert other_worker.get(f"login-failures:{ATTACKER}") == 3
    raw = redis.Redis.from_url(settings.REDIS_URL)
    assert any(raw.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*login-failures:{ATTACKER}"))


def test_without_redis_the_cache_is_a_directory_every_local_process_shares(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": "", "DJANGO_DEBUG": "1", "ACCORD_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import governance.settings as s; print(s.CACHES['default'])"],
                         env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert "FileBasedCache" in out and str(tmp_path / "cache") in out


def test_an_unreachable_redis_makes_the_cache_fail_open_quickly():
    import time

    from governance.cache import ResilientRedisCache

    down = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    started = time.monotonic()
    assert down.get("k", "default") == "default"
    assert down.add("k", 0) is False and down.incr("k") == 0 and down.set("k", 1) is None
    assert time.monotonic() - started < 3


def test_production_settings_lock_out_on_username_and_ip_and_throttle_the_token_endpoint():
    from governance import settings as production

    assert production.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert production.AUTHENTICATION_BACKENDS[:2] == ["governance.login_limits.AddressLimitBackend",
                                                      "axes.backends.AxesStandaloneBackend"]
    assert production.ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT == 20
    assert production.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    # Tests raise the rate through the environment; the production default is strict.
    source = (ROOT / "governance" / "settings.py").read_text()
    assert 'env.str("ACCORD_THROTTLE_TOKEN", default="10/min")' in source


# --- CSP and headers -----------------------------------------------------------------------------


def test_pages_send_a_strict_content_security_policy(client, manager_de):
    client.force_login(manager_de)
    response = client.get("/")
    policy = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";") if d.strip())
    assert policy["default-src"] == "'self'"
    # The nonce is added when a template uses it (django-csp renders it lazily).
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9+/=_-]+')?", policy["script-src"]), policy["script-src"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_swagger_ui_loads_its_script_from_our_origin(client, manager_de):
    client.force_login(manager_de)
    html = client.get("/api/v1/docs/").content.decode()
    inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S) if s[1].strip()]
    assert not inline, "Swagger UI must not need inline script under CSP"
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    init = [s for s in scripts if "script" in s and "docs" in s]
    assert init and client.get(init[0]).status_code == 200


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def _templates():
    for directory in TEMPLATE_DIRS:
        yield from (p for p in directory.rglob("*.html") if ".venv" not in p.parts)


def test_inline_scripts_carry_the_csp_nonce_and_no_inline_handlers_exist():
    offenders = []
    for path in _templates():
        html = path.read_text()
        for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            if "src=" in attrs or 'type="application/json"' in attrs or not body.strip():
                continue
            if 'nonce="{{ request.csp_nonce }}"' not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script> without the CSP nonce")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", html):
            offenders.append(f"{path.relative_to(ROOT)}: inline event handler (blocked by CSP)")
        if re.search(r"href\s*=\s*[\"']javascript:", html) or re.search(r"\bhx-on[:-]", html):
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL or hx-on (needs eval; blocked by CSP)")
    assert not offenders, "\n".join(offenders)
    assert len(list(_templates())) > 20


# --- django-guardian -----------------------------------------------------------------------------


def test_global_permissions_never_widen_anyones_scope(api, cast, partner_a, partner_b):
    view = Permission.objects.get(codename="view_partnership")
    change = Permission.objects.get(codename="change_partnership")
    for user in (cast["partner"], cast["manager_jp"]):
        user.user_permissions.add(view, change)  # global (model-level) permissions
    group = Group.objects.create(name="everything")
    group.permissions.add(view)
    cast["partner"].groups.add(group)
    assert api(cast["partner"]).get(f"/api/v1/partnerships/{partner_b.pk}/").status_code == 404
    assert api(cast["manager_jp"]).get(f"/api/v1/partnerships/{partner_a.pk}/").status_code == 404
    ids = {p["id"] for p in api(cast["partner"]).get("/api/v1/partnerships/").json()["results"]}
    assert ids == {partner_a.pk}


def test_an_object_grant_never_reaches_a_partner_user(api, cast, partner_a, partner_b):
    group = Group.objects.create(name="shared-with-group")
    assign_perm("view_partnership", group, partner_b)  # object-level grant through a group
    cast["partner"].groups.add(group)
    assign_perm("view_partnership", cast["partner"], partner_b)  # and directly
    assert api(cast["partner"]).get(f"/api/v1/partnerships/{partner_b.pk}/").status_code == 404
    # The same grant does share it with an internal user (read-only).
    assign_perm("view_partnership", cast["manager_de"], partner_b)
    assert api(cast["manager_de"]).get(f"/api/v1/partnerships/{partner_b.pk}/").status_code == 200
    assert api(cast["manager_de"]).patch(f"/api/v1/partnerships/{partner_b.pk}/", {"name": "x"},
                                         format="json").status_code == 403


def test_app_code_never_asks_guardian_in_a_way_that_accepts_global_permissions():
    offenders = []
    for app in ("governance", "partners", "kpis", "decisions"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            for call in re.findall(r"get_objects_for_user\((.*?)\)", source, re.S):
                if "accept_global_perms=False" not in call:
                    offenders.append(f"{path.relative_to(ROOT)}: get_objects_for_user accepting global perms")
            if re.search(r"\.has_perm\(|ObjectPermissionChecker|get_perms\(", source):
                offenders.append(f"{path.relative_to(ROOT)}: permission check outside the scoped querysets")
    assert not offenders, "\n".join(offenders)


# --- bounded input -------------------------------------------------------------------------------


def test_oversized_upload_is_refused_with_413_json_before_it_is_read(api, cast, settings):
    import io

    from kpis.models import Measurement

    settings.ACCORD_MAX_UPLOAD_BYTES = 2000
    upload = io.BytesIO(b"kpi,org_unit,partnership,period,value,numerator,denominator\n" + b"X,DE,,2026-01,1,,\n" * 500)
    upload.name = "big.csv"
    response = api(cast["admin"]).post("/api/v1/measurements/import/", {"file": upload}, format="multipart")
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert not Measurement.objects.exists()


def test_csv_import_is_bounded_in_rows_and_all_or_nothing(world, api, monkeypatch):
    import io

    from kpis.models import Measurement
    from kpis.services import measurements

    monkeypatch.setattr(measurements, "MAX_ROWS", 5)
    count = Measurement.objects.count()
    rows = "".join(f"KA,DE,,2024-{m:02d},1,,\n" for m in range(1, 8))
    upload = io.BytesIO(("kpi,org_unit,partnership,period,value,numerator,denominator\n" + rows).encode())
    upload.name = "many.csv"
    response = api(world.cast["admin"]).post("/api/v1/measurements/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"]
    assert Measurement.objects.count() == count


def test_creating_a_user_without_a_role_is_a_400_not_a_server_error(api, cast):
    """Found by schemathesis: the serializer let ``role`` default while the service requires it,
    and passed ``is_active``, which the service did not take (both were 500s)."""
    response = api(cast["admin"]).post("/api/v1/users/", {"username": "no.role"}, format="json")
    assert response.status_code == 400 and "role" in response.json()
    response = api(cast["admin"]).post("/api/v1/users/", {"username": "dormant", "role": "manager",
                                                          "is_active": False}, format="json")
    assert response.status_code == 201 and response.json()["is_active"] is False
