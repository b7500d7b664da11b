"""Issue 18, stages and parties: a decision's open time split into stored intervals, each attributed
to the party it waited on, exact in business seconds on a known calendar (Berlin, 09:00–18:00,
Mon–Fri, a German holiday), kept by the services and rebuilt identically from the timeline."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from decisions import services
from decisions.models import DecisionStage, Holiday
from decisions.services.stage_backfill import backfill_stages

BERLIN = ZoneInfo("Europe/Berlin")
H = 3600
URL = "/api/v1/decisions/"


def berlin(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def biz_type(holders, functions):
    """Decided at market level by SALES; COMPLIANCE agrees; ACCESS gives input; 40 business hours."""
    return services.decision_type_create(
        actor=holders["admin"], code="BIZ", name="Business-hours decision", decided_at_level="market",
        sla_hours=40, calendar="business",
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A"), (functions["ACCESS"], "I")],
        now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def good_friday(org):
    """Friday 6 March 2026 is a (made-up) holiday of Germany."""
    return Holiday.objects.create(org_unit=org["DE"], date=date(2026, 3, 6), name="Test holiday")


def log(holders, org, decision_type, at, **kwargs):
    return services.decision_log(actor=holders["manager_de"], decision_type=decision_type, org_unit=org["DE"],
                                 title="Tender price", now=at, **kwargs)


def intervals(decision):
    return [(r.stage, r.party_key_label, r.started_at, r.ended_at, r.business_seconds)
            for r in _labelled(decision)]


def _labelled(decision):
    rows = list(DecisionStage.objects.filter(decision=decision).select_related("function", "org_unit")
                .order_by("started_at", "stage", "pk"))
    for r in rows:
        r.party_key_label = (f"{r.function.code}@{r.org_unit.code}" if r.party_kind == "function"
                             else r.party_kind)
    return rows


@pytest.mark.django_db
def test_each_party_is_charged_exactly_its_business_hours_skipping_the_holiday_and_weekend(
        holders, org, biz_type, good_friday):
    # Thursday 10:00 Berlin: Compliance must agree, Market Access give input, Sales decide.
    decision = log(holders, org, biz_type, berlin(5, 10))
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=berlin(9, 12))
    services.decision_give_input(decision=decision, actor=holders["access_de"], comment="Fine", now=berlin(10, 10))
    services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="Yes", now=berlin(10, 15))
    assert intervals(decision) == [
        # Thu 10–18 (8 h) + Fri holiday + weekend + Mon 9–12 (3 h)
        ("agree", "COMPLIANCE@DE", berlin(5, 10), berlin(9, 12), 11 * H),
        # Thu 8 h + Mon 9 h + Tue 9–10 (1 h)
        ("input", "ACCESS@DE", berlin(5, 10), berlin(10, 10), 18 * H),
        # From the agreement (Mon 12:00) to the decision (Tue 15:00): 6 h + 6 h
        ("decision", "SALES@DE", berlin(9, 12), berlin(10, 15), 12 * H),
    ]
    # Rebuilding from the timeline gives the same intervals.
    live = intervals(decision)
    assert backfill_stages([decision.pk]) == 1
    assert intervals(decision) == live


@pytest.mark.django_db
def test_a_veto_hands_the_decision_to_the_requester_until_the_revision_and_agreement_is_asked_again(
        holders, org, biz_type):
    decision = log(holders, org, biz_type, berlin(2, 9))  # Monday 09:00
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False, comment="Too low",
                            now=berlin(2, 11))
    services.decision_revise(decision=decision, actor=holders["manager_de"], changes={}, comment="Raised",
                             now=berlin(2, 17, 30))
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=berlin(3, 9, 30))
    rows = [(stage, who, start, end, secs, r) for (stage, who, start, end, secs), r in
            zip(intervals(decision), [x.round for x in _labelled(decision)], strict=True)]
    assert rows == [
        ("agree", "COMPLIANCE@DE", berlin(2, 9), berlin(2, 11), 2 * H, 1),
        # While a veto blocks it, only the requester holds it up (as the reminders say).
        ("input", "ACCESS@DE", berlin(2, 9), berlin(2, 11), 2 * H, 1),
        ("drafting", "requester", berlin(2, 11), berlin(2, 17, 30), int(6.5 * H), 1),
        ("agree", "COMPLIANCE@DE", berlin(2, 17, 30), berlin(3, 9, 30), H, 2),  # 17:30–18:00 + 09:00–09:30
        ("input", "ACCESS@DE", berlin(2, 17, 30), None, None, 2),
        ("decision", "SALES@DE", berlin(3, 9, 30), None, None, 2),
    ]
    live = intervals(decision)
    backfill_stages([decision.pk])
    assert intervals(decision) == live


@pytest.mark.django_db
def test_escalation_moves_the_decision_stage_to_the_next_holder_and_closing_ends_every_interval(
        log_de, holders):
    from tests.decisions.conftest import T0

    decision = log_de()  # 24 h on a 24×7 clock
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + timedelta(hours=2))
    services.escalate_overdue(now=T0 + timedelta(hours=24))
    services.decision_decide(decision=decision, actor=holders["sales_dach"], outcome="Yes",
                             now=T0 + timedelta(hours=30))
    decided = [r for r in intervals(decision) if r[0] == "decision"]
    assert decided == [
        ("decision", "SALES@DE", T0 + timedelta(hours=2), T0 + timedelta(hours=24), 22 * H),
        ("decision", "SALES@DACH", T0 + timedelta(hours=24), T0 + timedelta(hours=30), 6 * H),
    ]
    assert not DecisionStage.objects.filter(decision=decision, ended_at__isnull=True).exists()
    live = intervals(decision)
    backfill_stages([decision.pk])
    assert intervals(decision) == live


@pytest.mark.django_db
def test_reopening_starts_new_intervals_and_withdrawing_ends_them(log_de, holders):
    from tests.decisions.conftest import T0

    decision = log_de()
    services.decision_withdraw(decision=decision, actor=holders["manager_de"], reason="Obsolete",
                               now=T0 + timedelta(hours=1))
    assert not DecisionStage.objects.filter(decision=decision, ended_at__isnull=True).exists()
    services.decision_reopen(decision=decision, actor=holders["manager_de"], reason="Back",
                             now=T0 + timedelta(hours=5))
    reopened = DecisionStage.objects.filter(decision=decision, ended_at__isnull=True)
    # Compliance must agree again; Market Access (I) and Finance (R) give input: all in round 2.
    assert sorted((r.stage, r.round) for r in reopened) == [("agree", 2), ("input", 2), ("input", 2)]
    live = intervals(decision)
    backfill_stages([decision.pk])
    assert intervals(decision) == live


@pytest.mark.django_db
def test_stages_api_shows_the_intervals_to_internal_readers_and_only_the_partner_part_to_the_partner(
        api, holders, org, functions, biz_type, partner_a, django_assert_max_num_queries):
    from governance import services as gov
    from governance.models import Function

    partner_fn = Function.objects.create(code="PARTNER", name="Partner")
    gov.user_create(username="liaison", password="pw-liaison", role="manager", email="l@example.com",
                    assignments=[(partner_fn, org["DE"], "Partner liaison")])
    services.decision_type_set_rights(
        decision_type=biz_type, actor=holders["admin"],
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A"), (partner_fn, "I")],
        now=datetime(2026, 1, 2, tzinfo=UTC))
    decision = log(holders, org, biz_type, berlin(2, 9), partnership=partner_a, visibility="shared")
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=berlin(2, 10))

    internal = api(holders["manager_de"])
    with django_assert_max_num_queries(12):
        body = internal.get(f"{URL}{decision.pk}/stages/").json()
    by_stage = {r["stage"]: r for r in body}
    assert by_stage["agree"]["party"] == {"kind": "function", "function": "COMPLIANCE", "org_unit": "DE",
                                          "partner": None, "name": "Compliance, Germany"}
    assert by_stage["agree"]["business_seconds"] == H
    assert by_stage["input"]["party"]["kind"] == "partner"
    assert by_stage["input"]["party"]["name"] == "MedDistrib GmbH"
    assert by_stage["input"]["ended_at"] is None and by_stage["input"]["business_seconds"] > 0  # counted to now

    partner = api(holders["partner"])
    seen = partner.get(f"{URL}{decision.pk}/stages/").json()
    assert {r["stage"] for r in seen} == {"internal", "input"}
    assert all(r["party"]["function"] is None and r["party"]["org_unit"] is None for r in seen)
    assert [r["party"]["name"] for r in seen if r["stage"] == "input"] == ["MedDistrib GmbH"]
    assert "Compliance" not in str(seen)
    assert all(r["level"] is None for r in seen)

    # Not shared: no stages for the partner (404, as the decision itself).
    hidden = log(holders, org, biz_type, berlin(2, 9), partnership=partner_a)
    assert partner.get(f"{URL}{hidden.pk}/stages/").status_code == 404
    assert api(holders["manager_jp"]).get(f"{URL}{decision.pk}/stages/").status_code == 404


@pytest.mark.django_db
def test_backfill_command_rebuilds_decisions_logged_before_stages_were_stored(log_de, holders):
    from io import StringIO

    from django.core.management import call_command

    from tests.decisions.conftest import T0

    decision = log_de()
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True,
                            now=T0 + timedelta(hours=3))
    live = intervals(decision)
    DecisionStage.objects.all().delete()  # as before the upgrade
    out = StringIO()
    call_command("backfill_decision_stages", stdout=out)
    assert "1 decision" in out.getvalue()
    assert intervals(decision) == live
    call_command("backfill_decision_stages", str(decision.pk), stdout=out)
    assert intervals(decision) == live


@pytest.mark.django_db
def test_decision_page_shows_who_it_waited_on_and_hides_internal_parties_from_the_partner(
        client, holders, org, biz_type, good_friday, partner_a):
    decision = log(holders, org, biz_type, berlin(5, 10), partnership=partner_a, visibility="shared")
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=berlin(9, 12))
    client.force_login(holders["manager_de"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert 'data-testid="stages"' in page
    assert "Compliance, Germany · 11 h" in page  # Thu 8 h + Mon 3 h; the holiday and weekend do not count
    assert "still waiting" in page
    client.force_login(holders["partner"])
    page = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert "Compliance" not in page and "Internal team" in page
