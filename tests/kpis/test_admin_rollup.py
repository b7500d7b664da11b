"""Django admin edits of targets and measurements reach the scorecards: every cell key a row enters
or leaves is marked dirty, so the next incremental rollup equals a full rebuild."""

import importlib

import pytest
from django.db import connection
from django.urls import reverse

from kpis.models import ScorecardCell
from kpis.services.rollup import rollup_full, rollup_incremental
from tests.kpis.conftest import cell

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    from governance.models import User

    return User.objects.create_superuser("root", "root@example.com", "pw-root")  # holds every model permission


def cells():
    return set(ScorecardCell.objects.values_list("kpi_id", "org_unit_id", "partnership_key", "grain", "period",
                                                 "actual", "target"))


def test_moving_a_target_in_the_admin_clears_the_month_it_left(client, superuser, org, kpis, target):
    moved = target(kpis["REV"], org["DE"], "2025-01", 100)
    rollup_incremental()
    assert cell(kpis["REV"], org["DACH"], "2025-01").target == 100
    client.force_login(superuser)
    response = client.post(reverse("admin:kpis_target_change", args=[moved.pk]), {
        "kpi": kpis["REV"].pk, "org_unit": org["AT"].pk, "partnership": "", "period": "2025-02-01",
        "value": "80", "green_at": "1.000", "red_at": "0.900"})
    assert response.status_code == 302, response.content.decode()[:2000]
    rollup_incremental()
    assert cell(kpis["REV"], org["DE"], "2025-01") is None  # the month it left has neither actual nor target
    assert cell(kpis["REV"], org["DACH"], "2025-01") is None
    assert cell(kpis["REV"], org["AT"], "2025-02").target == 80
    incremental = cells()
    rollup_full()
    assert cells() == incremental


def test_bulk_deleting_targets_and_moving_a_measurement_in_the_admin_reach_the_cells(
        client, superuser, org, kpis, record, target):
    target(kpis["REV"], org["DE"], "2025-01", 100)
    target(kpis["REV"], org["AT"], "2025-01", 50)
    m = record(kpis["REV"], org["DE"], "2025-03", value=7)
    rollup_incremental()
    client.force_login(superuser)
    ids = list(kpis["REV"].targets.values_list("pk", flat=True))
    response = client.post(reverse("admin:kpis_target_changelist"),
                           {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    response = client.post(reverse("admin:kpis_measurement_change", args=[m.pk]), {
        "kpi": kpis["REV"].pk, "org_unit": org["DE"].pk, "partnership": "", "period": "2025-04-01",
        "value": "7", "numerator": "", "denominator": "", "source": "admin"})
    assert response.status_code == 302, response.content.decode()[:2000]
    rollup_incremental()
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01") is None
    assert cell(kpis["REV"], org["GLOBAL"], "2025-03") is None
    assert cell(kpis["REV"], org["GLOBAL"], "2025-04", grain="ytd").actual == 7
    incremental = cells()
    rollup_full()
    assert cells() == incremental


def test_upgrade_migration_drops_ytd_cells_over_months_without_a_cell(org, kpis, record):
    record(kpis["REV"], org["DE"], "2025-01", value=5)
    rollup_incremental()
    january = cell(kpis["REV"], org["DE"], "2025-01", grain="ytd")
    # A YTD cell as the rollup wrote it before the definition changed: March, with no March month cell.
    ScorecardCell.objects.create(kpi=kpis["REV"], org_unit=org["DE"], partnership_key=0, grain="ytd",
                                 period=january.period.replace(month=3), actual=5, numerator=5, denominator=1,
                                 green_at=1, red_at="0.9", rag="none", reporting=1, expected=1)
    migration = importlib.import_module("kpis.migrations.0002_ytd_cells_only_at_months_with_a_cell")
    with connection.cursor() as cur:
        cur.execute(migration.DROP_YTD_WITHOUT_MONTH)
    ytd = ScorecardCell.objects.filter(kpi=kpis["REV"], org_unit=org["DE"], grain="ytd")
    assert list(ytd.values_list("period__month", flat=True)) == [1]
