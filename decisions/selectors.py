"""Reads of the decisions app: lists, the queue, the matrix grid and decision latency analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Value, When, prefetch_related_objects
from django.db.models.functions import Least, Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from decisions.forums import meetings
from decisions.models import (
    AgendaItem,
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionStatus,
    DecisionType,
    Forum,
    MatrixVersion,
    PauseRule,
    RapidRole,
)
from decisions.routing import holidays_by_unit
from decisions.services import matrix_cells, matrix_diff
from decisions.services.forums import next_meetings
from decisions.services.stages import party_label, seconds_on_calendar, stage_intervals
from decisions.visibility import redact_stage, sees_internal
from governance import join_order
from governance.models import Function, OrgUnit, User
from governance.prepared import PreparedRows, attach_children
from governance.querysets import assignment_unit_ids
from kpis.models import KPI

GROUPINGS = ("decision_type", "org_unit", "function")
# Per grouping: the field whose code names a row (``code``: what the decision list's filter of
# that grouping takes, see ``GROUP_FILTERS``) and the one it is shown by (``key``).
GROUP_FIELDS = {"decision_type": ("decision_type__code", "decision_type__name"),
                "org_unit": ("org_unit__code", "org_unit__name"),
                "function": ("decider_function__code", "decider_function__name")}
# The windows of the latency analytics, by days back from now (the list's ``logged_within`` too).
LOGGED_WITHIN = {"30": "Last 30 days", "90": "Last 90 days", "180": "Last 6 months", "365": "Last year"}
# The decision list's filter (``DecisionFilterForm``) that selects one row of a grouping.
GROUP_FILTERS = {"decision_type": "decision_type", "org_unit": "at_unit", "function": "decider_function"}


# The list's orders (``sort``): "due" puts the nearest deadline first — the earlier of the SLA and
# the requested date (LEAST ignores a missing due_by) — then closed decisions by when they closed.
SORT_ORDERS = {
    "newest": ("-requested_at", "-pk"),
    "oldest": ("requested_at", "pk"),
    "due": (Case(When(status=DecisionStatus.OPEN, then=Value(0)), default=Value(1)),
            Least("sla_due_at", "due_by"), "-decided_at", "-pk"),
    "priority": (Case(When(priority="urgent", then=Value(0)), When(priority="high", then=Value(1)),
                      When(priority="normal", then=Value(2)), default=Value(3)), "-requested_at", "-pk"),
    "title": (Lower("title"), "pk"),
}


def decision_list(*, user: User, filters: dict | None = None, sort: str = "newest", now: datetime | None = None):
    """The user's visible decisions with what the list shows, filtered (``DecisionFilterForm``:
    search, state or status, org unit subtree, type, priority, overdue, escalated, stuck, partnership) and
    sorted (``SORT_ORDERS``). Pages and exports (issue 16) read the same selection from here."""
    now = now or timezone.now()
    f = filters or {}
    # Planned freely, not in written join order (governance.join_order): its best plan walks the
    # scope's units' decisions by index and sorts a page of them; forced to start from the decisions
    # table it read all 1M of them at scale (374 ms vs 6 ms; docs/benchmarks.md).
    qs = Decision.objects.restrict(user, "view").select_related("decision_type", "org_unit", "decider", "partnership")
    if f.get("q"):
        qs = qs.search(f["q"])
    if f.get("state"):
        qs = qs.in_state(f["state"], viewer=user)
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("org_unit"):
        qs = qs.filter(org_unit__in=OrgUnit.objects.subtree_of(f["org_unit"]).values("pk"))
    if f.get("decision_type"):
        qs = qs.filter(decision_type=f["decision_type"])
    if f.get("priority"):
        qs = qs.filter(priority=f["priority"])
    if f.get("overdue"):
        qs = qs.overdue(now)
    if f.get("escalated"):
        qs = qs.escalated() if sees_internal(user) else qs.none()  # escalations are internal
    if f.get("stuck"):
        qs = qs.stuck(now) if sees_internal(user) else qs.none()  # escalations and agrees are internal
    if f.get("partnership"):
        qs = qs.filter(partnership=f["partnership"])
    # The filters that reproduce a figure of the latency analytics (``analytics_links``).
    if f.get("at_unit"):
        qs = qs.filter(org_unit=f["at_unit"])
    if f.get("decider_function"):  # who decides is internal
        qs = qs.filter(decider_function=f["decider_function"]) if sees_internal(user) else qs.none()
    if f.get("logged_within"):
        qs = qs.filter(requested_at__gte=now - timedelta(days=int(f["logged_within"])))
    if f.get("sla"):
        qs = qs.decided_within_sla(f["sla"] == "met") if sees_internal(user) else qs.none()
    return qs.order_by(*SORT_ORDERS.get(sort, SORT_ORDERS["newest"]))


def decision_page(decisions, number, *, per_page: int = 25) -> Page:
    """Page ``number`` of a ``decision_list`` selection (a bad number gives the first or last page).

    Two steps: the page's ids in the list's order from the decisions table alone, then those
    decisions with what the list shows. Sorted whole with its joined rows, a leader's selection
    made PostgreSQL join every decision in scope before keeping 25 (at 1M decisions the global
    leader's "due first" page 1.1 s, in two steps 0.21 s; docs/benchmarks.md)."""
    page = Paginator(decisions.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    rows = decisions.order_by().in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


# What the dashboard's stuck-decisions panel shows of each (``stuck_decisions(brief=True)``): its
# link and title, type name, unit code and SLA, and what ``stuck_reasons`` reads.
STUCK_BRIEF_FIELDS = ("pk", "title", "sla_due_at", "escalation_level", "decision_type__name", "org_unit__code")


def stuck_decisions(*, user: User, org_unit_id: int | None = None, partnership_id: int | None = None,
                    now: datetime | None = None, limit: int = 50, brief: bool = False) -> list[Decision]:
    """The stuck decisions ``user`` may see (``DecisionQuerySet.stuck``), under ``org_unit_id``'s
    subtree and of ``partnership_id`` when given, the earliest SLA first — the leader's dashboard,
    the region pack, the summary digest and the next review's agenda list these. One query.

    ``brief`` (the dashboard's panel): only ``STUCK_BRIEF_FIELDS`` and no decider — a statement
    PostgreSQL plans in about half the time of the full one (a join fewer; ~70 columns fewer to
    compile and read; docs/benchmarks.md, "Request cost").

    Which decisions are found first, in the panel's order (the SLA's, the index ``decision_open_sla``
    walked until ``limit`` are in scope), and only those are then read whole, with
    ``waiting_agree``: at 1M decisions, reading the whole rows and the annotation in the same
    statement had PostgreSQL decide ``waiting_agree`` for every open decision first. Planned freely,
    not in the written join order: the reader's units are a semi-join the planner must be free to
    start from (a unit with few decisions) or to test last (the top of the tree)."""
    now = now or timezone.now()
    qs = Decision.objects.restrict(user, "view")
    if partnership_id is not None:
        qs = qs.filter(partnership_id=partnership_id)
    if org_unit_id is not None:
        qs = qs.filter(org_unit__in=OrgUnit.objects.restrict(user, "view")
                       .filter(ancestor_links__ancestor_id=org_unit_id).values("pk"))
    first = qs.stuck(now).order_by("sla_due_at", "pk").values("pk")[:limit]
    found = Decision.objects.filter(pk__in=first).annotate(waiting_agree=Decision.objects.waiting_on_agree(now))
    found = (found.select_related("decision_type", "org_unit").only(*STUCK_BRIEF_FIELDS) if brief
             else found.select_related("decision_type", "org_unit", "decider"))
    return list(found.order_by("sla_due_at", "pk"))


def stuck_reasons(d: Decision, now: datetime) -> list[str]:
    """Why a decision from ``stuck_decisions`` is stuck, in words ("overdue", "escalated to L1",
    "waiting on an agree")."""
    return [w for w, yes in (("overdue", d.sla_due_at <= now),
                             (f"escalated to L{d.escalation_level}", d.escalation_level > 0),
                             ("waiting on an agree", getattr(d, "waiting_agree", False))) if yes]


def _participants(queryset):
    return queryset.select_related("user", "function", "org_unit")


def _events(queryset):
    return queryset.select_related("actor")


def _stages(queryset):
    return queryset.select_related("function", "org_unit", "partner").order_by("started_at", "stage", "pk")


# The decision page's reads by the decision's key alone, the same for every reader: compiled once
# per process (governance/prepared.py). Who may see the decision is asked after them, per request.
_DECISION = PreparedRows(lambda pk: Decision.objects.filter(pk=pk).annotate(
    is_paused=Exists(DecisionPause.objects.filter(decision=OuterRef("pk"), resumed_at__isnull=True)),
    has_pause_rules=Exists(PauseRule.objects.filter(decision_type=OuterRef("decision_type"), is_active=True)),
).select_related(
    "decision_type", "org_unit", "partnership", "requested_by", "decider", "decider_function",
    "deciding_unit", "decided_by", "matrix_version", "review",
), around=lambda using: join_order.written_join_order(using))  # planned in the written order
_CHILDREN = {
    "participants": (DecisionParticipant, _participants,
                     PreparedRows(lambda pk: _participants(DecisionParticipant.objects.filter(decision_id=pk)))),
    "events": (DecisionEvent, _events,
               PreparedRows(lambda pk: _events(DecisionEvent.objects.filter(decision_id=pk)))),
}
_STAGES = PreparedRows(lambda pk: _stages(DecisionStage.objects.filter(decision_id=pk)))


def decision_detail(*, user: User, pk: int) -> Decision:
    """One visible decision with the participants and events ``user`` may see (404 otherwise);
    ``may_change``: whether ``user`` may change it (withdraw, reopen, share), ``is_paused`` and
    ``has_pause_rules`` (its type has pause reasons).

    The decision with what it points at, and the children ``user`` sees all of
    (``sees_every_child``: participants, events, stages), are read by the decision's key with
    statements compiled once (``PreparedRows``); a partner user's participants and events, which
    have a rule of their own, through it. **Then** one scoped query asks whether ``user`` sees the
    decision, and may change it. Asked last, it sees every change of scope committed before it (a
    decision made internal, moved out of the reader's units): the page is then a 404, and
    everything it would show was read before the answer."""
    rows = _DECISION.fetch(pk)
    if not rows:
        raise Http404("No decision matches the given query.")
    decision = rows[0]
    prefetch_related_objects([decision], Prefetch("kpis", queryset=KPI.objects.restrict(user, "view")))
    for name, (model, shape, prepared) in _CHILDREN.items():
        if model.objects.sees_every_child(user):
            attach_children(decision, name, prepared.fetch(pk))
        else:  # only the rest of their rule: the decision's part is the check below
            prefetch_related_objects([decision], Prefetch(name, queryset=shape(
                model.objects.of_decisions_in_view(user, [pk]))))
    stages = _STAGES.fetch(pk) if DecisionStage.objects.sees_every_child(user) else None
    changeable = Decision.objects.restrict(user, "change").filter(pk=OuterRef("pk"))
    found = list(Decision.objects.restrict(user, "view").filter(pk=pk).annotate(may_change=Exists(changeable))
                 .values_list("may_change", flat=True))
    if not found:
        raise Http404("No decision matches the given query.")
    decision.may_change = found[0]
    if stages is not None:
        decision._stages_read_for = (user.pk, stages)  # decision_stages, for this reader only
    return decision


def decision_stages(*, decision: Decision, user: User, now: datetime | None = None) -> dict:
    """The stages panel: ``rows`` (each interval as ``user`` may see it — ``visibility.redact_stage``
    — with business seconds counted to ``now`` while open) and ``parties`` (business seconds per
    party, largest first). The intervals ``decision_detail`` read for this same reader, or else
    one query through ``restrict()``; then the calendar's holidays."""
    now = now or timezone.now()
    read = getattr(decision, "_stages_read_for", None)
    if read is not None and user.is_authenticated and read[0] == user.pk:
        found = read[1]
    else:
        found = list(_stages(DecisionStage.objects.restrict(user, "view").filter(decision=decision)))
    rows = []
    for r in stage_intervals(decision, found, now, viewer=user):
        rows.append(redact_stage({
            "stage": r.stage, "stage_label": r.get_stage_display(), "started_at": r.started_at,
            "ended_at": r.ended_at, "business_seconds": r.business_seconds, "level": r.level, "round": r.round,
            "party": {"kind": r.party_kind, "name": party_label(r), "function": r.function_id,
                      "org_unit": r.org_unit_id, "partner": r.partner_id}}, user))
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["party"]["kind"], row["party"]["name"])
        totals[key] = totals.get(key, 0) + (row["business_seconds"] or 0)
    parties = [{"kind": kind, "name": name, "business_seconds": secs}
               for (kind, name), secs in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"rows": rows, "parties": parties, "calendar": decision.decision_type.get_calendar_display()}


@dataclass
class Queue:
    to_decide: list[Decision]
    to_agree: list[Decision]
    to_input: list[Decision]
    requested: list[Decision]
    to_revise: list[Decision]  # my requests blocked by a veto: revise or withdraw

    @property
    def my_open_count(self) -> int:
        return len(self.requested) + len(self.to_revise)


def queue_for(*, user: User) -> Queue:
    """What waits on ``user``: decisions to decide, to agree to, to give input on, their own vetoed
    requests to revise or withdraw, and their other open requests.

    Planned freely, not in the written join order: each list's best plan starts from what ties it to
    ``user`` (their seats, their requests) or from the reader's units, not from the open decisions
    (at 1M decisions, written order took 271-390 ms for a regional leader's or a manager's queue,
    planned freely 16-41 ms; docs/benchmarks.md, "The queue, the same trap")."""
    base = Decision.objects.restrict(user, "view").open().select_related("decision_type", "org_unit", "decider")
    asked = DecisionParticipant.objects.filter(user=user, decision__status=DecisionStatus.OPEN)
    agree_ids = asked.filter(role=RapidRole.AGREE, agreed__isnull=True).values("decision_id")
    input_ids = asked.filter(role__in=[RapidRole.INPUT, RapidRole.RECOMMEND],
                             input_at__isnull=True).values("decision_id")
    order = ("due_at", "pk")
    mine = base.filter(requested_by=user)
    return Queue(
        to_decide=list(base.filter(decider=user).order_by(*order)[:100]),
        to_agree=list(base.filter(pk__in=agree_ids).order_by(*order)[:100]),
        to_input=list(base.filter(pk__in=input_ids).order_by(*order)[:100]),
        requested=list(mine.filter(blocked=False).order_by(*order)[:100]),
        to_revise=list(mine.filter(blocked=True).order_by(*order)[:100]),
    )


def answers_owed(*, user: User, decisions, limit: int = 20) -> list[Decision]:
    """Open decisions among ``decisions`` (already restricted to ``user``) where ``user`` still owes
    an agreement or input, each annotated ``owes_agree``/``owes_input``: the "your answer is
    needed" card of a partnership page (a partner user's portal). One query."""
    asked = DecisionParticipant.objects.filter(user=user, decision=OuterRef("pk"))
    owes_agree = Exists(asked.filter(role=RapidRole.AGREE, agreed__isnull=True))
    owes_input = Exists(asked.filter(role__in=[RapidRole.INPUT, RapidRole.RECOMMEND], input_at__isnull=True))
    return list(decisions.filter(status=DecisionStatus.OPEN)
                .annotate(owes_agree=owes_agree, owes_input=owes_input)
                .filter(Q(owes_agree=True) | Q(owes_input=True)).order_by("due_at", "pk")[:limit])


def latency_analytics(*, user: User, group_by: str = "decision_type", org_unit: OrgUnit | None = None,
                      since: datetime | None = None, now: datetime | None = None) -> dict:
    """Decision latency for the decisions ``user`` may see (optionally under ``org_unit``, logged
    since ``since``): median/p90 hours to decision, % decided within the original SLA and
    escalation rate — overall and per decision type, org unit or deciding function — and where
    decisions wait longest by stage (input, agreement, decider) and by participating function.

    Percentiles are continuous (``percentile_cont``: linear interpolation between the two nearest
    ranks). Everything is aggregated in SQL: three queries, a few rows back whatever the number of
    decisions (``tests/decisions/reference.py`` computes the same numbers the obvious way in Python
    to check them).
    """
    now = now or timezone.now()
    if group_by not in GROUPINGS:
        group_by = "decision_type"
    qs = Decision.objects.restrict(user, "view")
    if org_unit is not None:
        qs = qs.filter(org_unit__in=OrgUnit.objects.subtree_of(org_unit).values("pk"))
    if since is not None:
        qs = qs.filter(requested_at__gte=since)
    overall, table, stages, functions = _latency_sql(qs, GROUP_FIELDS[group_by], now)
    table.sort(key=lambda r: (-(r["median_hours"] or 0), r["key"]))
    functions.sort(key=lambda r: -(r["median_hours"] or 0))  # stable: ties stay by function, stage
    return {"group_by": group_by, "overall": overall, "rows": table, "stages": stages, "functions": functions}


STAGE_LABELS = {"input": "Waiting for input", "agreement": "Waiting for agreement",
                "decider": "Waiting for the decider"}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _hours_sql(expr: str) -> str:
    """SQL for an interval in hours as double precision (exact: epoch seconds of the difference)."""
    return f"(EXTRACT(EPOCH FROM {expr}) / 3600)::float8"


def _latency_sql(qs, group_fields: tuple[str, str], now: datetime) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """The scoped, filtered decisions as a CTE (the ORM builds it, so scoping
    stays ``restrict(user, "view")``), then ``COUNT(*) FILTER (…)`` and ``percentile_cont(ARRAY[0.5, 0.9])
    WITHIN GROUP (…)`` (one sort for both) per group and overall (``GROUPING SETS``), per stage and
    per (function, stage). The SQL is assembled from table names and fixed fragments; values are
    parameters."""
    q = connections[qs.db].ops.quote_name
    participant, function = q(DecisionParticipant._meta.db_table), q(Function._meta.db_table)
    base = qs.order_by().values("pk", "status", "requested_at", "decided_at", "sla_due_at", "escalation_level",
                                grp=F(group_fields[0]), label=F(group_fields[1]))
    base_sql, base_params = base.query.get_compiler(qs.db).as_sql()
    st, role = DecisionStatus, RapidRole
    # NOT MATERIALIZED: each statement below reads the base once or twice; inlining lets the
    # planner push the status filters into it and use the indexes of the scoped query.
    cte = ("WITH base (id, status, requested_at, decided_at, sla_due_at, escalation_level, grp, label) "
           f"AS NOT MATERIALIZED ({base_sql})")
    # Per decided decision: the last input (I, R) and the last agreement (A) at the logged level.
    answers = (f"answers AS (SELECT p.decision_id, MAX(p.input_at) FILTER (WHERE p.role <> %s) AS last_input, "  # noqa: S608
               "MAX(p.agreed_at) FILTER (WHERE p.role = %s AND p.agreed) AS last_agree "
               f"FROM {participant} p WHERE p.level = 0 AND p.role IN (%s, %s, %s) "
               "AND p.decision_id IN (SELECT id FROM base WHERE status = %s) GROUP BY p.decision_id)")
    answers_params = [role.AGREE, role.AGREE, role.INPUT, role.RECOMMEND, role.AGREE, st.DECIDED]

    hours = _hours_sql("decided_at - requested_at")
    groups_sql = (
        f"{cte} SELECT GROUPING(grp) = 1, grp, label, "  # noqa: S608
        "COUNT(*) FILTER (WHERE status <> %s), COUNT(*) FILTER (WHERE status = %s), "
        "COUNT(*) FILTER (WHERE status = %s), COUNT(*) FILTER (WHERE status = %s AND sla_due_at <= %s), "
        f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {hours}) FILTER (WHERE status = %s), "
        "COUNT(*) FILTER (WHERE status = %s AND decided_at <= sla_due_at), "
        "COUNT(*) FILTER (WHERE status <> %s AND escalation_level > 0) "
        "FROM base GROUP BY GROUPING SETS ((grp, label), ())"
    )
    groups_params = [*base_params, st.WITHDRAWN, st.DECIDED, st.OPEN, st.OPEN, now, st.DECIDED, st.DECIDED,
                     st.WITHDRAWN]
    waits = {"input": _hours_sql("a.last_input - d.requested_at"),
             "agreement": _hours_sql("a.last_agree - d.requested_at"),
             "decider": "GREATEST(0, "
                        + _hours_sql("d.decided_at - GREATEST(d.requested_at, a.last_input, a.last_agree)") + ")"}
    stage_sql = (
        f"{cte}, {answers} SELECT "  # noqa: S608
        + ", ".join(f"COUNT({expr}), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {expr})"
                    for expr in waits.values())
        + " FROM base d LEFT JOIN answers a ON a.decision_id = d.id WHERE d.status = %s"
    )
    stage_params = [*base_params, *answers_params, st.DECIDED]
    answered = "CASE WHEN p.role = %s THEN p.agreed_at ELSE p.input_at END"
    function_sql = (
        f"{cte} SELECT f.name, CASE WHEN p.role = %s THEN 'agreement' ELSE 'input' END AS stage, COUNT(*), "  # noqa: S608
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {_hours_sql(f'{answered} - d.requested_at')}) "
        f"FROM base d JOIN {participant} p ON p.decision_id = d.id JOIN {function} f ON f.id = p.function_id "
        "WHERE d.status = %s AND p.level = 0 AND ((p.role = %s AND p.agreed AND p.agreed_at IS NOT NULL) "
        "OR (p.role IN (%s, %s) AND p.input_at IS NOT NULL)) GROUP BY 1, 2 ORDER BY 1, 2"
    )
    function_params = [*base_params, role.AGREE, role.AGREE, st.DECIDED, role.AGREE, role.INPUT, role.RECOMMEND]
    with connections[qs.db].cursor() as cur:
        cur.execute(groups_sql, groups_params)
        group_rows = cur.fetchall()
        cur.execute(stage_sql, stage_params)
        stage_row = cur.fetchone()
        cur.execute(function_sql, function_params)
        function_rows = cur.fetchall()

    overall, table = None, []
    for total, code, key, decisions, decided, open_, overdue, pcts, within, escalated in group_rows:
        median, p90 = pcts or (None, None)
        stats = {"decisions": decisions, "decided": decided, "open": open_, "overdue": overdue,
                 "median_hours": _round(median), "p90_hours": _round(p90), "within_sla_pct": _pct(within, decided),
                 "escalation_rate_pct": _pct(escalated, decisions)}
        if total:
            overall = stats
        else:
            table.append({"key": key, "code": code, **stats})
    stages = []
    for i, stage in enumerate(waits):
        count, pcts = stage_row[2 * i], stage_row[2 * i + 1]
        median, p90 = pcts or (None, None)
        stages.append({"stage": stage, "label": STAGE_LABELS[stage], "count": count, "median_hours": _round(median),
                       "p90_hours": _round(p90)})
    functions = [{"function": f, "stage": stage, "count": n, "median_hours": _round(median)}
                 for f, stage, n, median in function_rows]
    return overall, table, stages, functions


def _round(x):
    return None if x is None else round(x, 1)


def matrix_grid(*, version: MatrixVersion | None = None) -> dict:
    """Rows (active decision types) × columns (functions) of a version's roles (default: the newest
    published version, in force or scheduled), for the editor."""
    version = version or MatrixVersion.objects.head()
    return {"version": version, "types": list(DecisionType.objects.filter(is_active=True).order_by("name")),
            "functions": list(Function.objects.order_by("code")), "cells": matrix_cells(version)}


def matrix_version_diff(before: MatrixVersion | None, after: MatrixVersion | None) -> list[dict]:
    """The cells that differ between two versions, by decision type and function code (every type,
    retired ones included: an old version may name them)."""
    changes = matrix_diff(matrix_cells(before), matrix_cells(after))
    types = DecisionType.objects.in_bulk({c["decision_type_id"] for c in changes})
    functions = Function.objects.in_bulk({c["function_id"] for c in changes})
    rows = [{"decision_type": types[c["decision_type_id"]].code, "function": functions[c["function_id"]].code,
             "before": c["before"], "after": c["after"]} for c in changes]
    return sorted(rows, key=lambda r: (r["decision_type"], r["function"]))


def forum_list(*, user: User, now: datetime | None = None) -> list[dict]:
    """The forums ``user`` may see (internal users, their units' forums), each with its next meeting
    and how many open decisions on its agenda they may see (the agenda page lists the same)."""
    now = now or timezone.now()
    forums = list(Forum.objects.restrict(user, "view").active().select_related("org_unit", "chair_function")
                  .annotate(queued=Count("agenda_items", filter=Q(
                      agenda_items__closed_at__isnull=True, agenda_items__decision__status="open",
                      agenda_items__decision__in=Decision.objects.restrict(user, "view").values("pk")))))
    ahead = next_meetings([f.pk for f in forums], now)
    return [{"forum": f, "next_meeting": ahead.get(f.pk), "queued": f.queued} for f in forums]


def forum_agenda(*, user: User, pk: int, now: datetime | None = None) -> dict:
    """A forum's agenda as ``user`` may see it (404 outside ``restrict(user, "view")``, and for
    partner users always): its next meetings and, per meeting, the open decisions queued for it, each
    with its waiting time by party — the stored stage intervals (``DecisionStage``), open ones
    counted up to ``now`` on the decision's SLA calendar, summed per party, largest first."""
    now = now or timezone.now()
    forum = get_object_or_404(Forum.objects.restrict(user, "view").select_related("org_unit", "chair_function")
                              .prefetch_related("exceptions"), pk=pk)
    items = list(AgendaItem.objects.restrict(user, "view")
                 .filter(forum=forum, closed_at__isnull=True, decision__status=DecisionStatus.OPEN)
                 .select_related("decision__decision_type", "decision__org_unit", "decision__decider", "queued_by")
                 .order_by("meeting_at", "queued_at", "pk"))
    decisions = {i.decision_id: i.decision for i in items}
    stages = list(DecisionStage.objects.restrict(user, "view").filter(decision_id__in=decisions)
                  .select_related("function", "org_unit", "partner"))
    holidays = holidays_by_unit({d.org_unit_id for d in decisions.values() if d.decision_type.calendar == "business"})
    waiting: dict[int, dict[str, int]] = {}
    for r in stages:
        d = decisions[r.decision_id]
        seconds = r.business_seconds if r.ended_at is not None else seconds_on_calendar(
            r.started_at, now, {"calendar": d.decision_type.calendar, "tz": d.org_unit.timezone,
                                "org_unit_id": d.org_unit_id}, holidays)
        parties = waiting.setdefault(r.decision_id, {})
        parties[party_label(r)] = parties.get(party_label(r), 0) + (seconds or 0)
    by_meeting: dict[datetime, list[dict]] = {}
    for i in items:
        by_meeting.setdefault(i.meeting_at, []).append({
            "item": i, "decision": i.decision,
            "parties": sorted(waiting.get(i.decision_id, {}).items(), key=lambda kv: (-kv[1], kv[0]))})
    local = now.astimezone(ZoneInfo(forum.org_unit.timezone)).date()
    upcoming = [m for m in meetings(forum, local, local + timedelta(days=120), list(forum.exceptions.all()))
                if m > now][:4]
    cancelled = [e for e in forum.exceptions.all() if e.date >= local]
    return {"forum": forum, "now": now, "upcoming": upcoming, "cancelled": cancelled,
            "meetings": sorted(by_meeting.items()), "count": len(items)}


def review_decisions(*, user: User, review) -> list[Decision]:
    """The decisions taken in a business review that ``user`` may see (a partner user: those shared
    with them), in the order they were logged."""
    return list(Decision.objects.restrict(user, "view").filter(review=review)
                .select_related("decision_type", "org_unit", "decider").order_by("requested_at", "pk"))


def review_log_unit(*, user: User, review) -> int | None:
    """The org unit a decision logged from ``review`` starts at: of the partnership's org units the
    user may log decisions in, one they hold an assignment at, else the first by code."""
    units = list(OrgUnit.objects.restrict(user, "log").filter(partnerships=review.partnership_id)
                 .order_by("code").values_list("pk", flat=True))
    own = set(assignment_unit_ids(user))
    return next((u for u in units if u in own), units[0] if units else None)
