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

    # Not shared: no stages for the partner (404, as the decision itself). A decision the partner takes part in is
    # always shared with them (issue 19), so the internal one is of a type where the partner has no part.
    services.decision_type_set_rights(
        decision_type=biz_type, actor=holders["admin"],
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A")],
        now=datetime(2026, 1, 2, 1, tzinfo=UTC))
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


@pytest.mark.django_db
def test_party_analytics_match_a_hand_computed_data_set(api, holders, log_de, partner_a, functions, org,
                                                        django_assert_max_num_queries):
    from decisions.party_analytics import party_analytics
    from tests.decisions.conftest import T0

    decisions = [log_de(title=f"D{i}", partnership=partner_a) for i in range(3)]
    other_scope = services.decision_log(actor=holders["manager_jp"], decision_type=decisions[0].decision_type,
                                        org_unit=org["JP"], title="Japan", now=T0)
    DecisionStage.objects.all().delete()

    def row(d, stage, kind, hours=None, open_=False, function=None, start=T0):
        return DecisionStage(decision=d, stage=stage, party_kind=kind, party_key=f"{kind}:{stage}:{hours}:{d.pk}",
                             function=function, org_unit=org["DE"] if function else None,
                             partner=partner_a.partner if kind == "partner" else None, started_at=start,
                             ended_at=None if open_ else start + timedelta(hours=hours),
                             business_seconds=None if open_ else int(hours * H))

    compliance, access = functions["COMPLIANCE"], functions["ACCESS"]
    DecisionStage.objects.bulk_create([
        row(decisions[0], "agree", "function", 2, function=compliance),
        row(decisions[1], "agree", "function", 4, function=compliance),
        row(decisions[2], "agree", "function", 9, function=compliance),
        row(decisions[0], "paused", "partner", 10),
        row(decisions[1], "paused", "partner", 20),
        row(decisions[0], "input", "function", open_=True, function=access, start=T0 + timedelta(hours=1)),
        row(decisions[1], "input", "function", open_=True, function=access, start=T0 + timedelta(hours=5)),
        row(decisions[2], "drafting", "requester", 3),
        row(other_scope, "agree", "function", 100, function=compliance),  # Japan: not in max.de's scope
    ])
    with django_assert_max_num_queries(6):
        data = party_analytics(user=holders["manager_de"], now=T0 + timedelta(hours=10))
    rows = {(r["party"], r["stage"]): r for r in data["rows"]}
    agree = rows[("Compliance", "agree")]
    # percentile_cont over 2, 4, 9 h: median 4; p90 at rank 1.8 → 4 + 0.8 × 5 = 8
    assert (agree["intervals"], agree["median_hours"], agree["p90_hours"], agree["total_hours"]) == (3, 4, 8, 15)
    paused = rows[("MedDistrib GmbH", "paused")]
    assert (paused["median_hours"], paused["p90_hours"], paused["decisions"]) == (15, 19, 2)
    waiting = rows[("Market Access", "input")]
    assert (waiting["intervals"], waiting["waiting_now"], waiting["median_hours"]) == (0, 2, None)
    assert waiting["waiting_hours_max"] == 9
    assert rows[("Requester", "drafting")]["total_hours"] == 3
    assert [(b["party"], b["waiting_now"]) for b in data["top_blockers"]] == [("Market Access", 2)]
    # The whole tenant for the admin includes Japan's 100 h: median of 2, 4, 9, 100 is 6.5.
    assert {(r["party"], r["stage"]): r for r in party_analytics(user=holders["admin"])["rows"]}[
        ("Compliance", "agree")]["median_hours"] == 6.5

    by_month = party_analytics(user=holders["manager_de"], split="month")["by_split"]
    assert {r["key"] for r in by_month} == {"2026-03"}
    body = api(holders["manager_de"]).get("/api/v1/decision-analytics/?by=party&split=decision_type").json()
    assert {r["key"] for r in body["parties"]["by_split"]} == {"Distributor price exception"}
    assert any(r["party"] == "Compliance" and r["median_hours"] == 4 for r in body["parties"]["rows"])
    assert api(holders["manager_de"]).get("/api/v1/decision-analytics/?by=nope").status_code == 400
    assert "parties" not in api(holders["manager_de"]).get("/api/v1/decision-analytics/").json()
    assert api(holders["partner"]).get("/api/v1/decision-analytics/?by=party").status_code == 403


@pytest.mark.django_db
def test_analytics_page_shows_who_decisions_wait_on_and_the_top_blockers(client, holders, log_de,
                                                                         django_assert_max_num_queries):
    from django.utils import timezone

    for i in range(3):
        log_de(now=timezone.now() - timedelta(hours=5), title=f"Waiting {i}")
    decided = log_de(now=timezone.now() - timedelta(hours=6), title="Done")
    services.decision_agree(decision=decided, actor=holders["compliance_de"], agree=True,
                            now=timezone.now() - timedelta(hours=4))
    client.force_login(holders["leader"])
    with django_assert_max_num_queries(20):
        page = client.get("/decisions/analytics/").content.decode()
    assert 'data-testid="party-waits"' in page and 'data-testid="top-blockers"' in page
    assert "Compliance · 3 waiting" in page  # three decisions wait on Compliance right now
    assert "2.0 h" in page  # Compliance answered the fourth after 2 hours (24×7)
    by_month = client.get("/decisions/analytics/?split=month").content.decode()
    assert timezone.now().strftime("%Y-%m") in by_month
    assert client.get("/decisions/analytics/?split=nonsense").status_code == 200


@pytest.mark.django_db
def test_the_partner_sees_concurrent_internal_waits_as_one_interval_counted_once(
        api, holders, org, biz_type, partner_a):
    """Compliance's agree, Market Access's input and then the decider overlap: internal readers see
    each; the partner sees "the internal team" once, from the first start, with the union's hours."""
    decision = log(holders, org, biz_type, berlin(2, 9), partnership=partner_a, visibility="shared")
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=berlin(2, 11))
    now = berlin(3, 12)  # Tuesday noon: Monday 09:00–18:00 and Tuesday 09:00–12:00 = 12 business hours
    internal = [r for r in DecisionStage.objects.filter(decision=decision) if r.party_kind != "partner"]
    assert len(internal) == 3 and min(r.started_at for r in internal) == berlin(2, 9)

    from decisions.selectors import decision_stages

    seen = decision_stages(decision=decision, user=holders["partner"], now=now)
    assert [(r["stage"], r["party"]["name"], r["started_at"], r["ended_at"], r["business_seconds"])
            for r in seen["rows"] if r["party"]["kind"] != "partner"] == [
        ("internal", "Internal team", berlin(2, 9), None, 12 * H)]
    assert [p["business_seconds"] for p in seen["parties"] if p["kind"] != "partner"] == [12 * H]
    own = decision_stages(decision=decision, user=holders["manager_de"], now=now)
    assert len([r for r in own["rows"] if r["party"]["kind"] != "partner"]) == len(internal)

    body = api(holders["partner"]).get(f"{URL}{decision.pk}/stages/").json()
    assert [r["stage"] for r in body if r["party"]["kind"] != "partner"] == ["internal"]


@pytest.mark.django_db
def test_party_analytics_split_reads_the_intervals_once_and_matches_a_hand_computed_data_set(
        holders, log_de, biz_type, functions, org):
    """With a split, the overall rows and the split rows come from one statement (``GROUPING SETS``)
    and equal percentile_cont computed by hand per decision type and per month."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from decisions.party_analytics import party_analytics
    from tests.decisions.conftest import T0

    price = [log_de(title=f"P{i}") for i in range(2)]
    biz = services.decision_log(actor=holders["manager_de"], decision_type=biz_type, org_unit=org["DE"],
                                title="Biz", now=T0)
    DecisionStage.objects.all().delete()
    compliance = functions["COMPLIANCE"]
    april = T0 + timedelta(days=31)

    def agree(d, hours, start=T0):
        return DecisionStage(decision=d, stage="agree", party_kind="function",
                             party_key=f"function:{compliance.pk}@{org['DE'].pk}", function=compliance,
                             org_unit=org["DE"], started_at=start, ended_at=start + timedelta(hours=hours),
                             business_seconds=int(hours * H))

    DecisionStage.objects.bulk_create([agree(price[0], 2), agree(price[1], 4, start=april), agree(biz, 9)])
    party_analytics(user=holders["manager_de"])  # the user's scope units, read once per user object
    for split, statements in (("decision_type", 3), ("month", 2), ("", 2)):
        with CaptureQueriesContext(connection) as ctx:
            data = party_analytics(user=holders["manager_de"], split=split)
        assert len(ctx.captured_queries) == statements, [q["sql"][:80] for q in ctx.captured_queries]
        assert sum("percentile_cont" in q["sql"] for q in ctx.captured_queries) == 1
        # The overall row: 2, 4, 9 h → median 4, p90 at rank 1.8 → 4 + 0.8 × 5 = 8.
        [row] = data["rows"]
        assert (row["intervals"], row["decisions"], row["median_hours"], row["p90_hours"], row["total_hours"]) == (
            3, 3, 4, 8, 15)
        got = {r["key"]: (r["intervals"], r["decisions"], r["median_hours"], r["p90_hours"], r["total_hours"])
               for r in data["by_split"]}
        assert got == {
            # price 2, 4 h → median 3, p90 2 + 0.9 × 2 = 3.8; business-hours type: 9 h alone
            "decision_type": {"Distributor price exception": (2, 2, 3, 3.8, 6),
                              "Business-hours decision": (1, 1, 9, 9, 9)},
            # March 2, 9 h → median 5.5, p90 2 + 0.9 × 7 = 8.3; April 4 h alone
            "month": {T0.strftime("%Y-%m"): (2, 2, 5.5, 8.3, 11), april.strftime("%Y-%m"): (1, 1, 4, 4, 4)},
            "": {},
        }[split]
