"""The decision lifecycle: the requester's edits until the first answer, revising after a veto (a new
round), blocked decisions, withdrawing with a reason, the requested due date beside the SLA,
reminders (rate-limited) and reassigning — through the services, the API and the pages.

The price-exception cast (conftest): max.de requests and decides, carla.compliance must agree (A),
anna.access gives input (I), fritz.finance recommends (R); 24-hour SLA on a 24×7 clock.
"""

from datetime import UTC, datetime, timedelta

import pytest

from decisions import services
from decisions.models import Decision, DecisionEvent, DecisionParticipant
from governance.models import Notification
from tests.decisions.conftest import T0

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/api/v1/decisions/"


def kinds(decision) -> list[tuple[int, str]]:
    return list(DecisionEvent.objects.filter(decision=decision).order_by("pk").values_list("round", "kind"))


# --- edits until the first answer ----------------------------------------------------------------


def test_the_requester_edits_until_the_first_agree_then_edits_are_locked(api, holders, log_de, functions):
    decision = log_de(now=T0)
    max_ = api(holders["manager_de"])
    edited = max_.patch(f"{URL}{decision.pk}/", {"title": "Price exception for the Charité tender",
                                                   "description": "12% below list, 3 years."}, format="json")
    assert edited.status_code == 200, edited.json()
    assert edited.json()["title"] == "Price exception for the Charité tender"
    event = DecisionEvent.objects.get(decision=decision, kind="edited")
    assert event.data["changes"]["title"] == ["Price exception for MedDistrib tender",
                                              "Price exception for the Charité tender"]
    assert event.actor == holders["manager_de"] and event.message == "Changed: title, description."

    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + H)
    locked = max_.patch(f"{URL}{decision.pk}/", {"title": "Sneaky change after Compliance agreed"}, format="json")
    assert locked.status_code == 409 and "can no longer be edited" in locked.json()["detail"]
    decision.refresh_from_db()
    assert decision.title == "Price exception for the Charité tender"
    assert DecisionEvent.objects.filter(decision=decision, kind="edited").count() == 1


def test_an_input_closes_edits_too_and_an_unchanged_edit_writes_nothing(api, holders, log_de):
    decision = log_de(now=T0)
    max_ = api(holders["manager_de"])
    assert max_.patch(f"{URL}{decision.pk}/", {"title": decision.title}, format="json").status_code == 200
    assert not DecisionEvent.objects.filter(decision=decision, kind="edited").exists()
    services.decision_give_input(decision=decision, actor=holders["access_de"], comment="Fine", now=T0 + H)
    assert max_.patch(f"{URL}{decision.pk}/", {"priority": "high"}, format="json").status_code == 409


def test_only_the_requester_edits_and_others_get_403_or_404(api, holders, log_de):
    decision = log_de(now=T0)
    assert api(holders["compliance_de"]).patch(f"{URL}{decision.pk}/", {"title": "x"},
                                               format="json").status_code == 403
    assert api(holders["leader"]).patch(f"{URL}{decision.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api(holders["manager_jp"]).patch(f"{URL}{decision.pk}/", {"title": "x"}, format="json").status_code == 404
    assert api(holders["partner"]).patch(f"{URL}{decision.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api(holders["manager_de"]).patch(f"{URL}{decision.pk}/", {"title": "  "},
                                            format="json").status_code == 400
    assert api(holders["manager_de"]).put(f"{URL}{decision.pk}/", {"title": "x"}, format="json").status_code == 405


def test_a_new_priority_moves_the_sla_before_the_first_escalation(holders, log_de):
    decision = log_de(now=T0)
    services.decision_edit(decision=decision, actor=holders["manager_de"], changes={"priority": "urgent"},
                           now=T0 + H)
    decision.refresh_from_db()
    assert (decision.sla_due_at, decision.due_at, decision.warn_at) == (T0 + 8 * H, T0 + 8 * H, T0 + 6 * H)
    assert decision.next_deadline_at == T0 + 6 * H


# --- veto, blocked, revise -----------------------------------------------------------------------


def test_a_vetoed_decision_is_blocked_not_open(api, client, holders, log_de):
    decision = log_de(now=T0)
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False,
                            comment="Below the floor price", now=T0 + H)
    body = api(holders["manager_de"]).get(f"{URL}{decision.pk}/").json()
    assert (body["status"], body["state"], body["blocked"]) == ("open", "blocked", True)
    assert [d["id"] for d in api(holders["leader"]).get(f"{URL}?state=blocked").json()["results"]] == [decision.pk]
    assert api(holders["leader"]).get(f"{URL}?state=open").json()["results"] == []
    listed = api(holders["leader"]).get(URL).json()["results"][0]
    assert listed["state"] == "blocked"
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert 'data-testid="state">Blocked (vetoed)</span>' in page and "Blocked by a veto." in page
    assert "Compliance vetoed (Carla)" in page
    queue = client.get("/decisions/queue/").content.decode()
    assert 'data-testid="to-revise"' in queue
    # Compliance changes its mind: the latest answer counts and the block lifts.
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + 2 * H)
    decision.refresh_from_db()
    assert decision.state == "open"


def test_revising_after_a_veto_starts_a_new_round_that_asks_for_agreement_again(api, holders, log_de):
    decision = log_de(now=T0)
    services.decision_give_input(decision=decision, actor=holders["access_de"], comment="Tender is winnable",
                                 now=T0 + H)
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False,
                            comment="Below the floor price", now=T0 + 2 * H)
    max_ = api(holders["manager_de"])
    revised = max_.post(f"{URL}{decision.pk}/revise/", {
        "options": [{"option": "Grant 9%", "pros": "Above the floor", "cons": "May lose"}],
        "comment": "Now 9%, above the floor price"}, format="json")
    assert revised.status_code == 200, revised.json()
    body = revised.json()
    assert (body["round"], body["state"]) == (2, "open")
    compliance = DecisionParticipant.objects.get(decision=decision, role="A")
    assert (compliance.agreed, compliance.comment) == (None, "")  # asked again
    assert DecisionParticipant.objects.get(decision=decision, role="I").input_at == T0 + H  # inputs stay
    revised_event = DecisionEvent.objects.get(decision=decision, kind="revised")
    assert revised_event.data["vetoes"] == [{"user": "carla.compliance", "function": "COMPLIANCE",
                                             "comment": "Below the floor price"}]
    assert revised_event.data["changes"]["options"][1] == [
        {"option": "Grant 9%", "pros": "Above the floor", "cons": "May lose"}]
    assert Notification.objects.filter(recipient=holders["compliance_de"], kind="decision.revised").exists()
    # The timeline keeps both rounds.
    assert kinds(decision) == [(1, "logged"), (1, "input_given"), (1, "vetoed"), (2, "revised")]
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + 3 * H)
    services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="Grant 9%", now=T0 + 4 * H)
    assert kinds(decision)[-2:] == [(2, "agreed"), (2, "decided")]


def test_revise_rules(api, holders, log_de):
    decision = log_de(now=T0)
    max_ = api(holders["manager_de"])
    # Before anyone answered, a revision is an edit (same round).
    assert max_.post(f"{URL}{decision.pk}/revise/", {"title": "Retitled"}, format="json").json()["round"] == 1
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + H)
    no_veto = max_.post(f"{URL}{decision.pk}/revise/", {"comment": "x"}, format="json")
    assert no_veto.status_code == 409
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False, comment="No",
                            now=T0 + 2 * H)
    assert max_.post(f"{URL}{decision.pk}/revise/", {}, format="json").status_code == 400  # says nothing
    assert api(holders["compliance_de"]).post(f"{URL}{decision.pk}/revise/", {"comment": "x"},
                                              format="json").status_code == 403
    assert max_.post(f"{URL}{decision.pk}/revise/", {"decision_type": "OTHER", "comment": "x"},
                     format="json").json()["round"] == 2  # unknown fields are ignored, not applied


def test_withdrawing_needs_a_reason_and_tells_everyone(api, holders, log_de):
    decision = log_de(now=T0)
    max_ = api(holders["manager_de"])
    assert max_.post(f"{URL}{decision.pk}/withdraw/", {}, format="json").status_code == 400
    assert Decision.objects.get(pk=decision.pk).status == "open"
    done = max_.post(f"{URL}{decision.pk}/withdraw/", {"reason": "The tender was cancelled"}, format="json")
    assert done.json()["state"] == "withdrawn"
    note = Notification.objects.get(recipient=holders["compliance_de"], kind="decision.withdrawn")
    assert note.body == "The tender was cancelled"


# --- the requested due date beside the SLA -------------------------------------------------------


def test_a_requested_date_earlier_than_the_sla_drives_the_warning_not_the_escalation(holders, log_de):
    decision = log_de(now=T0, due_by=T0 + 8 * H)  # needed in 8 hours; the SLA gives 24
    assert (decision.sla_due_at, decision.due_by) == (T0 + 24 * H, T0 + 8 * H)
    assert decision.warn_at == T0 + 6 * H  # 75% of the way to the requested date
    assert decision.deadline() == (T0 + 8 * H, "requested")
    assert services.escalate_overdue(now=T0 + 6 * H)["warned"] == 1
    warning = Notification.objects.get(recipient=holders["manager_de"], kind="decision.due_soon")
    assert warning.body == ("The requested date is near: 02 Mar 2026 17:00 CET "
                            "(the SLA is due 03 Mar 2026 09:00 CET).")
    assert services.escalate_overdue(now=T0 + 9 * H) == {"escalated": 0, "warned": 0, "exhausted": 0, "queued": 0}
    assert services.escalate_overdue(now=T0 + 24 * H)["escalated"] == 1  # the SLA escalates


def test_a_requested_date_later_than_the_sla_changes_nothing_on_the_clock(log_de):
    decision = log_de(now=T0, due_by=T0 + 100 * H)
    assert decision.warn_at == T0 + 18 * H and decision.deadline() == (T0 + 24 * H, "sla")


def test_the_api_takes_a_date_as_the_end_of_that_day_in_the_units_zone(api, holders, price_exception):
    body = {"title": "Tender bid", "decision_type": "PRICE_EXC", "org_unit": "DE"}
    future = (datetime.now(UTC) + timedelta(days=10)).date()
    made = api(holders["manager_de"]).post(URL, {**body, "due_by": future.isoformat()}, format="json")
    assert made.status_code == 201, made.json()
    due_by = datetime.fromisoformat(made.json()["due_by"])
    assert due_by.astimezone(services.workflow.zone("Europe/Berlin")).strftime("%Y-%m-%d %H:%M") == (
        f"{future.isoformat()} 23:59")
    assert made.json()["due_by"].endswith("Z")  # the API answers in UTC
    past = api(holders["manager_de"]).post(URL, {**body, "due_by": "2020-01-01"}, format="json")
    assert past.status_code == 400 and "in the future" in str(past.json())
    assert api(holders["manager_de"]).post(URL, {**body, "due_by": "tomorrow"}, format="json").status_code == 400


# --- pages ---------------------------------------------------------------------------------------


def test_closed_decisions_show_no_now_deciding_and_no_clock(client, holders, log_de):
    from django.utils import timezone

    decision = log_de(now=timezone.now() - 2 * H)
    client.force_login(holders["manager_de"])
    open_page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert 'data-testid="now-deciding"' in open_page and "Due in" in open_page
    services.decision_withdraw(decision=decision, actor=holders["manager_de"], reason="Tender cancelled")
    closed = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert 'data-testid="now-deciding"' not in closed and "Now deciding" not in closed
    assert "Due in" not in closed and "SLA due" not in closed and "Escalat" not in closed
    assert 'data-testid="closed-summary"' in closed and "Tender cancelled" in closed


def test_the_requester_edits_and_revises_from_the_page(client, holders, log_de):
    from django.utils import timezone

    decision = log_de(now=timezone.now() - H)
    client.force_login(holders["manager_de"])
    assert f'href="/decisions/{decision.pk}/edit/"' in client.get(f"/decisions/{decision.pk}/").content.decode()
    form = client.get(f"/decisions/{decision.pk}/edit/").content.decode()
    assert 'value="Price exception for MedDistrib tender"' in form
    saved = client.post(f"/decisions/{decision.pk}/edit/", {"title": "Edited on the page", "priority": "high"},
                        follow=True)
    assert "Changes saved." in saved.content.decode()
    decision.refresh_from_db()
    assert (decision.title, decision.priority) == ("Edited on the page", "high")
    client.force_login(holders["compliance_de"])
    assert client.get(f"/decisions/{decision.pk}/edit/").status_code == 404  # not the requester
    client.post(f"/decisions/{decision.pk}/agree/", {"agree": "no", "comment": "Too deep a discount"})
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert f'href="/decisions/{decision.pk}/edit/"' not in page and "Revise" in page
    locked = client.post(f"/decisions/{decision.pk}/edit/", {"title": "Late edit", "priority": "high"})
    assert locked.status_code == 409 and "can no longer be edited" in locked.content.decode()
    revised = client.post(f"/decisions/{decision.pk}/revise/", {
        "title": "Edited on the page", "priority": "high", "comment": "Discount reduced to 8%"}, follow=True)
    assert "a new round starts" in revised.content.decode()
    decision.refresh_from_db()
    assert (decision.round, decision.blocked) == (2, False)
    timeline = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert timeline.count('data-testid="round-heading"') == 2


def test_withdrawing_from_the_page_needs_a_reason(client, holders, log_de):
    from django.utils import timezone

    decision = log_de(now=timezone.now())
    client.force_login(holders["manager_de"])
    assert 'id="withdraw-modal"' in client.get(f"/decisions/{decision.pk}/").content.decode()
    refused = client.post(f"/decisions/{decision.pk}/withdraw/", {"reason": " "}, follow=True).content.decode()
    assert "Say why the decision is withdrawn." in refused
    assert Decision.objects.get(pk=decision.pk).status == "open"
    client.post(f"/decisions/{decision.pk}/withdraw/", {"reason": "Tender cancelled"})
    assert Decision.objects.get(pk=decision.pk).status == "withdrawn"


def test_the_edit_form_keeps_the_requested_date(client, holders, log_de):
    from django.utils import timezone

    decision = log_de(now=timezone.now(), due_by=timezone.now() + 30 * H)
    local_day = timezone.localtime(decision.due_by, services.workflow.zone("Europe/Berlin")).date()
    client.force_login(holders["manager_de"])
    form = client.get(f"/decisions/{decision.pk}/edit/").content.decode()
    assert f'value="{local_day.isoformat()}"' in form
    client.post(f"/decisions/{decision.pk}/edit/", {"title": "Same date, new title", "priority": "normal",
                                                     "due_by": local_day.isoformat()})
    decision.refresh_from_db()
    assert decision.title == "Same date, new title" and decision.due_by is not None
