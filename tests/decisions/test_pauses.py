"""Issue 18, pauses with a reason and an owner: the decision type's rules say who may pause, for
what, whom it waits on, whether the SLA clock stops (and then every deadline moves by exactly the
paused business time — here across a weekend), how long at most and what resumes it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from decisions import services
from decisions.models import Decision, DecisionEvent, DecisionPause, DecisionStage, PauseRule
from decisions.services.stage_backfill import backfill_stages
from tests.decisions.test_stages import intervals

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600
URL = "/api/v1/decisions/"


def berlin(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def biz_type(holders, functions):
    decision_type = services.decision_type_create(
        actor=holders["admin"], code="BIZ", name="Business-hours decision", decided_at_level="market",
        sla_hours=40, calendar="business",
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A"), (functions["ACCESS"], "I")],
        now=datetime(2026, 1, 1, tzinfo=UTC))
    PauseRule.objects.create(decision_type=decision_type, code="PARTNER_DATA", label="Waiting on partner data",
                             party="partner", who_may_pause="either", stops_clock=True, max_hours=240)
    PauseRule.objects.create(decision_type=decision_type, code="REVIEW", label="Waiting on a review",
                             party="function", who_may_pause="requester", stops_clock=False, max_hours=48)
    PauseRule.objects.create(decision_type=decision_type, code="OWN_DATA", label="Requester gathers data",
                             party="requester", who_may_pause="decider", stops_clock=False, max_hours=24,
                             resumes_on_answer=False)
    return decision_type


@pytest.fixture
def logged(holders, org, biz_type, partner_a):
    """Monday 2 March 09:00 Berlin, on partnership A: SLA due Friday 13:00 (40 business hours)."""
    return services.decision_log(actor=holders["manager_de"], decision_type=biz_type, org_unit=org["DE"],
                                 title="Tender price", partnership=partner_a, visibility="shared", now=berlin(2, 9))


@pytest.mark.django_db
def test_a_clock_stopping_pause_across_a_weekend_moves_every_deadline_by_the_paused_business_time(
        holders, logged):
    assert logged.sla_due_at == berlin(6, 13)
    pause = services.decision_pause(decision=logged, actor=holders["manager_de"], reason="PARTNER_DATA",
                                    note="Volumes for 2027", now=berlin(5, 16))  # Thursday 16:00
    assert pause.party_kind == "partner" and pause.partner_id == logged.partnership.partner_id
    # Off the sweep while paused: Friday's deadline passes, nothing escalates or warns.
    assert services.escalate_overdue(now=berlin(6, 14)) == {"escalated": 0, "warned": 0, "exhausted": 0, "queued": 0}
    services.decision_resume(decision=logged, actor=holders["manager_de"], now=berlin(9, 11))  # Monday 11:00
    logged.refresh_from_db()
    pause.refresh_from_db()
    # Paused: Thu 16–18 (2 h) + Fri (9 h) + Mon 9–11 (2 h) = 13 business hours; the weekend costs nothing.
    assert pause.clock_seconds == 13 * H and pause.resumed_how == "manual"
    # 6 business hours were left at the pause (Thu 16–18, Fri 9–13): due Monday 17:00 now.
    assert logged.sla_due_at == logged.due_at == berlin(9, 17)
    assert logged.warn_at == berlin(5, 12)  # passed before the pause: stays, and warns at once
    assert services.escalate_overdue(now=berlin(9, 16, 59)) == {"escalated": 0, "warned": 1, "exhausted": 0,
                                                                 "queued": 0}
    assert services.escalate_overdue(now=berlin(9, 17))["escalated"] == 1
    # The stage intervals: Compliance and Market Access until the pause, the partner for the pause.
    rows = intervals(logged)
    assert ("agree", "COMPLIANCE@DE", berlin(2, 9), berlin(5, 16), 34 * H) in rows
    assert ("input", "ACCESS@DE", berlin(2, 9), berlin(5, 16), 34 * H) in rows
    assert ("paused", "partner", berlin(5, 16), berlin(9, 11), 13 * H) in rows
    assert ("agree", "COMPLIANCE@DE", berlin(9, 11), None, None) in rows
    kinds = list(DecisionEvent.objects.filter(decision=logged).values_list("kind", flat=True))
    assert kinds[:3] == ["logged", "paused", "resumed"]
    live = intervals(logged)
    backfill_stages([logged.pk])
    assert intervals(logged) == live


@pytest.mark.django_db
def test_a_reason_that_does_not_stop_the_clock_pauses_the_stages_but_not_the_escalation(api, client, holders,
                                                                                        logged):
    services.decision_pause(decision=logged, actor=holders["manager_de"], reason="REVIEW", party="COMPLIANCE",
                            now=berlin(6, 9))
    # The partner sees that it is paused, not on whom or why (an internal party).
    seen = api(holders["partner"]).get(f"{URL}{logged.pk}/pauses/").json()
    assert [(p["reason"], p["label"], p["party"]["name"]) for p in seen] == [(None, "Paused", "Internal team")]
    client.force_login(holders["partner"])
    page = client.get(f"/decisions/{logged.pk}/").content.decode()
    assert 'data-testid="paused"' in page and "review" not in page.lower() and "Compliance" not in page
    logged.refresh_from_db()
    assert logged.next_deadline_at is not None
    assert services.escalate_overdue(now=berlin(6, 13))["escalated"] == 1
    open_rows = DecisionStage.objects.filter(decision=logged, ended_at__isnull=True)
    assert [(r.stage, r.party_kind, r.function.code) for r in open_rows] == [("paused", "function", "COMPLIANCE")]
    # Compliance's answer resumes it (the rule says an answer resumes).
    services.decision_agree(decision=logged, actor=holders["compliance_de"], agree=True, now=berlin(6, 15))
    pause = DecisionPause.objects.get(decision=logged)
    assert pause.resumed_how == "answer" and pause.resumed_at == berlin(6, 15) and pause.clock_seconds == 0
    assert {r.stage for r in DecisionStage.objects.filter(decision=logged, ended_at__isnull=True)} == {
        "input", "decision"}


@pytest.mark.django_db
def test_the_types_rules_decide_who_may_pause_for_what_and_bad_requests_change_nothing(
        api, holders, logged):
    requester, decider = api(holders["manager_de"]), api(holders["manager_de"])
    url = f"{URL}{logged.pk}/pause/"
    assert requester.post(url, {"reason": "NOPE"}, format="json").status_code == 400
    assert requester.post(url, {"reason": "REVIEW", "party": "FINANCE"}, format="json").status_code == 400
    assert requester.post(url, {"reason": "REVIEW", "party": "partner"}, format="json").status_code == 400
    assert requester.post(url, {"reason": "PARTNER_DATA", "until": "2020-01-01T00:00:00Z"},
                          format="json").status_code == 400
    # Nobody but the requester or decider (max.de is both here) or an admin may pause:
    assert api(holders["compliance_de"]).post(url, {"reason": "PARTNER_DATA"}, format="json").status_code == 403
    assert api(holders["partner"]).post(url, {"reason": "PARTNER_DATA"}, format="json").status_code == 403
    assert api(holders["manager_jp"]).post(url, {"reason": "PARTNER_DATA"}, format="json").status_code == 404
    assert not DecisionPause.objects.exists()
    assert not DecisionEvent.objects.filter(kind="paused").exists()

    too_long = (datetime.now(UTC) + timedelta(hours=300)).isoformat()
    assert decider.post(url, {"reason": "PARTNER_DATA", "until": too_long}, format="json").status_code == 400
    created = decider.post(url, {"reason": "PARTNER_DATA", "note": "Volumes"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["party"]["kind"] == "partner" and created.json()["stops_clock"] is True
    assert decider.post(url, {"reason": "PARTNER_DATA"}, format="json").status_code == 409
    # The partner sees the pause that waits on them (not who paused it).
    seen = api(holders["partner"]).get(f"{URL}{logged.pk}/pauses/").json()
    assert [(p["reason"], p["party"]["name"], p["paused_by"], p["note"]) for p in seen] == [
        ("PARTNER_DATA", "MedDistrib GmbH", None, "Volumes")]
    assert api(holders["compliance_de"]).post(f"{URL}{logged.pk}/resume/").status_code == 403
    resumed = decider.post(f"{URL}{logged.pk}/resume/")
    assert resumed.status_code == 200 and resumed.json()["resumed_how"] == "manual"
    assert decider.post(f"{URL}{logged.pk}/resume/").status_code == 409
    assert DecisionPause.history.count() == 2  # created, then resumed: the history is kept
    # Decided by the decider only (OWN_DATA), and the requester's party is implied.
    assert api(holders["compliance_de"]).post(url, {"reason": "OWN_DATA"}, format="json").status_code == 403


@pytest.mark.django_db
def test_a_pause_ends_when_its_date_passes_and_the_sweep_resumes_it_once(holders, logged):
    services.decision_pause(decision=logged, actor=holders["manager_de"], reason="PARTNER_DATA",
                            until=berlin(4, 12), now=berlin(3, 10))
    assert services.resume_due_pauses(now=berlin(4, 11)) == 0
    assert services.resume_due_pauses(now=berlin(4, 12)) == 1
    assert services.resume_due_pauses(now=berlin(4, 13)) == 0
    pause = DecisionPause.objects.get(decision=logged)
    assert pause.resumed_how == "date" and pause.resumed_at == berlin(4, 12)
    assert pause.clock_seconds == 8 * H + 3 * H  # Tue 10–18, Wed 9–12
    logged.refresh_from_db()
    # 30 business hours were left (Tue 10–18, Wed, Thu, Fri 9–13): from Wed 12:00 that is Mon 15:00.
    assert logged.sla_due_at == berlin(9, 15)


@pytest.mark.django_db
def test_deciding_ends_a_running_pause_and_the_page_shows_the_pause_and_its_buttons(client, holders, logged):
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{logged.pk}/").content.decode()
    assert 'data-testid="pause-form"' in page and "Waiting on partner data" in page
    response = client.post(f"/decisions/{logged.pk}/pause/", {"reason": "PARTNER_DATA", "party": "partner",
                                                              "note": "Volumes", "until": ""})
    assert response.status_code == 302
    page = client.get(f"/decisions/{logged.pk}/").content.decode()
    assert 'data-testid="paused"' in page and "The SLA clock is stopped" in page and "Resume" in page
    bad = client.post(f"/decisions/{logged.pk}/pause/", {"reason": "PARTNER_DATA", "until": "not a date"})
    assert bad.status_code == 302 and DecisionPause.objects.count() == 1
    services.decision_agree(decision=logged, actor=holders["compliance_de"], agree=True)
    services.decision_decide(decision=logged, actor=holders["manager_de"], outcome="Yes")
    assert DecisionPause.objects.get().resumed_how == "closed"
    assert Decision.objects.get(pk=logged.pk).status == "decided"
    assert not DecisionStage.objects.filter(decision=logged, ended_at__isnull=True).exists()
