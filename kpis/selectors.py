"""Reads for the KPI pages. Each page runs a fixed number of queries whatever the data size:
the org units a user sees, the KPI catalogue, and a handful of indexed reads of scorecard cells.
The dashboard never reads rows that grow with partnerships or measurements: partnerships are
named only where they work in the chosen unit and the user may see them, capped, with the rest
counted in SQL (``partners_at``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, Value, When, Window

from governance.models import Function, OrgLevel, OrgUnit, OrgUnitClosure, User
from governance.periods import last_month, month_shift
from kpis.models import KPI, Category, Grain, KPIOwnership, ScorecardCell, StrategicObjective
from kpis.services.scorecards import ATTAINMENT_CAP, Scorecard, weighted_scorecard
from partners.models import Partner, Partnership

Cell = Any  # a ScorecardCell, or a row of its CELL_FIELDS (named tuple) where a page reads many

TILES = 8  # shared KPIs shown as tiles, the most off-target first
TILE_PARTNERS = 3  # partnership chips per tile; the rest is a "+N more" count
PARTNER_CARDS = 8  # partner scorecards at a unit, the weakest first; the rest is a count
# Partnerships working in a unit above which the dashboard does not rank them (that would read every
# one's cells): the partner panel shows their count and tile chips the newest co-owners, not the worst.
PARTNER_RANK_MAX = 100
LEVEL_ORDER = {"global": 0, "region": 1, "cluster": 2, "market": 3}


def cell_period(period: date, grain: str) -> date:
    """The stored period of the cell for ``grain`` that contains ``period``."""
    if grain == Grain.QUARTER:
        return period.replace(month=(period.month - 1) // 3 * 3 + 1)
    return period


def window_label(period: date, grain: str) -> str:
    if grain == Grain.QUARTER:
        return f"Q{(period.month - 1) // 3 + 1} {period.year}"
    if grain == Grain.YTD:
        return f"YTD {period:%b %Y}" if period.month > 1 else f"{period:%b %Y} (YTD)"
    return f"{period:%B %Y}"


def kpi_catalogue(user: User):
    """KPIs the user may see with their owners (two queries)."""
    return list(KPI.objects.restrict(user, "view").prefetch_related(
        Prefetch("ownerships", queryset=KPIOwnership.objects.restrict(user, "view")
                 .select_related("function", "partnership").order_by("pk"))
    ))


@dataclass(slots=True, eq=False)
class Unit:
    """An org unit as the KPI pages show it (a plain object: cheaper than a model instance)."""

    pk: int
    code: str
    name: str
    level: str
    parent_id: int | None
    timezone: str = ""

    @property
    def id(self) -> int:
        return self.pk

    def get_level_display(self) -> str:
        return OrgLevel(self.level).label

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass
class UnitScope:
    unit: Unit
    children: list[Unit]
    trail: list[Unit]
    count: int  # org units the user may see: the pages link the trail and children, and search the rest


def unit_scope(user: User, code: str | None) -> UnitScope | None:
    """The chosen org unit (default: the user's top unit — the first root of the visible forest,
    by level then name), its visible children and the visible path down to it, in one query over
    the visible units' ids, codes, names, levels and parents. Only these few become objects: an
    admin sees every unit (a thousand at scale) and the pages never list them all."""
    rows = list(OrgUnit.objects.restrict(user, "view").order_by()
                .values_list("id", "code", "name", "level", "parent_id", "timezone"))
    if not rows:
        return None
    by_id = {r[0]: r for r in rows}
    chosen = next((r for r in rows if r[1] == code), None) if code else None
    if chosen is None:
        chosen = min((r for r in rows if r[4] not in by_id), key=lambda r: (LEVEL_ORDER[r[3]], r[2]))
    trail, cursor = [], chosen
    while cursor is not None:
        trail.append(Unit(*cursor))
        cursor = by_id.get(cursor[4])
    trail.reverse()
    children = sorted((Unit(*r) for r in rows if r[4] == chosen[0]), key=lambda c: c.name)
    return UnitScope(unit=trail[-1], children=children, trail=trail, count=len(rows))


@dataclass(slots=True)
class UnitMatch:
    code: str
    name: str
    level: str
    parent_name: str  # empty when the parent is outside the user's scope (never named)

    def get_level_display(self) -> str:
        return OrgLevel(self.level).label


def unit_search(user: User, query: str, *, limit: int, offset: int = 0) -> tuple[list[UnitMatch], int]:
    """Up to ``limit`` (from ``offset``) org units the user may see whose code or name contains ``query`` (case
    insensitive), an exact code or name first, then prefixes, then by level and name; and how
    many match in all. One query, whatever the number of units."""
    visible = OrgUnit.objects.restrict(user, "view")
    found = visible.filter(Q(code__icontains=query) | Q(name__icontains=query))
    levels = [When(level=level, then=Value(rank)) for level, rank in LEVEL_ORDER.items()]
    matches = (found
               .annotate(fit=Case(When(Q(code__iexact=query) | Q(name__iexact=query), then=Value(0)),
                                  When(Q(code__istartswith=query) | Q(name__istartswith=query), then=Value(1)),
                                  default=Value(2)),
                         depth=Case(*levels, default=Value(9)),
                         parent_shown=Case(When(Exists(visible.filter(pk=OuterRef("parent_id"))),
                                                then=F("parent__name")), default=Value("")),
                         total=Window(Count("pk")))
               .order_by("fit", "depth", "name", "code")
               .values_list("code", "name", "level", "parent_shown", "total")[offset:offset + limit])
    rows = list(matches)
    if not rows and offset:  # past the end: the count alone
        return [], found.count()
    return [UnitMatch(*r[:4]) for r in rows], rows[0][4] if rows else 0


@dataclass(frozen=True)
class DefaultPeriod:
    period: date
    reason: str  # one sentence for the page: which month and why


LOOK_BACK = 13  # months with cells the default looks through for one with enough coverage


def default_period(user: User, unit: Unit, *, now=None) -> DefaultPeriod:
    """The month a page opens on when none is asked for: the latest **closed** month (before the
    unit's current month in its time zone — never a future one, whatever rows exist) whose coverage
    at ``unit`` — reports received / reports expected, over its month cells — reaches
    ``settings.ACCORD_DASHBOARD_MIN_COVERAGE``; else the latest closed month with any report; else
    the last closed month. One query: the unit's month cells of the last ``LOOK_BACK`` closed
    months that have any, summed per month."""
    minimum = float(getattr(settings, "ACCORD_DASHBOARD_MIN_COVERAGE", 0.6))
    closed = last_month(now, unit.timezone)
    months = list(ScorecardCell.objects.restrict(user, "view")
                  .filter(org_unit_id=unit.pk, grain=Grain.MONTH, partnership_key=0, period__lte=closed)
                  .values("period").annotate(reporting=Sum("reporting"), expected=Sum("expected"))
                  .order_by("-period").values_list("period", "reporting", "expected")[:LOOK_BACK])
    for period, reporting, expected in months:
        if expected and reporting / expected >= minimum:
            return DefaultPeriod(period, f"the latest closed month with at least {minimum:.0%} of expected reports "
                                         f"({reporting} of {expected})")
    for period, reporting, expected in months:
        if reporting:
            return DefaultPeriod(period, f"no closed month reaches {minimum:.0%} of expected reports; the latest "
                                         f"with any ({reporting} of {expected})")
    return DefaultPeriod(closed, "the last closed month (no reports yet)")


@dataclass
class HeatRow:
    kpi: KPIRow
    cell: Cell | None
    children: list[Cell | None]
    as_of: dict[int, date] = field(default_factory=dict)  # YTD fallback: org unit id → the earlier month shown


@dataclass
class PartnerChip:
    """A partnership co-owning a tile's KPI, with the RAG of its own cell at the chosen unit."""

    pk: int
    name: str
    rag: str


@dataclass
class Tile:
    kpi: KPIRow
    cell: Cell | None
    points: list[tuple[float | None, float | None]] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    partners: list[PartnerChip] = field(default_factory=list)
    more_partners: int = 0  # relevant co-owning partnerships beyond ``partners``
    # Month view only: the unit's actual a month and a year before the chosen month (from the trend).
    prior: tuple[date, float | None] | None = None
    year_ago: tuple[date, float | None] | None = None

    @property
    def changes(self) -> list[dict]:
        """The change of the actual against the prior month and the same month last year: ``diff``
        (signed, stored units), ``month`` compared with and ``better`` (by the KPI's direction;
        None when unchanged). Only where both figures exist."""
        out = []
        now = None if self.cell is None or self.cell.actual is None else float(self.cell.actual)
        for kind, before in (("prior", self.prior), ("year", self.year_ago)):
            if now is None or before is None or before[1] is None:
                continue
            diff = now - before[1]
            better = None if diff == 0 else (diff < 0) == (self.kpi.direction == "lower")
            out.append({"kind": kind, "month": before[0], "diff": diff, "better": better})
        return out

    @property
    def sparkline(self) -> dict | None:
        """SVG polyline points (actual, and target dashed) for a 120×32 box."""
        values = [v for pair in self.points for v in pair if v is not None]
        if len(values) < 2:
            return None
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        step = 120 / max(len(self.points) - 1, 1)

        def line(idx: int) -> str:
            return " ".join(f"{i * step:.1f},{30 - (p[idx] - lo) / span * 28:.1f}"
                            for i, p in enumerate(self.points) if p[idx] is not None)

        return {"actual": line(0), "target": line(1)}


@dataclass
class PartnerPanel:
    """The partner scorecards of a unit: the weakest ``cards`` of the ``reporting`` partnerships
    with cells there, or — when more than ``PARTNER_RANK_MAX`` partnerships work in the unit — only
    that count (``ranked`` false): a comparison that wide belongs to a lower level or a report."""

    cards: list[Scorecard]
    reporting: int  # partnerships with cells at the unit (when ranked)
    working: int  # partnerships the user may see that work in the unit
    ranked: bool

    @property
    def more(self) -> int:
        return self.reporting - len(self.cards)


@dataclass
class Dashboard:
    scope: UnitScope
    period: date
    grain: str
    label: str
    rows: list[HeatRow]
    tiles: list[Tile]
    shared_count: int
    function_cards: list[Scorecard]
    partners: PartnerPanel
    objectives: list[tuple[StrategicObjective, list[HeatRow]]]
    gaps: list[HeatRow]
    counts: dict
    has_data: bool
    period_reason: str = ""  # why this month, when the page chose it
    has_fallback: bool = False  # a YTD figure is up to an earlier month

    @property
    def partner_cards(self) -> list[Scorecard]:
        return self.partners.cards


CELL_FIELDS = ("kpi_id", "org_unit_id", "actual", "target", "attainment", "rag", "green_at", "red_at", "reporting",
               "expected")


@dataclass(slots=True, eq=False)
class KPIRow:
    """A KPI definition as the dashboard shows it (plain object: the page lists every KPI)."""

    pk: int
    code: str
    name: str
    unit: str
    direction: str
    aggregation: str
    category: str
    kind: str
    is_shared: bool  # two or more co-owners

    @property
    def id(self) -> int:
        return self.pk

    def get_category_display(self) -> str:
        return Category(self.category).label


def dashboard_kpis(user: User) -> tuple[list[KPIRow], dict[int, list[tuple[Function, Decimal]]]]:
    """The KPIs the user may see (one query), each with ``is_shared`` read as "is there a second
    ownership row" (one index probe per KPI, never the co-owners themselves), and their function
    owners with weights by KPI id (one query, at most KPIs × functions rows)."""
    second_owner = KPIOwnership.objects.filter(kpi=OuterRef("pk")).order_by().values("pk")[1:2]  # any order
    kpis = [KPIRow(*row[:8], is_shared=row[8] is not None) for row in KPI.objects.restrict(user, "view").annotate(
        second_owner=Subquery(second_owner)).values_list("pk", "code", "name", "unit", "direction", "aggregation",
                                                          "category", "kind", "second_owner")]
    functions: dict[int, Function] = {}
    owners: dict[int, list[tuple[Function, Decimal]]] = defaultdict(list)
    for kpi_id, weight, fid, code, name in (
            KPIOwnership.objects.filter(function__isnull=False, kpi__in=KPI.objects.restrict(user, "view").values("pk"))
            .order_by("pk").values_list("kpi_id", "weight", "function_id", "function__code", "function__name")):
        function = functions.get(fid) or functions.setdefault(fid, Function(pk=fid, code=code, name=name))
        owners[kpi_id].append((function, weight))
    return kpis, owners


def relevant_partnerships(user: User, unit: Unit):
    """Subquery of the ids of the partnerships ``user`` may see that work in ``unit``: linked to
    ``unit``, to a unit below it, or to one above it (a partnership placed at a cluster works in each
    of its markets). Only these are ever named on the unit's dashboard."""
    below = OrgUnitClosure.objects.filter(ancestor_id=unit.pk).values("descendant_id")
    above = OrgUnitClosure.objects.filter(descendant_id=unit.pk).values("ancestor_id")
    # One IN over the union (an OR of two INs would make PostgreSQL scan every partnership's units).
    linked = Partnership.org_units.through.objects.filter(orgunit_id__in=below.union(above)).values("partnership_id")
    return Partnership.objects.restrict(user, "view").filter(pk__in=linked).order_by().values("pk")


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _key_in(column: str, subquery: str) -> str:
    """``column IN (subquery)`` written as ``= ANY(ARRAY(subquery))``, which the planner turns into
    one index descent per id (``partnership_key`` is the third key of the cell index, so an IN-join
    would otherwise scan every partnership's cells of every period at the unit)."""
    return f"{column} = ANY(ARRAY({subquery}))"


_RAG_RANK = "CASE {c}.rag WHEN 'red' THEN 0 WHEN 'amber' THEN 1 WHEN 'green' THEN 2 ELSE 3 END"
_RANK_RAG = {0: "red", 1: "amber", 2: "green", 3: "none"}


@dataclass(slots=True)
class _ItemCell:
    attainment: Decimal | None
    rag: str
    green_at: Decimal
    red_at: Decimal


def partners_at(user: User, unit: Unit, *, grain: str, period: date, tile_kpi_ids: list[int], chips: int,
                cards: int, rank_max: int) -> tuple[dict[int, tuple[list[PartnerChip], int]], PartnerPanel]:
    """Everything the dashboard names about partnerships, in one query over the partnerships the
    user may see that work in ``unit`` (``relevant_partnerships``, computed once):

    * tile chips: for each KPI in ``tile_kpi_ids``, up to ``chips`` co-owning partnerships with the
      RAG of their own cell at ``unit``, and how many relevant co-owners there are;
    * the partner panel: the ``cards`` weakest partner scorecards at ``unit`` (lowest weighted
      attainment first, no score last) and how many partnerships have cells there.

    Ranking reads cells only where at most ``rank_max`` partnerships work in the unit: chips are
    then the worst first (RAG, then attainment; no cell last), each co-owner's cell read by its
    whole unique key, and the panel reads each partnership's cells as one index range (unit,
    grain, partnership, period). Above that chips are the newest co-owners (only the ones shown
    read a cell) and the panel is the count alone — the work stays bounded by the tiles'
    co-ownership rows and ``rank_max`` × KPIs cells whatever the number of partnerships.

    Scorecards: SQL ranks by the weighted mean of capped attainment over a partnership's co-owned
    KPIs (each of its cells at weight 1 when it co-owns none) and returns the co-owned KPIs of the
    weakest; ``weighted_scorecard`` makes their cards, so the numbers follow its rules exactly.
    Every cell read sits at ``unit``, which the user may see."""
    rel_sql, rel_params = _sql(relevant_partnerships(user, unit))
    cells, owners, pships = ScorecardCell._meta.db_table, KPIOwnership._meta.db_table, Partnership._meta.db_table
    kpis = tile_kpi_ids or [0]
    marks = ", ".join(["%s"] * len(kpis))
    at_unit = "c.org_unit_id = %s AND c.grain = %s AND c.period = %s"
    rank = _RAG_RANK.format(c="c")
    no_owned = "NOT EXISTS (SELECT 1 FROM own x WHERE x.pid = c.pid)"
    sql = f"""
        WITH rel AS MATERIALIZED ({rel_sql}),
        size AS (SELECT COUNT(*) AS n, CASE WHEN COUNT(*) <= %s THEN 1 ELSE 0 END AS ranked FROM rel),
        co AS (
            SELECT o.kpi_id, o.partnership_id FROM {owners} o
            WHERE o.kpi_id IN ({marks}) AND o.partnership_id IN (SELECT pk FROM rel)
        ), pick AS (
            SELECT co.kpi_id, co.partnership_id,
                   ROW_NUMBER() OVER (PARTITION BY co.kpi_id ORDER BY {rank}, c.attainment IS NULL, c.attainment,
                                      co.partnership_id DESC) AS n,
                   COUNT(*) OVER (PARTITION BY co.kpi_id) AS total
            FROM co LEFT JOIN {cells} c
              ON {at_unit} AND c.partnership_key = co.partnership_id AND c.kpi_id = co.kpi_id
            WHERE (SELECT ranked FROM size) = 1
            UNION ALL
            SELECT co.kpi_id, co.partnership_id,
                   ROW_NUMBER() OVER (PARTITION BY co.kpi_id ORDER BY p.start DESC, p.id DESC) AS n,
                   COUNT(*) OVER (PARTITION BY co.kpi_id) AS total
            FROM co JOIN {pships} p ON p.id = co.partnership_id
            WHERE (SELECT ranked FROM size) = 0
        ), cell AS (
            SELECT c.partnership_key AS pid, c.kpi_id, c.attainment, c.rag, c.green_at, c.red_at
            FROM {cells} c
            WHERE (SELECT ranked FROM size) = 1 AND {at_unit}
              AND {_key_in("c.partnership_key", "SELECT pk FROM rel")}
        ), own AS (
            SELECT o.partnership_id AS pid, o.kpi_id, o.weight FROM {owners} o
            WHERE {_key_in("o.partnership_id", "SELECT DISTINCT pid FROM cell")}
        ), scored AS (
            SELECT c.pid,
                   SUM(COALESCE(o.weight, 1) * CASE WHEN c.attainment > %s THEN %s ELSE c.attainment END) AS s,
                   SUM(CASE WHEN c.attainment IS NOT NULL THEN COALESCE(o.weight, 1) END) AS w
            FROM cell c LEFT JOIN own o ON o.pid = c.pid AND o.kpi_id = c.kpi_id
            WHERE o.pid IS NOT NULL OR {no_owned}
            GROUP BY c.pid
        ), top AS (
            SELECT pid, ROW_NUMBER() OVER (ORDER BY CASE WHEN w > 0 THEN 0 ELSE 1 END, CASE WHEN w > 0 THEN s / w END,
                                           pid) AS pos,
                   COUNT(*) OVER () AS reporting
            FROM scored
        ), item AS MATERIALIZED (
            SELECT o.pid, o.kpi_id, o.weight, c.attainment, c.rag, c.green_at, c.red_at
            FROM own o LEFT JOIN cell c ON c.pid = o.pid AND c.kpi_id = o.kpi_id
            WHERE o.pid IN (SELECT pid FROM top WHERE pos <= %s)
            UNION ALL
            SELECT c.pid, c.kpi_id, 1, c.attainment, c.rag, c.green_at, c.red_at FROM cell c
            WHERE c.pid IN (SELECT pid FROM top WHERE pos <= %s) AND {no_owned}
        )
        SELECT 2, top.pos, top.reporting, item.kpi_id, top.pid, p.name, pr.id, pr.name, item.weight, item.attainment,
               item.rag, item.green_at, item.red_at
        FROM top
        JOIN item ON item.pid = top.pid
        JOIN {pships} p ON p.id = top.pid
        JOIN {Partner._meta.db_table} pr ON pr.id = p.partner_id
        WHERE top.pos <= %s
        UNION ALL
        SELECT 0, n, ranked, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM size
        UNION ALL
        SELECT 1, pick.kpi_id, pick.n, pick.total, pick.partnership_id, p.name, {rank}, NULL, NULL, NULL, NULL,
               NULL, NULL
        FROM pick
        JOIN {pships} p ON p.id = pick.partnership_id
        LEFT JOIN {cells} c ON {at_unit} AND c.partnership_key = pick.partnership_id AND c.kpi_id = pick.kpi_id
        WHERE pick.n <= %s"""  # noqa: S608 - table names and placeholders only
    # Three kinds of rows (0: the counts, 1: chips, 2: the cards' KPIs), sorted here; the cards come
    # first in the SQL because the first branch of a UNION with values decides the column types.
    at = [unit.pk, grain, period]
    with connection.cursor() as cur:
        cur.execute(sql, [*rel_params, rank_max, *kpis, *at, *at, ATTAINMENT_CAP, ATTAINMENT_CAP, cards, cards, cards,
                          *at, chips])
        rows = cur.fetchall()
    working, ranked, reporting = 0, True, 0
    tile_chips: dict[int, tuple[list[PartnerChip], int]] = {}
    owners_of: dict[int, Partnership] = {}
    items: dict[int, list] = defaultdict(list)
    for kind, a, b, c, pid, name, x, y, weight, attainment, rag, green_at, red_at in sorted(
            rows, key=lambda r: (r[0], r[1], r[2] if r[0] == 1 else r[3] or 0)):
        if kind == 0:
            working, ranked = a, bool(b)
        elif kind == 1:  # a = KPI, b = position, c = relevant co-owners, x = rank of its cell
            shown, _ = tile_chips.get(a, ([], 0))
            shown.append(PartnerChip(pk=pid, name=name, rag=_RANK_RAG[x]))
            tile_chips[a] = (shown, c)
        else:  # a = position, b = partnerships with cells, x/y = partner
            reporting = b
            if pid not in owners_of:
                owners_of[pid] = Partnership(pk=pid, name=name, partner=Partner(pk=x, name=y))
            cell = None if rag is None else _ItemCell(attainment=attainment, rag=rag, green_at=green_at, red_at=red_at)
            items[pid].append((weight, cell))
    panel = PartnerPanel(cards=[weighted_scorecard(owner, items[pid]) for pid, owner in owners_of.items()],
                         reporting=reporting, working=working, ranked=ranked)
    return tile_chips, panel


def dashboard_objectives(user: User, kpis: dict[int, KPIRow]) -> list[tuple[StrategicObjective, list[KPIRow]]]:
    """The strategic objectives the user may see with their KPIs, in one query (a row per
    objective × KPI; an objective without KPIs comes once, with none)."""
    out: dict[int, tuple[StrategicObjective, list[KPIRow]]] = {}
    for pk, code, title, description, kpi_id in (
            StrategicObjective.objects.restrict(user, "view").order_by("order", "code", "kpis__category", "kpis__code")
            .values_list("pk", "code", "title", "description", "kpis")):
        objective, linked = out.get(pk) or out.setdefault(
            pk, (StrategicObjective(pk=pk, code=code, title=title, description=description), []))
        if kpi_id in kpis:
            linked.append(kpis[kpi_id])
    return list(out.values())


def dashboard(user: User, *, unit_code: str | None, period: date | None, grain: str) -> Dashboard | None:
    """Everything the leaders' dashboard shows, in eight queries whatever the data size (seven when
    ``period`` is given), each reading a bounded number of rows: the visible org units, the KPI
    catalogue and its function owners, cells of the unit and its children (KPIs × children), twelve
    months of the tiles' KPIs, the partnerships (``partners_at``: the tiles' relevant co-owners,
    ``TILE_PARTNERS`` named and the rest counted; the partner panel from at most
    ``PARTNER_RANK_MAX`` partnerships' cells) and the objectives."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    reason = ""
    if period is None:
        chosen = default_period(user, unit)
        period, reason = chosen.period, chosen.reason
    stored = cell_period(period, grain)
    kpis, function_owners = dashboard_kpis(user)
    visible_cells = ScorecardCell.objects.restrict(user, "view")
    ids = [unit.pk] + [c.pk for c in scope.children]
    cells = {(c.kpi_id, c.org_unit_id): c for c in visible_cells.filter(
        org_unit_id__in=ids, grain=grain, period=stored, partnership_key=0).values_list(*CELL_FIELDS, named=True)}
    as_of = ytd_fallback(visible_cells, cells, ids=ids, kpi_ids=[k.pk for k in kpis], period=stored) \
        if grain == Grain.YTD and stored.month > 1 else {}
    rows = [HeatRow(kpi=k, cell=cells.get((k.pk, unit.pk)),
                    children=[cells.get((k.pk, c.pk)) for c in scope.children],
                    as_of={u: m for (kid, u), m in as_of.items() if kid == k.pk}) for k in kpis]
    rows = [r for r in rows if r.cell is not None or any(r.children)] or rows
    by_kpi = {r.kpi.pk: r for r in rows}

    rank = {"red": 0, "amber": 1, "green": 2, "none": 3}
    shared = [k for k in kpis if k.is_shared]
    tiles = sorted((Tile(kpi=k, cell=cells.get((k.pk, unit.pk)), functions=[f for f, _ in function_owners[k.pk]])
                    for k in shared),
                   key=lambda t: (rank[t.cell.rag if t.cell else "none"],
                                  t.cell.attainment if t.cell and t.cell.attainment is not None else 0, t.kpi.name))
    tiles = tiles[:TILES]
    months = [month_shift(period, i - 12) for i in range(13)]  # the sparkline's twelve and a year before
    trend = defaultdict(dict)
    # The twelve months as a list, not a range: PostgreSQL then descends the cell index once per
    # (month, KPI) instead of reading every KPI's cells of the year at the unit (~4× faster at scale).
    for kpi_id, month, actual, target in visible_cells.filter(
            org_unit_id=unit.pk, grain=Grain.MONTH, partnership_key=0, period__in=months,
            kpi__in=[t.kpi.pk for t in tiles]).values_list("kpi_id", "period", "actual", "target"):
        trend[kpi_id][month] = (None if actual is None else float(actual), None if target is None else float(target))
    chips, partners = partners_at(user, unit, grain=grain, period=stored, tile_kpi_ids=[t.kpi.pk for t in tiles],
                                  chips=TILE_PARTNERS, cards=PARTNER_CARDS, rank_max=PARTNER_RANK_MAX)
    for t in tiles:
        t.points = [trend[t.kpi.pk].get(m, (None, None)) for m in months[1:]]
        if grain == Grain.MONTH:
            t.prior = (months[-2], trend[t.kpi.pk].get(months[-2], (None, None))[0])
            t.year_ago = (months[0], trend[t.kpi.pk].get(months[0], (None, None))[0])
        t.partners, total = chips.get(t.kpi.pk, ([], 0))
        t.more_partners = total - len(t.partners)

    owners_f = defaultdict(list)
    for k in kpis:
        for function, weight in function_owners[k.pk]:
            owners_f[function].append((weight, k.pk))
    function_cards = sorted(
        (weighted_scorecard(f, [(w, cells.get((kid, unit.pk))) for w, kid in items]) for f, items in owners_f.items()),
        key=lambda card: card.owner.name)

    objectives = [(o, [by_kpi.get(k.pk) or HeatRow(kpi=k, cell=None, children=[]) for k in linked])
                  for o, linked in dashboard_objectives(user, {k.pk: k for k in kpis})]
    gaps = sorted((r for r in rows if r.cell is not None and r.cell.expected and r.cell.reporting < r.cell.expected),
                  key=lambda r: r.cell.reporting / r.cell.expected)
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for r in rows:
        counts[r.cell.rag if r.cell else "none"] += 1
    return Dashboard(scope=scope, period=period, grain=grain, label=window_label(period, grain), rows=rows,
                     tiles=tiles, shared_count=len(shared), function_cards=function_cards, partners=partners,
                     objectives=objectives, gaps=gaps, counts=counts, has_data=bool(cells), period_reason=reason,
                     has_fallback=bool(as_of))


def ytd_fallback(visible_cells, cells: dict, *, ids: list[int], kpi_ids: list[int], period: date) -> dict:
    """YTD cells exist only at months where the series has a month cell (``kpis/README.md``): a unit
    that has not reported ``period`` yet has no YTD figure there. Fill such gaps in ``cells`` (in
    place) with the latest earlier YTD cell of the same year; return ``{(kpi id, unit id): its
    month}`` so the page can label them. One query (DISTINCT ON), only when a gap exists."""
    missing = {(k, u) for k in kpi_ids for u in ids if (k, u) not in cells}
    if not missing:
        return {}
    earlier = (visible_cells.filter(org_unit_id__in=ids, grain=Grain.YTD, partnership_key=0,
                                    kpi_id__in={k for k, _u in missing}, period__lt=period,
                                    period__gte=period.replace(month=1))
               .order_by("kpi_id", "org_unit_id", "-period").distinct("kpi_id", "org_unit_id")
               .values_list(*CELL_FIELDS, "period", named=True))
    found = {}
    for c in earlier:
        key = (c.kpi_id, c.org_unit_id)
        if key in missing:
            cells[key] = c
            found[key] = c.period
    return found


@dataclass
class KPIDetail:
    kpi: KPI
    scope: UnitScope
    period: date
    months: list[date]
    series: list[ScorecardCell | None]
    children: list[tuple[Unit, ScorecardCell | None]]
    partners: list[tuple[Partnership, ScorecardCell]]


def kpi_detail(user: User, *, kpi: KPI, unit_code: str | None, period: date | None) -> KPIDetail | None:
    """A KPI's 24-month trend at a unit (actual vs target) and its children at ``period``."""
    scope = unit_scope(user, unit_code)
    if scope is None:
        return None
    unit = scope.unit
    period = period or default_period(user, unit).period
    start = month_shift(period, -23)
    months = [month_shift(start, i) for i in range(24)]
    visible = ScorecardCell.objects.restrict(user, "view").filter(kpi=kpi, grain=Grain.MONTH)
    series = {c.period: c for c in visible.filter(org_unit_id=unit.pk, partnership_key=0, period__gte=start,
                                                  period__lte=period)}
    kids = {c.org_unit_id: c for c in visible.filter(org_unit__in=[c.pk for c in scope.children],
                                                     partnership_key=0, period=period)}
    p_cells = {c.partnership_key: c for c in visible.filter(org_unit_id=unit.pk, partnership_key__gt=0, period=period)}
    partners = [(p, p_cells[p.pk]) for p in Partnership.objects.restrict(user, "view").filter(pk__in=list(p_cells))]
    return KPIDetail(kpi=kpi, scope=scope, period=period, months=months, series=[series.get(m) for m in months],
                     children=[(c, kids.get(c.pk)) for c in scope.children], partners=partners)


def partnership_kpi_cells(user: User, partnership: Partnership) -> list[tuple[KPI, ScorecardCell | None]]:
    """A partnership's co-owned KPIs with the latest month cell of that partnership, taken at the
    highest org unit the user can see (three queries)."""
    kpis = list(KPI.objects.restrict(user, "view").filter(ownerships__partnership=partnership).distinct())
    cells = (ScorecardCell.objects.restrict(user, "view")
             .filter(partnership_key=partnership.pk, grain=Grain.MONTH, kpi__in=[k.pk for k in kpis],
                     reporting__gt=0)
             .select_related("org_unit").order_by("kpi_id", "-period"))
    best: dict[int, ScorecardCell] = {}
    for c in cells[:2000]:
        current = best.get(c.kpi_id)
        if current is None or (c.period == current.period
                               and LEVEL_ORDER[c.org_unit.level] < LEVEL_ORDER[current.org_unit.level]):
            best[c.kpi_id] = c
    return [(k, best.get(k.pk)) for k in kpis]
