"""Rows of decisions written in Python rather than by template loops (issue 22: the template
engine's per-tag cost, on 25 rows a page, was a third of the decision list's CPU): the decision
tables' rows (templates/decisions/_decision_table.html, on the decision list and the queue) and the
dashboard's stuck-decisions panel. Each is checked character for character against the loop it
replaced (tests/decisions/test_presenters_html.py, tests/decisions/test_stuck.py); values are
escaped with ``html.escape`` and what is returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from html import escape

from django.utils import dateformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timeuntil
from django.utils.timezone import template_localtime

from governance.templatetags.accord_time import when
from governance.timezones import format_instant
from partners.presenters import person_name, url_pattern

STATUS_CLASSES = {"open": "text-bg-primary", "blocked": "text-bg-danger", "decided": "text-bg-success",
                  "withdrawn": "text-bg-secondary"}
_PRIORITY_BADGE = '<span class="badge text-bg-danger-subtle text-danger-emphasis ms-1">{}</span>'


ROLE_CLASSES = {"D": "text-bg-primary", "A": "text-bg-warning", "R": "text-bg-info", "I": "text-bg-secondary",
                "P": "text-bg-light border"}
EVENT_ICONS = {"logged": "journal-plus", "input_given": "chat-left-text", "agreed": "hand-thumbs-up",
               "vetoed": "hand-thumbs-down", "decided": "check2-circle", "escalated": "arrow-up-circle",
               "reassigned": "arrow-left-right", "reopened": "arrow-counterclockwise", "withdrawn": "x-circle",
               "edited": "pencil", "revised": "arrow-repeat", "nudged": "bell", "paused": "pause-circle",
               "resumed": "play-circle"}


def business_time(seconds) -> str:
    """Business seconds as hours and minutes: 39600 → "11 h"; 5400 → "1 h 30 min"; None → "—"
    (``{{ seconds|business_time }}``)."""
    if seconds is None or seconds == "":
        return "—"
    minutes = int(seconds) // 60
    h, m = divmod(minutes, 60)
    if h and m:
        return f"{h} h {m} min"
    return f"{h} h" if h else f"{m} min"


def role_class(role: str) -> str:
    """The badge colour of a RAPID role (``{{ role|role_class }}``)."""
    return ROLE_CLASSES.get(role, "text-bg-light")


def event_icon(kind: str) -> str:
    """The icon of a timeline event's kind (``{{ kind|event_icon }}``)."""
    return EVENT_ICONS.get(kind, "dot")


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


def _internal_cells(d, now: datetime, viewer) -> str:
    decider = person_name(d.decider, viewer) if d.decider else ""
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


def decision_rows_html(decisions, *, now: datetime, viewer, show_internal: bool) -> SafeString:
    """The table's rows: title (linked) with a high/urgent badge and the partnership, type, org unit,
    then for internal readers decider, state with escalation level and due / closed, for partner
    readers status and due / closed. ``decisions`` come with ``decision_type``, ``org_unit``,
    ``decider`` and ``partnership`` joined in (``selectors.decision_list``, ``queue_for``)."""
    detail_url = url_pattern("decisions:detail")
    cells = partial(_internal_cells, viewer=viewer) if show_internal else _partner_cells
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


# The decision page's three per-row loops (templates/decisions/detail.html: who it waited on, the
# timeline, the participants), written here: they were about a quarter of the page's CPU (issue 22).
# What a partner reader is shown of each row is decided here, as the template decided it: internal
# parties, levels and names of people only for internal readers (``show_internal``), a partner
# reader's own name on their own rows. tests/decisions/test_presenters_html.py compares each with
# the loop it replaced.

_STAGE_PARTY_BADGES = {"partner": "text-bg-info", "requester": "text-bg-secondary"}


def stage_parties_html(parties) -> SafeString:
    """Business time per party, largest first (``selectors.decision_stages``' ``parties``)."""
    return mark_safe("".join(  # noqa: S308 - every value is escaped
        f'<span class="badge rounded-pill {_STAGE_PARTY_BADGES.get(p["kind"], "text-bg-light border")}">'
        f'{escape(p["name"])} · {business_time(p["business_seconds"])}</span>' for p in parties))


def stage_rows_html(rows, *, show_internal: bool) -> SafeString:
    """The stages table's rows (``selectors.decision_stages``' ``rows``, already redacted for the
    reader); the open interval highlighted, escalation levels for internal readers."""
    out = []
    for r in rows:
        level = (f' <span class="badge text-bg-light border">level {r["level"]}</span>'
                 if show_internal and r["level"] else "")
        ended = when(r["ended_at"], "short") if r["ended_at"] else "<em>still waiting</em>"
        open_ = "" if r["ended_at"] else ' class="table-warning"'
        out.append(f"\n            <tr{open_}>\n"
                   f'              <td>{escape(str(r["stage_label"]))}{level}</td>\n'
                   f'              <td>{escape(r["party"]["name"])}</td>\n'
                   f'              <td class="text-nowrap">{when(r["started_at"], "short")}</td>\n'
                   f'              <td class="text-nowrap">{ended}</td>\n'
                   f'              <td class="text-end text-nowrap">{business_time(r["business_seconds"])}</td>\n'
                   f'            </tr>\n          ')
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped or built by us


_EVENT_TONES = {"vetoed": "text-danger", "escalated": "text-danger", "decided": "text-success",
                "agreed": "text-success"}
_SHARED_EVENT = (' <span class="badge text-bg-info-subtle text-info-emphasis border" title="Shared with the partner">'
                 '<i class="bi bi-people"></i></span>')


def timeline_html(rounds, *, decision, viewer, show_internal: bool) -> SafeString:
    """The timeline's items, round by round (a heading per round for internal readers when there
    are several): the event, by whom (internal readers; a partner reader only on their own events),
    its escalation level and whether it was shared with the partner (internal readers)."""
    out = []
    headed = len(rounds) > 1 and show_internal
    for number, events in rounds:
        heading = (f'<li class="list-group-item bg-body-tertiary small fw-semibold text-uppercase '
                   f'text-body-secondary" data-testid="round-heading">Round {number}</li>') if headed else ""
        out.append(f"\n        {heading}\n        ")
        for e in events:
            by = f" by {person_name(e.actor, viewer)}" if e.actor and (show_internal or e.actor_id == viewer.pk) else ""
            level = (f' <span class="badge text-bg-light border">level {e.level}</span>'
                     if show_internal and e.level else "")
            shared = _SHARED_EVENT if show_internal and decision.partnership and e.visibility == "shared" else ""
            message = f'<div class="text-body-secondary small">{escape(e.message)}</div>' if e.message else ""
            tone = _EVENT_TONES.get(e.kind, "text-primary")
            kind = escape(str(e.get_kind_display()))
            out.append(f'\n        <li class="list-group-item d-flex gap-3">\n'
                       f'          <i class="bi bi-{event_icon(e.kind)} fs-5 {tone}" aria-hidden="true"></i>\n'
                       f'          <div class="flex-grow-1">\n'
                       f"            <div><strong>{kind}</strong>{by}{level}{shared}</div>\n"
                       f"            {message}\n"
                       f"          </div>\n"
                       f'          <span class="small text-body-secondary text-nowrap">{when(e.at)}</span>\n'
                       f"        </li>\n        ")
        out.append("\n      ")
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped or built by us


def _answer(p, decision, show_internal: bool) -> str:
    """An agree's answer or an input's state (with the answer's text for partner readers, who see
    only answers shared with them)."""
    if p.role == "A":
        if p.agreed is True:
            state = '<span class="text-success"><i class="bi bi-check"></i> agreed</span>'
        elif p.agreed is False:
            state = '<span class="text-danger"><i class="bi bi-x"></i> vetoed</span>'
        elif decision.is_open:
            rnd = f" (round {decision.round})" if show_internal and decision.round > 1 else ""
            state = f'<span class="text-warning-emphasis">waiting{rnd}</span>'
        else:
            state = '<span class="text-body-secondary">no answer</span>'
        comment = f" — {escape(p.comment)}" if p.comment else ""
        return f"<div>{state}{comment}</div>"
    if p.role in ("I", "R"):
        if p.input_at:
            text = f" — {escape(p.input_text)}" if p.input_text and not show_internal else ""
            return f'<div><span class="text-success"><i class="bi bi-check"></i> input given</span>{text}</div>'
        return '<div><span class="text-body-secondary">no input yet</span></div>'
    return ""


def participants_html(participants, *, decision, viewer, show_internal: bool) -> SafeString:
    """The participants card's items: role, then for internal readers (and a partner reader's own
    seat) the person, function and unit, whether they came by escalation and shared their answer;
    for other partner readers only the function; then the agree's or input's state."""
    out = []
    for p in participants:
        if show_internal or p.user_id == viewer.pk:
            via = " · via escalation" if p.level else ""
            shared = (' · <i class="bi bi-people" title="Answer shared with the partner"></i> shared'
                      if decision.partnership and p.visibility == "shared" and show_internal else "")
            who = (f'<div class="fw-semibold">{person_name(p.user, viewer)}</div>\n'
                   f'            <div class="text-body-secondary">{escape(p.function.name)}, '
                   f"{escape(p.org_unit.name)}{via}{shared}</div>\n            ")
        else:
            who = f'<div class="fw-semibold">{escape(p.function.name)}</div>'
        answer = _answer(p, decision, show_internal)  # an agree's line first, an input's second
        agree, given = (answer, "") if p.role == "A" else ("", answer)
        out.append(f'\n        <li class="list-group-item d-flex gap-2 align-items-start">\n'
                   f'          <span class="badge {role_class(p.role)}" title="{escape(str(p.get_role_display()))}">'
                   f"{escape(p.role)}</span>\n"
                   f'          <div class="flex-grow-1 small">\n'
                   f"            {who}\n"
                   f"            {agree}\n"
                   f"            {given}\n"
                   f"          </div>\n"
                   f"        </li>\n      ")
    if not out:
        empty = "Nobody yet." if show_internal else "No answers shared with you yet."
        out.append(f'<li class="list-group-item small text-body-secondary">{empty}</li>\n      ')
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped or built by us
