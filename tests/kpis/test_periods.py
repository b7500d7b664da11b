"""Reporting periods (issue 15): no actuals for months that have not begun in the unit's time zone,
quarterly KPIs at the quarter's last month, the dashboard's default month (closed, covered, never
future — and it says why), and the YTD fallback to the latest earlier cell of the year."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.periods import last_month, month_shift
from kpis.models import Measurement
from kpis.services.bulk import insert_with_history
from kpis.services.definitions import kpi_create
from kpis.services.measurements import BulkValidationError, measurements_record
from kpis.services.rollup import rollup_incremental

pytestmark = pytest.mark.django_db

M = "/api/v1/measurements/"


def rows_at(*rows):
    return [{"kpi": k, "org_unit": u, "period": p, "value": v} for k, u, p, v in rows]



@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 1)), (date(2026, 1, 15), -1, date(2025, 12, 1)),
    (date(2025, 12, 1), 1, date(2026, 1, 1)), (date(2026, 3, 1), -27, date(2023, 12, 1)),
])
def test_month_shift_lands_on_the_first_of_the_month(day, months, expected):
    assert month_shift(day, months) == expected


def test_the_last_closed_month_is_the_month_before_the_current_one_in_the_zone():
    now = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)  # 1 March 05:00 in Tokyo
    assert last_month(now, "Asia/Tokyo") == date(2026, 2, 1)
    assert last_month(now, "Europe/Berlin") == date(2026, 1, 1)
    assert last_month(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == date(2025, 12, 1)  # site default (UTC)

def test_months_that_have_not_begun_in_the_units_time_zone_take_no_actuals(org, kpis, admin_user):
    # 20:00 UTC on 28 February: already 1 March in Tokyo, still February in Berlin.
    now = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
    result = measurements_record(actor=admin_user, rows=rows_at(("REV", "JP", "2026-03", 5)), now=now)
    assert result.created == 1
    with pytest.raises(BulkValidationError) as exc:
        measurements_record(actor=admin_user, rows=rows_at(("REV", "DE", "2026-02", 5), ("REV", "DE", "2026-03", 5),
                                                           ("REV", "AT", "2030-01", 5)), now=now)
    assert [(e["row"], e["field"]) for e in exc.value.errors] == [(2, "period"), (3, "period")]
    assert "it is 2026-02 there" in exc.value.errors[0]["message"]
    assert Measurement.objects.count() == 1


def test_the_issue_row_is_refused_for_its_month_and_its_value(api, cast, functions):
    kpi_create(code="ACL-DEALS", name="Deals", unit="deals", kind="count", category="acceleration",
               owners=[(functions["SALES"], None, 1)])
    text = "kpi,org_unit,partnership,period,value,numerator,denominator\nACL-DEALS,DE,,2030-01,-40,,\n"
    f = __import__("io").BytesIO(text.encode())
    f.name = "x.csv"
    response = api(cast["manager_de"]).post(M + "import/", {"file": f}, format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "period"), (2, "value")]


def test_targets_may_be_set_ahead(api, cast, kpis):
    response = api(cast["admin"]).post("/api/v1/targets/", {"kpi": "REV", "org_unit": "DE", "period": "2030-01",
                                                            "value": 100}, format="json")
    assert response.status_code == 201


def test_quarterly_kpis_take_actuals_at_the_quarters_last_month(api, cast, functions):
    kpi_create(code="HTA", name="HTA dossiers", unit="dossiers", kind="count", frequency="quarterly",
               category="access", owners=[(functions["SALES"], None, 1)])
    client = api(cast["manager_de"])
    bad = client.post(M, {"kpi": "HTA", "org_unit": "DE", "period": "2025-02", "value": 2}, format="json")
    assert bad.status_code == 400 and "reported quarterly" in " ".join(bad.json()["period"])
    assert client.post(M, {"kpi": "HTA", "org_unit": "DE", "period": "2025-03", "value": 2},
                       format="json").status_code == 201


# --- the dashboard's default month ------------------------------------------------------------------

def _seed(kpis, org, admin_user, rows):
    """Write rows as old data would have been (bypassing today's validation: a 2030 row exists)."""
    now = timezone.now()
    insert_with_history(Measurement, ["kpi_id", "org_unit_id", "partnership_key", "period", "value", "source",
                                      "entered_at"],
                        [(kpis[k].pk, org[u].pk, 0, p, Decimal(v), "test", now) for k, u, p, v in rows],
                        user_id=admin_user.pk, now=now)
    from kpis.services.dirty import mark_dirty

    mark_dirty([(kpis[k].pk, org[u].pk, 0, p) for k, u, p, _v in rows])
    rollup_incremental()


def test_the_dashboard_opens_on_the_latest_closed_covered_month_never_a_future_one(client, cast, kpis, org,
                                                                                   admin_user, target):
    this_month = timezone.now().date().replace(day=1)
    closed, before = month_shift(this_month, -1), month_shift(this_month, -2)
    # The month before: both markets reported. The last closed month: only AT (50% < 60%).
    # This month (not closed) and January 2030 (future) have reports too.
    _seed(kpis, org, admin_user, [("REV", "DE", before, 10), ("REV", "AT", before, 10), ("REV", "AT", closed, 10),
                                  ("REV", "DE", this_month, 10), ("REV", "AT", this_month, 10),
                                  ("REV", "DE", date(2030, 1, 1), 10)])
    target(kpis["REV"], org["DE"], f"{closed:%Y-%m}", 10)
    rollup_incremental()
    client.force_login(cast["leader"])
    response = client.get("/kpis/dashboard/?unit=DACH")
    d = response.context["d"]
    assert d.period == before
    html = response.content.decode()
    assert f"{before:%B %Y}" in html and "latest closed month with at least 60% of expected reports" in html
    api_cells = client.get("/api/v1/scorecards/?org_unit=DACH")
    assert {c["period"] for c in api_cells.json()["results"]} == {f"{before:%Y-%m}"}


def test_the_coverage_threshold_is_configurable(client, cast, kpis, org, admin_user, target, settings):
    this_month = timezone.now().date().replace(day=1)
    closed, before = month_shift(this_month, -1), month_shift(this_month, -2)
    _seed(kpis, org, admin_user, [("REV", "DE", before, 10), ("REV", "AT", before, 10), ("REV", "AT", closed, 10)])
    target(kpis["REV"], org["DE"], f"{closed:%Y-%m}", 10)
    rollup_incremental()
    settings.ACCORD_DASHBOARD_MIN_COVERAGE = 0.5
    client.force_login(cast["leader"])
    assert client.get("/kpis/dashboard/?unit=DACH").context["d"].period == closed


def test_without_a_covered_month_the_dashboard_says_it_shows_the_latest_with_reports(client, cast, kpis, org,
                                                                                     admin_user, target):
    _seed(kpis, org, admin_user, [("REV", "AT", date(2025, 1, 1), 10), ("REV", "DE", date(2030, 1, 1), 10)])
    target(kpis["REV"], org["DE"], "2025-01", 10)
    rollup_incremental()
    client.force_login(cast["leader"])
    response = client.get("/kpis/dashboard/?unit=DACH")
    assert response.context["d"].period == date(2025, 1, 1)
    assert "no closed month reaches 60% of expected reports" in response.content.decode()
    chosen = client.get("/kpis/dashboard/?unit=DACH&period=2030-01").context["d"]
    assert chosen.period == date(2030, 1, 1) and not chosen.period_reason  # asked for explicitly: no reason needed


# --- YTD fallback -------------------------------------------------------------------------------------

def test_a_ytd_figure_without_its_own_cell_falls_back_to_the_latest_earlier_one_of_the_year(client, cast, kpis, org,
                                                                                           admin_user):
    rows = [("REV", "AT", date(2025, m, 1), 10) for m in range(1, 12)]
    rows += [("REV", "DE", date(2025, m, 1), 5) for m in range(1, 11)]  # DE has not reported November
    rows += [("REV", "DE", date(2024, 12, 1), 99)]  # last year: never a fallback
    _seed(kpis, org, admin_user, rows)
    client.force_login(cast["leader"])
    response = client.get("/kpis/dashboard/?unit=DACH&period=2025-11&grain=ytd")
    rev = next(r for r in response.context["d"].rows if r.kpi.code == "REV")
    at, de = rev.children
    assert at.actual == 110 and de.actual == 50
    assert rev.as_of == {org["DE"].pk: date(2025, 10, 1)}
    html = response.content.decode()
    assert "YTD to Oct 2025 (no YTD figure for Nov 2025)" in html
    assert "year to date up to an earlier month" in html
    january = client.get("/kpis/dashboard/?unit=DACH&period=2025-01&grain=ytd").context["d"]
    assert next(r for r in january.rows if r.kpi.code == "REV").as_of == {}
