"""The target proposals list (the partnership page's panel, the proposals page's list) written in
Python rather than by a template loop (issue 22: the template engine's per-tag cost on proposals
with their steps and forms). Its output is checked character for character against the template
it replaced (tests/kpis/test_catchball_html.py). Values are escaped with ``html.escape``; what is
returned is ``mark_safe``.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from kpis.catchball.selectors import exact_value


def _waiting(p) -> str:
    """The badge of a proposal: agreed, the reader's turn, or whom it waits on."""
    if p.status == "agreed":
        return '<span class="badge text-bg-success ms-1">agreed</span>'
    if p.your_turn:
        return '<span class="badge text-bg-warning ms-1">your turn</span>'
    if p.turn == "child":
        whom = "the partner" if p.partnership else escape(p.org_unit.name)
        return f'<span class="badge text-bg-secondary ms-1">waiting on {whom}</span>'
    return '<span class="badge text-bg-secondary ms-1">waiting on the proposer</span>'


def _step(s, kpi, is_partner: bool) -> str:
    """One move: kind, value, who (the company, to a partner reader, for the parent's moves), when, why."""
    who = "the company" if is_partner and s.side == "parent" else escape(s.actor.get_full_name() or s.actor.username)
    at = template_localtime(s.at)
    why = f" — “{escape(s.comment)}”" if s.comment else ""
    return (f"<li>{escape(s.get_kind_display())} {escape(exact_value(s.value, kpi))} by {who} · "
            f"{at.day} {at:%b}{why}</li>")


def _answer(p, value: str, next_input: str, csrf: str) -> str:
    """Accept, and counter (revise, on the parent's side) with a value and why: the reader's turn."""
    accept, counter = (reverse("kpis:proposal-act", args=[p.pk, action]) for action in ("accept", "counter"))
    return ('\n      <div class="d-flex flex-wrap gap-2 align-items-start">\n'
            f'        <form method="post" action="{accept}">{csrf}{next_input}\n'
            '          <button class="btn btn-sm btn-success" type="submit" data-testid="accept"><i class="bi '
            f'bi-check-lg"></i> Accept {value}</button></form>\n'
            f'        <form method="post" action="{counter}" class="d-flex flex-wrap gap-2 flex-grow-1">{csrf}'
            f"{next_input}\n"
            '          <input class="form-control form-control-sm" style="max-width: 9rem" name="value" '
            'inputmode="decimal" aria-label="Your value" placeholder="Your value" required>\n'
            '          <input class="form-control form-control-sm flex-grow-1" style="min-width: 12rem" name="comment" '
            'aria-label="Why" placeholder="Why (required)" required>\n'
            '          <button class="btn btn-sm btn-outline-primary" type="submit" data-testid="counter">'
            f'{"Revise" if p.your_side == "parent" else "Counter"}</button></form>\n'
            "      </div>\n      ")


def _proposal(p, *, is_partner: bool, next_input: str, csrf: str) -> str:
    where = escape(p.partnership.name if p.partnership else p.org_unit.name)
    value = escape(exact_value(p.value, p.kpi))
    steps = "".join(_step(s, p.kpi, is_partner) for s in p.steps.all())
    answer = _answer(p, value, next_input, csrf) if p.your_turn else ""
    return (f'\n    <li class="list-group-item" data-testid="proposal-{p.pk}">\n'
            '      <div class="d-flex flex-wrap justify-content-between gap-2">\n'
            f'        <div><span class="fw-semibold">{escape(p.kpi.name)}</span> <span class="text-body-secondary '
            f'small">{escape(p.kpi.code)} · {p.period:%b %Y} · {where}</span></div>\n'
            '        <div class="text-nowrap"><span class="fs-5 fw-semibold" data-testid="proposal-value">'
            f"{value}</span>\n"
            f"          {_waiting(p)}</div>\n"
            "      </div>\n"
            '      <ol class="small text-body-secondary mb-2 mt-1 ps-3" data-testid="proposal-steps">\n'
            f"        {steps}\n"
            "      </ol>\n"
            f"      {answer}\n"
            "    </li>\n    ")


def proposals_html(proposals, *, user, next_url: str, compact: bool, csrf_input: str) -> SafeString:
    """The proposals (``kpis.catchball.selectors.proposals_for``'s, each with ``your_side`` and
    ``your_turn``): KPI, month, partnership or unit, the value on the table, whose turn, the steps,
    and accept/counter on the reader's turn. ``compact`` (the partnership page): nothing when there
    is no proposal, and a link to all proposals for internal readers. ``csrf_input``: what
    ``{% csrf_token %}`` writes."""
    if compact and not proposals:
        return mark_safe("\n\n")
    link = (f'<a class="btn btn-sm btn-outline-primary" href="{reverse("kpis:proposals")}">All proposals</a>'
            if compact and not user.is_partner else "")
    next_input = f'<input type="hidden" name="next" value="{escape(next_url)}">'
    items = ("".join(_proposal(p, is_partner=user.is_partner, next_input=next_input, csrf=csrf_input)
                     for p in proposals)
             or '<li class="list-group-item text-body-secondary small">No target proposals here yet.</li>\n    ')
    return mark_safe(  # noqa: S308 - every value above is escaped
        '\n\n<div class="card mb-4" id="target-proposals" data-testid="target-proposals">\n'
        '  <div class="card-header d-flex justify-content-between align-items-center"><span><i class="bi '
        'bi-arrow-left-right"></i> Target proposals</span>\n'
        f"    {link}</div>\n"
        '  <ul class="list-group list-group-flush">\n'
        f"    {items}\n"
        "  </ul>\n"
        "</div>\n\n")
