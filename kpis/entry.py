"""The month-entry grid: the reports a manager's unit (or a partner's partnership) owes for a month,
entered on one page and saved all or nothing through the same service as the API and imports.

Each owed row (``kpis.expected``) is one line: the KPI, last period's figure and the target beside
the cell(s) — value, or numerator and denominator for ratio KPIs. As the user types, htmx asks
``entry_check`` about the row (the same validation as a save, nothing written) and shows the
problem or the plausibility question under it. Saving sends every filled row to
``measurements_record``; errors come back on their cells, questioned values ask for a confirmation.
Keyboard: the inputs follow each other in tab order; Enter moves to the next one (``entry.js``),
Ctrl+Enter saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html

from governance.models import OrgUnit, Role
from governance.periods import last_month, parse_period
from kpis import expected
from kpis.plausibility import PlausibilityWarning, check
from kpis.services.late import late_reports
from kpis.services.measurements import (
    BulkValidationError,
    MeasurementConflict,
    measurements_record,
    validate_rows,
)
from kpis.values import plain, typed_back
from partners.models import Partnership

FIELDS = ("value", "numerator", "denominator")


@dataclass
class Line:
    owed: expected.Owed
    name: str  # the inputs' prefix: kpi code, unit code and partnership id
    given: dict = field(default_factory=dict)  # what the user typed, by field
    errors: dict = field(default_factory=dict)  # messages by field
    doubt: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        return ("numerator", "denominator") if self.owed.kpi.is_ratio else ("value",)

    def row(self, period) -> dict:
        o = self.owed
        return {"kpi": o.kpi.code, "org_unit": o.org_unit.code, "partnership": o.partnership_id,
                "period": f"{period:%Y-%m}", **{f: self.given.get(f, "") for f in self.fields}}

    @property
    def filled(self) -> bool:
        return any((self.given.get(f) or "").strip() for f in self.fields)

    @property
    def cells(self) -> list[dict]:
        return [{"field": f, "key": f"{self.name}|{f}", "value": self.given.get(f, ""), "invalid": f in self.errors}
                for f in self.fields]


def _prefix(o: expected.Owed) -> str:
    return f"{o.kpi.code}|{o.org_unit.code}|{o.partnership_id or 0}"


def _context(request):
    """The unit (one the user may record for) and the month (default: last month) asked for."""
    units = OrgUnit.objects.restrict(request.user, "log").order_by("level", "code").only("code", "name", "level",
                                                                                         "timezone")
    unit = units.filter(code=request.GET.get("unit") or request.POST.get("unit") or "").first() or units.first()
    if unit is None:
        raise Http404
    raw = request.GET.get("period") or request.POST.get("period") or ""
    try:
        period = parse_period(raw) if raw else None
    except ValueError:
        period = None
    period = period or last_month()
    return units, unit, period


def _lines(request, unit, period) -> list[Line]:
    lines = []
    for o in expected.owed(request.user, expected.units_under(request.user, unit), period):
        line = Line(owed=o, name=_prefix(o))
        m = o.current
        for f in line.fields:
            key = f"{line.name}|{f}"
            if key in request.POST:
                line.given[f] = request.POST[key].strip()[:40]
            elif m is not None:
                line.given[f] = plain(getattr(m, f)) if line.owed.kpi.is_ratio else typed_back(o.kpi, getattr(m, f))
        lines.append(line)
    return lines


@login_required
def entry_grid(request):
    """GET: the grid for ``?unit=&period=``; POST: save every filled row, all or nothing."""
    if not (request.user.is_admin or request.user.role in (Role.LEADER, Role.MANAGER, Role.PARTNER)):
        raise Http404
    units, unit, period = _context(request)
    lines = _lines(request, unit, period)
    status = 200
    if request.method == "POST":
        filled = [line for line in lines if line.filled]
        if not filled:
            messages.info(request, "Nothing to save: the grid is empty.")
        else:
            try:
                result = measurements_record(actor=request.user, rows=[line.row(period) for line in filled],
                                             source="form", now=timezone.now(),
                                             confirm=request.POST.get("confirm") == "on")
            except BulkValidationError as exc:
                status = 400
                for e in exc.errors:
                    filled[e["row"] - 1].errors.setdefault(e["field"], []).append(e["message"])
            except PlausibilityWarning as exc:
                status = 409
                for d in exc.warnings:
                    filled[d.row - 1].doubt = d.message
            except MeasurementConflict:
                status = 409
                messages.error(request, "Someone else saved some of these figures at the same moment: save again.")
            else:
                messages.success(request, f"Saved {result.created} new and {result.updated} corrected figures for "
                                          f"{period:%B %Y}. Scorecards refresh in a moment.")
                return redirect(f"{request.path}?unit={unit.code}&period={period:%Y-%m}")
    context = {"units": units[:300], "unit": unit, "period": period, "lines": lines,
               "doubts": any(line.doubt for line in lines), "has_errors": status == 400}
    return render(request, "kpis/entry.html", context, status=status)


@login_required
def entry_check(request):
    """htmx: the problems of one row (``check``: its input prefix) as typed — validation and
    plausibility, nothing is written. htmx posts the whole grid form; only that row is looked at."""
    if request.method != "POST":
        raise Http404
    _units, unit, period = _context(request)
    name = request.POST.get("check", "")
    line = next((li for li in _lines(request, unit, period) if li.name == name), None)
    if line is None:
        raise Http404
    message, kind = "", "ok"
    if line.filled:
        try:
            resolved = validate_rows(actor=request.user, rows=[line.row(period)], now=timezone.now())
        except BulkValidationError as exc:
            message, kind = " ".join(e["message"] for e in exc.errors), "error"
        else:
            doubts = check(resolved)
            if doubts:
                message, kind = doubts[0].message + " Tick “confirm” before saving if it is right.", "doubt"
    return HttpResponse(format_html('<span class="entry-{}">{}</span>', kind, message))


@login_required
def late_list(request):
    """Late reporters for ``?unit=`` (and the markets below it) and ``?period=`` (default: the last
    closed month): per unit and partnership, the KPIs with a target and no actual, linked to the grid."""
    units = OrgUnit.objects.restrict(request.user, "view").order_by("level", "code").only("code", "name", "level")
    unit = units.filter(code=request.GET.get("unit", "")).first() or units.first()
    if unit is None:
        raise Http404
    raw = request.GET.get("period", "")
    try:
        period = parse_period(raw) if raw else last_month()
    except ValueError:
        period = last_month()
    below = units.filter(ancestor_links__ancestor=unit).values_list("pk", flat=True)
    rows = late_reports(period, units=list(below))
    if request.user.is_partner:
        mine = set(request.user.partnerships.values_list("pk", flat=True))
        rows = [r for r in rows if r.partnership_id in mine]
    else:
        visible = set(Partnership.objects.restrict(request.user, "view").values_list("pk", flat=True))
        rows = [r for r in rows if r.partnership_id is None or r.partnership_id in visible]
    return render(request, "kpis/late.html", {"units": units[:300], "unit": unit, "period": period, "rows": rows})
