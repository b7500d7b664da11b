"""Snapshots of the latency analytics page's default view (issue 18): exact figures, "as of" a job.

At 1M decisions the page's two exact computations (``selectors.latency_analytics`` and
``party_analytics.party_analytics``) take seconds per request, far over the page's budget (figures in
docs/benchmarks.md, "Latency by party at 1M decisions"). What people open is the default view — no filters,
the last 180 days — so a job (``decisions.tasks.refresh_analytics_snapshots``, beat every
``ANALYTICS_SNAPSHOT_SECONDS``) computes that view once per *scope key* with the very same
functions and stores the figures; the page renders them with an "as of" note while they are fresh
(younger than twice the period). Every other view — a grouping, an org unit, a period, a split —,
the exports and ``/api/v1/decision-analytics/`` stay live.

The rule of who reads which snapshot is one function, ``analytics_scope_key``; nothing else looks a
snapshot up (``snapshot_for`` takes the viewer and asks it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from decisions.models import AnalyticsSnapshot
from decisions.party_analytics import party_analytics
from decisions.schedule import ANALYTICS_SNAPSHOT_SECONDS
from decisions.selectors import latency_analytics
from governance.models import Role, User
from governance.querysets import assignment_unit_ids, is_active_user

log = logging.getLogger(__name__)

DEFAULT_DAYS = 180  # the page's default period (``views.analytics.analytics_params``)
_LONG_KEY = 200  # longer "units:…" keys are stored as their SHA-256 (the column holds 255)


def analytics_scope_key(user) -> str | None:
    """The key of the decisions ``user`` sees, or ``None``: this viewer never reads a snapshot.

    Why it is exact. The default analytics view depends on the viewer only through
    ``Decision.objects.restrict(user, "view")`` (both ``latency_analytics`` and ``party_analytics``
    scope their base CTE with it and nothing else; the names they add — functions, partners,
    decision types — are read unscoped). That queryset (governance/querysets.py
    ``ScopedQuerySet.restrict``, decisions/querysets.py ``DecisionQuerySet._restrict_view``) is:

    * nothing for inactive or anonymous users → ``None`` (live; they cannot open the page anyway);
    * every decision for admins (``is_superuser`` or role admin; checked before anything else) →
      ``"all"``;
    * for partner users, the *shared* decisions of their partnerships — membership and each
      decision's visibility, which no key here captures → ``None`` (live; the page is 404 to them);
    * for every other (internal) user, the decisions whose ``org_unit`` is in the closure subtree
      of the units they hold an ``Assignment`` at (``visible_org_unit_ids`` via
      ``assignment_unit_ids``) — a function of that set of unit ids alone: role (leader or manager),
      participation in a decision, requester or decider do not enter → ``"units:<sorted ids>"``
      (``"units:"`` for none: nothing in scope). Two users with the same key see the same
      decisions; two users seeing different decisions have different unit sets, so different keys.

    Any other role a future change adds — or a change to ``DecisionQuerySet._restrict_view`` — must
    be reflected here; ``tests/decisions/test_analytics_snapshots.py`` compares snapshot and live
    figures for every user of the test worlds and fails otherwise.
    """
    if not is_active_user(user):
        return None
    if user.is_admin:
        return "all"
    if user.is_partner or user.role not in (Role.LEADER, Role.MANAGER):
        return None
    key = "units:" + ",".join(str(i) for i in assignment_unit_ids(user))
    if len(key) > _LONG_KEY:
        key = "units-sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def default_payload(user, now: datetime) -> dict:
    """The default view's figures for ``user`` as of ``now``, JSON-ready: exactly what the page's
    live path computes (``latency_analytics`` grouped by decision type and ``party_analytics``
    without a split, decisions logged in the last ``DEFAULT_DAYS`` days)."""
    since = now - timedelta(days=DEFAULT_DAYS)
    return {"data": latency_analytics(user=user, group_by="decision_type", since=since, now=now),
            "parties": party_analytics(user=user, since=since, split="", now=now)}


def payload_json(payload: dict) -> str:
    """The JSON text of a payload, stored as text: its keys keep the order the functions give them
    (the page embeds the figures as JSON for its chart, so the snapshot renders the same bytes);
    datetimes as ISO 8601 (milliseconds)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def _revive(payload: dict) -> dict:
    """The stored payload with the party rows' and blockers' ``oldest_waiting_since`` back as datetimes."""
    parties = payload["parties"]
    for row in parties["rows"] + parties["by_split"] + parties["top_blockers"]:
        if row.get("oldest_waiting_since"):
            row["oldest_waiting_since"] = parse_datetime(row["oldest_waiting_since"])
    return payload


def snapshot_for(user, now: datetime | None = None) -> tuple[dict, datetime] | None:
    """``(payload, computed_at)`` of the fresh snapshot for ``user``'s key, else ``None`` (compute
    live): no key, no snapshot, or older than twice the refresh period. One query."""
    key = analytics_scope_key(user)
    if key is None:
        return None
    now = now or timezone.now()
    found = (AnalyticsSnapshot.objects.filter(scope_key=key,
                                              computed_at__gt=now - timedelta(seconds=2 * ANALYTICS_SNAPSHOT_SECONDS))
             .values_list("payload", "computed_at").first())
    if found is None:
        return None
    return _revive(json.loads(found[0])), found[1]


def _viewers():
    """Active internal users who can open the analytics page (not partner users)."""
    return (User.objects.filter(is_active=True).exclude(role=Role.PARTNER, is_superuser=False)
            .order_by("pk"))


def refresh_analytics_snapshots(now: datetime | None = None) -> dict:
    """Compute the default view for every distinct key among the page's possible viewers (one
    representative user per key) and upsert it; delete the keys nobody has any more.

    Idempotent, and safe with two runs at once: each key is written by one ``INSERT … ON CONFLICT
    DO UPDATE`` that keeps the newer ``computed_at`` (an older run never overwrites a newer one),
    and the clean-up deletes only unknown keys written before this run started. A snapshot stores
    only the figures of its key's scope, whoever computed it, so a race can at worst leave a key
    without a snapshot (its viewers then compute live) — never show anyone another scope's figures.
    A representative whose key changes while its figures are computed (an assignment changed) is
    skipped until the next run."""
    started = timezone.now()
    now = now or started
    representatives: dict[str, User] = {}
    for user in _viewers():
        key = analytics_scope_key(user)
        if key is not None:
            representatives.setdefault(key, user)
    table = connection.ops.quote_name(AnalyticsSnapshot._meta.db_table)
    written, skipped = 0, 0
    for key, user in representatives.items():
        t0 = time.perf_counter()
        text = payload_json(default_payload(user, now))
        seconds = time.perf_counter() - t0
        fresh = User.objects.filter(pk=user.pk).first()
        if fresh is None or analytics_scope_key(fresh) != key or analytics_scope_key(user) != key:
            skipped += 1
            continue
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} (scope_key, payload, computed_at, seconds) VALUES (%s, %s, %s, %s) "  # noqa: S608
                "ON CONFLICT (scope_key) DO UPDATE SET payload = EXCLUDED.payload, "
                "computed_at = EXCLUDED.computed_at, seconds = EXCLUDED.seconds "
                f"WHERE {table}.computed_at <= EXCLUDED.computed_at", [key, text, now, seconds])
        written += 1
    deleted, _ = (AnalyticsSnapshot.objects.exclude(scope_key__in=list(representatives))
                  .filter(computed_at__lt=started).delete())
    log.info("Analytics snapshots: %d keys written, %d skipped, %d deleted", written, skipped, deleted)
    return {"keys": len(representatives), "written": written, "skipped": skipped, "deleted": deleted}
