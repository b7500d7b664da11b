"""HTML the partner pages write in Python rather than through template loops (issue 22: the
template engine's per-tag cost, ~40 µs a tag, on rows that repeat): the directory's partner rows.
Each builder's output is checked character for character against the template markup it replaced
(tests/partners/test_presenters_html.py). Values are escaped with ``html.escape`` (what Django's
``escape`` writes, without its lazy-string wrapper); what is returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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
