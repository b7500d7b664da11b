"""The leaders' dashboard page (``views.dashboard``), kept in the cache per reader and data version.

Building it — the selectors' scoped reads (``selectors.dashboard``), the heat-map, tiles and cards
written as HTML (``kpis.presenters``), the template — is most of the request's work, and a leader's
dashboard changes only when the data under it does: the cells (a rollup) or what they are read
through (the KPI catalogue, objectives, the org tree, assignments, partnerships and their sharing).
``kpis.services.data_version`` counts both in PostgreSQL, bumped in the writing transaction, and the
cached page is keyed on them, so a page is used only while nothing it was built from has changed.

**The key** holds the reader (id, role, active and superuser flags: two people never share a page,
and a change of role gives another; a change of assignments or sharing moves ``reference``), the
query (unit, month, view), the two versions and the database they count (``data_version.versions``),
and the release's fingerprint (other markup or scope rules build anew). Without a month the
page opens on the last closed month (``default_period``), which moves with the clock and a setting:
the key then also holds the quarter hour (every zone's midnight falls on one) and the setting. A
page lives ``CACHE_SECONDS`` at most.

**Not cached**: the CSRF token and the stuck-decisions panel (decisions change all day; the
panel is read per request), and the page around the dashboard (navigation, notifications).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from urllib.parse import quote

import django
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from kpis import selectors
from kpis.models import Grain
from kpis.presenters import (
    function_cards_html,
    gaps_html,
    heat_body,
    heat_row,
    objectives_html,
    partner_cards_html,
    scope_html,
    tile_html,
)
from kpis.selectors.units import Unit
from kpis.services.data_version import versions

log = logging.getLogger("accord.cache")
CACHE_SECONDS = 600
SLOTS = 4  # pages kept per reader (``dashboard_page``)
# Where the content is cut (``_dashboard_content.html``): random per process, so no text in the data
# can be taken for one.
_CSRF, _STUCK = (f"accord-cut-{secrets.token_hex(16)}" for _ in range(2))


@dataclass(frozen=True, slots=True)
class DashboardPage:
    """What ``kpis/dashboard.html`` shows of the dashboard: the breadcrumb trail, the content in three
    parts (before the CSRF token, between it and the stuck-decisions panel, after the panel) and the
    unit the panel is for (``None``: the reader has no unit in scope; ``parts[0]`` says so)."""

    trail_html: str
    parts: tuple[str, str, str]
    unit: Unit | None


def dashboard_page(user, *, unit_code: str | None, period: date | None, grain: str) -> DashboardPage:
    """``user``'s dashboard for the query, from the cache when nothing under it has changed.

    A reader has ``SLOTS`` places in the cache, one chosen by the key: what a reader can make the
    cache hold is bounded by the number of readers, not by the queries they can send (any text as
    ``?unit=``, any month). A place holds the full key beside the page; another key there is a miss.
    Places are named with the release (``FINGERPRINT``): one release never reads another's pages.
    Inside a transaction (no versions: ``data_version.versions``) the page is built and not kept."""
    data = versions()
    if data is None:
        return build_page(user, unit_code=unit_code, period=period, grain=grain)
    key = _key(user, data, unit_code=unit_code, period=period, grain=grain)
    place = f"dashboard-page:{FINGERPRINT[:16]}:{user.pk}:{int(key[:8], 16) % SLOTS}"
    kept = _cache_call("get", place)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], DashboardPage):
        return kept[1]
    page = build_page(user, unit_code=unit_code, period=period, grain=grain)
    _cache_call("set", place, (key, page), CACHE_SECONDS)
    return page


def _cache_call(operation: str, *args):
    """The cache's ``get`` or ``set``; any failure (a page that no longer loads, a full or unreachable
    Redis) is logged and taken as a miss: the page is then built, never a 500."""
    try:
        return getattr(cache, operation)(*args)
    except Exception:  # noqa: BLE001 - a cache is never worth a failed page
        log.warning("dashboard page cache %s failed; the page is built", operation, exc_info=True)
        return None


def _key(user, data_versions, *, unit_code: str | None, period: date | None, grain: str) -> str:
    """Everything the page depends on, hashed (see the module docstring)."""
    now = timezone.now()
    clock = "" if period is not None else f"{now:%Y%m%d%H}{now.minute // 15}"
    reader = (user.pk, user.role, user.is_active, user.is_superuser)
    # The default month also depends on a setting (``default_period``): a restart with another value.
    query = (unit_code, period.isoformat() if period else None, grain, clock,
             getattr(settings, "ACCORD_DASHBOARD_MIN_COVERAGE", None))
    return hashlib.sha256(repr((FINGERPRINT, reader, query, data_versions)).encode()).hexdigest()


def _code_fingerprint() -> str:
    """A hash of the project's code and templates (its apps and ``templates/``) and Django's version,
    taken when this module is loaded: a page kept by another release — other markup, another scope
    rule — is not used."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(django.__version__.encode())
    for folder in ("governance", "partners", "decisions", "kpis", "reports", "templates"):
        for path in sorted([*(root / folder).rglob("*.py"), *(root / folder).rglob("*.html")]):
            digest.update(path.read_bytes())
    return digest.hexdigest()


FINGERPRINT = _code_fingerprint()


def build_page(user, *, unit_code: str | None, period: date | None, grain: str) -> DashboardPage:
    """The dashboard built from the database: shared KPIs for a scope and period (RAG heat-map with
    drill-down, tiles, benchmarking). Partner chips and cards name only partnerships the user may see
    that work in the chosen unit (the selector reads them already scoped, capped, with "+N more"
    counts)."""
    data = selectors.dashboard(user, unit_code=unit_code, period=period, grain=grain)
    context = {"d": data, "grains": Grain.choices, "csrf_marker": _CSRF, "stuck_marker": _STUCK}
    if data is not None:
        # KPI links: reversed once (a {% url %} per row costs more than the rest of the row).
        detail = reverse("kpis:detail", args=["{code}"]).replace(quote("{code}"), "{code}")
        context["kpi_link"] = detail.replace("{code}/", "")
        context["kpi_query"] = f"?unit={quote(data.scope.unit.code)}&period={data.period:%Y-%m}"
        context["export_query"] = f"{context['kpi_query'][1:]}&grain={data.grain}"  # what is on screen
        for row in data.rows:
            row.html = heat_row(row, detail_url=detail + escape(context["kpi_query"]), period=data.period)
        link, query, unit_name = escape(context["kpi_link"]), escape(context["kpi_query"]), escape(data.scope.unit.name)
        for tile in data.tiles:
            tile.html = tile_html(tile, href=f"{link}{escape(quote(tile.kpi.code))}/{query}", unit_name=unit_name)

        def href(code: str) -> str:
            return f"{link}{escape(quote(code))}/{query}"

        context.update(scope_html(data))
        context["heat_body"] = heat_body(data.rows, columns=len(data.scope.children) + 2)
        context["objectives_html"] = objectives_html(data.objectives, href=href)
        context["gaps_html"] = gaps_html(data.gaps, href=href)
        context["function_cards_html"] = function_cards_html(data.function_cards)
        context["partner_cards_html"] = partner_cards_html(data.partners.cards)
    html = render_to_string("kpis/_dashboard_content.html", context)
    if data is None:
        return DashboardPage(trail_html="", parts=(mark_safe(html), "", ""), unit=None)  # noqa: S308 - rendered
    before, rest = _cut(html, _CSRF)
    between, after = _cut(rest, _STUCK)
    # Cut from the template's output: as safe as it was whole.
    parts = (mark_safe(before), mark_safe(between), mark_safe(after))  # noqa: S308
    return DashboardPage(trail_html=context["trail_html"], parts=parts, unit=data.scope.unit)


def _cut(html: str, marker: str) -> tuple[str, str]:
    before, found, after = html.partition(marker)
    if not found or marker in after:
        raise ValueError("The dashboard's content must hold each marker exactly once.")
    return before, after
