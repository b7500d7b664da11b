"""Documents built from what a page's selector returns — the same call the page makes, so an
export holds the figures on screen and nothing the page would not show:

* ``dashboard_document``: ``kpis.selectors.dashboard`` (heat-map, tiles, scorecards, coverage);
* ``kpi_document``: ``kpis.selectors.kpi_detail`` (trend, children, partnerships);
* ``partnership_scorecard_document``: ``kpis.selectors.partnership_kpi_cells``;
* ``latency_document``: ``decisions.selectors.latency_analytics``;
* ``decision_list_document``: ``decisions.selectors.decision_list`` with the list's filters,
  each row passed through ``decisions.visibility.redact_decision`` (partner users get the
  columns their list shows, redacted the same way);
* ``forum_agenda_document``: ``decisions.selectors.forum_agenda`` (internal users only).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from decisions.models import DecisionState
from decisions.visibility import redact_decision, sees_internal
from governance.timezones import format_instant
from kpis.selectors import Dashboard, KPIDetail
from kpis.values import display_scale, value_formatter
from reports.document import Column, Document, Fig, Table

MAX_DECISION_ROWS = 5000  # a list export larger than this says so and holds the first rows


def _who(user) -> str:
    return user.get_full_name() or user.username


def _confidential(user) -> str:
    return "Internal · confidential" if sees_internal(user) else "Shared with the partner"


def kpi_fig(kpi, value) -> Fig:
    """A KPI figure: the number in the unit of the KPI's ``Unit`` column (ratio KPIs in % scaled
    to percent, as shown) and the text the page shows."""
    number = None if value is None else float(value) * display_scale(kpi)
    return Fig(number, value_formatter(kpi)(value))


def _unit_label(kpi) -> str:
    return kpi.unit or ""


def _cell_figures(kpi, cell) -> list:
    if cell is None:
        return [kpi_fig(kpi, None), kpi_fig(kpi, None), None, None]
    return [kpi_fig(kpi, cell.actual), kpi_fig(kpi, cell.target),
            None if cell.attainment is None else float(cell.attainment), cell.rag or "none"]


FIGURE_COLUMNS = [Column("Actual", "number", 12), Column("Target", "number", 12), Column("Attainment", "fraction", 11),
                  Column("Status", "rag", 24)]


def dashboard_document(user, d: Dashboard) -> Document:
    unit = d.scope.unit
    heat = Table("Heat-map", [Column("KPI code", width=12), Column("KPI", width=30), Column("Category", width=12),
                              Column("Unit of measure", width=10), Column("Org unit code", width=10),
                              Column("Org unit", width=20), *FIGURE_COLUMNS,
                              Column("Units reported", "number", 9), Column("Units expected", "number", 9)])
    for row in d.rows:
        k = row.kpi
        for u, cell in [(unit, row.cell), *zip(d.scope.children, row.children, strict=True)]:
            reported = [cell.reporting, cell.expected] if cell is not None else [None, None]
            heat.rows.append([k.code, k.name, k.get_category_display(), _unit_label(k), u.code,
                              u.name + (" (total)" if u is unit else ""), *_cell_figures(k, cell), *reported])
    tiles = Table("Shared KPIs, most off-target first", [
        Column("KPI code", width=12), Column("KPI", width=30), Column("Unit of measure", width=10), *FIGURE_COLUMNS,
        Column("Function co-owners", width=30), Column("Partnership co-owners", width=30)], sheet="Shared KPIs")
    for t in d.tiles:
        partners = ", ".join(p.name for p in t.partners) + (f" +{t.more_partners} more" if t.more_partners else "")
        tiles.rows.append([t.kpi.code, t.kpi.name, _unit_label(t.kpi), *_cell_figures(t.kpi, t.cell),
                           ", ".join(f.name for f in t.functions), partners])
    functions = Table("Function scorecards", _card_columns("Function"))
    functions.rows = [[c.owner.name, *_card_figures(c)] for c in d.function_cards]
    partners = Table("Partner scorecards", [Column("Partnership", width=28), Column("Partner", width=24),
                                            *_card_columns(None)])
    partners.rows = [[c.owner.name, c.owner.partner.name, *_card_figures(c)] for c in d.partners.cards]
    if not d.partners.ranked:
        partners.note = f"{d.partners.working} partnerships work in {unit.name}: too many to rank here."
    elif d.partners.more:
        partners.note = f"The weakest {len(d.partners.cards)} of {d.partners.reporting} partnerships that reported."
    gaps = Table("Coverage warnings", [Column("KPI code", width=12), Column("KPI", width=30),
                                       Column("Units reported", "number"), Column("Units expected", "number")])
    gaps.rows = [[r.kpi.code, r.kpi.name, r.cell.reporting, r.cell.expected] for r in d.gaps]
    return Document(
        title=f"{unit.name} · shared KPIs", subtitle=f"{unit.name} ({unit.code}) · {d.label}",
        filename=f"accord-dashboard-{unit.code}-{d.period:%Y-%m}-{d.grain}",
        tables=[heat, tiles, functions, partners, gaps], generated_at=timezone.now(), generated_for=_who(user),
        intro=[("Scope", f"{unit.name} ({unit.get_level_display()})"), ("Period", d.label),
               ("On target", str(d.counts["green"])), ("Within tolerance", str(d.counts["amber"])),
               ("Off target", str(d.counts["red"])), ("No data", str(d.counts["none"]))],
        confidential=_confidential(user))


def _card_columns(owner_label: str | None) -> list[Column]:
    first = [Column(owner_label, width=28)] if owner_label else []
    return [*first, Column("KPIs", "number", 8), Column("Weighted attainment", "fraction", 12),
            Column("Status", "rag", 24), Column("Red KPIs", "number", 8), Column("KPIs without data", "number", 10)]


def _card_figures(card) -> list:
    return [card.kpis, None if card.score is None else float(card.score), card.status, card.counts["red"],
            card.missing]


def kpi_document(user, kpi, detail: KPIDetail) -> Document:
    unit = detail.scope.unit
    trend = Table(f"Trend at {unit.name}, 24 months", [Column("Month", width=10), *FIGURE_COLUMNS], sheet="Trend")
    trend.rows = [[f"{m:%Y-%m}", *_cell_figures(kpi, c)] for m, c in zip(detail.months, detail.series, strict=True)]
    children = Table(f"Units below {unit.name} · {detail.period:%B %Y}",
                     [Column("Org unit code", width=12), Column("Org unit", width=24), *FIGURE_COLUMNS],
                     sheet="Units below")
    children.rows = [[u.code, u.name, *_cell_figures(kpi, c)] for u, c in detail.children]
    partners = Table(f"Partnerships at {unit.name} · {detail.period:%B %Y}",
                     [Column("Partnership", width=28), *FIGURE_COLUMNS], sheet="Partnerships")
    partners.rows = [[p.name, *_cell_figures(kpi, c)] for p, c in detail.partners]
    return Document(
        title=f"{kpi.name} ({kpi.code})", subtitle=f"{unit.name} ({unit.code}) · {detail.period:%B %Y}",
        filename=f"accord-kpi-{kpi.code}-{unit.code}-{detail.period:%Y-%m}", tables=[trend, children, partners],
        generated_at=timezone.now(), generated_for=_who(user),
        intro=[("Unit of measure", kpi.unit or "—"), ("Better when", "lower" if kpi.direction == "lower" else "higher"),
               ("Aggregation", kpi.get_aggregation_display())], confidential=_confidential(user))


def partnership_scorecard_document(user, partnership, items) -> Document:
    table = Table("Shared KPIs", [Column("KPI code", width=12), Column("KPI", width=30),
                                  Column("Unit of measure", width=10), Column("Month", width=10),
                                  Column("Org unit", width=10), *FIGURE_COLUMNS], sheet="Scorecard")
    for kpi, cell in items:
        table.rows.append([kpi.code, kpi.name, _unit_label(kpi), f"{cell.period:%Y-%m}" if cell else None,
                           cell.org_unit.code if cell else None, *_cell_figures(kpi, cell)])
    return Document(
        title=f"{partnership.name} · scorecard", subtitle=f"{partnership.partner.name} · latest month per KPI",
        filename=f"accord-scorecard-partnership-{partnership.pk}", tables=[table], generated_at=timezone.now(),
        generated_for=_who(user), confidential=_confidential(user))


LATENCY_COLUMNS = [Column("Decisions", "number", 10), Column("Decided", "number", 9),
                   Column("Median to decision (h)", "hours", 12), Column("p90 to decision (h)", "hours", 12),
                   Column("Within SLA (%)", "percent", 10), Column("Escalation rate (%)", "percent", 10),
                   Column("Open", "number", 8), Column("Overdue", "number", 8)]


def _latency_figures(stats: dict) -> list:
    return [stats["decisions"], stats["decided"], stats["median_hours"], stats["p90_hours"], stats["within_sla_pct"],
            stats["escalation_rate_pct"], stats["open"], stats["overdue"]]


def latency_document(user, data: dict, *, grouping_label: str, unit, period_label: str) -> Document:
    overall = Table("Overall", [Column("Scope", width=24), *LATENCY_COLUMNS])
    if data["overall"]:
        overall.rows = [[unit.name if unit else "All my scope", *_latency_figures(data["overall"])]]
    groups = Table(f"By {grouping_label.lower()}", [Column(grouping_label, width=30), *LATENCY_COLUMNS])
    groups.rows = [[r["key"] or "—", *_latency_figures(r)] for r in data["rows"]]
    stages = Table("Where decisions wait", [Column("Stage", width=26), Column("Decisions", "number"),
                                            Column("Median (h)", "hours"), Column("p90 (h)", "hours")])
    stages.rows = [[s["label"], s["count"], s["median_hours"], s["p90_hours"]] for s in data["stages"]]
    functions = Table("Slowest responders by function", [Column("Function", width=24), Column("Stage", width=12),
                                                         Column("Median (h)", "hours"), Column("Answers", "number")],
                      sheet="By function")
    functions.rows = [[f["function"], f["stage"], f["median_hours"], f["count"]] for f in data["functions"]]
    scope = unit.name if unit else "All my scope"
    return Document(
        title="Decision latency", subtitle=f"{scope} · {period_label} · by {grouping_label.lower()}",
        filename=f"accord-latency-{unit.code if unit else 'all'}-{data['group_by']}",
        tables=[overall, groups, stages, functions], generated_at=timezone.now(), generated_for=_who(user),
        intro=[("Scope", scope), ("Period", period_label), ("Durations", "hours, requested to decided")],
        confidential=_confidential(user))


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else timezone.localtime(dt)


def decision_row(decision, viewer, now: datetime) -> dict:
    """One decision as the list shows it, redacted for ``viewer`` (``redact_decision``)."""
    data = {
        "id": decision.pk, "title": decision.title, "decision_type": decision.decision_type.name,
        "org_unit": decision.org_unit.code, "partnership": decision.partnership.name if decision.partnership else "",
        "priority": decision.get_priority_display(), "state": decision.state, "status": decision.status,
        "escalation_level": decision.escalation_level,
        "decider": (decision.decider.get_full_name() or decision.decider.username) if decision.decider else "",
        "requested_at": decision.requested_at, "sla_due_at": decision.sla_due_at, "decided_at": decision.decided_at,
        "overdue": decision.is_overdue(now),
    }
    return redact_decision(data, viewer)


def decision_list_document(user, qs, *, filters_label: str, now: datetime | None = None) -> Document:
    """The list's selection (``qs`` from ``decisions.selectors.decision_list``), first
    ``MAX_DECISION_ROWS`` rows, in the list's order."""
    now = now or timezone.now()
    internal = sees_internal(user)
    columns = [Column("ID", "number", 7), Column("Title", width=40), Column("Type", width=24),
               Column("Org unit", width=9), Column("Partnership", width=22), Column("Priority", width=9),
               Column("State" if internal else "Status", width=16)]
    if internal:
        columns += [Column("Escalation level", "number", 9), Column("Decider", width=20)]
    columns += [Column("Requested", "datetime", 16), Column("SLA due", "datetime", 16),
                Column("Decided", "datetime", 16), Column("Overdue", width=8)]
    table = Table("Decisions", columns)
    total = qs.count()
    state_labels = dict(DecisionState.choices)
    for d in qs[:MAX_DECISION_ROWS]:
        r = decision_row(d, user, now)
        state = r["state"] if internal else r["status"]
        row = [r["id"], r["title"], r["decision_type"], r["org_unit"], r["partnership"], r["priority"],
               state_labels.get(state, state)]
        if internal:
            row += [r["escalation_level"], r["decider"]]
        row += [_local(r["requested_at"]), _local(r["sla_due_at"]), _local(r["decided_at"]),
                "yes" if r["overdue"] else "no"]
        table.rows.append(row)
    if total > MAX_DECISION_ROWS:
        table.note = f"The first {MAX_DECISION_ROWS:,} of {total:,} decisions; narrow the filters for the rest."
    return Document(
        title="Decisions", subtitle=filters_label, filename=f"accord-decisions-{now:%Y%m%d}", tables=[table],
        generated_at=now, generated_for=_who(user),
        intro=[("Decisions", f"{total:,}"), ("Times", str(timezone.get_current_timezone()))],
        confidential=_confidential(user))


def forum_agenda_document(user, agenda: dict) -> Document:
    """A forum's agenda (``decisions.selectors.forum_agenda``): one table per meeting with the
    decisions queued for it and whom each waited on, then every (decision, party) as a number."""
    forum = agenda["forum"]
    tables, parties = [], Table("Waiting by party", [Column("Meeting", width=22), Column("Decision", width=40),
                                                     Column("Party", width=30), Column("Waiting (h)", "hours")])
    for meeting_at, rows in agenda["meetings"]:
        meeting = format_instant(meeting_at)
        table = Table(f"Meeting of {meeting}", [
            Column("ID", "number", 7), Column("Decision", width=40), Column("Type", width=24),
            Column("Org unit", width=16), Column("Why", width=22), Column("Queued", "datetime", 18),
            Column("Waiting by party (business time)", width=60)], sheet=f"Meeting {meeting_at:%Y-%m-%d}")
        for row in rows:
            d, item = row["decision"], row["item"]
            table.rows.append([d.pk, d.title, d.decision_type.name, d.org_unit.name,
                               item.get_reason_display() + (f" (carried over ×{item.rolls})" if item.rolls else ""),
                               _local(item.queued_at),
                               "; ".join(f"{name} {secs / 3600:.1f} h" for name, secs in row["parties"]) or "—"])
            parties.rows.extend([meeting, d.title, name, round(secs / 3600, 2)] for name, secs in row["parties"])
        tables.append(table)
    if not tables:
        tables.append(Table("Agenda", [Column("Decision", width=40)], note="Nothing is queued for this forum."))
    upcoming = ", ".join(format_instant(m) for m in agenda["upcoming"]) or "none scheduled"
    return Document(
        title=f"{forum.name} · agenda", subtitle=f"{forum.org_unit.name} · next meetings: {upcoming}",
        filename=f"accord-forum-{forum.pk}-agenda", tables=[*tables, parties] if parties.rows else tables,
        generated_at=timezone.now(), generated_for=_who(user),
        intro=[("Forum", forum.name), ("Org unit", forum.org_unit.name), ("Decisions queued", str(agenda["count"])),
               ("Waiting", "business time on each decision's SLA calendar, per party it waited on")],
        confidential=_confidential(user))
