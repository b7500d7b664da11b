"""Issue 19, reciprocal commitments: attainment per month computed from Accord's decisions (ours)
and the partner's submissions (theirs) against a known data set; both sides see it, a partner sees
an internal decision's breach without its title."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from decisions import services
from decisions.commitments.attainment import attainment, working_day
from partners.commitments.models import Commitment

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def at(day, hour, month=3):
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def ours(partner_a, price_exception):
    return Commitment.objects.create(partnership=partner_a, side="ours", measure="decision_sla",
                                     name="Price exceptions answered within 2 business days",
                                     decision_type=price_exception, days=2, target=Decimal("0.9"))


def _decide(decision, holders, when):
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=when)
    services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="Granted", now=when)


@pytest.fixture
def march(log_de, holders, partner_a):
    """Known data set: 2 business days = 18 business hours (09:00–18:00 Berlin)."""
    on_time = log_de(title="On time", partnership=partner_a, now=at(2, 8))  # Mon 09:00 Berlin → due Tue 18:00
    _decide(on_time, holders, at(3, 10))
    late = log_de(title="Late internal one", partnership=partner_a, now=at(4, 8))  # due Thu 5 Mar 17:00 UTC
    _decide(late, holders, at(9, 10))
    open_ = log_de(title="Still open", partnership=partner_a, visibility="shared", now=at(6, 16))  # Tue 17:00 CET
    withdrawn = log_de(title="Withdrawn", partnership=partner_a, now=at(11, 8))
    services.decision_withdraw(decision=withdrawn, actor=holders["manager_de"], reason="Moot", now=at(11, 9))
    not_due = log_de(title="Not due yet", partnership=partner_a, now=at(30, 8))
    log_de(title="Other partnership-less", now=at(12, 8))  # not on the partnership: not counted
    return {"on_time": on_time, "late": late, "open": open_, "not_due": not_due}


def test_our_attainment_from_decisions(ours, march, holders, partner_a):
    [result] = attainment(viewer=holders["manager_de"], partnership=partner_a, months=[MARCH], now=at(31, 10))
    assert (result.on_time, len(result.breaches)) == (1, 2)
    assert result.attainment == pytest.approx(1 / 3) and result.met is False
    late, still_open = result.breaches
    assert (late.item, late.due, late.done) == ("Late internal one", at(5, 17), at(9, 10))
    assert (still_open.item, still_open.due, still_open.done) == ("Still open", at(10, 16), None)
    # A month later the open one from 30 March is due and breached too.
    [april_view] = attainment(viewer=holders["manager_de"], partnership=partner_a, months=[MARCH], now=at(20, 10, 4))
    assert len(april_view.breaches) == 3


def test_a_partner_sees_the_commitments_but_not_internal_decisions_titles(api, ours, march, cast, partner_a):
    body = api(cast["partner"]).get(f"/api/v1/partnerships/{partner_a.pk}/commitments/?period=2026-03").json()
    assert [(r["side"], r["period"], r["target"]) for r in body] == [("ours", "2026-03", 0.9)]
    items = [b["item"] for b in body[0]["breaches"]]
    assert "Late internal one" not in items and "An internal decision" in items and "Still open" in items
    internal = api(cast["manager_de"]).get(f"/api/v1/partnerships/{partner_a.pk}/commitments/?period=2026-03").json()
    assert "Late internal one" in [b["item"] for b in internal[0]["breaches"]]
    assert api(cast["manager_jp"]).get(f"/api/v1/partnerships/{partner_a.pk}/commitments/").status_code == 404
    assert api(cast["partner"]).get(f"/api/v1/partnerships/{partner_a.pk}/commitments/?period=x").status_code == 400


def test_their_attainment_from_submissions(cast, functions, org, partner_a):
    from kpis.models import Measurement
    from kpis.services.definitions import kpi_create
    from kpis.services.measurements import measurements_record

    kpi = kpi_create(code="SELLOUT", name="Sell-out", unit="units", kind="count", aggregation="sum",
                     direction="higher", category="adoption",
                     owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])
    theirs = Commitment.objects.create(partnership=partner_a, side="theirs", measure="submission", kpi=kpi, days=5,
                                       name="Sell-out by working day 5", target=Decimal("1"))
    assert working_day(date(2026, 4, 1), 5, set()) == date(2026, 4, 7)
    for period, entered in (("2026-02", at(10, 9)), ("2026-03", at(6, 9, 4))):
        m = measurements_record(actor=cast["partner"], rows=[{"kpi": "SELLOUT", "org_unit": "DE", "period": period,
                                                               "partnership": partner_a.pk, "value": 10}],
                                now=entered).measurements[0]
        Measurement.objects.filter(pk=m.pk).update(entered_at=entered)
    results = attainment(viewer=cast["partner"], partnership=partner_a, now=at(20, 10, 4),
                         months=[date(2026, 1, 1), date(2026, 2, 1), MARCH])
    assert [(r.commitment, r.period, r.attainment) for r in results] == [
        (theirs, date(2026, 1, 1), 0.0), (theirs, date(2026, 2, 1), 0.0), (theirs, MARCH, 1.0)]
    assert [(b.item, b.done) for b in results[0].breaches] == [("SELLOUT Jan 2026, Germany", None)]
    assert results[1].breaches[0].due.date() == date(2026, 3, 6) and results[1].breaches[0].done == at(10, 9)


def test_attainment_reads_every_commitment_at_once(ours, march, cast, functions, partner_a, price_exception,
                                                  django_assert_num_queries):
    """Issue 22: the commitments, their decisions (with whether the reader may see each: a partner
    user gets "An internal decision" for an internal one), the markets and the submissions are read
    once for all commitments, each unit's holidays once (Germany: the decisions' unit and the market)."""
    from governance.querysets import member_partnership_ids
    from kpis.services.definitions import kpi_create

    kpi = kpi_create(code="SELLOUT", name="Sell-out", unit="units", kind="count", aggregation="sum",
                     direction="higher", category="adoption",
                     owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])
    Commitment.objects.create(partnership=partner_a, side="theirs", measure="submission", kpi=kpi, days=5,
                              name="Sell-out by working day 5", target=Decimal("1"))
    Commitment.objects.create(partnership=partner_a, side="ours", measure="decision_sla", name="Also within 5 days",
                              decision_type=price_exception, days=5, target=Decimal("0.5"))
    member_partnership_ids(cast["partner"])  # read once per request, before the panels (as on the page)
    with django_assert_num_queries(5):
        results = attainment(viewer=cast["partner"], partnership=partner_a, months=[MARCH], now=at(31, 10))
    # The partnership page's object, its org units prefetched: the markets are found from those.
    page = type(partner_a).objects.prefetch_related("org_units").get(pk=partner_a.pk)
    with django_assert_num_queries(5):
        on_page = attainment(viewer=cast["partner"], partnership=page, months=[MARCH], now=at(31, 10))
    assert [(r.commitment, r.on_time, r.breaches) for r in on_page] == [
        (r.commitment, r.on_time, r.breaches) for r in results]
    assert [r.commitment.name for r in results] == [
        "Also within 5 days", "Price exceptions answered within 2 business days", "Sell-out by working day 5"]
    items = [b.item for b in results[1].breaches]
    assert items == ["An internal decision", "Still open"]
    # March's actuals are not due before April: nothing counted for the submission yet.
    assert [(r.on_time, len(r.breaches)) for r in results] == [(2, 1), (1, 2), (0, 0)]


def test_the_partnership_page_shows_both_sides(client, ours, march, cast, partner_a):
    client.force_login(cast["partner"])
    page = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert 'data-testid="commitments"' in page and "Price exceptions answered within 2 business days" in page
    assert "Late internal one" not in page and "Still open" not in page.split('data-testid="commitments"')[1]


@pytest.mark.django_db
def test_the_moved_endpoints_answer_like_the_partnership_routes_for_a_bad_id(admin_user):
    """Benchmarks and commitments moved above the partners app (issue 21); an id that is no number
    or no partnership still answers the API's JSON 404, as the viewset's routes did."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(admin_user)
    for url in ("/api/v1/partnerships/abc/benchmarks/", "/api/v1/partnerships/987654/commitments/"):
        response = api.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", url
