"""What goes into a partnership briefing book and a region pack, read in the requester's scope
through the pages' selectors and ``restrict(user, "view")``, and turned into ``Document`` tables.

The **shared** version of a briefing book (what the partner user downloads) is built from the
same reads narrowed to what the partner may see, field by field as ``decisions/visibility.py``
says: only decisions shared with the partner, redacted (no people, escalation path, options or
rationale unless shared); scorecard, actions and maturity of their own partnership, which the
partnership page shows them too. No internal-only table is added to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from decisions.models import Decision, DecisionState
from decisions.selectors import latency_analytics, stuck_decisions, stuck_reasons
from decisions.visibility import INTERNAL_ACTOR, Visibility, redact_decision
from governance.models import OrgUnit
from governance.periods import month_shift
from kpis import selectors as kpi_selectors
from kpis.models import Grain, ScorecardCell
from partners.models import (
    ActionStatus,
    BusinessReview,
    MaturityAssessment,
    Partnership,
    ReviewAction,
    ReviewStatus,
)
from partners.selectors import maturity_from
from reports.builders import FIGURE_COLUMNS, _card_columns, _card_figures, _cell_figures, kpi_fig, latency_document
from reports.document import Column, Document, Fig, Table

UPCOMING_DAYS = 30
TREND_MONTHS = 6
WORST_KPIS = 10


class PartnerAudience:
    """The reader of a shared version: a partner user of the partnership (``is_partner``), no one
    in particular — ``redact_decision`` then hides what any partner user may not see."""

    is_partner = True
    pk = None


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 86400, 1)


def review_window(review: BusinessReview | None, partnership: Partnership, today: date) -> tuple[date, date]:
    """From the previous held review of the partnership (or 90 days back) to the review's date (or today)."""
    as_of = review.date if review else today
    previous = (BusinessReview.objects.filter(partnership=partnership, status=ReviewStatus.HELD, date__lt=as_of)
                .exclude(pk=getattr(review, "pk", None)).order_by("-date").values_list("date", flat=True).first())
    return previous or as_of - timedelta(days=90), as_of


def sparkline(values: list[float | None], targets: list[float | None]) -> str:
    """A 70×22 inline SVG: actual (solid) and target (dashed), the axis fitted to the data."""
    points = [v for v in values + targets if v is not None]
    if len(points) < 2:
        return "—"
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0
    step = 70 / max(len(values) - 1, 1)

    def line(series):
        return " ".join(f"{i * step:.1f},{20 - (v - lo) / span * 18:.1f}"
                        for i, v in enumerate(series) if v is not None)

    return ('<svg width="70" height="22" viewBox="0 0 70 22" role="img" aria-label="trend">'
            f'<polyline fill="none" stroke="#888" stroke-dasharray="3 2" stroke-width="1" points="{line(targets)}"/>'
            f'<polyline fill="none" stroke="#0072b2" stroke-width="1.6" points="{line(values)}"/></svg>')


def _delta(kpi, now, before) -> Fig:
    """The change of a KPI figure, signed, in the KPI's display unit (as ``kpi_fig``)."""
    if now is None or before is None:
        return Fig(None, "—")
    value = float(now) - float(before)
    return Fig(kpi_fig(kpi, value).value, ("+" if value >= 0 else "−") + kpi_fig(kpi, abs(value)).text)


@dataclass
class Scorecard:
    rows: list[list]
    trend_rows: list[list]


def partnership_scorecard(reader, partnership: Partnership) -> Scorecard:
    """The partnership's shared KPIs: latest month (``partnership_kpi_cells``, as its page shows)
    with target, RAG, change against the prior month and the same month last year, and a 6-month
    trend — the trend and deltas read in one more query of the same cells."""
    items = kpi_selectors.partnership_kpi_cells(reader, partnership)
    latest = [(k, c) for k, c in items if c is not None]
    history: dict[tuple[int, int], dict[date, ScorecardCell]] = {}
    if latest:
        oldest = min(month_shift(c.period, -12) for _, c in latest)
        for cell in ScorecardCell.objects.restrict(reader, "view").filter(
                partnership_key=partnership.pk, grain=Grain.MONTH, period__gte=oldest,
                kpi__in=[k.pk for k, _ in latest], org_unit__in={c.org_unit_id for _, c in latest}):
            history.setdefault((cell.kpi_id, cell.org_unit_id), {})[cell.period] = cell
    rows, trend_rows = [], []
    for kpi, cell in items:
        if cell is None:
            rows.append([kpi.code, kpi.name, kpi.unit or "", None, None, *_cell_figures(kpi, None), Fig(None, "—"),
                         Fig(None, "—"), "—"])
            continue
        past = history.get((kpi.pk, cell.org_unit_id), {})
        prior = past.get(month_shift(cell.period, -1))
        last_year = past.get(month_shift(cell.period, -12))
        months = [month_shift(cell.period, i - TREND_MONTHS + 1) for i in range(TREND_MONTHS)]
        scale = kpi_fig(kpi, 1).value or 1
        actuals = [float(past[m].actual) * scale if m in past and past[m].actual is not None else None for m in months]
        targets = [float(past[m].target) * scale if m in past and past[m].target is not None else None for m in months]
        rows.append([kpi.code, kpi.name, kpi.unit or "", f"{cell.period:%Y-%m}", cell.org_unit.code,
                     *_cell_figures(kpi, cell), _delta(kpi, cell.actual, prior and prior.actual),
                     _delta(kpi, cell.actual, last_year and last_year.actual), Fig(None, sparkline(actuals, targets))])
        for m in months:
            c = past.get(m)
            trend_rows.append([kpi.code, f"{m:%Y-%m}", *_cell_figures(kpi, c)])
    return Scorecard(rows=rows, trend_rows=trend_rows)


SCORECARD_COLUMNS = [Column("KPI code", width=12), Column("KPI", width=28), Column("Unit of measure", width=9),
                     Column("Month", width=9), Column("Org unit", width=9), *FIGURE_COLUMNS,
                     Column("Change vs prior month", "number", 12),
                     Column("Change vs same month last year", "number", 12),
                     Column("Trend (6 months)", "svg", media="pdf")]


def decisions_since(reader, partnership: Partnership, since: date, as_of: date, *, shared_only: bool):
    """The partnership's decisions decided in [since, as_of] and those still open, newest first."""
    qs = Decision.objects.restrict(reader, "view").filter(partnership=partnership).select_related(
        "decision_type", "org_unit", "decider")
    if shared_only:
        qs = qs.filter(visibility=Visibility.SHARED)
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), datetime.min.time()))
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    taken = list(qs.filter(status="decided", decided_at__gte=start, decided_at__lt=end).order_by("-decided_at")[:200])
    pending = list(qs.filter(status="open").order_by("sla_due_at")[:200])
    return taken, pending


def _decision_tables(taken, pending, viewer, now: datetime, *, internal: bool) -> list[Table]:
    taken_cols = [Column("ID", "number", 7), Column("Decision", width=40), Column("Type", width=24),
                  Column("Org unit", width=9), Column("Requested", "date", 12), Column("Decided", "date", 12),
                  Column("Latency (days)", "days", 10), Column("Within SLA", width=9)]
    pending_cols = [Column("ID", "number", 7), Column("Decision", width=40), Column("Type", width=24),
                    Column("Org unit", width=9), Column("Requested", "date", 12), Column("SLA due", "date", 12),
                    Column("Waiting (days)", "days", 10), Column("Overdue", width=8)]
    if internal:
        taken_cols += [Column("Decider", width=20), Column("Escalation level", "number", 9)]
        pending_cols += [Column("State", width=16), Column("Decider", width=20),
                         Column("Escalation level", "number", 9)]
    taken_t = Table("Decisions taken since the last review", taken_cols, sheet="Decisions taken")
    for d in taken:
        r = _decision_data(d, viewer)
        row = [r["id"], r["title"], r["decision_type"], r["org_unit"], _local_date(r["requested_at"]),
               _local_date(r["decided_at"]), _days(r["requested_at"], r["decided_at"]),
               "yes" if r["decided_at"] <= r["sla_due_at"] else "no"]
        if internal:
            row += [r["decider"], r["escalation_level"]]
        taken_t.rows.append(row)
    pending_t = Table("Decisions pending", pending_cols)
    for d in pending:
        r = _decision_data(d, viewer)
        row = [r["id"], r["title"], r["decision_type"], r["org_unit"], _local_date(r["requested_at"]),
               _local_date(r["sla_due_at"]), _days(r["requested_at"], now), "yes" if r["sla_due_at"] <= now else "no"]
        if internal:
            row += [DecisionState(r["state"]).label, r["decider"], r["escalation_level"]]
        pending_t.rows.append(row)
    return [taken_t, pending_t]


def _decision_data(d: Decision, viewer) -> dict:
    data = {"id": d.pk, "title": d.title, "decision_type": d.decision_type.name, "org_unit": d.org_unit.code,
            "requested_at": d.requested_at, "decided_at": d.decided_at, "sla_due_at": d.sla_due_at, "state": d.state,
            "decider": (d.decider.get_full_name() or d.decider.username) if d.decider else "",
            "escalation_level": d.escalation_level}
    return redact_decision(data, viewer)


def _local_date(dt: datetime | None) -> date | None:
    return None if dt is None else timezone.localtime(dt).date()


def action_tables(reader, partnership: Partnership, as_of: date, *, shared: bool) -> list[Table]:
    """Open actions overdue at ``as_of`` and due in the next ``UPCOMING_DAYS``. The shared version
    names partner owners only; internal owners read "Internal team"."""
    actions = list(ReviewAction.objects.restrict(reader, "view").filter(partnership=partnership,
                                                                        status=ActionStatus.OPEN)
                   .select_related("owner", "review").order_by("due_date", "pk")[:300])
    cols = [Column("Action", width=40), Column("Owner", width=22), Column("Due", "date", 12),
            Column("From review", width=28)]
    overdue = Table("Overdue actions", [*cols, Column("Days overdue", "number", 9)])
    upcoming = Table(f"Actions due in the next {UPCOMING_DAYS} days", cols, sheet="Upcoming actions")
    for a in actions:
        owner = a.owner.get_full_name() or a.owner.username
        if shared and not a.owner.is_partner:
            owner = INTERNAL_ACTOR
        base = [a.title, owner, a.due_date,
                a.review.title or f"{a.review.get_kind_display()} {a.review.date:%d %b %Y}"]
        if a.due_date < as_of:
            overdue.rows.append([*base, (as_of - a.due_date).days])
        elif a.due_date <= as_of + timedelta(days=UPCOMING_DAYS):
            upcoming.rows.append(base)
    return [overdue, upcoming]


def radar_svg(dimensions) -> str:
    """The maturity radar (1–5 per dimension), internal view solid blue, partner view dashed
    orange — told apart by line style and the legend, not colour alone."""
    size, centre, radius = 360, 180, 100
    n = len(dimensions)

    def point(i, score):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * (score or 0) / 5
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    parts = [f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" aria-label="Maturity radar">']
    for level in range(1, 6):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="#ccc" stroke-width="0.6"/>')
    for i, d in enumerate(dimensions):
        x, y = point(i, 5.9)
        parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="8" text-anchor="middle">{d.label}</text>')
    for attr, colour, dash in (("internal", "#0072b2", ""), ("partner", "#e69f00", ' stroke-dasharray="5 3"')):
        scores = [getattr(d, attr) for d in dimensions]
        if all(s is not None for s in scores):
            poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, s) for i, s in enumerate(scores)))
            parts.append(f'<polygon points="{poly}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    parts.append("</svg>")
    return "".join(parts)


def maturity_table(reader, partnership: Partnership):
    maturity = maturity_from(list(MaturityAssessment.objects.restrict(reader, "view").filter(partnership=partnership)))
    table = Table("Maturity by dimension", [Column("Dimension", width=28), Column("Internal view", "number", 10),
                                            Column("Partner view", "number", 10),
                                            Column("Gap (internal − partner)", "number", 12)], sheet="Maturity")
    table.rows = [[d.label, d.internal, d.partner, d.gap] for d in maturity.dimensions]
    return maturity, table


@dataclass
class BookVersion:
    document: Document
    cover: list[tuple[str, str]]
    radar: str = ""
    maturity_line: str = ""
    extra: dict = field(default_factory=dict)


def partnership_book(reader, partnership: Partnership, review: BusinessReview | None, *, shared: bool,
                     now: datetime) -> BookVersion:
    """One version of a partnership's briefing book: ``shared`` is what its partner user gets."""
    since, as_of = review_window(review, partnership, timezone.localdate(now))
    viewer = PartnerAudience() if shared else reader
    scorecard = partnership_scorecard(reader, partnership)
    score_t = Table("Scorecard: shared KPIs with trends and targets", SCORECARD_COLUMNS, scorecard.rows,
                    sheet="Scorecard")
    trend_t = Table("KPI trend by month", [Column(c.label, c.kind, c.width, media="xlsx") for c in
                                           [Column("KPI code", width=12), Column("Month", width=9), *FIGURE_COLUMNS]],
                    scorecard.trend_rows, sheet="Trend")  # the PDF draws it in the scorecard's sparklines
    taken, pending = decisions_since(reader, partnership, since, as_of, shared_only=shared)
    tables = [score_t, *_decision_tables(taken, pending, viewer, now, internal=not shared),
              *action_tables(reader, partnership, as_of, shared=shared)]
    maturity, maturity_t = maturity_table(reader, partnership)
    tables.append(maturity_t)
    tables.append(trend_t)
    audience = f"Shared with {partnership.partner.name}" if shared else "Internal · confidential"
    subject = (review.title or f"{review.get_kind_display()} {review.date:%d %b %Y}") if review else "Briefing"
    doc = Document(title=f"{partnership.name} · briefing book", subtitle=f"{subject} · since {since:%d %b %Y}",
                   filename=f"accord-briefing-{partnership.pk}-{as_of:%Y%m%d}-{'shared' if shared else 'internal'}",
                   tables=tables, generated_at=now, confidential=audience,
                   intro=[("Partner", partnership.partner.name), ("Since the last review", f"{since:%d %b %Y}"),
                          ("As of", f"{as_of:%d %b %Y}")])
    cover = [("Partner", partnership.partner.name), ("Partnership type", partnership.get_type_display()),
             ("Review", subject), ("Covers", f"{since:%d %b %Y} – {as_of:%d %b %Y}"),
             ("Decisions taken · pending", f"{len(taken)} · {len(pending)}"),
             ("Overdue actions", str(len(tables[3].rows))),
             ("Maturity", f"level {maturity.level} · {maturity.level_name}" if maturity.level else "not assessed")]
    return BookVersion(document=doc, cover=cover, radar=radar_svg(maturity.dimensions),
                       maturity_line=f"Largest gap between the two views: {maturity.max_abs_gap}"
                       if maturity.max_abs_gap is not None else "")


# --- region pack -------------------------------------------------------------------------------


def region_pack(reader, unit_code: str, *, now: datetime) -> Document:
    """A leader's region pack: the unit's scorecards (the dashboard's), its worst KPIs, stuck
    decisions and latency by deciding function over the last 90 days."""
    d = kpi_selectors.dashboard(reader, unit_code=unit_code, period=None, grain=Grain.MONTH)
    unit = d.scope.unit
    functions = Table("Function scorecards", _card_columns("Function"))
    functions.rows = [[c.owner.name, *_card_figures(c)] for c in d.function_cards]
    partners = Table("Partner scorecards", [Column("Partnership", width=28), Column("Partner", width=24),
                                            *_card_columns(None)])
    partners.rows = [[c.owner.name, c.owner.partner.name, *_card_figures(c)] for c in d.partners.cards]
    ranked = sorted((r for r in d.rows if r.cell is not None and r.cell.attainment is not None),
                    key=lambda r: (r.cell.attainment, r.kpi.name))[:WORST_KPIS]
    worst = Table(f"Worst {WORST_KPIS} KPIs by attainment", [Column("KPI code", width=12), Column("KPI", width=30),
                                                              Column("Unit of measure", width=9), *FIGURE_COLUMNS],
                  sheet="Worst KPIs")
    worst.rows = [[r.kpi.code, r.kpi.name, r.kpi.unit or "", *_cell_figures(r.kpi, r.cell)] for r in ranked]
    stuck = Table("Stuck decisions", [Column("ID", "number", 7), Column("Decision", width=40), Column("Type", width=24),
                                      Column("Org unit", width=9), Column("Why stuck", width=28),
                                      Column("SLA due", "date", 12), Column("Decider", width=20)])
    for dec in stuck_decisions(user=reader, org_unit_id=unit.pk, now=now):
        why = ", ".join(stuck_reasons(dec, now))
        stuck.rows.append([dec.pk, dec.title, dec.decision_type.name, dec.org_unit.code, why,
                           _local_date(dec.sla_due_at), dec.decider.get_full_name() or dec.decider.username])
    unit_obj = OrgUnit.objects.restrict(reader, "view").get(pk=unit.pk)
    latency = latency_analytics(user=reader, group_by="function", org_unit=unit_obj, since=now - timedelta(days=90))
    lat_doc = latency_document(reader, latency, grouping_label="Deciding function", unit=unit_obj,
                               period_label="Last 90 days")
    by_function = lat_doc.tables[1]
    by_function.title = "Decision latency by deciding function · last 90 days"
    by_function.sheet = "Latency by function"
    heat = Table("Shared KPIs at the unit", [Column("KPI code", width=12), Column("KPI", width=30),
                                             Column("Unit of measure", width=9), *FIGURE_COLUMNS], sheet="KPIs")
    heat.rows = [[r.kpi.code, r.kpi.name, r.kpi.unit or "", *_cell_figures(r.kpi, r.cell)] for r in d.rows]
    return Document(title=f"{unit.name} · region pack", subtitle=f"{unit.name} ({unit.code}) · {d.label}",
                    filename=f"accord-region-pack-{unit.code}-{d.period:%Y-%m}",
                    tables=[functions, partners, worst, stuck, by_function, heat], generated_at=now,
                    generated_for=reader.get_full_name() or reader.username, confidential="Internal · confidential",
                    intro=[("Scope", f"{unit.name} ({unit.get_level_display()})"), ("Period", d.label),
                           ("Off target", str(d.counts["red"])), ("Stuck decisions", str(len(stuck.rows)))])

