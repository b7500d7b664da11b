"""KPI fixtures on top of the shared cast: one KPI per aggregation, and helpers to record
measurements and targets through the services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

NOW = datetime.fromisoformat("2025-07-01T09:00:00+00:00")


@pytest.fixture
def kpis(db, functions):
    from kpis.services.definitions import kpi_create

    def make(code, aggregation, direction="higher", owners=()):
        return kpi_create(code=code, name=code.title(), unit="u", aggregation=aggregation, direction=direction,
                          category="adoption", owners=owners)

    return {
        "REV": make("REV", "sum", owners=[(functions["SALES"], None, Decimal(2)), (functions["MKT"], None, 1)]),
        "NPS": make("NPS", "average", owners=[(functions["MKT"], None, 1)]),
        "ACCTS": make("ACCTS", "latest", owners=[(functions["SALES"], None, 1)]),
        "SHARE": make("SHARE", "ratio", owners=[(functions["ACCESS"], None, 1), (functions["SALES"], None, 1)]),
        "DAYS": make("DAYS", "average", direction="lower", owners=[(functions["ACCESS"], None, 1)]),
    }


@pytest.fixture
def record(admin_user):
    """``record(kpi, unit, "2025-01", value=…, numerator=…, denominator=…, partnership=…)``."""
    from kpis.services.measurements import measurements_record

    def do(kpi, unit, period, actor=None, **values):
        row = {"kpi": kpi.code, "org_unit": unit.code, "period": period, **values}
        if "partnership" in row and hasattr(row["partnership"], "pk"):
            row["partnership"] = row["partnership"].pk
        # Recorded as given: fixtures build series for rollups, not plausible histories.
        # ``now`` is today when NOW (mid-2025) is earlier: series near today must not be future months.
        return measurements_record(actor=actor or admin_user, rows=[row], now=max(NOW, timezone.now()),
                                   confirm=True).measurements[0]

    return do


@pytest.fixture
def target(db):
    from kpis.services.definitions import target_set

    def do(kpi, unit, period, value, partnership=None, **thresholds):
        y, m = map(int, period.split("-"))
        return target_set(kpi=kpi, org_unit=unit, partnership=partnership, period=date(y, m, 1),
                          value=Decimal(str(value)), **{k: Decimal(str(v)) for k, v in thresholds.items()})

    return do


def cell(kpi, unit, period, grain="month", partnership=None):
    from kpis.models import ScorecardCell

    y, m = map(int, period.split("-"))
    return ScorecardCell.objects.filter(
        kpi=kpi, org_unit=unit, grain=grain, period=date(y, m, 1),
        partnership_key=partnership.pk if partnership else 0,
    ).first()


@pytest.fixture
def sent(monkeypatch):
    """The import-job messages sent (the test plays the worker)."""
    from kpis import tasks

    calls = []
    monkeypatch.setattr(tasks.run_import, "apply_async", lambda *a, **k: calls.append(k["kwargs"]))
    return calls
