"""Issue 14, "confidentiality towards partner users": a decision tagged with a partnership is not
automatically the partner's business. Each test is what pat.partner (partner user of partnership A)
tried, and what they must (not) get.

The internal people of these decisions: max.de requests and decides (SALES, Germany), Carla
(compliance) must agree, Anna (access) gives input, Fritz (finance) recommends; escalation goes to
Dirk (DACH), then Gina (global).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from decisions import models as m
from decisions import services
from decisions.models import Decision, DecisionEvent, DecisionParticipant

pytestmark = pytest.mark.django_db

URL = "/api/v1/decisions/"
INTERNAL_PEOPLE = ("max.de", "Carla", "carla.compliance", "Anna", "anna.access", "Fritz", "fritz.finance",
                   "Dirk", "dirk.dach", "Gina", "gina.global", "lena.leader")
OPTIONS = [{"option": "Grant 12%", "pros": "Win the Charité tender", "cons": "Margin erosion in DACH"}]


def _leaks(text: str) -> list[str]:
    return [name for name in INTERNAL_PEOPLE if name in text]


@pytest.fixture
def tagged(log_de, partner_a):
    """Logged on partnership A, internal (the default)."""
    return log_de(title="Price floor for MedDistrib", partnership=partner_a, options=OPTIONS,
                  now=timezone.now())


@pytest.fixture
def shared(log_de, partner_a, holders):
    """Shared with partnership A's partner — but its options, rationale and every answer internal;
    escalated once; then decided."""
    now = timezone.now()
    decision = log_de(title="Joint promotion Q3", partnership=partner_a, options=OPTIONS, visibility="shared",
                      now=now - timedelta(days=2))
    services.decision_give_input(decision=decision, actor=holders["access_de"], comment="Payers will object",
                                 now=now - timedelta(days=2))
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False,
                            comment="Off-label risk in the flyer", now=now - timedelta(days=2))
    services.escalate_overdue(now=now - timedelta(days=1))  # to Dirk (DACH)
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, comment="Fixed",
                            now=now - timedelta(hours=2))
    decision.refresh_from_db()
    services.decision_decide(decision=decision, actor=decision.decider, outcome="Go, with the revised flyer",
                             rationale="Margin floor 8% keeps DACH whole", now=now)
    decision.refresh_from_db()
    assert decision.escalation_level == 1 and decision.status == "decided"
    return decision


def test_a_decision_tagged_with_the_partnership_is_not_shown_to_the_partner_unless_shared(api, client, holders,
                                                                                         tagged, partner_a):
    partner = api(holders["partner"])
    assert partner.get(URL).json()["results"] == []
    assert partner.get(f"{URL}{tagged.pk}/").status_code == 404
    assert partner.get(f"{URL}{tagged.pk}/events/").status_code == 404
    assert partner.get(f"{URL}?partnership={partner_a.pk}").json()["results"] == []
    client.force_login(holders["partner"])
    assert client.get(f"/decisions/{tagged.pk}/").status_code == 404
    assert "Price floor" not in client.get(f"/partners/partnerships/{partner_a.pk}/").content.decode()
    assert "Price floor" not in client.get("/decisions/list/").content.decode()
    # Shared later by its requester: now it reaches the partner (the decision, not its options).
    services.decision_set_visibility(decision=tagged, actor=holders["manager_de"], visibility="shared")
    body = partner.get(f"{URL}{tagged.pk}/").json()
    assert body["title"] == "Price floor for MedDistrib" and body["options"] is None


def test_the_partner_sees_a_shared_decision_without_people_escalation_options_or_rationale(api, holders, shared):
    partner = api(holders["partner"])
    body = partner.get(f"{URL}{shared.pk}/").json()
    assert body["title"] == "Joint promotion Q3" and body["outcome"] == "Go, with the revised flyer"
    for hidden in ("requested_by", "decider", "decided_by", "decider_function", "deciding_unit", "escalation_level",
                   "escalation_exhausted", "matrix_version", "due_at", "options", "rationale"):
        assert body[hidden] is None, hidden
    assert body["participants"] == []  # every answer was internal
    assert _leaks(json.dumps(body)) == [] and "Off-label" not in json.dumps(body)
    listed = partner.get(URL).json()["results"]
    assert listed == [body]  # the list is the same redacted representation
    events = partner.get(f"{URL}{shared.pk}/events/").json()["results"]
    assert [e["kind"] for e in events] == ["logged", "decided"]  # no input, veto, agreement or escalation
    assert all(e["actor"] is None and e["data"] == {} for e in events)
    assert _leaks(json.dumps(events)) == [] and "Margin floor" not in json.dumps(events)
    # Internal users see it all.
    internal = api(holders["leader"]).get(f"{URL}{shared.pk}/").json()
    assert internal["escalation_level"] == 1 and internal["rationale"] == "Margin floor 8% keeps DACH whole"
    assert {p["username"] for p in internal["participants"]} >= {"carla.compliance", "anna.access"}


def test_the_partner_page_of_a_shared_decision_shows_only_the_shared_parts(client, holders, shared):
    client.force_login(holders["partner"])
    html = client.get(f"/decisions/{shared.pk}/").content.decode()
    assert "Joint promotion Q3" in html and "Go, with the revised flyer" in html
    assert _leaks(html) == []
    for internal in ("Off-label risk", "Payers will object", "Margin floor", "Win the Charité tender", "Escalat",
                     "Now deciding", "Matrix"):
        assert internal not in html, internal
    client.force_login(holders["leader"])
    html = client.get(f"/decisions/{shared.pk}/").content.decode()
    assert "Off-label risk" in html and "Margin floor" in html and "Escalated" in html


def test_answers_and_parts_reach_the_partner_only_when_their_author_shares_them(api, holders, log_de, partner_a):
    decision = log_de(title="Co-marketing budget", partnership=partner_a, options=OPTIONS, visibility="shared",
                      now=timezone.now())
    compliance, access = api(holders["compliance_de"]), api(holders["access_de"])
    assert compliance.post(f"{URL}{decision.pk}/agree/", {"agree": True, "comment": "Claims reviewed",
                                                          "visibility": "shared"}, format="json").status_code == 200
    assert access.post(f"{URL}{decision.pk}/input/", {"comment": "Internal pricing view"},  # default: internal
                       format="json").status_code == 200
    assert DecisionParticipant.objects.get(decision=decision, user=holders["access_de"]).visibility == "internal"
    partner = api(holders["partner"])
    participants = partner.get(f"{URL}{decision.pk}/").json()["participants"]
    assert [(p["role"], p["function"], p["agreed"], p["comment"], p["user"], p["name"]) for p in participants] == \
        [("A", "COMPLIANCE", True, "Claims reviewed", None, None)]
    kinds = [e["kind"] for e in partner.get(f"{URL}{decision.pk}/events/").json()["results"]]
    assert kinds == ["logged", "agreed"]
    # The requester shares the options too; a decider's rationale reaches them when the decider says so.
    api(holders["manager_de"]).post(f"{URL}{decision.pk}/visibility/", {"options_visibility": "shared"},
                                    format="json")
    assert partner.get(f"{URL}{decision.pk}/").json()["options"] == OPTIONS
    api(holders["manager_de"]).post(f"{URL}{decision.pk}/decide/", {
        "outcome": "Approved", "rationale": "Within the joint plan", "rationale_visibility": "shared"}, format="json")
    body = partner.get(f"{URL}{decision.pk}/").json()
    assert body["status"] == "decided" and body["rationale"] == "Within the joint plan"


def test_sharing_needs_a_partnership_and_the_right_to_change_the_decision(api, holders, log_de, partner_a):
    untagged = api(holders["manager_de"]).post(URL, {"title": "x", "decision_type": "PRICE_EXC", "org_unit": "DE",
                                                     "visibility": "shared"}, format="json")
    assert untagged.status_code == 400 and "visibility" in untagged.json()
    decision = log_de(title="Rebate", partnership=partner_a, now=timezone.now())
    assert api(holders["leader"]).post(f"{URL}{decision.pk}/visibility/", {"visibility": "shared"},
                                       format="json").status_code == 403  # sees it, neither requested nor decides
    assert api(holders["partner"]).post(f"{URL}{decision.pk}/visibility/", {"visibility": "shared"},
                                        format="json").status_code in (403, 404)
    assert Decision.objects.get(pk=decision.pk).visibility == "internal"
    assert api(holders["manager_de"]).post(f"{URL}{decision.pk}/visibility/", {"visibility": "shared"},
                                           format="json").status_code == 200
    assert Decision.objects.get(pk=decision.pk).events.filter(kind="visibility").count() == 1


def test_the_log_form_and_the_answer_forms_show_and_let_the_author_choose_the_visibility(client, holders, log_de,
                                                                                       partner_a, price_exception,
                                                                                       org):
    client.force_login(holders["manager_de"])
    form = client.get("/decisions/new/").content.decode()
    assert 'name="visibility"' in form and "Shared with the partner" in form and 'name="share_options"' in form
    response = client.post("/decisions/new/", {
        "title": "Shelf placement", "decision_type": price_exception.pk, "org_unit": org["DE"].pk,
        "partnership": partner_a.pk, "priority": "normal", "visibility": "shared", "share_options": "on",
        "option_1": "Eye level", "pros_1": "Sales", "cons_1": "Fee"})
    assert response.status_code == 302
    logged = Decision.objects.get(title="Shelf placement")
    assert (logged.visibility, logged.options_visibility) == ("shared", "shared")
    client.force_login(holders["compliance_de"])
    page = client.get(f"/decisions/{logged.pk}/").content.decode()
    assert 'id="agree-vis-internal" value="internal" checked' in page and 'id="agree-vis-shared"' in page
    client.post(f"/decisions/{logged.pk}/agree/", {"agree": "yes", "comment": "ok", "visibility": "shared"})
    assert DecisionParticipant.objects.get(decision=logged, user=holders["compliance_de"]).visibility == "shared"


def test_partner_users_cannot_find_out_which_decisions_escalated(api, client, holders, shared):
    partner = api(holders["partner"])
    assert partner.get(f"{URL}?escalated=true").json()["results"] == []
    assert [d["id"] for d in partner.get(f"{URL}?escalated=false").json()["results"]] == [shared.pk]
    client.force_login(holders["partner"])
    page = client.get("/decisions/list/?escalated=on").content.decode()
    assert "Joint promotion Q3" in page and 'id="id_escalated"' not in page  # no such filter for them: ignored


def test_partner_users_cannot_find_out_which_function_decides_through_the_list_or_its_export(
        client, holders, shared):
    from decisions import selectors
    from tests.reports.conftest import read_xlsx

    client.force_login(holders["partner"])
    for code in ("SALES", "FINANCE"):  # the same answer whoever decides: the filter does not exist for them
        page = client.get(f"/decisions/list/?decider_function={code}")
        assert "Joint promotion Q3" in page.content.decode() and "decider_function" not in page.context["form"].fields
        sheets = read_xlsx(client.get(f"/reports/decisions/list.xlsx?decider_function={code}").content)
        assert "Joint promotion Q3" in str(sheets) and "Sales" not in str(sheets) and "Finance" not in str(sheets)
    assert not selectors.decision_list(user=holders["partner"], filters={"decider_function": shared.decider_function})


def test_decision_types_do_not_show_their_decision_rights_to_partner_users(api, holders, price_exception):
    rows = api(holders["partner"]).get("/api/v1/decision-types/").json()["results"]
    assert rows and all(r["rights"] == [] and r["matrix_version"] is None for r in rows)
    detail = api(holders["partner"]).get("/api/v1/decision-types/PRICE_EXC/").json()
    assert detail["rights"] == [] and detail["name"] == "Distributor price exception"
    internal = api(holders["manager_de"]).get("/api/v1/decision-types/PRICE_EXC/").json()
    assert {r["function"]: r["role"] for r in internal["rights"]} == {"SALES": "D", "COMPLIANCE": "A",
                                                                       "ACCESS": "I", "FINANCE": "R"}


def test_a_kpi_never_reveals_another_partnerships_id(api, client, holders, functions, partner_a, partner_b):
    from decimal import Decimal

    from kpis.services.definitions import kpi_create

    kpi_create(code="SELLOUT", name="Sell-out", unit="EUR", aggregation="sum", direction="higher",
               category="adoption", owners=[(functions["SALES"], None, Decimal(1)), (None, partner_a, Decimal(1)),
                                             (None, partner_b, Decimal(1))])
    for role in ("partner", "manager_de"):
        owners = api(holders[role]).get("/api/v1/kpis/SELLOUT/").json()["owners"]
        assert [o["partnership"] for o in owners if o["partnership"]] == [partner_a.pk], role
        assert api(holders[role]).get("/api/v1/kpis/SELLOUT/").json()["is_shared"] is True
    admin = api(holders["admin"]).get("/api/v1/kpis/SELLOUT/").json()["owners"]
    assert {o["partnership"] for o in admin} == {None, partner_a.pk, partner_b.pk}
    client.force_login(holders["partner"])
    assert "Partnership B" not in client.get("/kpis/catalogue/").content.decode()


def test_errors_never_name_a_decider_the_caller_cannot_see(api, holders, log_de, partner_a):
    decision = log_de(title="Listing fee", partnership=partner_a, visibility="shared", now=timezone.now())
    response = api(holders["partner"]).post(f"{URL}{decision.pk}/decide/", {"outcome": "mine"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "Only the current decider can decide."
    with pytest.raises(Exception) as raised:
        services.decision_decide(decision=decision, actor=holders["partner"], outcome="mine")
    assert _leaks(str(raised.value)) == []
    # An internal colleague who can see max.de is told who decides.
    leader = api(holders["leader"]).post(f"{URL}{decision.pk}/decide/", {"outcome": "x"}, format="json")
    assert leader.status_code == 409 and "max.de" in leader.json()["detail"]


def _partner_seat(decision, holders, functions):
    """The partner user as an agreeing party (what a PARTNER row in the matrix will seat, issue 19)."""
    from governance.models import Function

    partner_function = Function.objects.get_or_create(code="PARTNER", defaults={"name": "Partner"})[0]
    return DecisionParticipant.objects.create(decision=decision, user=holders["partner"], function=partner_function,
                                              org_unit=decision.org_unit, role="I")


def test_partner_users_are_notified_only_of_shared_parts(holders, log_de, partner_a, functions):
    from governance.models import Notification

    internal = log_de(title="Internal pricing call", partnership=partner_a, now=timezone.now())
    shared = log_de(title="Joint launch date", partnership=partner_a, visibility="shared", now=timezone.now())
    for decision in (internal, shared):
        _partner_seat(decision, holders, functions)
        services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=False,
                                comment="Needs legal review")
        services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, comment="ok")
        services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="Agreed: 1 May",
                                 rationale="Internal capacity")
    inbox = list(Notification.objects.filter(recipient=holders["partner"]).values_list("title", "body"))
    assert inbox == [("Decided: Joint launch date", "Agreed: 1 May")]  # no veto, nothing of the internal one
    assert _leaks(json.dumps(inbox)) == []


def test_the_partner_sees_only_the_kpis_their_partnership_co_owns_on_a_shared_decision(api, client, holders, log_de,
                                                                                      partner_a, functions):
    from decimal import Decimal

    from kpis.services.definitions import kpi_create

    joint = kpi_create(code="JOINT", name="Joint sell-out", unit="EUR", aggregation="sum", direction="higher",
                       category="adoption", owners=[(None, partner_a, Decimal(1))])
    margin = kpi_create(code="MARGIN", name="Net margin DACH", unit="%", aggregation="average", direction="higher",
                        category="other", owners=[(functions["FINANCE"], None, Decimal(1))])
    decision = log_de(title="Bundle offer", partnership=partner_a, visibility="shared", kpis=[joint, margin],
                      now=timezone.now())
    assert api(holders["partner"]).get(f"{URL}{decision.pk}/").json()["kpis"] == ["JOINT"]
    assert api(holders["partner"]).get(URL).json()["results"][0]["kpis"] == ["JOINT"]
    assert sorted(api(holders["manager_de"]).get(f"{URL}{decision.pk}/").json()["kpis"]) == ["JOINT", "MARGIN"]
    client.force_login(holders["partner"])
    html = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert "Joint sell-out" in html and "Net margin DACH" not in html


def test_participants_of_decisions_in_view_are_exactly_the_restricted_ones(shared, tagged, holders, partner_user,
                                                                           admin_user):
    """The API reads a page's participants with ``of_decisions_in_view`` (the page's decisions were
    scoped already): for every reader it is ``restrict(reader, "view")`` — a partner user gets only
    level-0 seats, their own or shared answers — and stays marked as restricted."""
    joint = services.decision_log(actor=holders["manager_de"], decision_type=shared.decision_type,
                                  org_unit=shared.org_unit, title="Joint", partnership=shared.partnership,
                                  visibility="shared", now=timezone.now())
    services.decision_give_input(decision=joint, actor=holders["access_de"], comment="Shared", visibility="shared")
    for reader in (partner_user, holders["leader"], holders["manager_de"], admin_user):
        ids = list(Decision.objects.restrict(reader, "view").values_list("pk", flat=True))
        fast = DecisionParticipant.objects.of_decisions_in_view(reader, ids)
        assert fast.restriction == ("view", reader.pk)
        assert set(fast) == set(DecisionParticipant.objects.restrict(reader, "view").filter(decision_id__in=ids))
    # The decision page's events; the other children (stages, pauses, escalations…) have no such path.
    assert not any(hasattr(model.objects, "of_decisions_in_view")
                   for model in (m.DecisionStage, m.DecisionPause, m.Escalation, m.Chase, m.AgendaItem))
    for model in (DecisionEvent,):
        for reader in (partner_user, holders["leader"], holders["manager_de"], holders["manager_jp"], admin_user):
            ids = list(Decision.objects.restrict(reader, "view").values_list("pk", flat=True))
            fast = model.objects.of_decisions_in_view(reader, ids)
            assert fast.restriction == ("view", reader.pk)
            assert set(fast) == set(model.objects.restrict(reader, "view").filter(decision_id__in=ids)), (model, reader)
    events = DecisionEvent.objects.of_decisions_in_view(
        partner_user, list(Decision.objects.restrict(partner_user, "view").values_list("pk", flat=True)))
    assert events and {e.kind for e in events} < {e.kind for e in DecisionEvent.objects.all()}
    partner_rows = DecisionParticipant.objects.of_decisions_in_view(
        partner_user, Decision.objects.restrict(partner_user, "view").values_list("pk", flat=True))
    assert partner_rows and all(p.level == 0 and p.visibility == "shared" for p in partner_rows)
    assert set(partner_rows.values_list("decision_id", flat=True)) <= {shared.pk, joint.pk}


def test_the_decision_pages_reads_are_exactly_the_restricted_ones(shared, tagged, holders, partner_user, admin_user):
    """The decision page checks the decision against the reader's scope, then reads it, and the
    children its reader sees all of, by its key with statements compiled once
    (``governance.prepared``): for every reader and decision it shows what ``restrict(reader,
    "view")`` gives — 404 outside it, a partner user's own seats and shared answers only, the
    stages (redacted later) of what they see — and ``may_change`` is ``restrict(reader, "change")``."""
    from django.http import Http404

    from decisions import selectors

    joint = services.decision_log(actor=holders["manager_de"], decision_type=shared.decision_type,
                                  org_unit=shared.org_unit, title="Joint", partnership=shared.partnership,
                                  visibility="shared", now=timezone.now())
    services.decision_give_input(decision=joint, actor=holders["access_de"], comment="Shared", visibility="shared")
    readers = (partner_user, holders["leader"], holders["manager_de"], holders["manager_jp"], admin_user)
    seen = 0
    for reader in readers:
        for decision in Decision.objects.all():
            visible = Decision.objects.restrict(reader, "view").filter(pk=decision.pk).exists()
            if not visible:
                with pytest.raises(Http404):
                    selectors.decision_detail(user=reader, pk=decision.pk)
                continue
            seen += 1
            page = selectors.decision_detail(user=reader, pk=decision.pk)
            assert page.may_change == Decision.objects.restrict(reader, "change").filter(pk=decision.pk).exists()
            for name, model in (("participants", DecisionParticipant), ("events", DecisionEvent)):
                assert set(getattr(page, name).all()) == set(
                    model.objects.restrict(reader, "view").filter(decision=decision)), (name, reader)
            # ``decision`` was not read by decision_detail: its stages are read through restrict().
            now = timezone.now()
            assert (selectors.decision_stages(decision=page, user=reader, now=now)
                    == selectors.decision_stages(decision=decision, user=reader, now=now)), reader
    assert seen > len(readers)
    # A partner user sees fewer participants than the decision has, and no internal answer.
    page = selectors.decision_detail(user=partner_user, pk=joint.pk)
    assert 0 < page.participants.count() < joint.participants.count()
    page = selectors.decision_detail(user=partner_user, pk=shared.pk)
    assert "Payers will object" in [p.input_text for p in shared.participants.all()]
    assert "Payers will object" not in [p.input_text for p in page.participants.all()]


def test_who_sees_every_child_of_a_decision_they_see(holders, partner_user, admin_user):
    """``sees_every_child``: the readers whose children of a visible decision may be read by the
    decision's key alone — internal readers and admins; partner users for stages (redacted when
    shown) but not for participants and events, which have their own rule; inactive users never."""
    internal = (holders["leader"], holders["manager_de"], admin_user)
    for reader in internal:
        assert all(model.objects.sees_every_child(reader) for model in (DecisionParticipant, DecisionEvent,
                                                                       m.DecisionStage))
    assert not DecisionParticipant.objects.sees_every_child(partner_user)
    assert not DecisionEvent.objects.sees_every_child(partner_user)
    assert m.DecisionStage.objects.sees_every_child(partner_user)
    holders["manager_de"].is_active = False
    assert not m.DecisionStage.objects.sees_every_child(holders["manager_de"])


def test_stages_of_a_decision_not_read_for_this_reader_are_scoped_again(shared, tagged, holders, partner_user):
    """``decision_stages`` reads by the decision's key only a decision ``decision_detail`` just
    found in the same reader's view; any other decision object is scoped again, so a partner user
    handed an internal decision (or one read for someone else) gets no stage of it."""
    from decisions import selectors

    assert m.DecisionStage.objects.filter(decision=tagged).exists()
    assert selectors.decision_stages(decision=tagged, user=partner_user)["rows"] == []
    read_for_manager = selectors.decision_detail(user=holders["manager_de"], pk=tagged.pk)
    assert selectors.decision_stages(decision=read_for_manager, user=partner_user)["rows"] == []
    assert selectors.decision_stages(decision=read_for_manager, user=holders["manager_de"])["rows"]


def test_a_decision_made_internal_while_its_page_is_read_is_not_shown(client, shared, partner_user, monkeypatch):
    """The decision page reads the decision by key and asks the reader's scope last: a change of
    scope committed between (the decision made internal and retitled, here just as its row is read)
    is seen by that question, and the partner gets a 404 — not the row as it is after the change."""
    from governance.prepared import PreparedRows

    real, done = PreparedRows.fetch, []

    def fetch_after_a_commit(self, *values):
        if not done:
            done.append(Decision.objects.filter(pk=shared.pk).update(
                visibility="internal", title="Internal-only title"))
        return real(self, *values)

    client.force_login(partner_user)
    assert client.get(f"/decisions/{shared.pk}/").status_code == 200
    monkeypatch.setattr(PreparedRows, "fetch", fetch_after_a_commit)
    response = client.get(f"/decisions/{shared.pk}/")
    assert done and response.status_code == 404
    assert "Internal-only title" not in response.content.decode()
