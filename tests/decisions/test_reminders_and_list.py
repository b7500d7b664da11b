"""Reminding the people a decision waits on (rate-limited), reassigning from the page, and the
decision list's search, sort and saved filters; the log form's preselected unit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from decisions import services
from decisions.models import DecisionEvent, SavedDecisionFilter
from decisions.services.nudges import NUDGE_INTERVAL, waiting_on
from governance.models import Notification
from tests.decisions.conftest import T0, _user

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/api/v1/decisions/"


def test_a_reminder_goes_to_everyone_the_decision_waits_on(api, holders, log_de):
    decision = log_de(now=timezone.now() - H)
    assert [(w.user.username, w.why) for w in waiting_on(decision)] == [
        ("carla.compliance", "agree"), ("anna.access", "input"), ("fritz.finance", "input")]
    response = api(holders["manager_de"]).post(f"{URL}{decision.pk}/nudge/")
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["reminded"]) == ["anna.access", "carla.compliance", "fritz.finance"]
    note = Notification.objects.get(recipient=holders["compliance_de"], kind="decision.nudge")
    assert note.body.startswith("max.de is waiting for your agreement (or veto). Due ")
    event = DecisionEvent.objects.get(decision=decision, kind="nudged")
    assert event.actor == holders["manager_de"] and len(event.data["reminded"]) == 3


def test_reminders_are_rate_limited_per_decision(api, holders, log_de):
    start = timezone.now()
    decision = log_de(now=start - H)
    services.decision_nudge(decision=decision, actor=holders["manager_de"], now=start)
    too_soon = api(holders["manager_de"]).post(f"{URL}{decision.pk}/nudge/")
    assert too_soon.status_code == 429 and 0 < int(too_soon["Retry-After"]) <= NUDGE_INTERVAL.total_seconds()
    with pytest.raises(services.nudges.NudgedRecently):  # whoever asks: the interval is per decision
        services.decision_nudge(decision=decision, actor=holders["admin"], now=start + NUDGE_INTERVAL - H)
    services.decision_nudge(decision=decision, actor=holders["manager_de"], now=start + NUDGE_INTERVAL)
    assert DecisionEvent.objects.filter(decision=decision, kind="nudged").count() == 2


def test_once_agreed_the_decider_is_reminded_and_a_blocked_one_waits_on_its_requester(holders, log_de):
    decision = log_de(now=T0)
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + H)
    assert ("max.de", "decide") in [(w.user.username, w.why) for w in waiting_on(decision)]
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False, comment="No",
                            now=T0 + 2 * H)
    decision.refresh_from_db()
    assert [(w.user.username, w.why) for w in waiting_on(decision)] == [("max.de", "revise")]
    reminded = services.decision_nudge(decision=decision, actor=holders["admin"], now=T0 + 3 * H)
    assert reminded == [holders["manager_de"]]


def test_only_requester_decider_or_admin_remind(api, holders, log_de):
    decision = log_de(now=T0)
    assert api(holders["compliance_de"]).post(f"{URL}{decision.pk}/nudge/").status_code == 403
    assert api(holders["manager_jp"]).post(f"{URL}{decision.pk}/nudge/").status_code == 404
    assert api(holders["partner"]).post(f"{URL}{decision.pk}/nudge/").status_code == 403


def test_the_detail_page_reminds_and_shows_when_the_next_reminder_is_possible(client, holders, log_de):
    decision = log_de(now=timezone.now() - H)
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert "Waiting on Carla (agree)" in page
    done = client.post(f"/decisions/{decision.pk}/nudge/", follow=True).content.decode()
    assert "Reminder sent to" in done and "the next one from" in done
    again = client.post(f"/decisions/{decision.pk}/nudge/", follow=True).content.decode()
    assert "A reminder went out less than 4 hours ago" in again
    assert DecisionEvent.objects.filter(decision=decision, kind="nudged").count() == 1


def test_the_decider_hands_the_decision_to_another_holder_from_the_page(client, holders, log_de, org, functions):
    deputy = _user("dana.deputy", "manager", [(functions["SALES"], org["DE"], "Deputy country manager")])
    decision = log_de(now=timezone.now())
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert 'data-testid="reassign"' in page and "Dana" in page
    client.post(f"/decisions/{decision.pk}/reassign/", {"user": deputy.pk, "reason": "On leave"})
    decision.refresh_from_db()
    assert decision.decider == deputy
    assert client.post(f"/decisions/{decision.pk}/reassign/", {"user": "abc"}, follow=True).status_code == 200


def test_the_list_searches_title_description_and_partner_and_sorts(client, holders, log_de, partner_a):
    now = timezone.now()
    log_de(now=now - 3 * H, title="Rebate for the Charité tender", priority="low")
    log_de(now=now - 2 * H, title="Discount", description="Needed for the Uniklinik Köln bid", priority="urgent")
    log_de(now=now - H, title="Co-promotion budget", partnership=partner_a)
    client.force_login(holders["leader"])

    def titles(query: str) -> list[str]:
        page = client.get(f"/decisions/list/?{query}").content.decode()
        import re

        return re.findall(r'class="fw-semibold text-decoration-none" href="/decisions/\d+/">([^<]+)</a>', page)

    assert titles("q=charit") == ["Rebate for the Charité tender"]
    assert titles("q=uniklinik") == ["Discount"]
    assert titles("q=meddistrib") == ["Co-promotion budget"]  # the partner's name
    assert titles("sort=oldest") == ["Rebate for the Charité tender", "Discount", "Co-promotion budget"]
    assert titles("sort=priority")[0] == "Discount"
    assert titles("sort=title") == ["Co-promotion budget", "Discount", "Rebate for the Charité tender"]
    assert titles("sort=nonsense") == titles("")  # an unknown sort is the default, not an error


def test_saved_filters_are_per_user_and_apply_by_name(client, holders, log_de):
    log_de(now=timezone.now(), title="Urgent one", priority="urgent")
    log_de(now=timezone.now(), title="Quiet one", priority="low")
    client.force_login(holders["leader"])
    saved = client.post("/decisions/filters/save/", {"name": "Urgent DACH", "priority": "urgent",
                                                     "org_unit": "DACH", "page": "3", "evil": "x"}, follow=True)
    page = saved.content.decode()
    assert "Saved the filter “Urgent DACH”." in page and "Urgent one" in page and "Quiet one" not in page
    stored = SavedDecisionFilter.objects.get(user=holders["leader"])
    assert stored.query == "org_unit=DACH&priority=urgent"
    assert client.post("/decisions/filters/save/", {"name": " "}, follow=True).status_code == 200
    client.force_login(holders["manager_de"])
    assert "Urgent DACH" not in client.get("/decisions/list/").content.decode()
    assert client.post(f"/decisions/filters/{stored.pk}/delete/").status_code == 404  # not theirs
    client.force_login(holders["leader"])
    client.post(f"/decisions/filters/{stored.pk}/delete/")
    assert not SavedDecisionFilter.objects.exists()


def test_the_log_form_preselects_the_managers_only_unit(client, holders, price_exception, org):
    client.force_login(holders["manager_de"])
    form = client.get("/decisions/new/").content.decode()
    assert f'<option value="{org["DE"].pk}" selected>' in form
    client.force_login(holders["leader"])  # EMEA: several units below, only one assignment unit
    assert f'<option value="{org["EMEA"].pk}" selected>' in client.get("/decisions/new/").content.decode()
    client.force_login(holders["admin"])
    assert " selected>Germany" not in client.get("/decisions/new/").content.decode()


def test_the_log_form_takes_a_needed_by_date(client, holders, price_exception, org):
    client.force_login(holders["manager_de"])
    day = (timezone.now() + timedelta(days=5)).date()
    response = client.post("/decisions/new/", {"title": "Bid", "decision_type": price_exception.pk,
                                               "org_unit": org["DE"].pk, "priority": "normal",
                                               "due_by": day.isoformat()})
    assert response.status_code == 302
    from decisions.models import Decision

    decision = Decision.objects.get(title="Bid")
    assert decision.due_by.astimezone(services.workflow.zone("Europe/Berlin")).date() == day
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert "Needed by" in page


def test_the_list_pages_in_the_selections_order_with_a_query_count_that_does_not_grow(
        client, holders, log_de, django_assert_num_queries, django_assert_max_num_queries):
    """The page reads its ids first, then those decisions (``selectors.decision_page``): every sort
    gives the selection's own order across pages (ties on the time broken by id), nothing twice,
    nothing left out, with as many queries for 30 decisions as for 3."""
    import re

    from decisions.selectors import decision_list

    now = timezone.now()
    client.force_login(holders["leader"])

    def titles(query: str) -> list[str]:
        page = client.get(f"/decisions/list/?{query}").content.decode()
        return re.findall(r'class="fw-semibold text-decoration-none" href="/decisions/\d+/">([^<]+)</a>', page)

    for i in range(3):
        log_de(now=now - (i // 2) * H, title=f"Decision {i:02}", priority=("urgent", "low", "normal")[i % 3])
    titles("")  # the session's first request reads the user's saved filters and scope once more
    with django_assert_max_num_queries(9) as few:  # 9: session, user, scope, saved filters, ids, count, rows...
        titles("")
    queries = len(few)  # now: the log it reads is reset by the next request
    for i in range(3, 30):
        log_de(now=now - (i // 2) * H, title=f"Decision {i:02}", priority=("urgent", "low", "normal")[i % 3])
    for sort in ("newest", "oldest", "due", "priority", "title"):
        expected = [d.title for d in decision_list(user=holders["leader"], sort=sort)]
        assert len(expected) == 30
        assert titles(f"sort={sort}") + titles(f"sort={sort}&page=2") == expected, sort
    assert titles("page=99") == titles("page=2")  # past the end: the last page
    with django_assert_num_queries(queries):
        titles("")

