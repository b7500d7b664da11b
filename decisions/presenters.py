"""Rows of decisions written in Python rather than by template loops (issue 22: the template
engine's per-tag cost, on 25 rows a page, was a third of the decision list's CPU): the decision
tables' rows (templates/decisions/_decision_table.html, on the decision list and the queue) and the
dashboard's stuck-decisions panel. Each is checked character for character against the loop it
replaced (tests/decisions/test_presenters_html.py, tests/decisions/test_stuck.py); values are
escaped with ``html.escape`` and what is returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from django.utils import dateformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timeuntil
from django.utils.timezone import template_localtime

from governance.templatetags.accord_time import when
from governance.timezones import format_instant
from partners.presenters import url_pattern

STATUS_CLASSES = {"open": "text-bg-primary", "blocked": "text-bg-danger", "decided": "text-bg-success",
                  "withdrawn": "text-bg-secondary"}
_PRIORITY_BADGE = '<span class="badge text-bg-danger-subtle text-danger-emphasis ms-1">{}</span>'


def status_class(status: str) -> str:
    """The badge colour of a decision's status or state (``{{ status|status_class }}``)."""
    return STATUS_CLASSES.get(status, "text-bg-light")


def _until(value: datetime, now: datetime) -> str:
    """``{{ value|timeuntil:now }}``."""
    try:
        return escape(timeuntil(value, now))
    except (ValueError, TypeError):
        return ""


def _closed_on(d) -> str:
    """``{{ d.decided_at|date:"d M Y"|default:"—" }}`` in its grey span."""
    day = dateformat.format(template_localtime(d.decided_at), "d M Y") if d.decided_at else ""
    return f'<span class="text-body-secondary">{escape(day) or "—"}</span>'


def _internal_due(d, now: datetime) -> str:
    """Due / closed for internal readers: overdue, past the requester's needed-by date, the time
    left (with a calendar mark when the requester's date drives it), or the day it closed."""
    deadline = d.deadline()
    if not deadline:
        return _closed_on(d)
    when, driver = deadline
    if d.sla_due_at <= now:
        return '<span class="rag rag-red">overdue</span>'
    if when <= now:
        return f'<span class="rag rag-red" title="Needed by {escape(format_instant(when))}">past needed-by</span>'
    mark = (' <i class="bi bi-calendar-event text-body-secondary" title="Needed by the requester\'s date"></i>'
            if driver == "requested" else "")
    return f'<span title="{escape(format_instant(when))}">{_until(when, now)}</span>{mark}'


def _internal_cells(d, now: datetime) -> str:
    decider = escape(d.decider.get_full_name() or d.decider.username) if d.decider else ""
    escalation = (f'<span class="badge text-bg-warning" title="Escalation level {d.escalation_level}">'
                  f'<i class="bi bi-arrow-up"></i> L{d.escalation_level}</span>') if d.escalation_level else ""
    return (f'<td class="small">{decider}</td>\n'
            f'      <td class="text-nowrap"><span class="badge {status_class(d.state)}">'
            f"{escape(d.get_state_display())}</span>\n"
            f"        {escalation}</td>\n"
            f'      <td class="text-end small text-nowrap">{_internal_due(d, now)}</td>\n      ')


def _partner_cells(d, now: datetime) -> str:
    """For partner readers: no people, escalation, veto (blocked) or requested date."""
    if d.status == "open":
        due = '<span class="rag rag-red">overdue</span>' if d.sla_due_at <= now else _until(d.sla_due_at, now)
    else:
        due = _closed_on(d)
    return ('\n      <td class="text-nowrap">'
            f'<span class="badge {status_class(d.status)}">{escape(d.get_status_display())}</span></td>\n'
            f'      <td class="text-end small text-nowrap">{due}</td>\n      ')


def decision_rows_html(decisions, *, now: datetime, show_internal: bool) -> SafeString:
    """The table's rows: title (linked) with a high/urgent badge and the partnership, type, org unit,
    then for internal readers decider, state with escalation level and due / closed, for partner
    readers status and due / closed. ``decisions`` come with ``decision_type``, ``org_unit``,
    ``decider`` and ``partnership`` joined in (``selectors.decision_list``, ``queue_for``)."""
    detail_url = url_pattern("decisions:detail")
    cells = _internal_cells if show_internal else _partner_cells
    rows = []
    for d in decisions:
        priority = _PRIORITY_BADGE.format(escape(d.get_priority_display())) if d.priority in ("urgent", "high") else ""
        partnership = (f'<div class="small text-body-secondary"><i class="bi bi-people"></i> '
                       f"{escape(d.partnership.name)}</div>") if d.partnership else ""
        rows.append(
            "\n    <tr>\n"
            f'      <td><a class="fw-semibold text-decoration-none" href="{detail_url.format(d.pk)}">'
            f"{escape(d.title)}</a>\n"
            f"        {priority}\n"
            f"        {partnership}</td>\n"
            f'      <td class="small">{escape(d.decision_type.name)}</td>\n'
            f'      <td class="small">{escape(d.org_unit.code)}</td>\n'
            f"      {cells(d, now)}\n"
            "    </tr>\n  ")
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


_REASON_BADGES = {"overdue": ("text-bg-danger", "bi-clock-history"),
                  "waiting on an agree": ("text-bg-warning", "bi-hand-thumbs-up")}
_OTHER_BADGE = ("text-bg-secondary", "bi-arrow-up-circle")


def stuck_rows_html(rows) -> str:
    """The panel's list items, one per (decision, reasons) of ``rows``: written here rather than by a
    template loop (its tags cost ~1.5 ms for eight rows on every dashboard; issue 22). Character for
    character what the loop wrote (tests/decisions/test_stuck.py); values escaped with ``html.escape``,
    which escapes as Django's autoescape does."""
    detail_url = url_pattern("decisions:detail")
    out = []
    for d, why in rows:
        badges = []
        for w in why:
            tone, icon = _REASON_BADGES.get(w, _OTHER_BADGE)
            badges.append(f'<span class="badge {tone}"><i class="bi {icon}" aria-hidden="true"></i> {escape(w)}</span>')
        out.append(f'\n    <li class="list-group-item d-flex justify-content-between align-items-start gap-2">\n'
                   f'      <div class="text-truncate"><a class="text-decoration-none" '
                   f'href="{detail_url.format(d.pk)}">{escape(d.title)}</a>\n'
                   f'        <div class="small text-body-secondary text-truncate">{escape(d.decision_type.name)} · '
                   f'{escape(d.org_unit.code)} · SLA {when(d.sla_due_at, "short")}</div></div>\n'
                   f'      <span class="d-flex flex-wrap gap-1 justify-content-end">{"".join(badges)}</span>\n'
                   f'    </li>\n    ')
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped or built by us
