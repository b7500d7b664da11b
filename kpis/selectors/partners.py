# ruff: noqa: S608 - SQL assembled from table names and placeholders only
"""What the dashboard names about partnerships at a unit (``partners_at``): the tiles' co-owner
chips and the partner scorecards, in one statement over the partnerships the user may see that
work there (``relevant_partnerships``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from governance.models import OrgUnitClosure, User
from governance.rowsets import named_rows
from kpis.models import KPIOwnership, ScorecardCell
from kpis.selectors.units import Unit
from kpis.services.scorecards import ATTAINMENT_CAP, Scorecard, weighted_scorecard
from partners.models import Partner, Partnership


@dataclass
class PartnerChip:
    """A partnership co-owning a tile's KPI, with the RAG of its own cell at the chosen unit."""

    pk: int
    name: str
    rag: str


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
        SELECT 2 AS kind, top.pos AS pos, top.reporting AS total, NULL::int AS ranked, item.kpi_id AS kpi_id,
               top.pid AS pid, p.name AS name, NULL::int AS rag_rank, pr.id AS partner_id, pr.name AS partner_name,
               item.weight AS weight, item.attainment AS attainment, item.rag AS rag, item.green_at AS green_at,
               item.red_at AS red_at
        FROM top
        JOIN item ON item.pid = top.pid
        JOIN {pships} p ON p.id = top.pid
        JOIN {Partner._meta.db_table} pr ON pr.id = p.partner_id
        WHERE top.pos <= %s
        UNION ALL
        SELECT 0, NULL, n, ranked, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM size
        UNION ALL
        SELECT 1, pick.n, pick.total, NULL, pick.kpi_id, pick.partnership_id, p.name, {rank}, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL
        FROM pick
        JOIN {pships} p ON p.id = pick.partnership_id
        LEFT JOIN {cells} c ON {at_unit} AND c.partnership_key = pick.partnership_id AND c.kpi_id = pick.kpi_id
        WHERE pick.n <= %s"""
    # Three kinds of rows (``kind`` 0: the counts, 1: a tile's chip, 2: a KPI of a card), sorted here; the
    # cards come first in the SQL because the first branch of a UNION with values decides the column types.
    # Each column means one thing: ``pos`` a chip's place under its KPI or a card's place, ``total`` the
    # relevant co-owners of a chip's KPI / the partnerships with cells (cards) / those working in the unit
    # (counts), ``ranked`` whether cells were read, ``rag_rank`` a chip's cell.
    at: list[Any] = [unit.pk, grain, period]
    with connection.cursor() as cur:
        cur.execute(sql, [*rel_params, rank_max, *kpis, *at, *at, ATTAINMENT_CAP, ATTAINMENT_CAP, cards, cards, cards,
                          *at, chips])
        rows = named_rows(cur, "PartnerRow")
    working, ranked, reporting = 0, True, 0
    tile_chips: dict[int, tuple[list[PartnerChip], int]] = {}
    owners_of: dict[int, Partnership] = {}
    items: dict[int, list] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.kind, r.kpi_id or 0, r.pos) if r.kind == 1 else (r.kind, r.pos or 0,
                                                                                             r.kpi_id or 0)):
        if r.kind == 0:
            working, ranked = r.total, bool(r.ranked)
        elif r.kind == 1:
            shown, _ = tile_chips.get(r.kpi_id, ([], 0))
            shown.append(PartnerChip(pk=r.pid, name=r.name, rag=_RANK_RAG[r.rag_rank]))
            tile_chips[r.kpi_id] = (shown, r.total)
        else:
            reporting = r.total
            if r.pid not in owners_of:
                owners_of[r.pid] = Partnership(pk=r.pid, name=r.name, partner=Partner(pk=r.partner_id,
                                                                                      name=r.partner_name))
            cell = None if r.rag is None else _ItemCell(attainment=r.attainment, rag=r.rag, green_at=r.green_at,
                                                        red_at=r.red_at)
            items[r.pid].append((r.weight, cell))
    panel = PartnerPanel(cards=[weighted_scorecard(owner, items[pid]) for pid, owner in owners_of.items()],
                         reporting=reporting, working=working, ranked=ranked)
    return tile_chips, panel
