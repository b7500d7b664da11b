"""Issue 19, target catch-ball: parent proposes → child accepts or counters → parent accepts or
revises; the agreed value becomes the target; every step kept; each transition only by its side.

The sides on this org tree: for Germany's own target the parent is whoever sits above DE (lena,
EMEA; the admin) and the child max.de (assigned at DE). For partnership A's target in DE the parent
is the company's side (max.de, lena) and the child pat.partner. yuki.jp sees none of it (404).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpis.catchball import services
from kpis.catchball.models import TargetProposal
from kpis.models import Target

pytestmark = pytest.mark.django_db

URL = "/api/v1/targets/proposals/"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MARCH = date(2026, 3, 1)


@pytest.fixture
def joint_kpi(functions, partner_a):
    from kpis.services.definitions import kpi_create

    return kpi_create(code="SELLOUT", name="Joint sell-out", unit="units", kind="count", aggregation="sum",
                      direction="higher", category="adoption",
                      owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])


@pytest.fixture
def nina(partner_b):
    from governance import services as gs

    return gs.user_create(username="nina.nihon", password="pw-nina", role="partner", partnerships=[partner_b])


def _propose(api, user, **body):
    return api(user).post(URL, {"kpi": "SELLOUT", "org_unit": "DE", "period": "2026-03", "value": "1000",
                                "comment": "Plan", **body}, format="json")


def test_partner_counters_and_the_parent_accepts_the_agreed_target_takes_effect(api, cast, joint_kpi, partner_a):
    created = _propose(api, cast["manager_de"], partnership=partner_a.pk)
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert created.json()["turn"] == "child" and created.json()["your_side"] == "parent"
    # The partner sees it, on their side, and counters.
    seen = api(cast["partner"]).get(f"{URL}{pid}/").json()
    assert (seen["your_side"], seen["turn"], seen["value"]) == ("child", "child", 1000)
    countered = api(cast["partner"]).post(f"{URL}{pid}/counter/", {"value": "850", "comment": "Stock-out in Q1"},
                                          format="json")
    assert countered.status_code == 200 and countered.json()["status"] == "countered"
    assert not Target.objects.exists()  # nothing takes effect before agreement
    accepted = api(cast["manager_de"]).post(f"{URL}{pid}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "agreed"
    target = Target.objects.get()
    assert (target.kpi, target.org_unit.code, target.partnership, target.period, target.value) == (
        joint_kpi, "DE", partner_a, MARCH, Decimal("850"))
    steps = accepted.json()["steps"]
    assert [(s["kind"], s["side"], s["value"]) for s in steps] == [
        ("proposed", "parent", 1000), ("countered", "child", 850), ("accepted", "parent", 850)]
    assert steps[1]["comment"] == "Stock-out in Q1"
    proposal = TargetProposal.objects.get()
    assert [h.status for h in proposal.history.order_by("history_id")] == ["proposed", "countered", "agreed"]
    assert target.history.count() == 1


def test_the_child_accepts_a_proposal_and_the_parent_revises_a_counter(api, cast, kpis, org):
    leader, max_de = cast["leader"], cast["manager_de"]
    p = services.proposal_create(actor=leader, kpi=kpis["REV"], org_unit=org["DE"], period=MARCH, value="500",
                                 comment="Growth plan", now=T0)
    p = services.proposal_counter(actor=max_de, proposal=p, value="400", comment="Tender lost", now=T0)
    p = services.proposal_counter(actor=leader, proposal=p, value="450", comment="Meet halfway", now=T0)
    assert (p.status, p.turn, p.value) == ("proposed", "child", Decimal("450"))
    p = services.proposal_accept(actor=max_de, proposal=p, now=T0 + timedelta(hours=1))
    assert [s.kind for s in p.steps.all()] == ["proposed", "countered", "revised", "accepted"]
    assert Target.objects.get(kpi=kpis["REV"], org_unit=org["DE"]).value == Decimal("450")


def test_an_agreed_target_keeps_the_thresholds_of_the_existing_one(cast, kpis, org, target):
    target(kpis["REV"], org["DE"], "2026-03", 300, green_at="1.05", red_at="0.8")
    p = services.proposal_create(actor=cast["leader"], kpi=kpis["REV"], org_unit=org["DE"], period=MARCH,
                                 value="500", now=T0)
    services.proposal_accept(actor=cast["manager_de"], proposal=p, now=T0)
    t = Target.objects.get(kpi=kpis["REV"], org_unit=org["DE"])
    assert (t.value, t.green_at, t.red_at) == (Decimal("500"), Decimal("1.050"), Decimal("0.800"))
    assert [h.value for h in t.history.order_by("history_id")] == [Decimal("300"), Decimal("500")]


# --- who may make each transition ---------------------------------------------------------------------

def test_only_the_parent_proposes(api, cast, joint_kpi, partner_a, kpis):
    assert _propose(api, cast["partner"], partnership=partner_a.pk).status_code == 403
    # max.de is the child of Germany's own target: he may not propose it to himself.
    assert _propose(api, cast["manager_de"], kpi="REV").status_code == 403
    assert _propose(api, cast["manager_jp"], kpi="REV").status_code == 400  # DE is not his: unknown unit
    assert _propose(api, cast["manager_jp"], partnership=partner_a.pk).status_code == 400
    assert not TargetProposal.objects.exists()
    assert _propose(api, cast["leader"], kpi="REV").status_code == 201
    assert _propose(api, cast["admin"], kpi="REV", period="2026-04").status_code == 201


@pytest.fixture
def proposed(cast, joint_kpi, partner_a):
    return services.proposal_create(actor=cast["manager_de"], kpi=joint_kpi, org_unit=partner_a.org_units.get(),
                                    partnership=partner_a, period=MARCH, value="1000", now=T0)


def test_on_a_proposal_only_the_child_answers(api, cast, proposed, nina):
    for who in ("manager_de", "leader", "admin"):  # the parent side waits for the partner
        assert api(cast[who]).post(f"{URL}{proposed.pk}/accept/", {}, format="json").status_code == 403, who
        assert api(cast[who]).post(f"{URL}{proposed.pk}/counter/", {"value": 1, "comment": "x"},
                                   format="json").status_code == 403, who
    for outsider in (cast["manager_jp"], nina):  # out of scope: it does not exist for them
        assert api(outsider).get(f"{URL}{proposed.pk}/").status_code == 404
        assert api(outsider).post(f"{URL}{proposed.pk}/accept/", {}, format="json").status_code == 404
        assert api(outsider).get(URL).json()["results"] == []
    proposed.refresh_from_db()
    assert proposed.status == "proposed" and proposed.steps.count() == 1


def test_on_a_counter_only_the_parent_answers(api, cast, proposed):
    services.proposal_counter(actor=cast["partner"], proposal=proposed, value="900", comment="Too high", now=T0)
    assert api(cast["partner"]).post(f"{URL}{proposed.pk}/accept/", {}, format="json").status_code == 403
    assert api(cast["partner"]).post(f"{URL}{proposed.pk}/counter/", {"value": 800, "comment": "x"},
                                     format="json").status_code == 403
    assert api(cast["manager_jp"]).post(f"{URL}{proposed.pk}/accept/", {}, format="json").status_code == 404
    revised = api(cast["leader"]).post(f"{URL}{proposed.pk}/counter/", {"value": 950, "comment": "Halfway"},
                                       format="json")
    assert revised.status_code == 200 and revised.json()["turn"] == "child"


def test_an_agreed_proposal_is_closed_and_a_new_one_can_start(api, cast, proposed, partner_a):
    services.proposal_accept(actor=cast["partner"], proposal=proposed, now=T0)
    for who in ("partner", "manager_de"):
        assert api(cast[who]).post(f"{URL}{proposed.pk}/accept/", {}, format="json").status_code == 409
        assert api(cast[who]).post(f"{URL}{proposed.pk}/counter/", {"value": 1, "comment": "x"},
                                   format="json").status_code == 409
    assert _propose(api, cast["manager_de"], partnership=partner_a.pk, value="1100").status_code == 201


def test_one_open_proposal_per_key(api, cast, proposed, partner_a):
    assert _propose(api, cast["leader"], partnership=partner_a.pk).status_code == 409
    assert TargetProposal.objects.count() == 1


def test_a_percent_target_is_a_fraction_or_a_percent_sign(api, cast, org, functions, partner_a):
    from kpis.services.definitions import kpi_create

    kpi_create(code="OTIF", name="On time in full", unit="%", aggregation="average", direction="higher",
               category="other", owners=[(functions["SALES"], None, 1), (None, partner_a, 1)])
    created = _propose(api, cast["manager_de"], kpi="OTIF", partnership=partner_a.pk, value="95%")
    assert created.status_code == 201 and created.json()["value"] == 0.95
    too_high = api(cast["partner"]).post(f"{URL}{created.json()['id']}/counter/", {"value": "92", "comment": "x"},
                                         format="json")
    assert too_high.status_code == 400 and "fractions" in too_high.json()["value"][0]


def test_bad_input_is_400_and_changes_nothing(api, cast, proposed, joint_kpi, kpis, org):
    partner = api(cast["partner"])
    for body in ({"value": "abc", "comment": "x"}, {"value": "-5", "comment": "x"}, {"value": "900"},
                 {"value": "1000", "comment": "same value"}, {"value": "1e30", "comment": "x"}):
        assert partner.post(f"{URL}{proposed.pk}/counter/", body, format="json").status_code == 400, body
    proposed.refresh_from_db()
    assert (proposed.status, proposed.value, proposed.steps.count()) == ("proposed", Decimal("1000"), 1)
    leader = api(cast["leader"])
    assert _propose(api, cast["leader"], kpi="REV", period="2026-13").status_code == 400
    assert _propose(api, cast["leader"], kpi="REV", org_unit="GLOBAL").status_code == 400  # no parent above
    not_co_owned = _propose(api, cast["admin"], kpi="REV", partnership=proposed.partnership_id)
    assert not_co_owned.status_code == 400 and "does not co-own" in not_co_owned.json()["kpi"][0]
    assert leader.post(URL, {"kpi": "SELLOUT"}, format="json").status_code == 400
    with pytest.raises(ValidationError):
        services.proposal_create(actor=cast["leader"], kpi=kpis["REV"], org_unit=org["DE"], period=MARCH,
                                 value="NaN")
    assert TargetProposal.objects.count() == 1


def test_the_list_is_scoped_and_its_query_count_pinned(api, cast, proposed, kpis, org,
                                                       django_assert_max_num_queries):
    for month in range(4, 9):
        services.proposal_create(actor=cast["leader"], kpi=kpis["REV"], org_unit=org["DE"],
                                 period=date(2026, month, 1), value="10", now=T0)
    with django_assert_max_num_queries(8):
        rows = api(cast["leader"]).get(URL).json()["results"]
    assert len(rows) == 6
    assert [r["id"] for r in api(cast["partner"]).get(URL).json()["results"]] == [proposed.pk]


def test_the_partnership_panel_reads_proposals_and_steps_in_two_queries(cast, proposed, partner_a,
                                                                         django_assert_num_queries):
    """Issue 22: on the partnership page (its members prefetched) a partner user's side comes from
    those members — no query of its own — and the steps are read with their proposals only; without
    the prefetch the side is one query more. Either way the same side, turn and steps."""
    from governance.querysets import member_partnership_ids
    from kpis.catchball.selectors import proposals_for
    from partners.models import Partnership

    services.proposal_counter(actor=cast["partner"], proposal=proposed, value="900", comment="Too high", now=T0)
    page = Partnership.objects.prefetch_related("members").get(pk=partner_a.pk)
    member_partnership_ids(cast["partner"])  # read once per request, before the panels (as on the page)
    with django_assert_num_queries(2):
        [on_page] = proposals_for(user=cast["partner"], partnership=page, limit=12)
    plain = Partnership.objects.get(pk=partner_a.pk)
    with django_assert_num_queries(3):
        [alone] = proposals_for(user=cast["partner"], partnership=plain, limit=12)
    for p in (on_page, alone):
        steps = [s.kind for s in p.steps.all()]
        assert (p.your_side, p.your_turn, steps) == ("child", False, ["proposed", "countered"])
    assert on_page.partnership is page
    [leaders] = proposals_for(user=cast["leader"], partnership=page)
    assert (leaders.your_side, leaders.your_turn) == ("parent", True)


# --- pages -----------------------------------------------------------------------------------------------

def test_the_partner_counters_and_accepts_from_their_partnership_page(client, cast, proposed, partner_a):
    client.force_login(cast["partner"])
    page = client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert 'data-testid="target-proposals"' in page and "your turn" in page and "by the company" in page
    assert "max.de" not in page and "Max" not in page.split('data-testid="target-proposals"')[1].split("</ul>")[0]
    back = f"/partners/partnerships/{partner_a.pk}/"
    response = client.post(f"/kpis/targets/proposals/{proposed.pk}/counter/",
                           {"value": "900", "comment": "Q1 is short", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    proposed.refresh_from_db()
    assert proposed.status == "countered"
    services.proposal_counter(actor=cast["manager_de"], proposal=proposed, value="950", comment="Halfway", now=T0)
    client.post(f"/kpis/targets/proposals/{proposed.pk}/accept/", {"next": "https://evil.example/"})
    assert Target.objects.get().value == Decimal("950")


def test_the_unit_page_lists_a_units_proposals_and_proposes(client, cast, kpis, org):
    client.force_login(cast["leader"])
    response = client.post("/kpis/targets/proposals/?org_unit=DE", {
        "kpi": kpis["REV"].pk, "org_unit": org["DE"].pk, "period": "2026-05", "value": "700", "comment": "Plan"})
    assert response.status_code == 302
    client.force_login(cast["manager_de"])
    page = client.get("/kpis/targets/proposals/?org_unit=DE").content.decode()
    assert "your turn" in page and "Growth" not in page and "700" in page
    proposal = TargetProposal.objects.get()
    client.post(f"/kpis/targets/proposals/{proposal.pk}/accept/", {})
    assert Target.objects.get().value == Decimal("700")
    assert client.get("/kpis/targets/proposals/?org_unit=JP").status_code == 404
    client.force_login(cast["partner"])
    assert client.get("/kpis/targets/proposals/").status_code == 404
