"""Validation that belongs to the KPI (issue 15): kinds and ranges on every write path, one
percent scale, strict numbers, bounded error lists, concurrent writes of a new key."""

from __future__ import annotations

import importlib
import io
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from kpis.models import KPI, DirtyCell, KPIOwnership, Measurement, Target
from kpis.services.definitions import kpi_create
from kpis.values import parse_number, value_formatter

from .conftest import NOW

M = "/api/v1/measurements/"


def csv_file(text: str | bytes, name="actuals.csv"):
    f = io.BytesIO(text.encode() if isinstance(text, str) else text)
    f.name = name
    return f


@pytest.fixture
def superuser(db):
    from governance.models import User

    return User.objects.create_superuser("root", "root@example.com", "pw-root")


@pytest.fixture
def typed(db, functions):
    """One KPI per kind, as the issue's examples: OTIF (percent ratio), forecast accuracy (percent
    average), deals (count), revenue (currency ≥ 0), cycle time (duration), NPS (score −100…100)."""
    sales = [(functions["SALES"], None, 1)]
    make = lambda code, **kw: kpi_create(code=code, name=code.title(), category="acceleration", owners=sales, **kw)  # noqa: E731
    return {
        "OTIF": make("OTIF", unit="%", aggregation="ratio"),
        "FCST": make("FCST", unit="%", aggregation="average"),
        "DEALS": make("DEALS", unit="deals", aggregation="sum", kind="count"),
        "REV": make("REV", unit="EUR", aggregation="sum", min_value=Decimal(0)),
        "CYCLE": make("CYCLE", unit="days", aggregation="average", direction="lower"),
        "NPS": make("NPS", unit="pts", aggregation="average", kind="score", min_value=Decimal(-100),
                    max_value=Decimal(100)),
    }


# --- strict numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "message"), [
    ("1_000", "underscores"), ("1e-9", "exponent"), (1e-9, "exponent"), ("1E3", "exponent"), ("NaN", "finite"),
    ("inf", "finite"), ("-Infinity", "finite"), (float("nan"), "finite"), ("1,5", "decimal point"),
    ("1,000.5", "decimal point"), ("0.0000001", "6 decimal places"), ("12\x00", "NUL"), (True, "Not a number"),
    ("١٢", "Not a number"), ("1 000", "Not a number"), ("0x10", "Not a number"), ("1e20", "exponent"),
    ("100000000000000", r"10\^14"), ("12%", "percent KPIs"),
])
def test_strict_parsing_refuses_python_literal_quirks(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_number(raw)


@pytest.mark.parametrize(("raw", "kwargs", "expected"), [
    (" 12.5 ", {}, Decimal("12.5")), (7, {}, Decimal(7)), (0.25, {}, Decimal("0.25")), ("-3", {}, Decimal(-3)),
    ("", {}, None), (None, {}, None), ("82.8%", {"percent": True}, Decimal("0.828")),
    ("82,8", {"decimal_comma": True}, Decimal("82.8")), (".5", {}, Decimal("0.5")),
])
def test_plain_numbers_parse_exactly(raw, kwargs, expected):
    assert parse_number(raw, **kwargs) == expected


def test_a_decimal_comma_file_refuses_points():
    with pytest.raises(ValueError, match="decimal comma"):
        parse_number("1.234,5", decimal_comma=True)


# --- kinds and ranges on the API ------------------------------------------------------------------

@pytest.mark.parametrize(("row", "field", "message"), [
    ({"kpi": "OTIF", "numerator": 150, "denominator": 100}, "numerator",
     "numerator / denominator = 150.0% is above the maximum of 100.0% for OTIF."),
    ({"kpi": "FCST", "value": 5000}, "value", "above the maximum of 100.0%"),
    ({"kpi": "FCST", "value": "82.8"}, "value", "write 0.828 or 82.8%"),
    ({"kpi": "DEALS", "value": -40}, "value", "below the minimum of 0 deals"),
    ({"kpi": "DEALS", "value": "2.5"}, "value", "whole number"),
    ({"kpi": "REV", "value": -5}, "value", "below the minimum"),
    ({"kpi": "CYCLE", "value": -1}, "value", "below the minimum"),
    ({"kpi": "NPS", "value": 101}, "value", "above the maximum of 100 pts"),
    ({"kpi": "OTIF", "numerator": 1, "denominator": 0}, "denominator", "must be above 0"),
    ({"kpi": "OTIF", "numerator": 1, "denominator": "0.0000001"}, "denominator", "6 decimal places"),
    ({"kpi": "OTIF", "numerator": "1_0", "denominator": 20}, "numerator", "underscores"),
    ({"kpi": "FCST", "value": "1e-9"}, "value", "exponent"),
])
def test_each_kind_refuses_values_outside_its_range_naming_row_and_field(api, cast, typed, row, field, message):
    client = api(cast["manager_de"])
    body = [{"org_unit": "DE", "period": "2025-01", "kpi": "DEALS", "value": 3},
            {"org_unit": "DE", "period": "2025-01", **row}]
    response = client.post(M, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, field)]
    assert message in errors[0]["message"]
    if row["kpi"] == "OTIF":
        assert "fractions" not in errors[0]["message"]  # the hint is for values typed in points, not quotients
    single = client.post(M, {"org_unit": "DE", "period": "2025-01", **row}, format="json")
    assert single.status_code == 400 and message in " ".join(single.json()[field])
    assert not Measurement.objects.exists()


def test_values_in_range_are_stored_on_one_percent_scale(api, cast, typed):
    client = api(cast["manager_de"])
    response = client.post(M, [
        {"kpi": "OTIF", "org_unit": "DE", "period": "2025-01", "numerator": 93, "denominator": 100},
        {"kpi": "FCST", "org_unit": "DE", "period": "2025-01", "value": "82.8%"},
        {"kpi": "FCST", "org_unit": "DE", "period": "2025-02", "value": 0.81},
        {"kpi": "DEALS", "org_unit": "DE", "period": "2025-01", "value": "18"},
        {"kpi": "NPS", "org_unit": "DE", "period": "2025-01", "value": -12.5},
    ], format="json")
    assert response.status_code == 201, response.content
    stored = {(m.kpi.code, m.org_unit.code): m.value for m in Measurement.objects.filter(period__month=1)
              .select_related("kpi", "org_unit")}
    assert stored[("OTIF", "DE")] == Decimal("0.93") and stored[("FCST", "DE")] == Decimal("0.828")
    assert stored[("NPS", "DE")] == Decimal("-12.5")
    assert Measurement.objects.get(kpi__code="FCST", period__month=2).value == Decimal("0.81")
    assert value_formatter(typed["OTIF"])(Decimal("0.93")) == "93.0%"
    assert value_formatter(typed["FCST"])(Decimal("0.828")) == "82.8%"


def test_the_issue_row_a_negative_count_is_refused_in_a_csv(api, cast, typed):
    text = "kpi,org_unit,partnership,period,value,numerator,denominator\nDEALS,DE,,2025-01,-40,,\n"
    response = api(cast["admin"]).post(M + "import/", {"file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "value")]


def test_a_nul_byte_in_a_csv_cell_is_a_row_error(api, cast, typed):
    text = (b"kpi,org_unit,partnership,period,value,numerator,denominator\n"
            b"DEALS,DE\x00,,2025-01,4,,\nDEALS,DE,,2025-02,4\x00,,\n")
    response = api(cast["admin"]).post(M + "import/", {"file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "org_unit"), (3, "value")]
    assert not Measurement.objects.exists()


def test_an_import_that_is_all_errors_lists_the_first_thousand_and_counts_them_all(api, cast, typed):
    rows = "".join(f"DEALS,DE,,2024-{m % 12 + 1:02d},-{m},,\n" for m in range(1, 1501))
    text = "kpi,org_unit,partnership,period,value,numerator,denominator\n" + rows
    response = api(cast["admin"]).post(M + "import/", {"file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert len(body["errors"]) == 1000 and body["error_count"] == 1500
    assert body["errors"][0]["row"] == 2


# The import page's error list beyond 1,000 problems: tests/kpis/test_import_jobs.py (a file that
# large runs as a job).


def test_the_measurements_api_bounds_json_depth(api, cast):
    response = api(cast["admin"]).post(M, "[" * 1000 + "]" * 1000, content_type="application/json")
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]


# --- targets and KPI definitions ----------------------------------------------------------------

def test_targets_are_checked_against_their_kpi(api, cast, typed):
    admin = api(cast["admin"])
    bad = admin.post("/api/v1/targets/", {"kpi": "OTIF", "org_unit": "DE", "period": "2025-01", "value": 95},
                     format="json")
    assert bad.status_code == 400 and "0.95 or 95%" in " ".join(bad.json()["value"])
    assert admin.post("/api/v1/targets/", {"kpi": "OTIF", "org_unit": "DE", "period": "2025-01", "value": "1_0"},
                      format="json").status_code == 400
    good = admin.post("/api/v1/targets/", {"kpi": "OTIF", "org_unit": "DE", "period": "2025-01", "value": 0.95},
                      format="json")
    assert good.status_code == 201 and good.json()["value"] == 0.95
    assert list(Target.objects.values_list("value", flat=True)) == [Decimal("0.95")]


def test_kpi_definitions_carry_kind_and_range(api, cast, functions):
    admin = api(cast["admin"])
    owners = [{"function": "SALES", "weight": 1}]
    body = admin.post("/api/v1/kpis/", {"code": "MARGIN", "name": "Margin", "unit": "%", "aggregation": "ratio",
                                        "owners": owners}, format="json").json()
    assert (body["kind"], body["min_value"], body["max_value"]) == ("percent", None, None)
    score = admin.post("/api/v1/kpis/", {"code": "SAT", "name": "Satisfaction", "kind": "score", "min_value": 1,
                                         "owners": owners}, format="json")
    assert score.status_code == 400 and "max_value" in score.json()
    mixed = admin.post("/api/v1/kpis/", {"code": "MIX", "name": "Mixed", "unit": "%", "kind": "number",
                                         "owners": owners}, format="json")
    assert mixed.status_code == 400 and "kind" in mixed.json()
    wide = admin.post("/api/v1/kpis/", {"code": "GROWTH", "name": "Growth", "unit": "%", "min_value": -1,
                                        "max_value": "1.5", "owners": owners}, format="json")
    assert wide.status_code == 201 and (wide.json()["min_value"], wide.json()["max_value"]) == (-1.0, 1.5)
    assert api(cast["manager_de"]).post(M, {"kpi": "GROWTH", "org_unit": "DE", "period": "2025-01",
                                            "value": "140%"}, format="json").status_code == 201


def test_kpi_owners_never_reveal_other_partnerships(api, cast, typed, partner_a, partner_b):
    KPIOwnership.objects.create(kpi=typed["OTIF"], partnership=partner_a, weight=1)
    KPIOwnership.objects.create(kpi=typed["OTIF"], partnership=partner_b, weight=1)
    for user, seen in ((cast["partner"], {partner_a.pk}), (cast["manager_de"], {partner_a.pk}),
                       (cast["admin"], {partner_a.pk, partner_b.pk})):
        client = api(user)
        detail = client.get("/api/v1/kpis/OTIF/").json()
        listed = next(k for k in client.get("/api/v1/kpis/").json()["results"] if k["code"] == "OTIF")
        for body in (detail, listed):
            assert {o["partnership"] for o in body["owners"]} - {None} == seen, user
            assert body["is_shared"] is True


# --- admin ----------------------------------------------------------------------------------------

def test_the_admin_checks_values_by_their_kpi_and_records_through_the_service(client, superuser, org, typed):
    client.force_login(superuser)
    url = reverse("admin:kpis_measurement_add")
    form = {"kpi": typed["FCST"].pk, "org_unit": org["DE"].pk, "partnership": "", "period": "2025-01-01",
            "value": "150%", "numerator": "", "denominator": "", "source": "admin"}
    response = client.post(url, form)
    assert response.status_code == 200 and "above the maximum of 100.0%" in response.content.decode()
    assert not Measurement.objects.exists()
    response = client.post(url, {**form, "value": "1_0"})
    assert response.status_code == 200 and "underscores" in response.content.decode()
    response = client.post(url, {**form, "value": "82.5%"})
    assert response.status_code == 302
    m = Measurement.objects.get()
    assert (m.value, m.source, m.entered_by) == (Decimal("0.825"), "admin", superuser)
    assert m.history.count() == 1 and DirtyCell.objects.exists()
    target = client.post(reverse("admin:kpis_target_add"), {
        "kpi": typed["OTIF"].pk, "org_unit": org["DE"].pk, "partnership": "", "period": "2025-01-01",
        "value": "95", "green_at": "1", "red_at": "0.9"})
    assert target.status_code == 200 and "0.95 or 95%" in target.content.decode()
    assert not Target.objects.exists()


# --- concurrency ----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_writes_of_the_same_new_key_at_once_never_fail(org, admin_user, functions):
    """Writer A inserts the key and holds its transaction open; writer B (the small ORM path)
    blocks on the unique index, then — A committed — corrects A's row instead of failing."""
    from kpis.services.measurements import measurements_record

    kpi_create(code="DEALS", name="Deals", unit="deals", kind="count", aggregation="sum", category="acceleration",
               owners=[(functions["SALES"], None, 1)])
    row = {"kpi": "DEALS", "org_unit": "DE", "period": "2025-01"}
    inserted, outcome = threading.Event(), {}

    def writer_a():
        try:
            with transaction.atomic():
                measurements_record(actor=admin_user, rows=[{**row, "value": 1}], now=NOW)
                inserted.set()
                threading.Event().wait(1.0)  # B is now waiting on our uncommitted row
        finally:
            connections.close_all()

    def writer_b():
        inserted.wait(10)
        try:
            outcome["b"] = measurements_record(actor=admin_user, rows=[{**row, "value": 2}], now=NOW)
        except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
            outcome["b"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not isinstance(outcome["b"], Exception), outcome["b"]
    assert (outcome["b"].created, outcome["b"].updated) == (0, 1)
    m = Measurement.objects.get()
    assert m.value == 2 and [h.history_type for h in m.history.order_by("history_id")] == ["+", "~"]


# --- the percent-scale migration ------------------------------------------------------------------

def test_migration_brings_average_percent_kpis_to_fractions_with_history(org, kpis, record, target):
    from django.apps import apps

    # State before the migration: a percent average KPI stored in points (82.8) beside a ratio one.
    KPI.objects.filter(code="NPS").update(unit="%", kind="number")
    KPI.objects.filter(code="SHARE").update(unit="%", kind="number")
    record(kpis["NPS"], org["DE"], "2025-01", value=82.8)
    record(kpis["SHARE"], org["DE"], "2025-01", numerator=63, denominator=100)
    target(kpis["NPS"], org["DE"], "2025-01", 90)
    DirtyCell.objects.all().delete()
    migration = importlib.import_module("kpis.migrations.0003_kpi_kind_and_range_one_percent_scale")
    migration.forwards(apps, SimpleNamespace(connection=connection))
    kinds = dict(KPI.objects.values_list("code", "kind"))
    assert kinds["NPS"] == kinds["SHARE"] == "percent" and kinds["REV"] == "count"
    nps = Measurement.objects.get(kpi=kpis["NPS"])
    assert nps.value == Decimal("0.828")
    assert Measurement.objects.get(kpi=kpis["SHARE"]).value == Decimal("0.63")
    assert Target.objects.get(kpi=kpis["NPS"]).value == Decimal("0.9")
    latest = nps.history.order_by("-history_id").first()
    assert (latest.history_type, latest.value) == ("~", Decimal("0.828"))
    assert "one scale" in latest.history_change_reason
    assert DirtyCell.objects.filter(kpi_id=kpis["NPS"].pk).count() == 1
