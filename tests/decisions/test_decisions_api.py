"""The decision log through the API: routing, the workflow's 409s, scoping (401/403/404)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from decisions.models import Decision, DecisionEvent
from governance.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/decisions/"


@pytest.fixture(autouse=True)
def _matrix(price_exception):
    """Every test here works with the published price-exception rights."""


def log_via_api(client, **overrides):
    body = {"title": "Price exception for MedDistrib tender", "decision_type": "PRICE_EXC", "org_unit": "DE",
            "priority": "normal", "description": "Tender at Charité needs 12% below list.",
            "options": [{"option": "Grant 12%", "pros": "Win the tender", "cons": "Margin"},
                        {"option": "Grant 8%", "pros": "Margin", "cons": "May lose"}], **overrides}
    return client.post(URL, body, format="json")


def test_a_decision_logged_in_germany_resolves_the_right_people(api, holders):
    before = timezone.now()
    response = log_via_api(api(holders["manager_de"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["escalation_level"] == 0 and body["deciding_unit"] == "DE"
    people = sorted((p["username"], p["function"], p["role"]) for p in body["participants"])
    assert people == [("anna.access", "ACCESS", "I"), ("carla.compliance", "COMPLIANCE", "A"),
                      ("fritz.finance", "FINANCE", "R"), ("max.de", "SALES", "D")]
    due = timezone.datetime.fromisoformat(body["due_at"])
    assert timedelta(hours=24) <= due - before < timedelta(hours=24, seconds=30)
    assert body["matrix_version"] == 1 and len(body["options"]) == 2
    # Everyone involved is told; the timeline starts with "logged".
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "max.de", "carla.compliance", "anna.access", "fritz.finance"}
    assert list(DecisionEvent.objects.values_list("kind", flat=True)) == ["logged"]


def test_urgent_priority_uses_its_own_sla(api, holders):
    body = log_via_api(api(holders["manager_de"]), priority="urgent").json()
    d = Decision.objects.get(pk=body["id"])
    assert d.due_at - d.requested_at == timedelta(hours=8)


def test_it_cannot_be_decided_without_compliance_agreement(api, holders):
    decision_id = log_via_api(api(holders["manager_de"])).json()["id"]
    decide = api(holders["manager_de"]).post(f"{URL}{decision_id}/decide/", {"outcome": "Grant 12%"}, format="json")
    assert decide.status_code == 409
    assert "Compliance has not agreed yet (Carla)" in decide.json()["detail"]

    veto = api(holders["compliance_de"]).post(f"{URL}{decision_id}/agree/",
                                              {"agree": False, "comment": "Below the floor price"}, format="json")
    assert veto.status_code == 200
    decide = api(holders["manager_de"]).post(f"{URL}{decision_id}/decide/", {"outcome": "Grant 12%"}, format="json")
    assert decide.status_code == 409 and "Compliance vetoed" in decide.json()["detail"]

    agree = api(holders["compliance_de"]).post(f"{URL}{decision_id}/agree/", {"agree": True, "comment": "At 8% ok"},
                                               format="json")
    assert agree.status_code == 200
    decided = api(holders["manager_de"]).post(f"{URL}{decision_id}/decide/",
                                              {"outcome": "Grant 8%", "rationale": "Floor price"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    kinds = [e["kind"] for e in api(holders["manager_de"]).get(f"{URL}{decision_id}/events/").json()["results"]]
    assert kinds == ["logged", "vetoed", "agreed", "decided"]


def test_only_the_current_decider_may_decide(api, holders):
    decision_id = log_via_api(api(holders["manager_de"])).json()["id"]
    api(holders["compliance_de"]).post(f"{URL}{decision_id}/agree/", {"agree": True}, format="json")
    for who in ["leader", "compliance_de", "admin"]:
        response = api(holders[who]).post(f"{URL}{decision_id}/decide/", {"outcome": "x"}, format="json")
        assert response.status_code == 409, who
        assert response.json()["detail"] == "Only the current decider can decide: max.de (Sales, Germany)."
    assert Decision.objects.get().status == "open"


def test_input_and_agree_need_the_matching_role(api, holders):
    decision_id = log_via_api(api(holders["manager_de"])).json()["id"]
    assert api(holders["access_de"]).post(f"{URL}{decision_id}/input/", {"comment": "Payers will accept"},
                                          format="json").status_code == 200
    assert api(holders["access_de"]).post(f"{URL}{decision_id}/agree/", {"agree": True},
                                          format="json").status_code == 403
    assert api(holders["leader"]).post(f"{URL}{decision_id}/input/", {"comment": "x"},
                                       format="json").status_code == 403
    participant = Decision.objects.get().participants.get(user=holders["access_de"])
    assert participant.input_text == "Payers will accept"


def test_withdraw_and_reopen_are_events_and_closed_decisions_answer_409(api, holders):
    client = api(holders["manager_de"])
    decision_id = log_via_api(client).json()["id"]
    assert client.post(f"{URL}{decision_id}/withdraw/", {"reason": "Tender cancelled"},
                       format="json").json()["status"] == "withdrawn"
    assert client.post(f"{URL}{decision_id}/decide/", {"outcome": "x"}, format="json").status_code == 409
    assert client.post(f"{URL}{decision_id}/reopen/", {}, format="json").status_code == 400
    assert api(holders["access_de"]).post(f"{URL}{decision_id}/reopen/", {"reason": "x"},
                                          format="json").status_code == 403
    reopened = client.post(f"{URL}{decision_id}/reopen/", {"reason": "Tender re-issued"}, format="json")
    assert reopened.json()["status"] == "open"
    kinds = list(DecisionEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["logged", "withdrawn", "reopened"]


def test_no_decider_in_the_whole_chain_is_a_clear_error_at_logging_time(api, holders):
    from governance.models import Assignment

    # Sales is held at DE, DACH, EMEA and GLOBAL: with all of them gone nobody covers Germany.
    Assignment.objects.filter(function__code="SALES", org_unit__code__in=["DE", "DACH", "EMEA", "GLOBAL"]).delete()
    response = log_via_api(api(holders["admin"]))
    assert response.status_code == 400
    assert ("No decider for “Distributor price exception” at Germany: nobody holds Sales (D) there or above"
            in str(response.json()))
    assert not Decision.objects.exists()


def test_a_manager_in_japan_never_sees_it(api, holders):
    decision_id = log_via_api(api(holders["manager_de"])).json()["id"]
    jp = api(holders["manager_jp"])
    assert jp.get(f"{URL}{decision_id}/").status_code == 404
    assert jp.get(f"{URL}{decision_id}/events/").status_code == 404
    assert jp.post(f"{URL}{decision_id}/decide/", {"outcome": "x"}, format="json").status_code == 404
    assert jp.get(URL).json()["results"] == []
    assert [d["id"] for d in api(holders["leader"]).get(URL).json()["results"]] == [decision_id]
    assert log_via_api(jp).status_code == 400  # DE is not in Japan's scope


def test_decisions_api_trio(api, holders, partner_a):
    assert api().get(URL).status_code == 401
    assert log_via_api(api()).status_code == 401
    assert log_via_api(api(holders["partner"])).status_code == 403
    shared = log_via_api(api(holders["manager_de"]), partnership=partner_a.pk, visibility="shared").json()["id"]
    tagged = log_via_api(api(holders["manager_de"]), partnership=partner_a.pk).json()["id"]  # internal by default
    log_via_api(api(holders["manager_de"]), title="Internal only")
    partner = api(holders["partner"])
    assert [d["id"] for d in partner.get(URL).json()["results"]] == [shared]
    assert partner.get(f"{URL}{tagged}/").status_code == 404
    in_partnership = shared
    assert partner.post(f"{URL}{in_partnership}/withdraw/", {}, format="json").status_code == 403


def test_list_filters_and_query_count(api, holders, log_de, django_assert_max_num_queries):
    from decisions import services

    log_de(title="Fresh", now=timezone.now())
    old = log_de(now=timezone.now() - timedelta(days=3), title="Old and overdue")
    services.escalate_overdue(now=timezone.now())
    closed = log_de(title="Withdrawn", now=timezone.now())
    services.decision_withdraw(decision=closed, actor=holders["manager_de"], reason="Tender cancelled")
    client = api(holders["leader"])

    def titles(query):
        return sorted(d["title"] for d in client.get(URL + query).json()["results"])

    assert titles("?status=open") == ["Fresh", "Old and overdue"]
    assert titles("?overdue=true") == ["Old and overdue"]
    assert titles("?escalated=true") == ["Old and overdue"]
    assert titles("?org_unit=DACH&status=withdrawn") == ["Withdrawn"]
    assert titles("?org_unit=AT") == []
    assert client.get(f"{URL}{old.pk}/").json()["escalation_level"] == 3
    for i in range(10):
        log_de(title=f"Bulk {i}", now=timezone.now())
    with django_assert_max_num_queries(4):
        assert len(client.get(URL).json()["results"]) == 13


def test_list_query_count_is_the_same_for_3_or_60_decisions(api, holders, log_de, django_assert_num_queries):
    from decisions import services

    client = api(holders["leader"])
    for i in range(3):
        log_de(title=f"First {i}", now=timezone.now())
    # the page, its participants, its KPIs (the test client skips the token) and the leader's assignment
    # units, read once per user object (this client reuses it, so the requests below skip that read)
    with django_assert_num_queries(4):
        assert len(client.get(URL + "?status=open").json()["results"]) == 3
    for i in range(57):
        d = log_de(title=f"More {i}", now=timezone.now() - timedelta(days=i % 3))
        if i % 5 == 0:
            services.decision_agree(decision=d, actor=holders["compliance_de"], agree=True)
    services.escalate_overdue(now=timezone.now())
    for query in ["", "?status=open", "?overdue=true&org_unit=DACH", "?escalated=true"]:
        with django_assert_num_queries(3):
            assert client.get(URL + query).json()["results"], query


def test_list_rows_are_the_detail_representation(api, holders, log_de, partner_a):
    """The list reads values() rows, not model instances: each row must still be exactly the detail."""
    from decisions import services
    from kpis.models import KPI

    kpis = [KPI.objects.create(code=c, name=c, unit="%", direction="higher", aggregation="average",
                               category=cat, frequency="monthly")
            for c, cat in [("B-KPI", "access"), ("A-KPI", "other"), ("C-KPI", "access")]]
    client = api(holders["leader"])
    plain = log_de(title="Plain", now=timezone.now())
    rich = log_via_api(api(holders["manager_de"]), title="Rich", partnership=partner_a.pk,
                       kpis=["A-KPI", "B-KPI", "C-KPI"]).json()["id"]
    services.decision_give_input(decision=Decision.objects.get(pk=rich), actor=holders["access_de"], comment="ok")
    services.decision_agree(decision=Decision.objects.get(pk=rich), actor=holders["compliance_de"], agree=False,
                            comment="No")
    old = log_de(title="Escalated", now=timezone.now() - timedelta(days=3))
    services.escalate_overdue(now=timezone.now())
    decided = log_de(title="Decided", now=timezone.now())
    services.decision_agree(decision=decided, actor=holders["compliance_de"], agree=True)
    services.decision_decide(decision=decided, actor=holders["manager_de"], outcome="Yes", rationale="Because")
    rows = client.get(URL).json()["results"]
    assert [r["id"] for r in rows] == [decided.pk, old.pk, rich, plain.pk]
    assert len(kpis) == 3 and rows[2]["kpis"] == ["B-KPI", "C-KPI", "A-KPI"]  # the KPIs' order: category, code
    assert rows[1]["overdue"] and rows[1]["escalation_level"] == 3 and len(rows[1]["participants"]) > 4
    for row in rows:
        assert row == client.get(f"{URL}{row['id']}/").json() == _model_representation(holders["leader"], row["id"])


def _model_representation(viewer, pk: int) -> dict:
    """``DecisionSerializer`` on the model instance with its scoped prefetches (the detail's and the
    steps' answer before they read values() rows), rendered to JSON as the API does."""
    import json
    from types import SimpleNamespace

    from django.db.models import Prefetch
    from rest_framework.renderers import JSONRenderer

    from decisions.api.serializers import DecisionSerializer
    from decisions.models import DecisionParticipant
    from kpis.models import KPI

    decision = (Decision.objects.restrict(viewer, "view")
                .select_related("decision_type", "org_unit", "decider_function", "deciding_unit", "matrix_version")
                .prefetch_related(Prefetch("kpis", queryset=KPI.objects.restrict(viewer, "view")),
                                  Prefetch("participants", queryset=DecisionParticipant.objects.restrict(viewer, "view")
                                           .select_related("user", "function", "org_unit")))
                .get(pk=pk))
    data = DecisionSerializer(decision, context={"request": SimpleNamespace(user=viewer), "now": timezone.now()}).data
    return json.loads(JSONRenderer().render(data))


def test_detail_and_steps_answer_the_model_representation_to_internal_and_partner_readers(
        api, holders, log_de, partner_a, partner_user):
    """The detail and every step's answer read values() rows (as the list does): for an internal
    reader and a partner user they are exactly the model serializer's representation."""
    from decisions import services

    shared = log_de(title="Joint launch", partnership=partner_a, visibility="shared", now=timezone.now())
    services.decision_give_input(decision=shared, actor=holders["access_de"], comment="Shared input",
                                 visibility="shared")
    agreed = api(holders["compliance_de"]).post(f"{URL}{shared.pk}/agree/", {"agree": True, "comment": "Fine"},
                                                format="json")
    assert agreed.status_code == 200
    assert agreed.json() == _model_representation(holders["compliance_de"], shared.pk)
    decided = api(holders["manager_de"]).post(f"{URL}{shared.pk}/decide/", {"outcome": "Go", "rationale": "Why"},
                                              format="json")
    assert decided.status_code == 200
    assert decided.json() == _model_representation(holders["manager_de"], shared.pk)
    for viewer in (holders["leader"], partner_user):
        detail = api(viewer).get(f"{URL}{shared.pk}/")
        assert detail.status_code == 200
        assert detail.json() == _model_representation(viewer, shared.pk), viewer.username
    assert api(partner_user).get(f"{URL}{shared.pk}/").json()["decider"] is None
    assert api(holders["manager_jp"]).get(f"{URL}{shared.pk}/").status_code == 404
    assert api(holders["leader"]).get(f"{URL}999999/").status_code == 404


def test_notifications_api_lists_mine_newest_first_and_marks_read(api, holders, log_de):
    log_de()
    log_de(title="Second", now=timezone.now())
    client = api(holders["compliance_de"])
    assert api().get("/api/v1/notifications/").status_code == 401
    items = client.get("/api/v1/notifications/").json()["results"]
    assert len(items) == 2
    assert api(holders["manager_jp"]).get("/api/v1/notifications/").json()["results"] == []
    assert client.post("/api/v1/notifications/mark-read/", {"ids": [items[0]["id"]]}, format="json").json() == {
        "marked": 1}
    assert len(client.get("/api/v1/notifications/?unread=true").json()["results"]) == 1
    assert client.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked": 1}


def test_schema_documents_the_409s(api, holders):
    schema = api(holders["admin"]).get("/api/v1/schema/?format=json").json()
    for action in ["decide", "agree", "input", "withdraw", "reopen"]:
        assert "409" in schema["paths"][f"/api/v1/decisions/{{id}}/{action}/"]["post"]["responses"], action


def test_the_load_tests_writes_and_reads_keep_their_query_counts(api, holders, django_assert_num_queries):
    """Issue 22: log, agree, decide and read a decision in a fixed, small number of queries (the test
    client skips the token; the caller's units are read once per request)."""
    with django_assert_num_queries(LOG_QUERIES):
        decision_id = log_via_api(api(holders["manager_de"])).json()["id"]
    with django_assert_num_queries(AGREE_QUERIES):
        assert api(holders["compliance_de"]).post(f"{URL}{decision_id}/agree/", {"agree": True},
                                                  format="json").status_code == 200
    with django_assert_num_queries(DECIDE_QUERIES):
        assert api(holders["manager_de"]).post(f"{URL}{decision_id}/decide/", {"outcome": "Go"},
                                               format="json").status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES):
        assert api(holders["manager_de"]).get(f"{URL}{decision_id}/").status_code == 200


LOG_QUERIES, AGREE_QUERIES, DECIDE_QUERIES, DETAIL_QUERIES = 21, 18, 16, 3


def test_the_list_builds_only_the_filters_asked_for_and_still_refuses_unknown_objects(api, holders, log_de,
                                                                                      partner_a):
    """Filters left out of the query are left out of the filter form (issue 22); the ones asked for
    still choose from the caller's scope."""
    log_de(title="Open one", now=timezone.now())
    client = api(holders["leader"])
    assert [d["title"] for d in client.get(URL + "?status=open").json()["results"]] == ["Open one"]
    assert client.get(URL + "?decision_type=PRICE_EXC").json()["results"]
    assert client.get(URL + "?decision_type=NOPE").status_code == 400
    assert client.get(URL + "?status=nonsense").status_code == 400
    assert client.get(URL + f"?partnership={partner_a.pk}").status_code == 200
    assert api(holders["manager_jp"]).get(URL + f"?partnership={partner_a.pk}").status_code == 400  # not in scope


def test_stored_options_read_as_the_option_serializer_gives_them():
    from rest_framework.renderers import JSONRenderer

    from decisions.api.serializers import OptionSerializer, _options

    cleaned = [{"option": "Grant 12%", "pros": "Win", "cons": "Margin"}, {"option": "No", "pros": "", "cons": ""}]
    odd = [{"option": "Only this"}, {"option": 5, "pros": None, "cons": "x", "extra": 1}]
    for stored in (cleaned, odd):
        assert JSONRenderer().render(_options(stored)) == JSONRenderer().render(
            OptionSerializer(stored, many=True).data)
