"""The KPI API: the trio (401 / 403 / 404), scoped lists, bulk and CSV all-or-nothing with row
errors, corrections with history, partner users confined to their partnership, scorecards."""

import io
from decimal import Decimal

import pytest

from kpis.models import KPI, KPIOwnership, Measurement, Target
from kpis.services.rollup import rollup_incremental

pytestmark = pytest.mark.django_db

M = "/api/v1/measurements/"


@pytest.fixture
def partner_kpi(kpis, partner_a, partner_b):
    """REV is co-owned by partnerships A and B too."""
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_b, weight=1)
    return kpis["REV"]


def csv_file(text, name="actuals.csv"):
    f = io.BytesIO(text.encode())
    f.name = name
    return f


def test_anonymous_gets_401_everywhere(api, org):
    client = api()
    for url in ["/api/v1/kpis/", "/api/v1/targets/", M, "/api/v1/scorecards/?org_unit=DE", "/api/v1/objectives/"]:
        assert client.get(url).status_code == 401, url
    assert client.post(M, {"kpi": "X"}, format="json").status_code == 401
    assert client.post(M + "import/", {}, format="multipart").status_code == 401


def test_admin_defines_a_shared_kpi_with_owners_and_others_get_403(api, cast, functions, partner_a):
    payload = {"code": "OTIF", "name": "On-time in full", "unit": "%", "direction": "higher", "aggregation": "ratio",
               "category": "acceleration",
               "owners": [{"function": "SALES", "weight": 2}, {"partnership": partner_a.pk, "weight": 1}]}
    for who in ["leader", "manager_de", "partner"]:
        assert api(cast[who]).post("/api/v1/kpis/", payload, format="json").status_code == 403
    response = api(cast["admin"]).post("/api/v1/kpis/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = api(cast["leader"]).get("/api/v1/kpis/OTIF/").json()
    assert body["is_shared"] is True
    assert body["owners"] == [{"function": "SALES", "partnership": None, "weight": 2.0},
                              {"function": None, "partnership": partner_a.pk, "weight": 1.0}]
    assert KPI.history.filter(code="OTIF").count() == 1
    bad = api(cast["admin"]).post("/api/v1/kpis/", {**payload, "code": "X2", "owners": [{"weight": 1}]}, format="json")
    assert bad.status_code == 400


def test_partner_users_see_only_kpis_their_partnership_co_owns(api, cast, kpis, partner_kpi):
    codes = [k["code"] for k in api(cast["partner"]).get("/api/v1/kpis/").json()["results"]]
    assert codes == ["REV"]
    assert api(cast["partner"]).get("/api/v1/kpis/NPS/").status_code == 404


def test_a_partner_user_is_not_given_the_login_name_of_who_entered_a_measurement(api, client, cast, partner_kpi,
                                                                                 partner_a):
    """A partner user is not given internal people's login names (docs/security.md): the API and
    the CSV export show who entered their partnership's rows only when it was themselves."""
    for user, period in ((cast["manager_de"], "2025-01"), (cast["partner"], "2025-02")):
        assert api(user).post(M, {"kpi": "REV", "org_unit": "DE", "partnership": partner_a.pk, "period": period,
                                  "value": 10}, format="json").status_code == 201
    ours = {m["period"]: m["entered_by"] for m in api(cast["partner"]).get(M).json()["results"]}
    assert ours == {"2025-01": None, "2025-02": "pat.partner"}
    one = Measurement.objects.get(period="2025-01-01")
    assert api(cast["partner"]).get(f"{M}{one.pk}/").json()["entered_by"] is None
    client.force_login(cast["partner"])
    exported = b"".join(client.get("/kpis/measurements/export.csv").streaming_content).decode()
    assert "max.de" not in exported and exported.count("pat.partner") == 1
    internal = {m["period"]: m["entered_by"] for m in api(cast["leader"]).get(M).json()["results"]}
    assert internal == {"2025-01": "max.de", "2025-02": "pat.partner"}


def test_targets_admin_writes_leaders_read_their_scope(api, cast, kpis, org):
    admin = api(cast["admin"])
    for unit in ["DE", "JP"]:
        payload = {"kpi": "REV", "org_unit": unit, "period": "2025-01", "value": 100}
        r = admin.post("/api/v1/targets/", payload, format="json")
        assert r.status_code == 201, r.json()
    assert api(cast["leader"]).post("/api/v1/targets/", payload, format="json").status_code == 403
    listed = api(cast["leader"]).get("/api/v1/targets/").json()["results"]
    assert [(t["org_unit"], t["period"], t["green_at"], t["red_at"]) for t in listed] == [("DE", "2025-01", 1.0, 0.9)]
    jp = Target.objects.get(org_unit=org["JP"])
    assert api(cast["leader"]).get(f"/api/v1/targets/{jp.pk}/").status_code == 404
    assert admin.post("/api/v1/targets/", {"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 5},
                      format="json").status_code == 400  # same key twice
    assert admin.delete(f"/api/v1/targets/{jp.pk}/").status_code == 204


def test_manager_records_for_their_market_and_gets_404_elsewhere(api, cast, kpis, org):
    de = api(cast["manager_de"])
    response = de.post(M, {"kpi": "REV", "org_unit": "DE", "period": "2025-03", "value": "1200.5"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["value"] == 1200.5 and response.json()["entered_by"] == "max.de"
    out_of_scope = {"kpi": "REV", "org_unit": "JP", "period": "2025-03", "value": 1}
    assert de.post(M, out_of_scope, format="json").status_code == 404
    jp_row = api(cast["manager_jp"]).post(M, {"kpi": "REV", "org_unit": "JP", "period": "2025-03", "value": 9},
                                          format="json").json()
    assert de.get(f"{M}{jp_row['id']}/").status_code == 404
    assert [m["org_unit"] for m in de.get(M).json()["results"]] == ["DE"]
    assert sorted(m["org_unit"] for m in api(cast["leader"]).get(M).json()["results"]) == ["DE"]
    assert len(api(cast["admin"]).get(M).json()["results"]) == 2


def test_single_post_field_errors_are_400(api, cast, kpis):
    response = api(cast["admin"]).post(M, {"kpi": "SHARE", "org_unit": "DE", "period": "2025-13", "value": 3},
                                       format="json")
    assert response.status_code == 400
    assert response.json()["period"] == ["Not a month between 2000-01 and 2100-12."]
    assert set(response.json()) == {"period", "numerator", "denominator"}  # every problem of the row at once
    response = api(cast["admin"]).post(M, {"kpi": "SHARE", "org_unit": "DE", "period": "2025-12", "value": 3},
                                       format="json")
    assert response.status_code == 400 and set(response.json()) == {"numerator", "denominator"}


def test_partner_user_writes_only_for_their_own_partnership(api, cast, partner_kpi, partner_a, partner_b):
    client = api(cast["partner"])
    ok = client.post(M, {"kpi": "REV", "org_unit": "DE", "partnership": partner_a.pk, "period": "2025-01",
                         "value": 10}, format="json")
    assert ok.status_code == 201
    other = client.post(M, {"kpi": "REV", "org_unit": "JP", "partnership": partner_b.pk, "period": "2025-01",
                            "value": 10}, format="json")
    assert other.status_code == 404
    b_in_de = client.post(M, {"kpi": "REV", "org_unit": "DE", "partnership": partner_b.pk, "period": "2025-01",
                              "value": 10}, format="json")
    assert b_in_de.status_code == 404
    missing = client.post(M, {"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 10}, format="json")
    assert missing.status_code == 400 and "partnership" in missing.json()
    bulk = client.post(M, [{"kpi": "REV", "org_unit": "DE", "partnership": partner_b.pk, "period": "2025-02",
                            "value": 1}], format="json")
    assert bulk.status_code == 400
    assert Measurement.objects.count() == 1
    b_row = api(cast["admin"]).post(M, {"kpi": "REV", "org_unit": "JP", "partnership": partner_b.pk,
                                        "period": "2025-01", "value": 3}, format="json").json()
    assert client.get(f"{M}{b_row['id']}/").status_code == 404
    assert [m["partnership"] for m in client.get(M).json()["results"]] == [partner_a.pk]


def test_bulk_is_all_or_nothing_with_row_errors(api, cast, kpis):
    rows = [
        {"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 1},
        {"kpi": "NOPE", "org_unit": "DE", "period": "2025-01", "value": 1},
        {"kpi": "SHARE", "org_unit": "DE", "period": "2025-01", "numerator": 1},
        {"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 2},
        {"kpi": "REV", "org_unit": "DE", "period": "Jan", "value": "x"},
    ]
    response = api(cast["admin"]).post(M, rows, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"row": 2, "field": "kpi", "message": "Unknown KPI 'NOPE'."},
        {"row": 3, "field": "denominator", "message": "SHARE is a ratio KPI: give numerator and denominator."},
        {"row": 4, "field": "period", "message": "Same KPI, org unit, partnership and period as row 1."},
        {"row": 5, "field": "period", "message": "Use YYYY-MM, e.g. 2025-03."},
        {"row": 5, "field": "value",
         "message": "Not a number: use digits with an optional decimal point, e.g. 1234.5."},
    ], "error_count": 5}
    assert not Measurement.objects.exists()
    good = api(cast["admin"]).post(M, rows[:1] + [{**rows[2], "denominator": 4}], format="json")
    assert good.status_code == 201 and good.json() == {"created": 2, "updated": 0}


def test_bulk_correction_updates_and_keeps_history(api, cast, kpis):
    client = api(cast["admin"])
    client.post(M, [{"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 1}], format="json")
    again = client.post(M, [{"kpi": "REV", "org_unit": "DE", "period": "2025-01", "value": 7},
                            {"kpi": "REV", "org_unit": "AT", "period": "2025-01", "value": 3}], format="json")
    assert again.json() == {"created": 1, "updated": 1}
    m = Measurement.objects.get(org_unit__code="DE")
    assert m.value == 7
    assert [(h.history_type, h.value) for h in m.history.order_by("history_id")] == [("+", 1), ("~", 7)]


def test_csv_import_reports_row_and_column_and_writes_nothing(api, cast, kpis):
    text = ("kpi,org_unit,partnership,period,value,numerator,denominator\n"
            "REV,DE,,2025-01,100,,\n"
            "REV,XX,,2025-01,100,,\n"
            "SHARE,AT,,2025-01,,3,-1\n")
    response = api(cast["admin"]).post(M + "import/", {"file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "field": "org_unit", "message": "Unknown org unit 'XX'."},
        {"row": 4, "field": "denominator", "message": "The denominator cannot be negative."},
    ]
    assert not Measurement.objects.exists()
    fixed = text.replace("XX", "AT").replace(",3,-1", ",3,4")
    response = api(cast["admin"]).post(M + "import/", {"file": csv_file(fixed)}, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 3, "updated": 0}
    assert set(Measurement.objects.values_list("source", flat=True)) == {"csv"}


def test_csv_import_rejects_a_wrong_header_and_a_missing_file(api, cast, kpis):
    bad = api(cast["admin"]).post(M + "import/", {"file": csv_file("a,b\n1,2\n")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "file"
    assert api(cast["admin"]).post(M + "import/", {}, format="multipart").status_code == 400


def test_csv_import_by_a_manager_outside_their_scope_writes_nothing(api, cast, kpis):
    text = "kpi,org_unit,period,value\nREV,DE,2025-01,1\nREV,JP,2025-01,1\n"
    response = api(cast["manager_de"]).post(M + "import/", {"file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 3, "field": "org_unit", "message": "Unknown org unit 'JP'."}]
    assert not Measurement.objects.exists()


def test_scorecards_for_an_org_unit_period_and_grain(api, cast, kpis, record, target, partner_a):
    from governance.models import OrgUnit

    de, at = OrgUnit.objects.get(code="DE"), OrgUnit.objects.get(code="AT")
    record(kpis["REV"], de, "2025-01", value=90)
    record(kpis["REV"], at, "2025-02", value=30)
    record(kpis["REV"], de, "2025-02", value=5, partnership=partner_a)
    target(kpis["REV"], de, "2025-01", 100)
    rollup_incremental()
    leader = api(cast["leader"])
    month = leader.get("/api/v1/scorecards/?org_unit=DACH&period=2025-01").json()["results"]
    assert [(c["kpi"], c["org_unit"], c["period"], c["actual"], c["target"], c["attainment"], c["rag"])
            for c in month] == [("REV", "DACH", "2025-01", 90.0, 100.0, 0.9, "amber")]
    quarter = leader.get("/api/v1/scorecards/?org_unit=EMEA&period=2025-02&grain=quarter").json()["results"]
    assert [(c["period"], c["actual"], c["grain"]) for c in quarter] == [("2025-01", 125.0, "quarter")]
    p = leader.get(f"/api/v1/scorecards/?org_unit=DE&period=2025-02&partnership={partner_a.pk}").json()["results"]
    assert [(c["partnership"], c["actual"]) for c in p] == [(partner_a.pk, 5.0)]
    assert leader.get("/api/v1/scorecards/?org_unit=JP&period=2025-01").status_code == 404
    assert leader.get("/api/v1/scorecards/").status_code == 400
    assert leader.get("/api/v1/scorecards/?org_unit=DE&grain=week").status_code == 400
    latest = leader.get("/api/v1/scorecards/?org_unit=DACH").json()["results"]
    assert latest[0]["period"] == "2025-02"
    partner = api(cast["partner"])
    assert partner.get("/api/v1/scorecards/?org_unit=DE&period=2025-02").json()["results"] == []
    assert len(partner.get(f"/api/v1/scorecards/?org_unit=DE&period=2025-02&partnership={partner_a.pk}")
               .json()["results"]) == 1


def test_objectives_admin_writes_everyone_internal_reads(api, cast, kpis):
    payload = {"code": "WIN", "title": "Win the launch", "kpis": ["REV", "SHARE"]}
    assert api(cast["leader"]).post("/api/v1/objectives/", payload, format="json").status_code == 403
    assert api(cast["admin"]).post("/api/v1/objectives/", payload, format="json").status_code == 201
    assert api(cast["manager_jp"]).get("/api/v1/objectives/WIN/").json()["kpis"] == ["REV", "SHARE"]
    assert api(cast["partner"]).get("/api/v1/objectives/").json()["results"] == []


def test_measurement_list_query_count_does_not_grow(api, cast, kpis, django_assert_max_num_queries):
    client = api(cast["leader"])
    rows = [{"kpi": "REV", "org_unit": "DE", "period": f"2024-{m:02d}", "value": m} for m in range(1, 13)]
    api(cast["admin"]).post(M, rows, format="json")
    with django_assert_max_num_queries(3):
        assert len(client.get(M + "?page_size=50").json()["results"]) == 12
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/scorecards/?org_unit=DE&period=2024-01").status_code == 200
    assert Decimal(Measurement.objects.get(period__month=12).value) == 12
