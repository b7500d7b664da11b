"""Issue 19, joint decisions: the matrix names the partner (function ``PARTNER``) as a RAPID party.

``joint_promo``: decided at market level by SALES (max.de in Germany), COMPLIANCE (Carla) and the
partner must agree, ACCESS (Anna) gives input. pat.partner is the partner user of partnership A;
nina.nihon the partner user of partnership B (Japan).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from decisions import services
from decisions.exceptions import AgreementMissing, NotAParticipant
from decisions.models import DecisionParticipant
from decisions.routing import resolve

pytestmark = pytest.mark.django_db

URL = "/api/v1/decisions/"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
INTERNAL_PEOPLE = ("max.de", "Carla", "carla.compliance", "Anna", "anna.access", "Fritz", "fritz.finance",
                   "Dirk", "dirk.dach", "Gina", "gina.global", "lena.leader")


def _leaks(text: str) -> list[str]:
    return [name for name in INTERNAL_PEOPLE if name in text]


@pytest.fixture
def partner_fn(db):
    from governance.services import function_create

    return function_create(code="PARTNER", name="Partner")


@pytest.fixture
def joint_promo(holders, functions, partner_fn):
    return services.decision_type_create(
        actor=holders["admin"], code="JOINT_PROMO", name="Joint promotion plan", decided_at_level="market",
        sla_hours=24, calendar="24x7",
        rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "A"), (partner_fn, "A"),
                (functions["ACCESS"], "I")],
        now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def partner_b_user(partner_b):
    from governance import services as gs

    return gs.user_create(username="nina.nihon", password="pw-nina", role="partner", email="nina@example.com",
                          partnerships=[partner_b])


@pytest.fixture
def joint(holders, joint_promo, org, partner_a):
    """A joint promotion on partnership A, logged as max.de; the requester left visibility internal."""
    decision = services.decision_log(
        actor=holders["manager_de"], decision_type=joint_promo, org_unit=org["DE"], partnership=partner_a,
        title="Joint Q1 promotion", description="Bundle with MedDistrib",
        options=[{"option": "40/60 split", "pros": "cheap", "cons": "Internal margin floor 8%"}], now=T0)
    services.decision_give_input(decision=decision, actor=holders["access_de"], comment="Payers will object",
                                 now=T0 + timedelta(hours=1))
    return decision


def test_the_partner_users_of_the_partnership_take_the_partners_seat(joint, holders):
    seats = {(p.user.username, p.function.code, p.role) for p in joint.participants.select_related("user", "function")}
    assert ("pat.partner", "PARTNER", "A") in seats
    assert ("carla.compliance", "COMPLIANCE", "A") in seats
    # A joint decision is shared with the partner whatever the requester chose; its options are not.
    assert (joint.visibility, joint.options_visibility) == ("shared", "internal")


def test_a_partner_agrees_to_a_joint_decision_and_sees_no_internal_content(api, joint, holders):
    partner = api(holders["partner"])
    before = partner.get(f"{URL}{joint.pk}/").json()
    assert before["options"] is None and before["decider"] is None and before["requested_by"] is None
    assert [p["role"] for p in before["participants"]] == ["A"]  # their own seat only
    answered = partner.post(f"{URL}{joint.pk}/agree/", {"agree": True, "comment": "Our field team is ready"},
                            format="json")
    assert answered.status_code == 200, answered.content
    body = answered.json()
    mine = [p for p in body["participants"] if p["user"] == holders["partner"].pk]
    assert mine and mine[0]["agreed"] is True
    events = partner.get(f"{URL}{joint.pk}/events/").json()["results"]
    assert [e["kind"] for e in events] == ["logged", "agreed"]
    everything = json.dumps([body, events, partner.get(URL).json()])
    assert _leaks(everything) == []
    assert "Payers will object" not in everything and "margin floor" not in everything
    # Internal users see the partner's answer, with who gave it.
    internal = api(holders["manager_de"]).get(f"{URL}{joint.pk}/").json()
    seat = next(p for p in internal["participants"] if p["function"] == "PARTNER")
    assert (seat["username"], seat["agreed"], seat["comment"]) == ("pat.partner", True, "Our field team is ready")


def test_the_decider_waits_for_the_partners_agreement(joint, holders):
    services.decision_agree(decision=joint, actor=holders["compliance_de"], agree=True, now=T0 + timedelta(hours=2))
    with pytest.raises(AgreementMissing, match="Partner has not agreed yet"):
        services.decision_decide(decision=joint, actor=holders["manager_de"], outcome="Go", now=T0 + timedelta(hours=3))
    services.decision_agree(decision=joint, actor=holders["partner"], agree=True, now=T0 + timedelta(hours=4))
    services.decision_decide(decision=joint, actor=holders["manager_de"], outcome="Go", now=T0 + timedelta(hours=5))
    joint.refresh_from_db()
    assert joint.status == "decided"


def test_a_partners_veto_blocks_and_their_answer_is_always_shared(api, joint, holders):
    veto = {"agree": False, "comment": "Cost split too high", "visibility": "internal"}
    response = api(holders["partner"]).post(f"{URL}{joint.pk}/agree/", veto, format="json")
    assert response.status_code == 200
    seat = DecisionParticipant.objects.get(decision=joint, user=holders["partner"])
    assert (seat.agreed, seat.visibility) == (False, "shared")
    joint.refresh_from_db()
    assert joint.blocked is True


def test_a_partner_of_another_partnership_gets_404(api, joint, holders, partner_b_user):
    other = api(partner_b_user)
    assert other.get(f"{URL}{joint.pk}/").status_code == 404
    assert other.post(f"{URL}{joint.pk}/agree/", {"agree": True}, format="json").status_code == 404
    assert other.post(f"{URL}{joint.pk}/input/", {"comment": "x"}, format="json").status_code == 404
    assert other.get(URL).json()["results"] == []
    with pytest.raises(NotAParticipant):
        services.decision_agree(decision=joint, actor=partner_b_user, agree=True)


def test_a_partner_without_a_seat_cannot_answer(api, joint, holders):
    """The partner is asked to agree, not for input: /input/ is refused (403), nothing recorded."""
    response = api(holders["partner"]).post(f"{URL}{joint.pk}/input/", {"comment": "x"}, format="json")
    assert response.status_code == 403
    assert not DecisionParticipant.objects.filter(decision=joint, user=holders["partner"], input_at__isnull=False)


def test_partner_input_through_the_matrix(api, holders, functions, partner_fn, org, partner_a):
    forecast = services.decision_type_create(
        actor=holders["admin"], code="JOINT_FC", name="Joint forecast", decided_at_level="market", sla_hours=24,
        calendar="24x7", rights=[(functions["SALES"], "D"), (partner_fn, "I")], now=datetime(2026, 1, 1, tzinfo=UTC))
    decision = services.decision_log(actor=holders["manager_de"], decision_type=forecast, org_unit=org["DE"],
                                     partnership=partner_a, title="Q1 volumes", now=T0)
    response = api(holders["partner"]).post(f"{URL}{decision.pk}/input/", {"comment": "1,200 units"}, format="json")
    assert response.status_code == 200
    seat = api(holders["manager_de"]).get(f"{URL}{decision.pk}/").json()["participants"]
    assert [(p["username"], p["role"], p["input_text"]) for p in seat if p["function"] == "PARTNER"] == [
        ("pat.partner", "I", "1,200 units")]
    # Without a partnership the partner takes no part in an input-only type: logged, no partner seat.
    plain = services.decision_log(actor=holders["manager_de"], decision_type=forecast, org_unit=org["DE"],
                                  title="Internal volumes", now=T0)
    assert plain.visibility == "internal" and not plain.participants.filter(function=partner_fn).exists()


def test_a_partner_agreement_needs_a_partnership_with_partner_users(holders, joint_promo, org, partner_b):
    with pytest.raises(ValidationError) as no_partnership:
        services.decision_log(actor=holders["manager_de"], decision_type=joint_promo, org_unit=org["DE"],
                              title="Promo", now=T0)
    assert "needs the partner's agreement" in str(no_partnership.value.message_dict["partnership"])
    with pytest.raises(ValidationError) as nobody:
        services.decision_log(actor=holders["admin"], decision_type=joint_promo, org_unit=org["JP"],
                              partnership=partner_b, title="Promo", now=T0)
    assert "has no partner users" in str(nobody.value.message_dict)


def test_api_log_of_a_joint_decision_without_a_partnership_is_400(api, holders, joint_promo):
    response = api(holders["manager_de"]).post(URL, {"title": "Promo", "decision_type": "JOINT_PROMO",
                                                     "org_unit": "DE"}, format="json")
    assert response.status_code == 400 and "partnership" in response.json()


def test_a_joint_decision_stays_shared_and_keeps_its_partnership(joint, holders, partner_b):
    with pytest.raises(ValidationError, match="stays shared"):
        services.decision_set_visibility(decision=joint, actor=holders["manager_de"], visibility="internal")
    joint.refresh_from_db()
    assert joint.visibility == "shared"
    fresh = services.decision_log(actor=holders["manager_de"], decision_type=joint.decision_type,
                                  org_unit=joint.org_unit, partnership=joint.partnership, title="Other", now=T0)
    with pytest.raises(ValidationError, match="partnership cannot"):
        services.decision_edit(decision=fresh, actor=holders["manager_de"], changes={"partnership": None})


def test_the_matrix_lint_does_not_call_the_partner_a_gap_and_refuses_a_partner_decider(
        holders, functions, partner_fn, joint_promo):
    report = services.matrix_lint(cells=_cells())
    assert not [g for g in report.gaps if g.function == "PARTNER"]
    bad = {(joint_promo.pk, partner_fn.pk): "D", (joint_promo.pk, functions["COMPLIANCE"].pk): "A"}
    conflicts = services.matrix_lint(cells=bad, decision_types=[joint_promo]).conflicts
    assert [c.message for c in conflicts] == [
        "Joint promotion plan: the partner cannot decide (D); give the D to an internal function."]


def _cells():
    from decisions.models import MatrixVersion

    return services.matrix_cells(MatrixVersion.objects.head())


def test_routing_preview_names_the_partner_and_says_the_decision_is_shared(client, holders, joint_promo, org,
                                                                           partner_a):
    client.force_login(holders["manager_de"])
    html = client.get("/decisions/new/preview/", {"decision_type": joint_promo.pk, "org_unit": org["DE"].pk,
                                              "partnership": partner_a.pk}).content.decode()
    assert "shared with the partner" in html and "pat.partner" in html
    missing = client.get("/decisions/new/preview/", {"decision_type": joint_promo.pk,
                                                 "org_unit": org["DE"].pk}).content.decode()
    assert "tag the decision with a partnership" in missing
    assert resolve(decision_type=joint_promo, org_unit=org["DE"], at=T0, partnership=partner_a).partner_takes_part


def test_the_partner_answers_from_their_portal_page(client, joint, holders):
    client.force_login(holders["partner"])
    page = client.get(f"/partners/partnerships/{joint.partnership_id}/").content.decode()
    assert 'data-testid="answers-owed"' in page and "Joint Q1 promotion" in page
    assert _leaks(page) == []
    response = client.post(f"/decisions/{joint.pk}/agree/", {"agree": "yes", "comment": "Fine"})
    assert response.status_code == 302
    assert DecisionParticipant.objects.get(decision=joint, user=holders["partner"]).agreed is True
    page = client.get(f"/partners/partnerships/{joint.partnership_id}/").content.decode()
    assert 'data-testid="answers-owed"' not in page
    detail = client.get(f"/decisions/{joint.pk}/").content.decode()
    assert _leaks(detail) == [] and "Payers will object" not in detail


def test_a_partner_reminded_to_answer_is_not_told_who_asks(joint, holders):
    from governance.models import Notification

    services.decision_nudge(decision=joint, actor=holders["manager_de"], now=T0 + timedelta(hours=2))
    note = Notification.objects.get(recipient=holders["partner"], kind="decision.nudge")
    assert note.body.startswith("The team is waiting for your agreement") and _leaks(note.body) == []


def test_the_portal_card_shows_the_partner_no_internal_due_date(client, joint, holders):
    client.force_login(holders["partner"])
    card = client.get(f"/partners/partnerships/{joint.partnership_id}/").content.decode()
    card = card[card.index('data-testid="answers-owed"'):]
    card = card[:card.index("</ul>")]
    assert "your agreement" in card and "due" not in card
    client.force_login(holders["compliance_de"])
    internal = client.get(f"/partners/partnerships/{joint.partnership_id}/")  # DE: in Carla's scope
    assert "your agreement · due" in internal.content.decode()
