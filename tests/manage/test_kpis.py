"""The Manage area, KPIs: definitions with co-owners and weights, objectives, and the targets
grid (org units × months) — all through the API's serializers; one bad cell saves nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kpis.models import KPI, StrategicObjective, Target
from tests.manage.conftest import signed_in

pytestmark = pytest.mark.django_db


def _kpi_data(partnership=None, **over):
    data = {"code": "NETSALES", "name": "Net sales", "unit": "EUR", "direction": "higher", "aggregation": "sum",
            "category": "adoption", "frequency": "monthly", "description": "", "kind": "currency",
            "min_value": "", "max_value": "",
            "owner-0-owner": "f:SALES", "owner-0-weight": "2",
            "owner-1-owner": f"p:{partnership.pk}" if partnership else "", "owner-1-weight": "0.5",
            "owner-2-owner": "", "owner-2-weight": "1"}
    data.update(over)
    return data


def test_admin_defines_a_shared_kpi_with_weighted_co_owners(admin, cast, partner_a):
    r = admin.post("/manage/kpis/new/", _kpi_data(partner_a))
    assert r.status_code == 302, r.context and r.context["form"].errors
    kpi = KPI.objects.get(code="NETSALES")
    owners = {(o.function.code if o.function_id else o.partnership.name, o.weight) for o in kpi.ownerships.all()}
    assert owners == {("SALES", Decimal(2)), ("Partnership A", Decimal("0.5"))}
    assert (kpi.kind, kpi.min_value, kpi.max_value) == ("currency", None, None)
    form = admin.get("/manage/kpis/NETSALES/").context["form"]
    assert [r["owner"] for r in form.owner_rows()][:2] == ["f:SALES", f"p:{partner_a.pk}"]
    # Removing the partnership owner keeps the function.
    r = admin.post("/manage/kpis/NETSALES/", _kpi_data(partner_a, **{"owner-1-remove": "on"}))
    assert r.status_code == 302
    assert [o.function.code for o in kpi.ownerships.all()] == ["SALES"]


@pytest.mark.parametrize("over, field", [
    ({"code": ""}, "code"),
    ({"name": ""}, "name"),
    ({"aggregation": "median"}, "aggregation"),
    ({"owner-0-weight": "-1"}, "__all__"),
    ({"owner-0-weight": "lots"}, "__all__"),
    ({"owner-0-owner": "f:NOPE"}, "__all__"),
    ({"owner-0-owner": "p:987654"}, "__all__"),
    ({"owner-1-owner": "f:SALES"}, "__all__"),  # listed twice
    ({"kind": "score", "min_value": "", "max_value": "10"}, "min_value"),  # a score needs both ends
    ({"kind": "count", "min_value": "-1"}, "min_value"),
    ({"min_value": "5", "max_value": "1"}, "max_value"),
    ({"max_value": "1_000"}, "max_value"),
    ({"unit": "%", "kind": "count"}, "kind"),
])
def test_bad_kpi_input_is_a_400_and_nothing_saved(admin, cast, over, field):
    r = admin.post("/manage/kpis/new/", _kpi_data(**over))
    assert r.status_code == 400
    assert field in r.context["form"].errors, r.context["form"].errors
    assert not KPI.objects.exists()


def test_admin_sets_up_an_objective_measured_by_kpis(admin, cast):
    admin.post("/manage/kpis/new/", _kpi_data())
    r = admin.post("/manage/objectives/new/", {"code": "GROW", "title": "Grow DACH", "description": "",
                                                "order": "1", "kpis": ["NETSALES"]})
    assert r.status_code == 302
    assert [k.code for k in StrategicObjective.objects.get(code="GROW").kpis.all()] == ["NETSALES"]
    r = admin.post("/manage/objectives/new/", {"code": "X", "title": "", "order": "-1", "kpis": ["NOPE"]})
    assert r.status_code == 400
    assert {"title", "order", "kpis"} <= set(r.context["form"].errors)


# --- the targets grid ------------------------------------------------------------------------------


@pytest.fixture
def kpi(cast, functions):
    from kpis.services.definitions import kpi_create

    return kpi_create(code="NETSALES", name="Net sales", unit="EUR", aggregation="sum", direction="higher",
                      category="adoption", owners=[(functions["SALES"], None, Decimal(1))])


def _grid(**params):
    base = {"kpi": "NETSALES", "parent": "DACH", "year": "2026"}
    base.update(params)
    return "/manage/targets/?" + "&".join(f"{k}={v}" for k, v in base.items())


def test_the_grid_shows_a_unit_and_its_children_by_month_and_saves_changed_cells(admin, kpi, org):
    page = admin.get(_grid())
    assert page.status_code == 200
    assert [r["unit"].code for r in page.context["rows"]] == ["DACH", "AT", "DE"]
    assert len(page.context["rows"][0]["cells"]) == 12
    r = admin.post(_grid(), {"t-DE-2026-01": "100", "t-DE-2026-02": "110.5", "t-AT-2026-01": "", "t-DACH-2026-01": ""})
    assert r.status_code == 302
    assert {(t.org_unit.code, t.period, t.value) for t in Target.objects.all()} == {
        ("DE", date(2026, 1, 1), Decimal(100)), ("DE", date(2026, 2, 1), Decimal("110.5"))}
    # Unchanged cells write nothing; a blank cell removes its target; history keeps both.
    target = Target.objects.get(org_unit=org["DE"], period=date(2026, 1, 1))
    r = admin.post(_grid(), {"t-DE-2026-01": "100", "t-DE-2026-02": ""})
    assert r.status_code == 302
    assert list(Target.objects.values_list("pk", flat=True)) == [target.pk]
    assert target.history.count() == 1


def test_one_bad_cell_saves_nothing_and_is_marked(admin, kpi, org):
    r = admin.post(_grid(), {"t-DE-2026-01": "100", "t-DE-2026-02": "a lot", "t-AT-2026-03": "1e999",
                             "t-AT-2026-04": "1,000"})
    assert r.status_code == 400
    assert not Target.objects.exists()
    rows = {row["unit"].code: row for row in r.context["rows"]}
    assert rows["DE"]["cells"][1]["errors"] and rows["AT"]["cells"][2]["errors"] and rows["AT"]["cells"][3]["errors"]
    assert not rows["DE"]["cells"][0]["errors"]
    assert rows["DE"]["cells"][1]["value"] == "a lot"  # what was typed stays to be corrected


def test_a_percent_kpis_targets_are_fractions_and_out_of_range_is_refused(admin, cast, functions):
    from kpis.services.definitions import kpi_create

    kpi_create(code="SHARE", name="Market share", unit="%", kind="percent", aggregation="average", direction="higher",
               category="adoption", owners=[(functions["SALES"], None, Decimal(1))])
    r = admin.post(_grid(kpi="SHARE"), {"t-DE-2026-01": "1.5"})  # 150%
    assert r.status_code == 400 and not Target.objects.exists()
    assert admin.post(_grid(kpi="SHARE"), {"t-DE-2026-01": "0.63"}).status_code == 302
    assert Target.objects.get().value == Decimal("0.63")


def test_a_partnership_grid_keeps_its_targets_apart(admin, kpi, org, partner_a):
    admin.post(_grid(parent="DACH", partnership=partner_a.pk), {"t-DE-2026-01": "40"})
    admin.post(_grid(), {"t-DE-2026-01": "100"})
    assert {(t.partnership_id, t.value) for t in Target.objects.all()} == {(partner_a.pk, 40), (None, 100)}


def test_bad_grid_choices_are_a_400_and_the_grid_is_for_admins(admin, kpi, cast):
    assert admin.get(_grid(year="abc")).status_code == 400
    assert admin.get(_grid(kpi="NOPE")).status_code == 400
    assert admin.get(_grid(parent="DE")).status_code == 400  # a market has no child units
    for role in ("leader", "manager_de", "partner"):
        assert signed_in(cast[role]).get(_grid()).status_code == 404
        assert signed_in(cast[role]).post(_grid(), {"t-DE-2026-01": "1"}).status_code == 404
    assert not Target.objects.exists()
