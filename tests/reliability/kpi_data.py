"""KPI data for the fault, load and browser tests, through the kpis services (fast, no seed_demo).

Two shared KPIs (co-owned by Sales and Marketing / Market Access and Sales) and one single-owner
KPI; monthly targets at DE and AT; actuals in DE (on target), AT (well below: red) and JP.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def no_enqueue(monkeypatch) -> None:
    """Seeding in the test process must not send rollups to the shared broker: tests run them."""
    from kpis.tasks import rollup_scorecards

    monkeypatch.setattr(rollup_scorecards, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(rollup_scorecards, "delay", lambda *a, **k: None)


def seed_kpis(functions) -> dict:
    from kpis.services.definitions import kpi_create

    def make(code, name, aggregation, owners, unit="EUR"):
        return kpi_create(code=code, name=name, unit=unit, aggregation=aggregation, direction="higher",
                          category="adoption", owners=owners)

    return {
        "NET_SALES": make("NET_SALES", "Net sales", "sum",
                          [(functions["SALES"], None, Decimal(2)), (functions["MKT"], None, Decimal(1))]),
        "ACCESS_WINS": make("ACCESS_WINS", "Formulary wins", "sum",
                            [(functions["ACCESS"], None, Decimal(1)), (functions["SALES"], None, Decimal(1))],
                            unit="wins"),
        "CALLS": make("CALLS", "Field calls", "sum", [(functions["SALES"], None, Decimal(1))], unit="calls"),
    }


def seed_targets(kpis: dict, org: dict, months=MONTHS) -> None:
    from kpis.services.definitions import target_set

    for month in months:
        y, m = map(int, month.split("-"))
        for kpi, per_market in ((kpis["NET_SALES"], 1000), (kpis["ACCESS_WINS"], 10), (kpis["CALLS"], 100)):
            for unit in ("DE", "AT"):
                target_set(kpi=kpi, org_unit=org[unit], partnership=None, period=date(y, m, 1),
                           value=Decimal(per_market))


def seed_actuals(actor, kpis: dict, org: dict, months=MONTHS, *, factor: dict | None = None) -> int:
    """DE reports 110% of target (green), AT 50% (red), JP some actuals without a target."""
    from django.utils import timezone

    from kpis.services.measurements import measurements_record

    factor = factor or {"DE": Decimal("1.1"), "AT": Decimal("0.5"), "JP": Decimal("0.8")}
    rows = []
    for i, month in enumerate(months):
        for code, base in (("NET_SALES", 1000), ("ACCESS_WINS", 10), ("CALLS", 100)):
            for unit, f in factor.items():
                rows.append({"kpi": code, "org_unit": unit, "period": month, "value": str(base * f + i)})
    return measurements_record(actor=actor, rows=rows, now=timezone.now()).created


def cells_snapshot() -> list[tuple]:
    """Every scorecard cell as a comparable tuple (no ids)."""
    from kpis.models import ScorecardCell

    fields = [f.attname for f in ScorecardCell._meta.concrete_fields if f.attname != "id"]
    return sorted(tuple(str(v) for v in row) for row in ScorecardCell.objects.values_list(*fields))


PARTNER_KPIS = (("PARTNER_ORDERS", "Partner orders"), ("PARTNER_TRAINED", "Staff trained"))


def seed_partner_kpis(functions, partnership, kpis=PARTNER_KPIS) -> dict:
    """KPIs co-owned by Sales and the partnership: the ones its partner users see and report
    (``kpis``: (code, name) pairs)."""
    from kpis.services.definitions import kpi_create

    return {code: kpi_create(code=code, name=name, unit="units", aggregation="sum", direction="higher",
                             category="adoption",
                             owners=[(functions["SALES"], None, Decimal(1)), (None, partnership, Decimal(1))])
            for code, name in kpis}
