"""Latency by stage and party: how long decisions wait on each function, on partners, on their
requesters and in pauses — from the stored stage intervals (``DecisionStage``), in SQL.

For each party (a function across its units, a partner, the requester) and stage: the intervals
that ended (their count, median and p90 business hours — ``percentile_cont``, linear interpolation
— and total), how many decisions they belong to, how many still wait now and since when. Optionally
split by decision type, org unit or month (the month the interval started, UTC). **Top blockers**:
the parties most decisions wait on right now, longest-waiting first.

Scoping is ``Decision.objects.restrict(user, "view")`` (the ORM builds the base CTE); one
statement for the intervals (with or without a split: ``GROUPING SETS``), a few rows back
whatever the number of decisions.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connections
from django.utils import timezone

from decisions.models import Decision, DecisionStage, DecisionType, Stage
from governance.models import Function, OrgUnit, User
from partners.models import Partner

SPLITS = ("", "decision_type", "org_unit", "month")


def party_analytics(*, user: User, org_unit: OrgUnit | None = None, since: datetime | None = None,
                    split: str = "", now: datetime | None = None) -> dict:
    """``{"split", "rows", "by_split", "top_blockers"}`` for the decisions ``user`` may see (under
    ``org_unit``, logged since ``since``). ``rows``: per party and stage; ``by_split``: the same per
    ``split`` key (empty without a split)."""
    now = now or timezone.now()
    split = split if split in SPLITS else ""
    qs = Decision.objects.restrict(user, "view")
    if org_unit is not None:
        qs = qs.filter(org_unit__in=OrgUnit.objects.subtree_of(org_unit).values("pk"))
    if since is not None:
        qs = qs.filter(requested_at__gte=since)
    rows, split_rows = _aggregate(qs, split)
    functions = Function.objects.in_bulk({r["function_id"] for r in rows if r["function_id"]})
    partners = Partner.objects.in_bulk({r["partner_id"] for r in rows if r["partner_id"]})
    keys = _split_names(split, {r["key"] for r in split_rows})

    def party(r: dict) -> str:
        if r["party_kind"] == "function":
            return functions[r["function_id"]].name if r["function_id"] in functions else "—"
        if r["party_kind"] == "partner":
            return partners[r["partner_id"]].name if r["partner_id"] in partners else "The partner"
        return "Requester"

    stage_labels = dict(Stage.choices)
    for r in rows + split_rows:
        r["party"], r["stage_label"] = party(r), stage_labels.get(r["stage"], r["stage"])
        r["key"] = keys.get(r["key"], r["key"])
        if r.get("oldest_waiting_since"):
            r["waiting_hours_max"] = round((now - r["oldest_waiting_since"]).total_seconds() / 3600, 1)
    rows.sort(key=lambda r: (-(r["median_hours"] or 0), r["party"], r["stage"]))
    split_rows.sort(key=lambda r: (str(r["key"]), r["party"], r["stage"]))
    return {"split": split, "rows": rows, "by_split": split_rows, "top_blockers": _top_blockers(rows)}


def _top_blockers(rows: list[dict], limit: int = 10) -> list[dict]:
    """The parties most decisions wait on now (any stage but the decider's own), oldest first on ties."""
    found: dict[tuple, dict] = {}
    for r in rows:
        if not r["waiting_now"] or r["stage"] == Stage.DECISION:
            continue
        key = (r["party_kind"], r["function_id"], r["partner_id"])
        entry = found.setdefault(key, {"party_kind": r["party_kind"], "party": r["party"], "waiting_now": 0,
                                       "oldest_waiting_since": r["oldest_waiting_since"], "stages": []})
        entry["waiting_now"] += r["waiting_now"]
        entry["stages"].append(r["stage"])
        entry["oldest_waiting_since"] = min(entry["oldest_waiting_since"], r["oldest_waiting_since"])
    return sorted(found.values(), key=lambda e: (-e["waiting_now"], e["oldest_waiting_since"]))[:limit]


def _split_names(split: str, keys: set) -> dict:
    if split == "decision_type":
        return {pk: t.name for pk, t in DecisionType.objects.in_bulk(keys - {None}).items()}
    if split == "org_unit":
        return {pk: u.name for pk, u in OrgUnit.objects.in_bulk(keys - {None}).items()}
    if split == "month":
        return {k: k.strftime("%Y-%m") for k in keys if k is not None}
    return {}


def _aggregate(qs, split: str) -> tuple[list[dict], list[dict]]:
    """One statement: the scoped decisions as a CTE joined to their stage intervals, grouped by
    party and stage and — with a split — also by party, stage and the split key (``GROUPING SETS``:
    the intervals are read and sorted once for both; ``GROUPING(key)`` tells the rows apart).
    Returns ``(rows, split rows)``."""
    q = connections[qs.db].ops.quote_name
    stage_table = q(DecisionStage._meta.db_table)
    base_sql, base_params = (qs.order_by().values("pk", "decision_type_id", "org_unit_id")
                             .query.get_compiler(qs.db).as_sql())
    key = {"": "NULL::int", "decision_type": "d.decision_type_id", "org_unit": "d.org_unit_id",
           "month": "date_trunc('month', s.started_at AT TIME ZONE 'UTC')"}[split]
    groups, is_split = (("GROUPING SETS ((1, 2, 3, 4), (1, 2, 3, 4, 6))", f"GROUPING({key}) = 0") if split
                        else ("1, 2, 3, 4, 6", "FALSE"))
    sql = (
        f"WITH base (id, decision_type_id, org_unit_id) AS NOT MATERIALIZED ({base_sql}) "  # noqa: S608
        f"SELECT s.party_kind, s.function_id, s.partner_id, s.stage, {is_split}, {key} AS key, "
        "COUNT(*) FILTER (WHERE s.ended_at IS NOT NULL), COUNT(DISTINCT s.decision_id), "
        "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s.business_seconds / 3600.0) "
        "FILTER (WHERE s.ended_at IS NOT NULL), "
        "SUM(s.business_seconds) FILTER (WHERE s.ended_at IS NOT NULL), "
        "COUNT(*) FILTER (WHERE s.ended_at IS NULL), MIN(s.started_at) FILTER (WHERE s.ended_at IS NULL) "
        f"FROM base d JOIN {stage_table} s ON s.decision_id = d.id "
        f"GROUP BY {groups}"
    )
    with connections[qs.db].cursor() as cur:
        cur.execute(sql, base_params)
        found = cur.fetchall()
    rows: list[dict] = []
    split_rows: list[dict] = []
    for kind, function_id, partner_id, stage, is_split, k, ended, decisions, pcts, total, waiting, oldest in found:
        median, p90 = pcts or (None, None)
        (split_rows if is_split else rows).append({
            "party_kind": kind, "function_id": function_id, "partner_id": partner_id, "stage": stage,
            "key": k, "intervals": ended, "decisions": decisions, "median_hours": _round(median),
            "p90_hours": _round(p90), "total_hours": _round(total / 3600 if total is not None else None),
            "waiting_now": waiting, "oldest_waiting_since": oldest})
    return rows, split_rows


def _round(x):
    return None if x is None else round(float(x), 2)
