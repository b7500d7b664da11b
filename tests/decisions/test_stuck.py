"""Issue 16, "stuck decisions on the leader's dashboard": one definition (overdue, escalated,
waiting on an agree — ``DecisionQuerySet.stuck``) read by the dashboard's panel, the decision
list's ``stuck`` filter, the region pack and the digest; each scoped to what the reader may see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from decisions import selectors
from decisions import services as decisions
from decisions.services.escalation import escalate_overdue

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck(holders, log_de, org):
    """In Germany: one overdue and escalated, one waiting on Compliance's agree past its answer time
    (half of the 24 h), one just asked (not stuck yet), one agreed and within its SLA (not stuck),
    one decided (not stuck)."""
    now = timezone.now()
    late = log_de(title="Late tender price", now=now - timedelta(days=3))
    escalate_overdue(now=now)
    waiting = log_de(title="Fresh rebate", now=now - timedelta(hours=13))
    log_de(title="Just asked", now=now)
    fine = log_de(title="Agreed and on time", now=now)
    decisions.decision_agree(decision=fine, actor=holders["compliance_de"], agree=True, now=now)
    done = log_de(title="Already decided", now=now)
    decisions.decision_agree(decision=done, actor=holders["compliance_de"], agree=True, now=now)
    done.refresh_from_db()
    decisions.decision_decide(decision=done, actor=done.decider, outcome="Go", now=now)
    return {"late": late, "waiting": waiting, "fine": fine, "done": done}


def _panel(html: str) -> str:
    start = html.index('data-testid="stuck-decisions"')
    return html[start:html.index("</section>", start)]


def test_the_dashboard_lists_the_stuck_decisions_under_the_unit_with_links_and_why(client, holders, stuck):
    client.force_login(holders["leader"])
    panel = _panel(client.get("/kpis/dashboard/?unit=DACH").content.decode())
    links = re.findall(r'href="/decisions/(\d+)/">([^<]+)</a>', panel)
    assert links == [(str(stuck["late"].pk), "Late tender price"), (str(stuck["waiting"].pk), "Fresh rebate")]
    late_row = panel[panel.index("Late tender price"):panel.index("Fresh rebate")]
    assert "overdue" in late_row and re.search(r"escalated to L[1-9]", late_row)
    assert "waiting on an agree" in panel[panel.index("Fresh rebate"):]
    assert "Agreed and on time" not in panel and "Already decided" not in panel and "Just asked" not in panel


def test_the_panels_list_link_shows_the_same_decisions(client, holders, stuck):
    client.force_login(holders["leader"])
    panel = _panel(client.get("/kpis/dashboard/?unit=DACH").content.decode())
    href = re.search(r'href="(/decisions/list/\?org_unit=DACH&amp;stuck=on[^"]*)"', panel).group(1)
    href = href.replace("&amp;", "&")
    page = client.get(href)
    assert [d.title for d in page.context["page"].object_list] == ["Late tender price", "Fresh rebate"]
    assert "2 decisions in your scope match" in page.content.decode()


def test_no_one_sees_stuck_decisions_outside_their_scope(client, holders, stuck, org):
    client.force_login(holders["manager_jp"])
    panel = _panel(client.get("/kpis/dashboard/").content.decode())
    assert "Late tender price" not in panel and "No decision is stuck" in panel
    assert selectors.stuck_decisions(user=holders["manager_jp"], now=timezone.now()) == []
    # a leader looking at a unit with none under it: the DE decisions are not counted in AT
    client.force_login(holders["leader"])
    assert "No decision is stuck in Austria" in _panel(client.get("/kpis/dashboard/?unit=AT").content.decode())


def test_partner_users_cannot_ask_the_list_for_stuck_decisions(client, holders, stuck, partner_a):
    from decisions.models import Decision

    Decision.objects.filter(pk=stuck["late"].pk).update(partnership=partner_a, visibility="shared")
    client.force_login(holders["partner"])
    page = client.get("/decisions/list/?stuck=on")
    assert "stuck" not in page.context["form"].fields  # escalations and agrees are internal
    assert selectors.decision_list(user=holders["partner"], filters={"stuck": True}).count() == 0
    assert client.get("/kpis/dashboard/").status_code == 404


def test_the_panel_is_one_query_whatever_the_number_of_stuck_decisions(client, holders, stuck, log_de):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(holders["leader"])
    client.get("/kpis/dashboard/?unit=DACH")  # the rest of the page is then kept (kpis.dashboard_page)
    with CaptureQueriesContext(connection) as before:
        client.get("/kpis/dashboard/?unit=DACH")
    for i in range(12):  # decisions do not move the dashboard's data version: the panel is read anew
        log_de(title=f"Another stuck one {i}", now=timezone.now() - timedelta(days=2))
    with CaptureQueriesContext(connection) as after:
        html = client.get("/kpis/dashboard/?unit=DACH").content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    panel = _panel(html)
    assert len(re.findall(r'href="/decisions/\d+/"', panel)) == 8 and "More are stuck" in panel


def test_the_panels_brief_read_lists_the_same_stuck_decisions_without_the_decider(holders, log_de, org):
    """The dashboard panel's read (``brief``): the same decisions, type, unit, SLA and reasons as the
    full read, in one statement without the decider's join (nothing deferred is read later)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    log_de(title="Late tender price", now=now - timedelta(days=3))
    escalate_overdue(now=now)
    log_de(title="Fresh rebate", now=now - timedelta(hours=13))
    log_de(title="Just asked", now=now)
    leader = holders["leader"]
    full = selectors.stuck_decisions(user=leader, org_unit_id=org["DACH"].pk, now=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        brief = selectors.stuck_decisions(user=leader, org_unit_id=org["DACH"].pk, now=timezone.now(),
                                          brief=True)
        shown = [(d.pk, d.title, d.decision_type.name, d.org_unit.code, d.sla_due_at,
                  selectors.stuck_reasons(d, now)) for d in brief]
    assert len(ctx.captured_queries) == 1  # nothing deferred is read afterwards
    assert '"governance_user"' not in ctx.captured_queries[0]["sql"]
    assert shown == [(d.pk, d.title, d.decision_type.name, d.org_unit.code, d.sla_due_at,
                      selectors.stuck_reasons(d, now)) for d in full]
    assert [d.title for d in brief] == ["Late tender price", "Fresh rebate"]


# The panel's loop in templates/decisions/_stuck_decisions.html before issue 22 wrote it in Python
# (``decisions.presenters.stuck_rows_html``).
STUCK_ROWS_TEMPLATE = """{% for d, why in rows %}
    <li class="list-group-item d-flex justify-content-between align-items-start gap-2">
      <div class="text-truncate"><a class="text-decoration-none" href="{% url 'decisions:detail' d.pk %}">{{ d.title }}</a>
        <div class="small text-body-secondary text-truncate">{{ d.decision_type.name }} · {{ d.org_unit.code }} · SLA {{ d.sla_due_at|when:"short" }}</div></div>
      <span class="d-flex flex-wrap gap-1 justify-content-end">{% for w in why %}<span class="badge {% if w == 'overdue' %}text-bg-danger{% elif w == 'waiting on an agree' %}text-bg-warning{% else %}text-bg-secondary{% endif %}">{% if w == 'overdue' %}<i class="bi bi-clock-history" aria-hidden="true"></i>{% elif w == 'waiting on an agree' %}<i class="bi bi-hand-thumbs-up" aria-hidden="true"></i>{% else %}<i class="bi bi-arrow-up-circle" aria-hidden="true"></i>{% endif %} {{ w }}</span>{% endfor %}</span>
    </li>
    {% endfor %}"""  # noqa: E501 - the template's lines as they were


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Tokyo"])
def test_the_panels_rows_are_what_the_template_wrote(zone):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from django.template import Context, Template

    from decisions.presenters import stuck_rows_html

    def decision(pk, title, type_name, code, sla):
        return SimpleNamespace(pk=pk, title=title, decision_type=SimpleNamespace(name=type_name),
                               org_unit=SimpleNamespace(code=code), sla_due_at=sla)

    rows = [
        (decision(1, "Late tender price", "Price exception", "DE", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
         ["overdue", "escalated to L1", "waiting on an agree"]),
        (decision(22, 'Rebate <b>"A&B"</b> it\'s', "Type & <i>kind</i>", "D'E", datetime(2026, 12, 31, 23, 30,
                                                                                            tzinfo=UTC)),
         ["escalated to L2"]),
        (decision(333, "No reasons", "T", "AT", None), []),
        (decision(4444, "Waiting", "T", "AT", datetime(2025, 6, 1, 12, 0, tzinfo=UTC)), ["waiting on an agree"]),
    ]
    with timezone.override(zone):
        for shown in (rows, rows[:1], []):
            assert stuck_rows_html(shown) == Template(STUCK_ROWS_TEMPLATE).render(Context({"rows": shown}))


def test_a_limited_read_keeps_the_earliest_slas_in_scope_with_their_reasons(holders, log_de, org):
    """The read finds the first ``limit`` stuck decisions by SLA in the reader's scope, then reads
    those whole (``stuck_decisions``): a later SLA, a decision outside the unit or one not stuck never
    takes a place, and the reasons come with the rows."""
    now = timezone.now()
    titles = [f"Late {n}" for n in range(4)]
    for hours, title in zip((96, 84, 72, 60), titles, strict=True):  # SLA 24 h: all overdue, oldest first
        log_de(title=title, now=now - timedelta(hours=hours))
    waiting = log_de(title="Waiting on Compliance", now=now - timedelta(hours=13))
    log_de(title="Just asked", now=now)
    leader = holders["leader"]
    read = selectors.stuck_decisions(user=leader, org_unit_id=org["DACH"].pk, now=now, limit=2)
    assert [d.title for d in read] == titles[:2]
    # overdue, and Compliance's agree, asked for with them, is past its answer time too
    assert [selectors.stuck_reasons(d, now) for d in read] == [["overdue", "waiting on an agree"]] * 2
    every = selectors.stuck_decisions(user=leader, org_unit_id=org["DACH"].pk, now=now)
    assert [d.title for d in every] == [*titles, "Waiting on Compliance"]
    assert selectors.stuck_reasons(every[-1], now) == ["waiting on an agree"] and every[-1].pk == waiting.pk
    assert selectors.stuck_decisions(user=leader, org_unit_id=org["JP"].pk, now=now) == []
