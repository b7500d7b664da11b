"""Is a new actual plausible next to its series' history? A value is questioned — not refused — when

* its **robust z-score** against the series' other months (``WINDOW`` either side) is above ``Z_LIMIT``:
  z = 0.6745 · (x − median) / MAD (median absolute deviation), which a single earlier typo cannot
  distort the way it would a mean and standard deviation; needs ``MIN_HISTORY`` earlier values and
  a MAD above 0; or
* it is a **10× jump** from the series' previous value (up or down; not across zero or from 0).

The series is KPI × org unit × partnership; a correction of a month compares with the other months.
Whoever enters the value confirms it (UI: a confirm box; API: ``confirm=true``, else 409 with the
warnings); the confirmed measurement keeps the warning in ``outlier_note`` — and so in its history.
One query for a whole batch: PostgreSQL computes median, MAD and the previous value per series.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from kpis.models import Measurement
from kpis.values import value_formatter

Z_LIMIT = Decimal(4)
JUMP = Decimal(10)
WINDOW = 24  # months of history looked at
MIN_HISTORY = 6


@dataclass(frozen=True)
class Doubt:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class PlausibilityWarning(Exception):
    """Values that need a confirmation before they are written (nothing was written)."""

    def __init__(self, warnings: list[Doubt]):
        super().__init__(f"{len(warnings)} value(s) to confirm")
        self.warnings = warnings

    def payload(self, limit: int = 1_000) -> dict:
        return {"detail": "Some values are far from their history. Check them; to record them as they are, send "
                          "the same request with confirm=true.",
                "warnings": [w.as_dict() for w in self.warnings[:limit]], "warning_count": len(self.warnings)}


_SQL = f"""
WITH keys AS (
    SELECT * FROM unnest(%s::int[], %s::bigint[], %s::bigint[], %s::bigint[], %s::date[])
        AS k(i, kpi_id, org_unit_id, partnership_key, period)
), hist AS (
    SELECT k.i, m.value, m.period, k.period AS key_period FROM keys k
    JOIN {Measurement._meta.db_table} m
      ON m.kpi_id = k.kpi_id AND m.org_unit_id = k.org_unit_id AND m.partnership_key = k.partnership_key
     AND m.period BETWEEN k.period - interval '{WINDOW} months' AND k.period + interval '{WINDOW} months'
     AND m.period <> k.period
    WHERE m.value IS NOT NULL
), med AS (
    SELECT i, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median, COUNT(*) AS n FROM hist GROUP BY i
), mad AS (
    SELECT h.i, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.value - med.median)) AS mad
    FROM hist h JOIN med ON med.i = h.i GROUP BY h.i
), prev AS (
    SELECT DISTINCT ON (i) i, value, period FROM hist WHERE period < key_period  -- the row's own month, carried
    ORDER BY i, period DESC
)
SELECT med.i, med.median, med.n, mad.mad, prev.value, prev.period
FROM med JOIN mad ON mad.i = med.i LEFT JOIN prev ON prev.i = med.i
"""  # noqa: S608 - table name and constants only


def check(resolved: list[dict]) -> list[Doubt]:
    """Warnings for resolved rows (``kpis.services.measurements.validate_rows``), in row order."""
    if not resolved:
        return []
    cols: list[list] = [[], [], [], [], []]
    for i, r in enumerate(resolved):
        kpi_id, unit_id, pkey, period = r["key"]
        for col, v in zip(cols, (i, kpi_id, unit_id, pkey, period), strict=True):
            col.append(v)
    with connection.cursor() as cur:
        cur.execute(_SQL, cols)
        stats = {row[0]: row[1:] for row in cur.fetchall()}
    warnings = []
    for i, r in enumerate(resolved):
        if i not in stats or r["value"] is None:
            continue
        median, n, mad, prev, prev_period = stats[i]
        reason = _reason(r["value"], median=Decimal(str(median)), n=n, mad=Decimal(str(mad)), prev=prev)
        if reason:
            fmt = value_formatter(r["kpi"])
            field = "numerator" if r["kpi"].is_ratio else "value"
            text = reason.format(value=fmt(r["value"]), median=fmt(median), prev=fmt(prev),
                                 prev_period=f"{prev_period:%Y-%m}" if prev_period else "")
            warnings.append(Doubt(row=r["row"], field=field, message=f"{r['kpi'].code}: {text}"))
    return warnings


def _reason(x: Decimal, *, median: Decimal, n: int, mad: Decimal, prev: Decimal | None) -> str | None:
    if prev is not None and prev != 0 and x != 0 and (x > 0) == (prev > 0):
        ratio = abs(x / prev)
        if ratio >= JUMP or ratio <= 1 / JUMP:
            return "{value} is a " + ("10× jump" if ratio >= JUMP else "10× drop") + " from {prev} in {prev_period}."
    if n >= MIN_HISTORY and mad > 0:
        z = Decimal("0.6745") * (x - median) / mad
        if abs(z) > Z_LIMIT:
            return "{value} is far from this series' usual values (median {median}; robust z-score " + f"{z:.1f})."
    return None
