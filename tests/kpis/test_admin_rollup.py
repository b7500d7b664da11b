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


def test_bulk_deleting_targets_and_correcting_a_measurement_in_the_admin_reach_the_cells(
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
    # A recorded row keeps its key (issue 21: the admin writes through the measurements service): the
    # month posted is ignored, the corrected value is recorded on the row's own key, with history.
    response = client.post(reverse("admin:kpis_measurement_change", args=[m.pk]), {
        "kpi": kpis["REV"].pk, "org_unit": org["DE"].pk, "partnership": "", "period": "2025-04-01",
        "value": "9", "numerator": "", "denominator": "", "source": "admin"})
    assert response.status_code == 302, response.content.decode()[:2000]
    m.refresh_from_db()
    assert (m.period.isoformat(), m.value, m.source, m.entered_by) == ("2025-03-01", 9, "admin", superuser)
    assert m.history.first().value == 9
    rollup_incremental()
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01") is None
    assert cell(kpis["REV"], org["GLOBAL"], "2025-03").actual == 9
    # The wrong month is put right by deleting the row (through the service: its cells go too).
    response = client.post(reverse("admin:kpis_measurement_delete", args=[m.pk]), {"post": "yes"})
    assert response.status_code == 302
    rollup_incremental()
    assert cell(kpis["REV"], org["GLOBAL"], "2025-03") is None
    assert m.history.first().history_type == "-"
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


def test_kpi_and_objective_admin_write_through_their_services(client, superuser, org, kpis, record):
    """The KPI admin creates and changes through kpis.services.definitions (a new aggregation
    re-rolls the KPI's cells; the code stays), the objective admin through the cascade's service
    (an objective placed outside its parent's subtree is refused, nothing saved)."""
    from kpis.models import KPI, StrategicObjective

    client.force_login(superuser)
    inline = {"ownerships-TOTAL_FORMS": "0", "ownerships-INITIAL_FORMS": "0", "ownerships-MIN_NUM_FORMS": "0",
              "ownerships-MAX_NUM_FORMS": "1000"}
    form = {"code": "VISITS", "name": "Customer visits", "unit": "visits", "direction": "higher",
            "aggregation": "sum", "category": "adoption", "frequency": "monthly", "kind": "count",
            "min_value": "", "max_value": "", "description": "", **inline}
    response = client.post(reverse("admin:kpis_kpi_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    visits = KPI.objects.get(code="VISITS")
    record(visits, org["DE"], "2025-03", value=4)
    record(visits, org["AT"], "2025-03", value=2)
    rollup_incremental()
    assert cell(visits, org["DACH"], "2025-03").actual == 6
    response = client.post(reverse("admin:kpis_kpi_change", args=[visits.pk]),
                           {**form, "aggregation": "average", "code": "VISITS"})
    assert response.status_code == 302, response.content.decode()[:3000]
    rollup_incremental()
    assert cell(visits, org["DACH"], "2025-03").actual == 3  # re-rolled with the new aggregation
    refused = client.post(reverse("admin:kpis_kpi_change", args=[visits.pk]), {**form, "code": "CALLS"})
    assert refused.status_code == 200 and KPI.objects.filter(code="VISITS").exists()

    parent = StrategicObjective.objects.create(code="GROW-DE", title="Grow Germany", org_unit=org["DE"])
    response = client.post(reverse("admin:kpis_strategicobjective_add"), {
        "code": "GROW-JP", "title": "Grow Japan", "description": "", "order": "0", "parent": parent.pk,
        "org_unit": org["JP"].pk, "partnership": ""})
    assert response.status_code == 200  # the form again, with the service's refusal on it
    assert "Japan is not within Germany" in response.content.decode()
    assert not StrategicObjective.objects.filter(code="GROW-JP").exists()
