"""Large measurement imports take the set-based path (kpis.services.bulk.upsert_with_history): the
rows, their history ('+' for new, '~' for corrections) and the dirty keys must be exactly what the
ORM path writes for a small batch."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kpis.models import KPI, DirtyCell, Measurement
from kpis.services.bulk import COPY_THRESHOLD
from kpis.services.measurements import measurements_record

pytestmark = pytest.mark.slow  # batches above COPY_THRESHOLD rows

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

    assert (result.created, result.updated) == (len(rows), 0)
    assert Measurement.objects.count() == len(rows)
    first = Measurement.objects.get(kpi__code=rows[0]["kpi"], org_unit__code="DE")
    assert (first.value, first.source, first.entered_by_id, first.entered_at) == (Decimal("0.25"), "csv",
                                                                                   admin_user.pk, NOW)
    assert first.partnership_key == 0 and first.period.isoformat() == "2025-03-01"
    history = Measurement.history.filter(history_type="+")
    assert history.count() == len(rows)
    h = history.get(id=first.pk)
    assert (h.history_user_id, h.history_date, h.value, h.source) == (admin_user.pk, NOW, Decimal("0.25"), "csv")
    assert DirtyCell.objects.count() == len(rows)
    assert DirtyCell.objects.filter(kpi_id=first.kpi_id, org_unit_id=first.org_unit_id, partnership_key=0,
                                    period=first.period).exists()


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
    assert Measurement.history.filter(history_type="~").count() == len(rows)  # every correction, even unchanged


def test_large_batch_with_one_bad_row_writes_nothing(admin_user, org, kpis):
    from kpis.services.measurements import BulkValidationError

    rows = _rows(kpis, ["DE", "AT"], "2025-05")
    rows[-1]["value"] = "abc"

    with pytest.raises(BulkValidationError) as exc:
        measurements_record(actor=admin_user, rows=rows, source="csv", now=NOW)

    assert exc.value.errors == [{"row": len(rows), "field": "value", "code": "invalid",
                                 "message": "Not a number: use digits with an optional decimal point, e.g. 1234.5."}]
    assert not Measurement.objects.exists() and not Measurement.history.exists() and not DirtyCell.objects.exists()


def test_a_key_written_between_the_check_and_the_write_becomes_a_correction(admin_user, org, kpis):
    """The check read none of the keys as stored, so the rows go in by plain INSERT; a key someone
    wrote meanwhile makes that insert fail in its savepoint and the same rows are upserted instead."""
    from kpis.services.measurements import measurements_prepare, measurements_write

    rows = _rows(kpis, ["DE", "AT"], "2025-03")
    resolved = measurements_prepare(actor=admin_user, rows=rows, now=NOW)
    assert not any(r["stored"] for r in resolved)
    measurements_record(actor=admin_user, rows=[{**rows[5], "value": "7"}], source="api", now=NOW)

    result = measurements_write(resolved, actor=admin_user, source="csv", now=NOW)

    assert (result.created, result.updated) == (len(rows) - 1, 1)
    m = Measurement.objects.get(kpi__code=rows[5]["kpi"], org_unit__code=rows[5]["org_unit"])
    assert (m.value, m.source) == (Decimal("5.25"), "csv")
    assert list(m.history.order_by("history_id").values_list("history_type", "value")) == [
        ("+", Decimal("7")), ("~", Decimal("5.25"))]
    assert Measurement.history.filter(history_type="+").count() == len(rows)  # 1 by the api, len - 1 by the file
    assert DirtyCell.objects.count() == len(rows)


def test_new_rows_whose_cells_are_dirty_already_are_all_marked(admin_user, org, kpis):
    """A key can be dirty before its measurement exists (a target set ahead, a deleted row): the
    plain insert of the dirty keys gives way to ON CONFLICT DO NOTHING."""
    from kpis.services.measurements import measurements_prepare, measurements_write

    rows = _rows(kpis, ["DE", "AT"], "2025-03")
    resolved = measurements_prepare(actor=admin_user, rows=rows, now=NOW)
    kpi_id, unit_id, pkey, period = resolved[-1]["key"]
    DirtyCell.objects.create(kpi_id=kpi_id, org_unit_id=unit_id, partnership_key=pkey, period=period)

    result = measurements_write(resolved, actor=admin_user, source="csv", now=NOW)

    assert (result.created, result.updated) == (len(rows), 0)
    assert DirtyCell.objects.count() == len(rows)
    assert Measurement.history.filter(history_type="+").count() == len(rows)


def test_the_check_tells_which_keys_are_stored(admin_user, org, kpis):
    from kpis.services.measurements import measurements_prepare

    rows = _rows(kpis, ["DE", "AT"], "2025-03")
    measurements_record(actor=admin_user, rows=rows[:3], source="api", now=NOW)

    resolved = measurements_prepare(actor=admin_user, rows=rows, now=NOW)

    assert [r["stored"] for r in resolved[:4]] == [True, True, True, False]
    assert sum(r["stored"] for r in resolved) == 3
