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
      {% if show_internal %}<td class="small">{{ d.decider.get_full_name|default:d.decider.username }}</td>
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
    context = {"decisions": DECISIONS, "now": NOW, "show_internal": show_internal}
    with timezone.override(zone):
        expected = Template(ROWS_TEMPLATE).render(Context(context))
        written = decision_rows_html(DECISIONS, now=NOW, show_internal=show_internal)
    assert written == expected
    assert "&lt;b&gt;MedDistrib&lt;/b&gt;" in written and "<b>" not in written


def test_a_decision_without_a_decider_gets_an_empty_cell():
    """The column is nullable though no service leaves it empty; the loop failed on it
    (VariableDoesNotExist), the rows write an empty cell."""
    written = decision_rows_html([_decision(11, "Seat empty", decider=None)], now=NOW, show_internal=True)
    assert '<td class="small">DE</td>\n      <td class="small"></td>' in written


def test_no_rows():
    assert decision_rows_html([], now=NOW, show_internal=True) == ""
