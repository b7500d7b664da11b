"""Snapshots of the analytics page's default view (issue 18): exact per scope key, never crossed.

For every user of the test worlds either ``analytics_scope_key`` is ``None`` (live) or the snapshot
stored for the key is byte-for-byte the JSON of the figures the live path computes for that user;
users who see different decisions never share a key; partner users never read a snapshot.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from decisions import services
from decisions.models import AnalyticsSnapshot, Decision
from decisions.schedule import ANALYTICS_SNAPSHOT_SECONDS
from decisions.services.analytics_snapshots import (
    analytics_scope_key,
    default_payload,
    payload_json,
    refresh_analytics_snapshots,
    snapshot_for,
)
from governance.models import User
from tests.decisions.conftest import T0
from tests.security.conftest import (
    NOW,
    world,  # noqa: F401 - the fixtures
)
from tests.security.test_access_model import full_world  # noqa: F401

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def known(log_de, holders, partner_a):
    """Decisions in Germany and Japan at T0: two decided (one after an escalation), two open (one
    shared with partnership A, waiting on its agreement and input)."""
    def decide(hours, decider="manager_de"):
        d = log_de()
        services.decision_agree(decision=d, actor=holders["compliance_de"], agree=True, now=T0 + 2 * H)
        if hours > 24:
            services.escalate_overdue(now=T0 + 24 * H)
        services.decision_decide(decision=d, actor=holders[decider], outcome="done", now=T0 + hours * H)

    decide(10)
    decide(30, decider="sales_dach")
    log_de(now=T0 + 5 * H)
    return T0 + 100 * H


def _check_every_user(now) -> int:
    """Refresh, then compare each user's snapshot with their live figures; the number of users
    served from a snapshot."""
    refresh_analytics_snapshots(now=now)
    served = 0
    for user in User.objects.order_by("pk"):
        key = analytics_scope_key(user)
        if key is None:
            assert snapshot_for(user, now=now) is None, user.username
            continue
        stored = AnalyticsSnapshot.objects.get(scope_key=key).payload
        assert stored == payload_json(default_payload(user, now)), user.username
        assert snapshot_for(user, now=now) is not None
        served += 1
    return served


def test_snapshot_equals_live_for_every_user_of_the_security_world(full_world):  # noqa: F811
    served = _check_every_user(NOW + 10 * H)
    assert served == User.objects.exclude(role="partner").count()
    assert Decision.objects.exists()


def test_snapshot_equals_live_for_every_holder(holders, known):
    assert _check_every_user(known) == len([u for u in holders.values() if not u.is_partner])
    # figures that are not empty: waiting rows (datetimes) survive the JSON round trip
    payload, _ = snapshot_for(holders["manager_de"], now=known)
    assert payload["data"]["overall"]["decided"] == 2
    assert any(r["oldest_waiting_since"] for r in payload["parties"]["rows"])


def test_users_who_see_different_decisions_never_share_a_key(holders, known):
    users = [u for u in User.objects.order_by("pk")]
    for a, b in itertools.combinations(users, 2):
        ka, kb = analytics_scope_key(a), analytics_scope_key(b)
        if ka is not None and ka == kb:
            assert (set(Decision.objects.restrict(a, "view").values_list("pk", flat=True))
                    == set(Decision.objects.restrict(b, "view").values_list("pk", flat=True))), (a, b)
    assert len({analytics_scope_key(holders[r]) for r in ("admin", "leader", "manager_de", "manager_jp",
                                                           "sales_dach", "sales_global")}) == 6


def test_a_partner_user_never_gets_a_snapshot(holders, known, client):
    refresh_analytics_snapshots(now=known)
    partner = holders["partner"]
    assert analytics_scope_key(partner) is None
    assert snapshot_for(partner, now=known) is None
    # an inactive internal user has no key either (restrict gives them nothing)
    holders["manager_de"].is_active = False
    assert analytics_scope_key(holders["manager_de"]) is None
    client.force_login(partner)
    assert client.get("/decisions/analytics/").status_code == 404


def test_a_changed_assignment_changes_the_key_and_the_page_goes_live(holders, org, functions, known):
    from governance.models import Assignment

    refresh_analytics_snapshots(now=known)
    user = User.objects.get(pk=holders["manager_jp"].pk)
    before = analytics_scope_key(user)
    Assignment.objects.create(user=user, function=functions["SALES"], org_unit=org["DE"], title="Also Germany")
    user = User.objects.get(pk=user.pk)
    assert analytics_scope_key(user) != before
    assert snapshot_for(user, now=known) is None  # DE + JP: nobody's key at the last run → live
    refresh_analytics_snapshots(now=known)
    stored, _ = snapshot_for(user, now=known)
    assert payload_json(stored) == payload_json(default_payload(user, known))
    assert stored["data"]["overall"]["decisions"] == 3


def test_refresh_is_idempotent_and_deletes_keys_nobody_has(holders, known):
    first = refresh_analytics_snapshots(now=known)
    rows = dict(AnalyticsSnapshot.objects.values_list("scope_key", "payload"))
    AnalyticsSnapshot.objects.create(scope_key="units:999999", payload="{}", computed_at=known - H)
    second = refresh_analytics_snapshots(now=known)
    assert dict(AnalyticsSnapshot.objects.values_list("scope_key", "payload")) == rows
    assert first["keys"] == second["keys"] == len(rows) and second["deleted"] == 1
    # an older run never overwrites a newer one
    refresh_analytics_snapshots(now=known - H)
    assert set(AnalyticsSnapshot.objects.values_list("computed_at", flat=True)) == {known}


def test_page_renders_the_fresh_snapshot_with_its_time_and_few_queries(holders, known, client, monkeypatch,
                                                                        django_assert_num_queries):
    monkeypatch.setattr("django.utils.timezone.now", lambda: known)
    client.force_login(holders["manager_de"])
    live = client.get("/decisions/analytics/").content.decode()
    assert 'data-testid="as-of"' not in live
    refresh_analytics_snapshots(now=known)
    # user, assignments, the org_unit parameter, snapshot, function count, unread notifications, the
    # unit picker (live: 11–12, two of them the aggregates)
    with django_assert_num_queries(7):
        page = client.get("/decisions/analytics/").content.decode()
    assert 'data-testid="as-of"' in page and f"refreshed every {round(ANALYTICS_SNAPSHOT_SECONDS / 60)} min" in page
    # the same page as the live one, but for the note (and the per-response CSRF token)
    note = re.compile(r'\s*<p class="small text-body-secondary mb-0" data-testid="as-of">.*?</p>')
    token = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    space = re.compile(r"\s+")
    assert space.sub(" ", token.sub("", note.sub("", page))) == space.sub(" ", token.sub("", live))
    # a filtered view is live
    assert 'data-testid="as-of"' not in client.get("/decisions/analytics/?group_by=org_unit").content.decode()
    assert 'data-testid="as-of"' not in client.get("/decisions/analytics/?split=month").content.decode()


def test_a_stale_snapshot_is_not_shown(holders, known, client, monkeypatch):
    refresh_analytics_snapshots(now=known - timedelta(seconds=2 * ANALYTICS_SNAPSHOT_SECONDS + 1))
    monkeypatch.setattr("django.utils.timezone.now", lambda: known)
    assert snapshot_for(holders["admin"], now=known) is None
    client.force_login(holders["admin"])
    assert 'data-testid="as-of"' not in client.get("/decisions/analytics/").content.decode()


def test_the_task_runs_the_service(holders, known):
    from decisions.tasks import refresh_analytics_snapshots as task

    assert task()["keys"] == AnalyticsSnapshot.objects.count() >= 1
    assert timezone.now() - AnalyticsSnapshot.objects.first().computed_at < timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_write_each_key_once_with_the_live_figures(holders, known):
    from tests.decisions.racing import race

    results = race(lambda: refresh_analytics_snapshots(now=known))
    keys = AnalyticsSnapshot.objects.count()
    assert keys == results[0]["keys"] and [r["written"] for r in results] == [keys, keys]
    for user in User.objects.exclude(role="partner"):
        stored, _ = snapshot_for(user, now=known)
        assert payload_json(stored) == payload_json(default_payload(user, known)), user.username


def test_beat_runs_the_refresh_every_period(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["decisions-refresh-analytics-snapshots"]
    assert entry == {"task": "decisions.tasks.refresh_analytics_snapshots", "schedule": ANALYTICS_SNAPSHOT_SECONDS}


def test_fixed_formats_as_floatformat():
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from decisions.templatetags.decisions_tags import fixed

    values = [0, 0.0, 0.04, 0.05, 0.15, 0.25, 0.35, 1.45, 2.5, 2.675, 9.95, 99.95, 12345.65, 1e-7, 3.14159,
              -0.04, -1.25, 1234567.89, 28, 7.0] + [i / 100 for i in range(0, 2000, 7)] + [i / 7 for i in range(300)]
    with translation.override("en-gb"):
        for v in values:
            for places in (0, 1, 2):
                assert fixed(v, places) == floatformat(v, places), (v, places)
    assert fixed(None) == ""
