"""Issue 22: the target proposals list is written in Python (``kpis.catchball.presenters``) rather
than by kpis/templates/kpis/catchball/_proposals.html. Its output must be what that template wrote,
character for character: the partnership page's compact panel and the proposals page's list, for a
partner and an internal reader, on each side's turn, agreed, waiting on the partner, a unit or the
proposer, steps with and without a comment (the parent's shown as "the company" to a partner), an
empty list, and names, units and comments with markup characters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone

from kpis.catchball.presenters import proposals_html

# kpis/templates/kpis/catchball/_proposals.html before issue 22.
PROPOSALS_TEMPLATE = """{% load catchball_tags %}
{% if proposals or not compact %}
<div class="card mb-4" id="target-proposals" data-testid="target-proposals">
  <div class="card-header d-flex justify-content-between align-items-center"><span><i class="bi bi-arrow-left-right"></i> Target proposals</span>
    {% if compact and not user.is_partner %}<a class="btn btn-sm btn-outline-primary" href="{% url 'kpis:proposals' %}">All proposals</a>{% endif %}</div>
  <ul class="list-group list-group-flush">
    {% for p in proposals %}
    <li class="list-group-item" data-testid="proposal-{{ p.pk }}">
      <div class="d-flex flex-wrap justify-content-between gap-2">
        <div><span class="fw-semibold">{{ p.kpi.name }}</span> <span class="text-body-secondary small">{{ p.kpi.code }} · {{ p.period|date:"M Y" }} · {% if p.partnership %}{{ p.partnership.name }}{% else %}{{ p.org_unit.name }}{% endif %}</span></div>
        <div class="text-nowrap"><span class="fs-5 fw-semibold" data-testid="proposal-value">{{ p.value|exact_value:p.kpi }}</span>
          {% if p.status == 'agreed' %}<span class="badge text-bg-success ms-1">agreed</span>{% elif p.your_turn %}<span class="badge text-bg-warning ms-1">your turn</span>{% else %}<span class="badge text-bg-secondary ms-1">{% if p.turn == 'child' %}waiting on {% if p.partnership %}the partner{% else %}{{ p.org_unit.name }}{% endif %}{% else %}waiting on the proposer{% endif %}</span>{% endif %}</div>
      </div>
      <ol class="small text-body-secondary mb-2 mt-1 ps-3" data-testid="proposal-steps">
        {% for s in p.steps.all %}<li>{{ s.get_kind_display }} {{ s.value|exact_value:p.kpi }} by {% if user.is_partner and s.side == 'parent' %}the company{% else %}{{ s.actor.get_full_name|default:s.actor.username }}{% endif %} · {{ s.at|date:"j M" }}{% if s.comment %} — “{{ s.comment }}”{% endif %}</li>{% endfor %}
      </ol>
      {% if p.your_turn %}
      <div class="d-flex flex-wrap gap-2 align-items-start">
        <form method="post" action="{% url 'kpis:proposal-act' p.pk 'accept' %}">{% csrf_token %}<input type="hidden" name="next" value="{{ next_url }}">
          <button class="btn btn-sm btn-success" type="submit" data-testid="accept"><i class="bi bi-check-lg"></i> Accept {{ p.value|exact_value:p.kpi }}</button></form>
        <form method="post" action="{% url 'kpis:proposal-act' p.pk 'counter' %}" class="d-flex flex-wrap gap-2 flex-grow-1">{% csrf_token %}<input type="hidden" name="next" value="{{ next_url }}">
          <input class="form-control form-control-sm" style="max-width: 9rem" name="value" inputmode="decimal" aria-label="Your value" placeholder="Your value" required>
          <input class="form-control form-control-sm flex-grow-1" style="min-width: 12rem" name="comment" aria-label="Why" placeholder="Why (required)" required>
          <button class="btn btn-sm btn-outline-primary" type="submit" data-testid="counter">{% if p.your_side == 'parent' %}Revise{% else %}Counter{% endif %}</button></form>
      </div>
      {% endif %}
    </li>
    {% empty %}<li class="list-group-item text-body-secondary small">No target proposals here yet.</li>
    {% endfor %}
  </ul>
</div>
{% endif %}
"""  # noqa: E501 - the template's lines as they were

TURNS = {"proposed": "child", "countered": "parent"}
KIND_LABELS = {"proposed": "Proposed", "countered": "Countered", "revised": "Revised", "accepted": "Accepted"}


def _person(first, last, username):
    return SimpleNamespace(username=username, get_full_name=lambda: f"{first} {last}".strip())


MAX, NINA = _person("Max", "<Mustermann>", "max.de"), _person("", "", "nina.partner")
PCT = SimpleNamespace(name="Fill <rate>", code="FILL", kind="percent", unit="%")
UNITS = SimpleNamespace(name="Sell-out & co", code="SELL", kind="count", unit="units <u>")


def _step(kind, side, actor, value, at, comment=""):
    return SimpleNamespace(kind=kind, side=side, actor=actor, value=Decimal(value), at=at, comment=comment,
                           get_kind_display=lambda: KIND_LABELS[kind])


def _proposal(pk, kpi, status, *, side=None, partnership=None, unit="Germany <DE>", steps=()):
    turn = TURNS.get(status)
    steps = list(steps)
    return SimpleNamespace(pk=pk, kpi=kpi, status=status, turn=turn, your_side=side,
                           your_turn=turn is not None and turn == side, partnership=partnership,
                           org_unit=SimpleNamespace(name=unit), period=date(2026, 3, 1),
                           value=steps[-1].value if steps else Decimal("0.85"),
                           steps=SimpleNamespace(all=lambda: steps))


AT = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
HOME = SimpleNamespace(name='MedLogistik "Germany" & co')
PROPOSED = [_step("proposed", "parent", MAX, "0.85", AT, "Plan <2026>")]
COUNTERED = [*PROPOSED, _step("countered", "child", NINA, "0.8", AT.replace(day=5), "Too 'high'")]
AGREED = [*COUNTERED, _step("accepted", "parent", MAX, "0.8", AT.replace(day=9))]


def _proposals(side_on_partnership):
    return [
        _proposal(1, PCT, "proposed", side=side_on_partnership, partnership=HOME, steps=PROPOSED),
        _proposal(2, UNITS, "countered", side=side_on_partnership, partnership=HOME,
                  steps=[_step("proposed", "parent", MAX, "1250.5", AT), _step("countered", "child", NINA, "1000",
                                                                                 AT)]),
        _proposal(3, PCT, "agreed", side=side_on_partnership, partnership=HOME, steps=AGREED),
        _proposal(4, UNITS, "proposed", side="parent", steps=[_step("proposed", "parent", MAX, "10", AT)]),
        _proposal(5, UNITS, "countered", side="child", unit="Japan & <JP>", steps=[]),
        _proposal(6, PCT, "countered", side=None, steps=PROPOSED),
    ]


PARTNER, INTERNAL = SimpleNamespace(is_partner=True), SimpleNamespace(is_partner=False)
CASES = {"partner": (PARTNER, _proposals("child")), "internal parent": (INTERNAL, _proposals("parent")),
         "reader on no side": (INTERNAL, _proposals(None)), "none": (INTERNAL, []), "partner, none": (PARTNER, [])}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("compact", [True, False], ids=["panel", "page"])
@pytest.mark.parametrize("csrf_token", ["token<123>", None], ids=["csrf", "no csrf"])
def test_the_list_is_the_template(case, compact, csrf_token):
    user, proposals = CASES[case]
    next_url = '/partners/partnerships/1/?tab="x"&y=1'
    with timezone.override("Asia/Tokyo"):
        expected = Template(PROPOSALS_TEMPLATE).render(Context({
            "proposals": proposals, "user": user, "next_url": next_url, "compact": compact, "csrf_token": csrf_token}))
        written_csrf = Template("{% csrf_token %}").render(Context({"csrf_token": csrf_token}))
        assert proposals_html(proposals, user=user, next_url=next_url, compact=compact,
                              csrf_input=written_csrf) == expected
