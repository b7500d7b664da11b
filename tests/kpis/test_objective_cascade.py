"""The objectives cascade (issue 19): global → region → market → partnership objectives, who may
see and add which, the placement rules (a child within its parent's unit subtree), the tree page
and the alignment gaps it feeds. Attackers: a one-market manager on a two-market partnership, a
partner user, a leader of another region."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.models import StrategicObjective
from kpis.services.definitions import kpi_create, target_set
from kpis.services.objectives import objective_save

pytestmark = pytest.mark.django_db
MONTH = date(2026, 1, 1)


@pytest.fixture
def leader_apac(org, functions):
    from governance import services

    return services.user_create(username="mei.apac", password="pw-mei", role="leader", email="mei@example.com",
                                assignments=[(functions["SALES"], org["APAC"], "Commercial Lead APAC")])


@pytest.fixture
def cascade(org, functions, partner_a):
    kpi = kpi_create(code="REV", name="Revenue", unit="EUR", aggregation="sum", direction="higher",
                     category="adoption", owners=[(functions["SALES"], None, Decimal(1))])
    grow = objective_save(code="GROW", title="Grow with partners", org_unit=org["GLOBAL"], kpis=[kpi])
    emea = objective_save(code="GROW-EMEA", title="Grow EMEA", parent=grow, org_unit=org["EMEA"], kpis=[kpi])
    de = objective_save(code="GROW-DE", title="Grow Germany", parent=emea, org_unit=org["DE"], kpis=[kpi])
    pa = objective_save(code="GROW-PA", title="Grow partnership A", parent=de, partnership=partner_a)
    apac = objective_save(code="GROW-APAC", title="Grow APAC", parent=grow, org_unit=org["APAC"], kpis=[kpi])
    target_set(kpi=kpi, org_unit=org["DE"], partnership=None, period=MONTH, value=Decimal(100))
    return {"kpi": kpi, "grow": grow, "emea": emea, "de": de, "pa": pa, "apac": apac}


def codes(user) -> set[str]:
    return set(StrategicObjective.objects.restrict(user, "view").values_list("code", flat=True))


# --- who sees what -------------------------------------------------------------------------------


def test_each_role_sees_its_line_and_subtree_and_partner_users_none(cast, cascade, leader_apac):
    assert codes(cast["leader"]) == {"GROW", "GROW-EMEA", "GROW-DE", "GROW-PA"}
    assert codes(cast["manager_de"]) == {"GROW", "GROW-EMEA", "GROW-DE", "GROW-PA"}  # the line above DE too
    assert codes(cast["manager_jp"]) == {"GROW", "GROW-APAC"}
    assert codes(leader_apac) == {"GROW", "GROW-APAC"}
    assert codes(cast["partner"]) == set()  # no sharing flag on objectives: partner users see none


def test_out_of_scope_objectives_answer_404_in_the_api_and_never_list(api, cast, cascade, leader_apac):
    client = api(leader_apac)
    assert client.get("/api/v1/objectives/GROW-DE/").status_code == 404
    assert client.patch("/api/v1/objectives/GROW-DE/", {"title": "mine"}, format="json").status_code == 404
    assert client.delete("/api/v1/objectives/GROW-DE/").status_code == 404
    listed = {o["code"] for o in client.get("/api/v1/objectives/?page_size=100").json()["results"]}
    assert listed == {"GROW", "GROW-APAC"}
    # children of the global objective the APAC leader may see: never a hint of EMEA's
    assert client.get("/api/v1/objectives/GROW/").json()["children"] == ["GROW-APAC"]
    partner = api(cast["partner"])
    assert partner.get("/api/v1/objectives/GROW-PA/").status_code == 404
    assert partner.get("/api/v1/objectives/").json()["results"] == []
    assert partner.post("/api/v1/objectives/", {"code": "X", "title": "x", "parent": "GROW-PA",
                                                "partnership": cascade["pa"].partnership_id},
                        format="json").status_code == 403
    StrategicObjective.objects.get(code="GROW-DE").refresh_from_db()
    assert StrategicObjective.objects.get(code="GROW-DE").title == "Grow Germany"


def test_the_api_filters_choose_from_the_callers_scope(api, cast, cascade, leader_apac):
    client = api(leader_apac)
    assert client.get("/api/v1/objectives/?parent=GROW-EMEA").status_code == 400  # unknown to them
    assert client.get("/api/v1/objectives/?org_unit=DE").status_code == 400
    got = api(cast["leader"]).get("/api/v1/objectives/?parent=GROW-EMEA").json()["results"]
    assert [o["code"] for o in got] == ["GROW-DE"]
    assert [o["code"] for o in api(cast["leader"]).get("/api/v1/objectives/?top=true").json()["results"]] == ["GROW"]


# --- who adds what, and where --------------------------------------------------------------------


def test_a_market_manager_adds_a_child_for_their_market_through_the_api(api, cast, cascade):
    body = {"code": "GROW-DE-H", "title": "Hospitals in Germany", "parent": "GROW-DE", "org_unit": "DE",
            "kpis": ["REV"]}
    r = api(cast["manager_de"]).post("/api/v1/objectives/", body, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["parent"] == "GROW-DE" and r.json()["org_unit"] == "DE" and r.json()["partnership"] is None
    made = StrategicObjective.objects.get(code="GROW-DE-H")
    assert made.history.earliest().history_type == "+"
    assert {h.history_user for h in made.history.all()} == {cast["manager_de"]}


def test_a_child_outside_its_parents_subtree_is_400_and_nothing_changes(api, cast, org, cascade):
    client = api(cast["leader"])
    before = StrategicObjective.objects.count()
    r = client.post("/api/v1/objectives/", {"code": "X1", "title": "x", "parent": "GROW-DE", "org_unit": "AT"},
                    format="json")
    assert r.status_code == 400 and "not within Germany" in r.json()["org_unit"][0]
    r = client.post("/api/v1/objectives/", {"code": "X2", "title": "x", "parent": "GROW-DE"}, format="json")
    assert r.status_code == 400 and "org unit or the partnership" in r.json()["org_unit"][0]
    r = client.post("/api/v1/objectives/", {"code": "X3", "title": "x", "parent": "GROW-PA", "org_unit": "DE"},
                    format="json")
    assert r.status_code == 400 and "same partnership" in r.json()["org_unit"][0]
    r = client.post("/api/v1/objectives/", {"code": "X4", "title": "x", "parent": "GROW-DE", "org_unit": "DE",
                                            "partnership": cascade["pa"].partnership_id}, format="json")
    assert r.status_code == 400  # a unit or a partnership, not both
    r = client.post("/api/v1/objectives/", {"code": "X5", "title": "x", "org_unit": "EMEA"}, format="json")
    assert r.status_code == 403 and "Top-level objectives are set by admins" in r.json()["detail"]
    # moving the EMEA objective under itself, or GROW-DE to Austria, is refused as well
    assert client.patch("/api/v1/objectives/GROW-EMEA/", {"parent": "GROW-DE"}, format="json").status_code == 400
    assert client.patch("/api/v1/objectives/GROW-DE/", {"org_unit": "AT"}, format="json").status_code == 400
    assert StrategicObjective.objects.count() == before
    assert StrategicObjective.objects.get(code="GROW-DE").org_unit == org["DE"]
    assert StrategicObjective.objects.get(code="GROW-EMEA").parent.code == "GROW"


def test_attackers_cannot_place_objectives_outside_their_scope(api, cast, org, cascade, dach_partnership,
                                                               leader_apac):
    before = StrategicObjective.objects.count()
    # the DE manager sees the DE+AT partnership but may not change it: 403, nothing written
    r = api(cast["manager_de"]).post("/api/v1/objectives/", {"code": "Y1", "title": "y", "parent": "GROW-EMEA",
                                                             "partnership": dach_partnership.pk}, format="json")
    assert r.status_code == 403 and "change the partnership" in r.json()["detail"]
    # ... nor put an objective at Austria (outside their scope: reads as unknown)
    r = api(cast["manager_de"]).post("/api/v1/objectives/", {"code": "Y2", "title": "y", "parent": "GROW-EMEA",
                                                             "org_unit": "AT"}, format="json")
    assert r.status_code == 400 and "org_unit" in r.json()
    # the APAC leader cannot hang anything under EMEA's objectives (unknown parent) nor edit them
    r = api(leader_apac).post("/api/v1/objectives/", {"code": "Y3", "title": "y", "parent": "GROW-EMEA",
                                                      "org_unit": "APAC"}, format="json")
    assert r.status_code == 400 and "parent" in r.json()
    # the EMEA leader may see the global objective but not change it (403: it is visible to them)
    assert api(cast["leader"]).patch("/api/v1/objectives/GROW/", {"title": "z"}, format="json").status_code == 403
    # but the EMEA leader may add the DACH partnership's objective (both units in scope)
    r = api(cast["leader"]).post("/api/v1/objectives/", {"code": "Y4", "title": "y", "parent": "GROW-EMEA",
                                                         "partnership": dach_partnership.pk}, format="json")
    assert r.status_code == 201, r.content
    assert StrategicObjective.objects.count() == before + 1
    assert StrategicObjective.objects.get(code="GROW").title == "Grow with partners"


def test_an_objective_with_children_is_not_deleted(api, cast, cascade):
    client = api(cast["leader"])
    assert client.delete("/api/v1/objectives/GROW-DE/").status_code == 400
    assert client.delete("/api/v1/objectives/GROW-PA/").status_code == 204
    assert not StrategicObjective.objects.filter(code="GROW-PA").exists()
    assert StrategicObjective.history.filter(code="GROW-PA", history_type="-").exists()


def test_the_manage_form_adds_a_child_from_the_cascade_link(client, cast, cascade):
    client.force_login(cast["manager_de"])
    page = client.get(reverse("manage:objectives-new") + "?parent=GROW-DE")
    assert page.status_code == 200 and 'value="GROW-DE" selected' in page.content.decode()
    r = client.post(reverse("manage:objectives-new"), {"code": "M1", "title": "Clinics", "parent": "GROW-DE",
                                                       "org_unit": "DE", "order": "0"})
    assert r.status_code == 302
    assert StrategicObjective.objects.get(code="M1").parent.code == "GROW-DE"
    r = client.post(reverse("manage:objectives-new"), {"code": "M2", "title": "Clinics", "parent": "GROW-EMEA",
                                                       "org_unit": "", "order": "0"})
    assert r.status_code == 400 and not StrategicObjective.objects.filter(code="M2").exists()


# --- the page and the gaps -----------------------------------------------------------------------


def test_the_cascade_page_shows_the_tree_with_kpis_and_gaps(client, cast, cascade):
    client.force_login(cast["leader"])
    html = client.get(reverse("kpis:objectives") + "?period=2026-01").content.decode()
    for title in ("Grow with partners", "Grow EMEA", "Grow Germany", "Grow partnership A"):
        assert title in html
    assert "Grow APAC" not in html
    assert "No KPI measures this objective." in html  # partnership A's objective
    assert "No objective below for: Austria" in html  # EMEA's markets: Germany has one, Austria none
    client.force_login(cast["partner"])
    assert client.get(reverse("kpis:objectives")).status_code == 404
    client.force_login(cast["leader"])
    assert client.get(reverse("kpis:objectives") + "?period=2026-13").status_code == 400


def test_alignment_lists_the_cascades_gaps(cast, org, cascade):
    from kpis.selectors import alignment_gaps

    a = alignment_gaps(cast["leader"], unit_code="EMEA", period=MONTH)
    assert [o.code for o in a.objectives_without_kpi] == ["GROW-PA"]
    assert [(n.objective.code, [m.code for m in n.markets_without_objective]) for n in a.markets_without_objective] \
        == [("GROW-EMEA", ["AT"])]
    # REV has a target at DE for January: the German objective is fine, EMEA's has one below it too;
    # the global objective's target exists somewhere below it as well
    assert [n.objective.code for n in a.objective_kpis_without_target] == []
    feb = alignment_gaps(cast["leader"], unit_code="EMEA", period=date(2026, 2, 1))
    assert {n.objective.code for n in feb.objective_kpis_without_target} == {"GROW", "GROW-EMEA", "GROW-DE"}
    # the APAC objective never shows to the EMEA leader
    assert all(n.objective.code != "GROW-APAC" for n in feb.objective_kpis_without_target)


def test_existing_objectives_become_global_in_the_migration(org):
    from importlib import import_module

    from django.apps import apps as global_apps

    migration = import_module("kpis.migrations.0008_objective_cascade")
    legacy = StrategicObjective.objects.create(code="OLD", title="Old")
    migration.objectives_become_global(global_apps, None)
    legacy.refresh_from_db()
    assert legacy.org_unit == org["GLOBAL"] and legacy.parent is None


def test_the_cascade_reads_its_targets_in_the_same_queries_however_many_objectives(cast, org, cascade):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpis.selectors.cascade import objective_cascade

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            objective_cascade(cast["admin"], period=MONTH)
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        objective_save(code=f"GROW-AT-{i}", title=f"Austria {i}", parent=cascade["emea"], org_unit=org["AT"],
                       kpis=[cascade["kpi"]])
    assert count() == before
