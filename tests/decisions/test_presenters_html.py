"""Issue 22: the decision tables' rows (the decision list, the queue) are written in Python
(``decisions.presenters.decision_rows_html``) rather than by the template loop. Their output must be
what that loop wrote, character for character, for internal and partner readers: every priority,
with and without a partnership or decider, blocked and escalated, overdue, past the requester's
needed-by date, due later by the SLA or by the requested date, closed (with and without a date),
in the reader's zone, and titles and names with markup characters (escaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from decisions.models import Decision, DecisionType
from decisions.presenters import decision_rows_html
from governance.models import OrgUnit, User
from partners.models import Partnership

# The rows of templates/decisions/_decision_table.html before issue 22 (the loop with its indentation).
ROWS_TEMPLATE = """{% load decisions_tags %}{% for d in decisions %}
    <tr>
      <td><a class="fw-semibold text-decoration-none" href="{% url 'decisions:detail' d.pk %}">{{ d.title }}</a>
        {% if d.priority == 'urgent' or d.priority == 'high' %}<span class="badge text-bg-danger-subtle text-danger-emphasis ms-1">{{ d.get_priority_display }}</span>{% endif %}
        {% if d.partnership %}<div class="small text-body-secondary"><i class="bi bi-people"></i> {{ d.partnership.name }}</div>{% endif %}</td>
      <td class="small">{{ d.decision_type.name }}</td>
      <td class="small">{{ d.org_unit.code }}</td>
      {% if show_internal %}<td class="small">{{ d.decider|name_for:user }}</td>
      <td class="text-nowrap"><span class="badge {{ d.state|status_class }}">{{ d.get_state_display }}</span>
        {% if d.escalation_level %}<span class="badge text-bg-warning" title="Escalation level {{ d.escalation_level }}"><i class="bi bi-arrow-up"></i> L{{ d.escalation_level }}</span>{% endif %}</td>
      <td class="text-end small text-nowrap">{% with deadline=d.deadline %}{% if deadline %}{% if d.sla_due_at <= now %}<span class="rag rag-red">overdue</span>{% elif deadline.0 <= now %}<span class="rag rag-red" title="Needed by {{ deadline.0|when_text }}">past needed-by</span>{% else %}<span title="{{ deadline.0|when_text }}">{{ deadline.0|timeuntil:now }}</span>{% if deadline.1 == 'requested' %} <i class="bi bi-calendar-event text-body-secondary" title="Needed by the requester's date"></i>{% endif %}{% endif %}{% else %}<span class="text-body-secondary">{{ d.decided_at|date:"d M Y"|default:"—" }}</span>{% endif %}{% endwith %}</td>
      {% else %}{# partner users: no people, escalation, vetoes (blocked) or the requester's own date #}
      <td class="text-nowrap"><span class="badge {{ d.status|status_class }}">{{ d.get_status_display }}</span></td>
      <td class="text-end small text-nowrap">{% if d.status == 'open' %}{% if d.sla_due_at <= now %}<span class="rag rag-red">overdue</span>{% else %}{{ d.sla_due_at|timeuntil:now }}{% endif %}{% else %}<span class="text-body-secondary">{{ d.decided_at|date:"d M Y"|default:"—" }}</span>{% endif %}</td>
      {% endif %}
    </tr>
  {% endfor %}"""  # noqa: E501 - the template's lines as they were

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
READER = User(pk=99, username="leader.emea", role="leader")  # an internal reader


def _decision(pk, title, *, status="open", priority="normal", blocked=False, escalation=0,
              sla_in=timedelta(days=2), due_by_in=None, decided_at=None, partnership="MedDistrib <Nord> & Co",
              decider=("Max", "Weber", "max.de")):
    first, last, username = decider or ("", "", "")
    return Decision(
        pk=pk, title=title, status=status, priority=priority, blocked=blocked, escalation_level=escalation,
        sla_due_at=NOW + sla_in, due_by=None if due_by_in is None else NOW + due_by_in, decided_at=decided_at,
        decision_type=DecisionType(name="Distributor price exception"), org_unit=OrgUnit(code="DE"),
        partnership=Partnership(name=partnership) if partnership else None,
        decider=User(first_name=first, last_name=last, username=username) if decider else None)


DECISIONS = [
    _decision(1, "Price exception for <b>MedDistrib</b> tender", priority="urgent"),
    _decision(2, "Joint promo budget", priority="high", partnership=None, sla_in=timedelta(hours=-3)),
    _decision(3, "Rebate 'Q3' \"plus\"", priority="low", escalation=2, sla_in=timedelta(hours=-1)),
    _decision(4, "Needed by the requester", due_by_in=timedelta(hours=-2)),
    _decision(5, "Requested sooner", due_by_in=timedelta(hours=20), sla_in=timedelta(days=3)),
    _decision(6, "Vetoed", blocked=True, decider=("", "", "dora.dach")),
    _decision(7, "Due within the hour", sla_in=timedelta(minutes=30)),
    _decision(8, "Decided", status="decided", decided_at=NOW - timedelta(days=40, hours=7)),
    _decision(9, "Withdrawn, never decided", status="withdrawn", sla_in=timedelta(days=-9)),
    _decision(10, "Decided late at night", status="decided", decided_at=datetime(2026, 2, 27, 23, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize("show_internal", [True, False])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Tokyo"])
def test_the_rows_are_what_the_template_loop_wrote(show_internal, zone):
    context = {"decisions": DECISIONS, "now": NOW, "show_internal": show_internal, "user": READER}
    with timezone.override(zone):
        expected = Template(ROWS_TEMPLATE).render(Context(context))
        written = decision_rows_html(DECISIONS, now=NOW, viewer=READER, show_internal=show_internal)
    assert written == expected
    assert "&lt;b&gt;MedDistrib&lt;/b&gt;" in written and "<b>" not in written


def test_a_decision_without_a_decider_gets_an_empty_cell():
    """The column is nullable though no service leaves it empty; the loop failed on it
    (VariableDoesNotExist), the rows write an empty cell."""
    written = decision_rows_html([_decision(11, "Seat empty", decider=None)], now=NOW, viewer=READER,
                                 show_internal=True)
    assert '<td class="small">DE</td>\n      <td class="small"></td>' in written


def test_no_rows():
    assert decision_rows_html([], now=NOW, viewer=READER, show_internal=True) == ""


# The decision page's three loops before issue 22's presenters (templates/decisions/detail.html).
STAGES_TEMPLATE = """{% load decisions_tags accord_time %}{% for p in stages.parties %}<span class="badge rounded-pill {% if p.kind == 'partner' %}text-bg-info{% elif p.kind == 'requester' %}text-bg-secondary{% else %}text-bg-light border{% endif %}">{{ p.name }} · {{ p.business_seconds|business_time }}</span>{% endfor %}|{% for r in stages.rows %}
            <tr{% if not r.ended_at %} class="table-warning"{% endif %}>
              <td>{{ r.stage_label }}{% if show_internal and r.level %} <span class="badge text-bg-light border">level {{ r.level }}</span>{% endif %}</td>
              <td>{{ r.party.name }}</td>
              <td class="text-nowrap">{{ r.started_at|when:"short" }}</td>
              <td class="text-nowrap">{% if r.ended_at %}{{ r.ended_at|when:"short" }}{% else %}<em>still waiting</em>{% endif %}</td>
              <td class="text-end text-nowrap">{{ r.business_seconds|business_time }}</td>
            </tr>
          {% endfor %}"""  # noqa: E501 - the template's lines as they were
TIMELINE_TEMPLATE = """{% load decisions_tags accord_time %}{% for round, events in rounds %}
        {% if rounds|length > 1 and show_internal %}<li class="list-group-item bg-body-tertiary small fw-semibold text-uppercase text-body-secondary" data-testid="round-heading">Round {{ round }}</li>{% endif %}
        {% for e in events %}
        <li class="list-group-item d-flex gap-3">
          <i class="bi bi-{{ e.kind|event_icon }} fs-5 {% if e.kind == 'vetoed' or e.kind == 'escalated' %}text-danger{% elif e.kind == 'decided' or e.kind == 'agreed' %}text-success{% else %}text-primary{% endif %}" aria-hidden="true"></i>
          <div class="flex-grow-1">
            <div><strong>{{ e.get_kind_display }}</strong>{% if e.actor %}{% if show_internal or e.actor_id == user.pk %} by {{ e.actor|name_for:user }}{% endif %}{% endif %}{% if show_internal and e.level %} <span class="badge text-bg-light border">level {{ e.level }}</span>{% endif %}{% if show_internal and decision.partnership and e.visibility == 'shared' %} <span class="badge text-bg-info-subtle text-info-emphasis border" title="Shared with the partner"><i class="bi bi-people"></i></span>{% endif %}</div>
            {% if e.message %}<div class="text-body-secondary small">{{ e.message }}</div>{% endif %}
          </div>
          <span class="small text-body-secondary text-nowrap">{{ e.at|when }}</span>
        </li>
        {% endfor %}
      {% endfor %}"""  # noqa: E501 - the template's lines as they were
PARTICIPANTS_TEMPLATE = """{% load decisions_tags %}{% for p in participants %}
        <li class="list-group-item d-flex gap-2 align-items-start">
          <span class="badge {{ p.role|role_class }}" title="{{ p.get_role_display }}">{{ p.role }}</span>
          <div class="flex-grow-1 small">
            {% if show_internal or p.user_id == user.pk %}<div class="fw-semibold">{{ p.user|name_for:user }}</div>
            <div class="text-body-secondary">{{ p.function.name }}, {{ p.org_unit.name }}{% if p.level %} · via escalation{% endif %}{% if decision.partnership and p.visibility == 'shared' and show_internal %} · <i class="bi bi-people" title="Answer shared with the partner"></i> shared{% endif %}</div>
            {% else %}<div class="fw-semibold">{{ p.function.name }}</div>{% endif %}
            {% if p.role == 'A' %}<div>{% if p.agreed is True %}<span class="text-success"><i class="bi bi-check"></i> agreed</span>{% elif p.agreed is False %}<span class="text-danger"><i class="bi bi-x"></i> vetoed</span>{% elif decision.is_open %}<span class="text-warning-emphasis">waiting{% if show_internal and decision.round > 1 %} (round {{ decision.round }}){% endif %}</span>{% else %}<span class="text-body-secondary">no answer</span>{% endif %}{% if p.comment %} — {{ p.comment }}{% endif %}</div>{% endif %}
            {% if p.role == 'I' or p.role == 'R' %}<div>{% if p.input_at %}<span class="text-success"><i class="bi bi-check"></i> input given</span>{% if p.input_text and not show_internal %} — {{ p.input_text }}{% endif %}{% else %}<span class="text-body-secondary">no input yet</span>{% endif %}</div>{% endif %}
          </div>
        </li>
      {% empty %}<li class="list-group-item small text-body-secondary">{% if show_internal %}Nobody yet.{% else %}No answers shared with you yet.{% endif %}</li>
      {% endfor %}"""  # noqa: E501 - the template's lines as they were


def _page_people():
    from decisions.models import DecisionEvent, DecisionParticipant
    from governance.models import Function

    max_ = User(pk=11, username="max.de", first_name="Max", last_name="<Weber>")
    carla = User(pk=12, username="carla&co")
    pat = User(pk=13, username="pat.partner", first_name="Pat")
    de, sales = OrgUnit(name="Germany & <Co>"), Function(name="Sales 'DE'")
    seats = [
        DecisionParticipant(pk=1, user=max_, function=sales, org_unit=de, role="D", level=0),
        DecisionParticipant(pk=2, user=carla, function=sales, org_unit=de, role="A", level=0, agreed=True,
                            comment="Fine <b>by</b> me", visibility="shared"),
        DecisionParticipant(pk=3, user=carla, function=sales, org_unit=de, role="A", level=1, agreed=False),
        DecisionParticipant(pk=4, user=max_, function=sales, org_unit=de, role="A", level=0, agreed=None),
        DecisionParticipant(pk=5, user=pat, function=sales, org_unit=de, role="I", level=0, input_at=NOW,
                            input_text="Stock \"low\" & late", visibility="shared"),
        DecisionParticipant(pk=6, user=carla, function=sales, org_unit=de, role="R", level=0),
        DecisionParticipant(pk=7, user=max_, function=sales, org_unit=de, role="P", level=2),
    ]
    events = [
        DecisionEvent(pk=1, kind="logged", actor=max_, at=NOW, level=0, round=1, message="", visibility="internal"),
        DecisionEvent(pk=2, kind="vetoed", actor=carla, at=NOW, level=1, round=1, message="No <way>",
                      visibility="shared"),
        DecisionEvent(pk=3, kind="escalated", actor=None, at=NOW, level=2, round=1, message="Overdue"),
        DecisionEvent(pk=4, kind="input_given", actor=pat, at=NOW, level=0, round=2, message="", visibility="shared"),
        DecisionEvent(pk=5, kind="decided", actor=max_, at=NOW, level=0, round=2, message="Grant 8%"),
        DecisionEvent(pk=6, kind="agreed", actor=carla, at=NOW, round=2, message=""),
        DecisionEvent(pk=7, kind="nudged", actor=max_, at=NOW, round=2, message="Reminder 'sent'"),
    ]
    return pat, seats, events


@pytest.mark.parametrize("show_internal", [True, False])
@pytest.mark.parametrize("status,round_,partnership", [("open", 2, "MedDistrib <Nord>"), ("open", 1, None),
                                                       ("decided", 2, "MedDistrib <Nord>")])
def test_the_decision_pages_rows_are_what_its_loops_wrote(show_internal, status, round_, partnership):
    """The stages, timeline and participants of the decision page (``decisions.presenters``) are
    what the template's loops wrote, for internal and partner readers (a partner reader's own seat
    and event named, others not), every answer state, levels, shared answers, several rounds or
    one, with and without a partnership, and names, comments and messages with markup characters."""
    from decisions import presenters

    pat, seats, events = _page_people()
    decision = Decision(pk=9, status=status, round=round_,
                        partnership=Partnership(name=partnership) if partnership else None)
    stages = {"parties": [{"kind": "partner", "name": "MedDistrib <Nord>", "business_seconds": 5400},
                          {"kind": "requester", "name": "The requester", "business_seconds": 39600},
                          {"kind": "function", "name": "Sales 'DE'", "business_seconds": None}],
              "rows": [{"stage": "drafting", "stage_label": "Drafting <1>", "started_at": NOW, "ended_at": NOW,
                        "business_seconds": 60, "level": 0, "party": {"name": "The requester & co"}},
                       {"stage": "agree", "stage_label": "Agree", "started_at": NOW, "ended_at": None,
                        "business_seconds": None, "level": 2, "party": {"name": "Sales"}}]}
    rounds = [(1, events[:3]), (2, events[3:])] if round_ > 1 else [(1, events)]
    context = Context({"stages": stages, "rounds": rounds, "participants": seats, "decision": decision,
                       "show_internal": show_internal, "user": pat})
    with timezone.override("Europe/Berlin"):
        parties, rows = Template(STAGES_TEMPLATE).render(context).split("|")
        assert presenters.stage_parties_html(stages["parties"]) == parties
        assert presenters.stage_rows_html(stages["rows"], show_internal=show_internal) == rows
        assert presenters.timeline_html(rounds, decision=decision, viewer=pat,
                                        show_internal=show_internal) == Template(TIMELINE_TEMPLATE).render(context)
        for people in (seats, []):
            context["participants"] = people
            assert presenters.participants_html(people, decision=decision, viewer=pat, show_internal=show_internal) \
                == Template(PARTICIPANTS_TEMPLATE).render(context)
    assert "&lt;Weber&gt;" in presenters.participants_html(seats, decision=decision, viewer=pat, show_internal=True)
    assert "Weber" not in presenters.participants_html(seats, decision=decision, viewer=pat, show_internal=False)
