"""The partnership page's "Commitments" panel written in Python rather than by a template loop
(issue 22: the template engine's per-tag cost on a table of commitments × six months). Its output
is checked character for character against the template it replaced
(tests/partners/test_commitments_html.py). Values are escaped with ``html.escape``; what is
returned is ``mark_safe``.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

HEADER = ('<div class="card-header"><i class="bi bi-arrow-left-right"></i> Commitments <span class="small '
          'text-body-secondary">— what each side owes the other, share on time per month</span></div>')


def percent(value) -> str:
    """What ``{% widthratio value 1 100 %}%`` writes: the share as a whole percentage."""
    return f"{round(float(value) * 100)}%"


def _day_month(value: datetime) -> str:
    """What ``{{ value|date:"j M" }}`` writes for a datetime: in the reader's time zone (6 Mar)."""
    local = template_localtime(value)
    return f"{local.day} {local:%b}"


def _side(side: str, is_partner: bool) -> str:
    """The side's badge: the company's commitments are "ours" to internal readers."""
    if side == "ours":
        return '<span class="badge text-bg-primary me-1">' + ("the company's" if is_partner else "ours") + "</span>"
    return '<span class="badge text-bg-secondary me-1">' + ("yours" if is_partner else "theirs") + "</span>"


def _cell(r) -> str:
    """One month of one commitment: its attainment against target, or a dash when nothing was due."""
    if r.attainment is None:
        return '<td class="text-end"><span class="text-body-secondary">—</span></td>'
    return (f'<td class="text-end"><span class="rag {"rag-green" if r.met else "rag-red"}" '
            f'title="{r.on_time} on time, {len(r.breaches)} breached">{percent(r.attainment)}</span></td>')


def commitments_html(rows: list[dict], months: list[date], *, is_partner: bool) -> SafeString:
    """The panel (``decisions.templatetags.commitment_tags.commitments_panel``'s rows: each
    ``{commitment, months, breaches}``), nothing but a newline when there is no commitment."""
    if not rows:
        return mark_safe("\n")
    heads = "".join(f'<th class="text-end">{m:%b}</th>' for m in months)
    body = "".join(
        f'\n      <tr data-testid="commitment-{row["commitment"].pk}"><td>'
        f'{_side(row["commitment"].side, is_partner)}{escape(row["commitment"].name)}</td>\n'
        f'        <td class="text-end">{percent(row["commitment"].target)}</td>\n'
        f'        {"".join(_cell(r) for r in row["months"])}\n      </tr>'
        for row in rows)
    breaches = ""
    if any(row["breaches"] for row in rows):
        lines = "".join(
            f'<div class="text-danger-emphasis">{escape(row["commitment"].name)} — {escape(b.item)}: due '
            f'{_day_month(b.due)}, {f"done {_day_month(b.done)}" if b.done else "not yet"}</div>'
            for row in rows for b in row["breaches"])
        breaches = ('<div class="card-body small border-top" data-testid="breaches"><div class="fw-semibold mb-1">'
                    f"Latest breaches</div>\n    {lines}\n  </div>")
    return mark_safe(  # noqa: S308 - every value above is escaped or a number
        '\n<div class="card mb-4" data-testid="commitments">\n'
        f"  {HEADER}\n"
        '  <div class="table-responsive"><table class="table table-sm mb-0 align-middle">\n'
        '    <thead><tr class="small text-uppercase text-body-secondary"><th style="min-width: 12rem">Commitment</th>'
        f'<th class="text-end">Target</th>{heads}</tr></thead>\n'
        f"    <tbody>{body}</tbody>\n"
        "  </table></div>\n"
        f"  {breaches}\n"
        "</div>\n\n")
