"""Large measurement imports take the COPY path (kpis.services.bulk.copy_with_history): the rows,
their ids and their "created" history must be exactly what the ORM path writes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kpis.models import KPI, DirtyCell, Measurement
from kpis.services.bulk import COPY_THRESHOLD
from kpis.services.measurements import measurements_record

NOW = datetime(2025, 6, 5, 12, tzinfo=UTC)


@pytest.fixture
def kpis(db):
    return [KPI.objects.create(code=f"BIG{i}", name=f"Big {i}", aggregation="sum") for i in range(COPY_THRESHOLD // 2)]


def _rows(kpis, units, month):
    return [{"kpi": k.code, "org_unit": u, "period": month, "value": f"{i}.25"}
            for i, (k, u) in enumerate((k, u) for k in kpis for u in units)]


def test_large_batch_is_copied_with_ids_history_and_dirty_keys(admin_user, org, kpis):
    rows = _rows(kpis, ["DE", "AT"], "2025-03")
    assert len(rows) >= COPY_THRESHOLD

    result = measurements_record(actor=admin_user, rows=rows, source="csv", now=NOW)

    assert result.created == len(rows)
    stored = {m.pk: m for m in Measurement.objects.all()}
    assert sorted(stored) == sorted(m.pk for m in result.measurements)
    first = result.measurements[0]
    assert stored[first.pk].value == Decimal("0.25") and stored[first.pk].org_unit.code == "DE"
    history = Measurement.history.filter(history_type="+")
    assert history.count() == len(rows)
    h = history.get(id=first.pk)
    assert (h.history_user_id, h.history_date, h.value, h.source) == (admin_user.pk, NOW, Decimal("0.25"), "csv")
    assert DirtyCell.objects.count() == len(rows)


def test_large_batch_then_correction_keeps_both_history_rows(admin_user, org, kpis):
    rows = _rows(kpis, ["DE", "AT"], "2025-04")
    measurements_record(actor=admin_user, rows=rows, source="csv", now=NOW)
    rows[0]["value"] = "99"

    again = measurements_record(actor=admin_user, rows=rows, source="csv", now=NOW)

    assert (again.created, again.updated) == (0, len(rows))
    m = Measurement.objects.get(kpi__code=rows[0]["kpi"], org_unit__code="DE")
    assert m.value == Decimal("99")
    assert list(m.history.order_by("history_id").values_list("history_type", "value")) == [
        ("+", Decimal("0.25")), ("~", Decimal("99"))]
