"""Property: for random org trees, KPIs of every aggregation (and lower-is-better), random
measurements, corrections and targets — incremental == full == the plain-Python reference."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.models import Function, OrgUnit, OrgUnitClosure
from kpis.models import KPI, Measurement, ScorecardCell, Target
from kpis.services.dirty import mark_dirty
from kpis.services.measurements import measurements_record
from kpis.services.rollup import ensure_calendar, rollup_full, rollup_incremental
from partners.models import Partner, Partnership
from tests.kpis.conftest import NOW
from tests.kpis.reference import reference_cells

pytestmark = pytest.mark.django_db

MONTHS = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 3, 1)]  # across a year and within a quarter
FIELDS = ["actual", "numerator", "denominator", "target", "green_at", "red_at", "attainment", "rag",
          "reporting", "expected"]

tree = st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=2), min_size=1, max_size=2)  # regions→clusters→markets
kpi_specs = st.lists(st.tuples(st.sampled_from(["sum", "average", "latest", "ratio"]),
                               st.sampled_from(["higher", "lower"])), min_size=1, max_size=4)
entry = st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 2), st.sampled_from(MONTHS),
                  st.integers(0, 500), st.integers(0, 60))
target_entry = st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 2), st.sampled_from(MONTHS),
                         st.integers(1, 400), st.sampled_from([(1, 0.9), (0.95, 0.8)]), st.booleans())


def snapshot():
    return {
        (c.kpi_id, c.org_unit_id, c.partnership_key, c.grain, c.period): {f: getattr(c, f) for f in FIELDS}
        for c in ScorecardCell.objects.all()
    }


def build(regions, specs):
    """The tree is written level by level with its closure rows (the services' per-unit path is
    exercised by the governance tests; here it would dominate the run time)."""
    root = OrgUnit.objects.create(code="G", name="G", level="global")
    units, ancestors = {root.pk: (None, "global")}, {root.pk: [root.pk]}
    inner, markets, level = [root], [], [root]
    for kind in ("region", "cluster", "market"):
        new = []
        for parent in level:
            path = _path(parent)
            count = (len(regions) if kind == "region" else len(regions[path[0]]) if kind == "cluster"
                     else regions[path[0]][path[1]])
            for i in range(count):
                new.append(OrgUnit(code=f"{kind[0].upper()}{''.join(map(str, path + [i]))}", name=kind, level=kind,
                                   parent=parent))
        new = OrgUnit.objects.bulk_create(new)
        for u in new:
            units[u.pk] = (u.parent_id, kind)
            ancestors[u.pk] = [u.pk] + ancestors[u.parent_id]
        (markets if kind == "market" else inner).extend(new)
        level = new
    OrgUnitClosure.objects.bulk_create(
        OrgUnitClosure(ancestor_id=a, descendant_id=d, depth=i) for d, chain in ancestors.items()
        for i, a in enumerate(chain))
    kpis = [KPI.objects.create(code=f"K{i}", name="k", aggregation=a, direction=dr) for i, (a, dr) in enumerate(specs)]
    fn = Function.objects.create(code="FN", name="fn")
    partner = Partner.objects.create(name="p", kind="distributor")
    partnerships = [Partnership.objects.create(partner=partner, name=f"P{i}", type="distribution",
                                               owner_function=fn, start=date(2024, 1, 1)) for i in range(2)]
    return units, markets, inner, kpis, partnerships


def _path(unit) -> list[int]:
    """Index path of ``unit`` in the generated tree, from its code (R0 → [0], C01 → [0, 1])."""
    return [] if unit.level == "global" else [int(ch) for ch in unit.code[1:]]


def rows_for(entries, kpis, markets, partnerships):
    rows = []
    for k, m, p, month, a, b in entries:
        kpi = kpis[k % len(kpis)]
        row = {"kpi": kpi.code, "org_unit": markets[m % len(markets)].code, "period": month.strftime("%Y-%m"),
               "partnership": partnerships[p - 1].pk if p else None}
        if kpi.aggregation == "ratio":
            row.update(numerator=min(a, b * 10), denominator=b * 10 + 1)
        else:
            row["value"] = a
        rows.append(row)
    # a batch holds one row per key: keep the last
    return list({(r["kpi"], r["org_unit"], r["period"], r["partnership"]): r for r in rows}.values())


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20, deadline=None)
@given(regions=tree, specs=kpi_specs, first=st.lists(entry, max_size=16), second=st.lists(entry, max_size=8),
       targets=st.lists(target_entry, max_size=16))
def test_incremental_equals_full_equals_reference(admin_user, regions, specs, first, second, targets):
    """Random values are confirmed: the plausibility check has its own tests, this one is about the rollup."""
    ensure_calendar()  # outside the per-example savepoint
    with transaction.atomic():
        units, markets, inner, kpis, partnerships = build(regions, specs)
        if first:
            measurements_record(actor=admin_user, rows=rows_for(first, kpis, markets, partnerships), now=NOW,
                                confirm=True)
        for k, u, p, month, value, (green, red), at_market in targets:
            unit = markets[u % len(markets)] if at_market else inner[u % len(inner)]
            Target.objects.get_or_create(
                kpi=kpis[k % len(kpis)], org_unit=unit, partnership_key=partnerships[p - 1].pk if p else 0,
                period=month, defaults={"value": value, "green_at": Decimal(str(green)), "red_at": Decimal(str(red)),
                                        "partnership": partnerships[p - 1] if p else None})
            mark_dirty([(kpis[k % len(kpis)].pk, unit.pk, partnerships[p - 1].pk if p else 0, month)])
        rollup_incremental()
        if second:  # new keys and corrections of existing ones
            measurements_record(actor=admin_user, rows=rows_for(second, kpis, markets, partnerships), now=NOW,
                                confirm=True)
        rollup_incremental()
        incremental = snapshot()
        rollup_full()
        assert snapshot() == incremental

        expected = reference_cells(
            units, {k.pk: (k.aggregation, k.direction) for k in kpis},
            [(m.kpi_id, m.org_unit_id, m.partnership_key, m.period, m.value, m.numerator, m.denominator)
             for m in Measurement.objects.all()],
            [(t.kpi_id, t.org_unit_id, t.partnership_key, t.period, t.value, t.green_at, t.red_at)
             for t in Target.objects.all()],
        )
        assert set(incremental) == set(expected)
        for key, want in expected.items():
            got = incremental[key]
            for f in FIELDS:
                # strings, missing values and thresholds (kept to 3 decimals at every level) match exactly
                if want[f] is None or isinstance(want[f], str) or f in ("green_at", "red_at"):
                    assert got[f] == want[f], (key, f, got, want)
                else:
                    assert float(got[f]) == pytest.approx(want[f], rel=1e-6, abs=1e-6), (key, f, got, want)
        transaction.set_rollback(True)
