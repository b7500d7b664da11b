"""HTML the partner pages write in Python rather than through template loops (issue 22: the
template engine's per-tag cost, ~40 µs a tag, on rows that repeat): the directory's partner rows,
the partnership page's business reviews (with their follow-up actions), its open actions and its
enablement items. Each
builder's output is checked character for character against the template markup it replaced
(tests/partners/test_presenters_html.py). Values are escaped with ``html.escape`` (what Django's
``escape`` writes, without its lazy-string wrapper); what is returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

_PK = 2_147_483_647  # a placeholder id: reversed once, then replaced by each row's


def url_pattern(name: str) -> str:
    """``name``'s URL with ``{}`` where the object's id goes (``reverse`` once per page, not per row)."""
    return reverse(name, args=[_PK]).replace(str(_PK), "{}")


def day_month_year(value: date) -> str:
    """What ``{{ value|date:"j M Y" }}`` writes (6 Mar 2026)."""
    return f"{value.day} {value:%b %Y}"


def level_pill(level: int | None, name: str) -> str:
    """templates/partners/_level.html (without its trailing newline)."""
    if level:
        return (f'<span class="maturity-pill maturity-{level}" title="Maturity level {level} of 5">'
                f"L{level} · {escape(name)}</span>")
    return '<span class="maturity-pill maturity-none" title="No assessment yet">Not assessed</span>'


def _partnership_line(p, partnership_url: str) -> str:
    status = "" if p.status == "active" else f" · {escape(p.get_status_display().lower())}"
    overdue = (f'<span class="badge text-bg-danger" title="Review was due {day_month_year(p.next_review_due)}">'
               '<i class="bi bi-alarm"></i> review overdue</span>') if p.review_is_overdue else ""
    return ('\n            <div class="partnership-line">\n'
            f'              <a class="fw-medium" href="{partnership_url.format(p.pk)}">{escape(p.name)}</a>\n'
            '              <div class="d-flex flex-wrap align-items-center gap-2 mt-1">\n'
            f'              <span class="small text-body-secondary">{escape(p.get_type_display())}{status}</span>\n'
            f"              {level_pill(p.maturity_level, p.maturity_name)}\n\n"
            f"              {overdue}\n"
            "              </div>\n"
            "            </div>\n            ")


def directory_rows_html(partners) -> SafeString:
    """The directory table's rows, one per partner: name (linked), kind, the org units it covers,
    its ``visible_partnerships`` (each with ``maturity_level``, ``maturity_name`` and
    ``review_is_overdue`` set by the view: link, type, status unless active, maturity pill, overdue
    badge) and status."""
    partner_url, partnership_url = url_pattern("partners:partner"), url_pattern("partners:partnership")
    rows = []
    for partner in partners:
        units = ", ".join(escape(u.code) for u in partner.org_units.all()) or "—"
        lines = ("".join(_partnership_line(p, partnership_url) for p in partner.visible_partnerships)
                 or '<span class="small text-body-secondary">No partnership yet</span>')
        rows.append(
            "\n        <tr>\n"
            f'          <td class="fw-semibold"><a class="link-body-emphasis text-decoration-none" '
            f'href="{partner_url.format(partner.pk)}">{escape(partner.name)}</a></td>\n'
            f'          <td><span class="badge kind-badge kind-{escape(partner.kind)}">'
            f"{escape(partner.get_kind_display())}</span></td>\n"
            f'          <td class="small text-body-secondary">{units}</td>\n'
            f"          <td>\n            {lines}\n          </td>\n"
            f'          <td class="text-end"><span class="badge rounded-pill partner-status-{escape(partner.status)}">'
            f"{escape(partner.get_status_display())}</span></td>\n"
            "        </tr>\n      ")
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


def person_name(user, viewer) -> str:
    """``{{ user|name_for:viewer }}``: ``user``'s name as ``viewer`` may read it
    (``User.name_seen_by``), escaped (also the decision pages' presenters)."""
    return escape(user.name_seen_by(viewer))


def _follow_up(a, today: date, viewer) -> str:
    done = a.status == "done"
    icon = ("bi-check-circle-fill text-success" if done else
            "bi-exclamation-circle-fill text-danger" if a.due_date < today else "bi-circle text-body-secondary")
    overdue = ('<span class="badge text-bg-danger">overdue</span>'
               if a.status == "open" and a.due_date < today else "")
    return ('\n            <li class="d-flex flex-wrap gap-2 align-items-center py-1">\n'
            f'              <i class="bi {icon}" aria-hidden="true"></i>\n'
            f'              <span class="{"text-decoration-line-through text-body-secondary" if done else ""}">'
            f"{escape(a.title)}</span>\n"
            f'              <span class="text-body-secondary">· {person_name(a.owner, viewer)} · due '
            f"{day_month_year(a.due_date)}</span>\n"
            f"              {overdue}\n"
            "            </li>\n            ")


REVIEW_STATUS_BADGES = {"held": "text-bg-light border", "planned": "text-bg-info"}


def reviews_html(reviews, *, today: date, viewer) -> SafeString:
    """The partnership page's business reviews (``partners.selectors.partnership_reviews_and_actions``):
    each linked, with date, kind, attendees and status, and its follow-up actions (done, overdue)."""
    review_url = url_pattern("partners:review")
    items = []
    for review in reviews:
        count = review.attendee_count
        follow_ups = ""
        if review.follow_ups:
            rows = "".join(_follow_up(a, today, viewer) for a in review.follow_ups)
            follow_ups = ('\n          <ul class="list-unstyled small mt-2 mb-0 ps-3 border-start">\n            '
                          + rows + "\n          </ul>\n          ")
        items.append(
            '\n        <li class="list-group-item py-3">\n'
            '          <div class="d-flex flex-wrap justify-content-between gap-2">\n'
            "            <div>\n"
            f'              <a class="fw-semibold" href="{review_url.format(review.pk)}">{escape(str(review))}</a>\n'
            f'              <div class="small text-body-secondary">{day_month_year(review.date)} · '
            f'{escape(review.get_kind_display())} · {count} attendee{"" if count == 1 else "s"}</div>\n'
            "            </div>\n"
            f'            <span class="badge {REVIEW_STATUS_BADGES.get(review.status, "text-bg-secondary")} '
            f'align-self-start">{escape(review.get_status_display())}</span>\n'
            "          </div>\n"
            f"          {follow_ups}\n"
            "        </li>\n        ")
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped


def open_actions_html(actions, *, today: date, user, can_review: bool, csrf_input: str, path: str) -> SafeString:
    """The partnership page's open actions: title, owner, due date (overdue in red), and "Mark done"
    for the action's owner and those who may log reviews. ``csrf_input``: what ``{% csrf_token %}``
    writes; ``path``: the page's, where marking done returns to."""
    status_url = url_pattern("partners:action-status")
    items = []
    for a in actions:
        late = a.due_date < today
        form = ""
        if a.owner_id == user.pk or can_review:
            form = (f'\n            <form method="post" action="{status_url.format(a.pk)}" class="flex-shrink-0">'
                    f"{csrf_input}\n"
                    '              <input type="hidden" name="status" value="done"><input type="hidden" name="next" '
                    f'value="{escape(path)}">\n'
                    '              <button class="btn btn-sm btn-outline-success" type="submit" title="Mark done">'
                    '<i class="bi bi-check-lg"></i><span class="visually-hidden">Mark “'
                    f'{escape(a.title)}” done</span></button>\n'
                    "            </form>\n            ")
        items.append(
            f'\n        <li class="list-group-item{" action-overdue" if late else ""}">\n'
            '          <div class="d-flex justify-content-between gap-2">\n'
            "            <div>\n"
            f'              <div class="fw-semibold small">{escape(a.title)}</div>\n'
            f'              <div class="small text-body-secondary">{person_name(a.owner, user)} · due '
            f'<span class="{"text-danger fw-semibold" if late else ""}">{day_month_year(a.due_date)}</span></div>\n'
            "            </div>\n"
            f"            {form}\n"
            "          </div>\n"
            "        </li>\n        ")
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped


def enablement_items_html(items, *, today: date, viewer, can_manage: bool, csrf_input: str) -> SafeString:
    """The enablement plan's items (``partners.views._enablement_context``): title, kind, owner,
    done (late when after its due date) or due (overdue in red); "Mark done"/"Reopen" where the
    item is ``changeable`` by the reader, edit and archive for those who manage the plan.
    ``csrf_input``: what ``{% csrf_token %}`` writes."""
    done_url, edit_url = url_pattern("partners:enablement-done"), url_pattern("partners:enablement-edit")
    archive_url = url_pattern("partners:enablement-archive")
    rows = []
    for e in items:
        title = escape(e.title)
        if e.done_at:
            done_on = day_month_year(template_localtime(e.done_at))  # as {{ e.done_at|date }}: the reader's zone
            when = f"done {done_on}{' (late)' if e.done_at.date() > e.due_date else ''}"
        else:
            late = "text-danger fw-semibold" if e.due_date < today else ""
            when = f'due <span class="{late}">{day_month_year(e.due_date)}</span>'
        mark = ""
        if e.changeable:
            button = (f'<button class="btn btn-sm btn-outline-secondary" type="submit" title="Reopen"><i class="bi '
                      f'bi-arrow-counterclockwise"></i><span class="visually-hidden">Reopen “{title}”</span></button>'
                      "\n              " if e.done_at else
                      f'<button class="btn btn-sm btn-outline-success" type="submit" title="Mark done"><i class="bi '
                      f'bi-check-lg"></i><span class="visually-hidden">Mark “{title}” done</span></button>')
            mark = (f'\n            <form method="post" action="{done_url.format(e.pk)}">{csrf_input}\n'
                    f'              <input type="hidden" name="done" value="{0 if e.done_at else 1}">\n'
                    f"              {button}\n"
                    "            </form>\n            ")
        manage = ""
        if can_manage:
            edit, archive = edit_url.format(e.pk), archive_url.format(e.pk)
            manage = (f'\n            <a class="btn btn-sm btn-outline-secondary" href="{edit}" hx-get="{edit}" '
                      'hx-target="#enablement-form" hx-swap="innerHTML" title="Edit"><i class="bi bi-pencil"></i>'
                      f'<span class="visually-hidden">Edit “{title}”</span></a>\n'
                      f'            <form method="post" action="{archive}" hx-post="{archive}" hx-target="#enablement" '
                      f'hx-swap="outerHTML">{csrf_input}\n'
                      '              <input type="hidden" name="archived" value="1">\n'
                      '              <button class="btn btn-sm btn-outline-danger" type="submit" title="Archive">'
                      f'<i class="bi bi-archive"></i><span class="visually-hidden">Archive “{title}”</span></button>\n'
                      "            </form>\n            ")
        tick = '<i class="bi bi-check-circle-fill text-success"></i> ' if e.done_at else ""
        rows.append(
            f'\n        <li class="list-group-item enablement-item" id="enablement-item-{e.pk}">\n'
            '          <div class="d-flex justify-content-between gap-2">\n'
            "            <div>\n"
            f'              <div class="fw-semibold small">{tick}{title}</div>\n'
            '              <div class="small text-body-secondary">'
            f"{escape(e.get_kind_display())} · {person_name(e.owner, viewer)} ·\n"
            f"                {when}</div>\n"
            "            </div>\n"
            '            <div class="d-flex gap-1 flex-shrink-0 align-items-start">\n'
            f"            {mark}\n"
            f"            {manage}\n"
            "            </div>\n"
            "          </div>\n"
            "        </li>\n        ")
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


def _gap_pill(gap: int | None) -> str:
    """A dimension's gap (internal minus partner): a dash, "aligned", or the signed points (big from two)."""
    if gap is None:
        return '<span class="text-body-secondary">—</span>'
    if gap == 0:
        return '<span class="gap-pill gap-0">aligned</span>'
    return f'<span class="gap-pill {"gap-big" if abs(gap) >= 2 else "gap-small"}">{"+" if gap > 0 else ""}{gap}</span>'


# A centred table cell, opened. Written in two pieces: the class name alone in quotes would read to
# ops.icons as a string literal naming an icon (centred text), which no page shows.
_CENTRED = '                <td class="text-' 'center">'


def maturity_rows_html(dimensions) -> SafeString:
    """The partnership page's maturity table rows (``partners.selectors.Maturity.dimensions``):
    each dimension's latest internal and partner score and the gap between them."""
    rows = []
    for d in dimensions:
        rows.append(
            "\n              <tr>\n"
            f"                <td>{escape(d.label)}</td>\n"
            f'{_CENTRED}{d.internal or "—"}</td>\n'
            f'{_CENTRED}{d.partner or "—"}</td>\n'
            f"{_CENTRED}{_gap_pill(d.gap)}</td>\n"
            "              </tr>\n            ")
    return mark_safe("".join(rows))  # noqa: S308 - the labels are escaped, the rest are numbers
