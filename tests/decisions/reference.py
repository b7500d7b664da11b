"""Decision latency the obvious way — every decision and participant row into Python, sorted
lists for the percentiles — to check the SQL of ``decisions.selectors.latency_analytics``
(``tests/decisions/test_analytics.py`` swaps this in for its aggregation and compares)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import F

from decisions.models import DecisionParticipant, DecisionStatus, RapidRole
from decisions.selectors import STAGE_LABELS

HOUR = timedelta(hours=1)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (PostgreSQL's percentile_cont); None for no values."""
    if not values:
        return None
    s = sorted(values)
    rank = q * (len(s) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (rank - lo)


def summary(rows: list[dict], now: datetime) -> dict:
    decided = [r for r in rows if r["status"] == DecisionStatus.DECIDED]
    hours = [(r["decided_at"] - r["requested_at"]) / HOUR for r in decided]
    within = sum(1 for r in decided if r["decided_at"] <= r["sla_due_at"])
    considered = [r for r in rows if r["status"] != DecisionStatus.WITHDRAWN]
    escalated = sum(1 for r in considered if r["escalation_level"] > 0)
    open_rows = [r for r in rows if r["status"] == DecisionStatus.OPEN]

    def rnd(x):
        return None if x is None else round(x, 1)

    return {
        "decisions": len(considered),
        "decided": len(decided),
        "open": len(open_rows),
        "overdue": sum(1 for r in open_rows if r["sla_due_at"] <= now),
        "median_hours": rnd(percentile(hours, 0.5)),
        "p90_hours": rnd(percentile(hours, 0.9)),
        "within_sla_pct": rnd(100 * within / len(decided)) if decided else None,
        "escalation_rate_pct": rnd(100 * escalated / len(considered)) if considered else None,
    }


def latency(qs, group_fields: tuple[str, str], now: datetime) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """What ``decisions.selectors._latency_sql`` returns, from one row per decision in Python."""
    rows = list(qs.order_by().values("pk", "status", "requested_at", "decided_at", "sla_due_at", "due_at",
                                     "escalation_level", code=F(group_fields[0]), key=F(group_fields[1])))
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["code"], r["key"])].append(r)
    table = [{"key": key, "code": code, **summary(members, now)} for (code, key), members in groups.items()]
    stages, functions = stage_waits(rows)
    return summary(rows, now), table, stages, functions


def stage_waits(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Per decided decision: waiting for input = request → last input; for agreement = request →
    last agreement; for the decider = the later of those (or the request) → decision."""
    decided = {r["pk"]: r for r in rows if r["status"] == DecisionStatus.DECIDED}
    last_input: dict[int, datetime] = {}
    last_agree: dict[int, datetime] = {}
    by_function: dict[tuple[str, str], list[float]] = defaultdict(list)
    parts = DecisionParticipant.objects.filter(
        decision_id__in=list(decided), level=0, role__in=[RapidRole.INPUT, RapidRole.RECOMMEND, RapidRole.AGREE]
    ).values_list("decision_id", "role", "input_at", "agreed_at", "agreed", "function__name")
    for decision_id, role, input_at, agreed_at, agreed, function in parts:
        requested = decided[decision_id]["requested_at"]
        if role == RapidRole.AGREE:
            if agreed and agreed_at:
                last_agree[decision_id] = max(last_agree.get(decision_id, agreed_at), agreed_at)
                by_function[(function, "agreement")].append((agreed_at - requested) / HOUR)
        elif input_at:
            last_input[decision_id] = max(last_input.get(decision_id, input_at), input_at)
            by_function[(function, "input")].append((input_at - requested) / HOUR)
    waits: dict[str, list[float]] = {"input": [], "agreement": [], "decider": []}
    for pk, r in decided.items():
        start = r["requested_at"]
        if pk in last_input:
            waits["input"].append((last_input[pk] - start) / HOUR)
        if pk in last_agree:
            waits["agreement"].append((last_agree[pk] - start) / HOUR)
        ready = max([start, *([last_input[pk]] if pk in last_input else []),
                     *([last_agree[pk]] if pk in last_agree else [])])
        waits["decider"].append(max(0.0, (r["decided_at"] - ready) / HOUR))
    stages = [{"stage": s, "label": STAGE_LABELS[s], "count": len(v),
               "median_hours": _round(percentile(v, 0.5)), "p90_hours": _round(percentile(v, 0.9))}
              for s, v in waits.items()]
    functions = [{"function": f, "stage": stage, "count": len(v), "median_hours": _round(percentile(v, 0.5))}
                 for (f, stage), v in sorted(by_function.items())]
    return stages, functions


def _round(x):
    return None if x is None else round(x, 1)
