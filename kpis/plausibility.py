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

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


# One row per file row whose series is stored: the series is read once, by index, in a LATERAL
# aggregate over its ±WINDOW months (its median and values there), then the MAD from those values.
# (A join of all rows' history then GROUP BY sorted every history row three times — 260,000 rows
# for 20,000 keys at 10M measurements, spilled to disk: 2 s; docs/benchmarks.md.) The same index
# range holds the row's own month: whether its key is stored already comes with it (``stored``).
# The keys travel as four comma-separated texts: a literal array of 20,000 numbers rendered by
# the client cost more than the statement's own parsing of a text.
_SQL = f"""
SELECT k.i - 1, h.median, h.n, mad.mad, h.prev, h.prev_period, h.stored
FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bigint[],
            string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::date[])
     WITH ORDINALITY AS k(kpi_id, org_unit_id, partnership_key, period, i)
CROSS JOIN LATERAL (
    SELECT array_agg(m.value) FILTER (WHERE m.period <> k.period AND m.value IS NOT NULL) AS vals,
           COUNT(*) FILTER (WHERE m.period <> k.period AND m.value IS NOT NULL) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY m.value)
               FILTER (WHERE m.period <> k.period AND m.value IS NOT NULL) AS median,
           (array_agg(m.value ORDER BY m.period DESC)
               FILTER (WHERE m.period < k.period AND m.value IS NOT NULL))[1] AS prev,
           MAX(m.period) FILTER (WHERE m.period < k.period AND m.value IS NOT NULL) AS prev_period,
           bool_or(m.period = k.period) AS stored
    FROM {Measurement._meta.db_table} m
    WHERE m.kpi_id = k.kpi_id AND m.org_unit_id = k.org_unit_id AND m.partnership_key = k.partnership_key
      AND m.period BETWEEN (k.period - interval '{WINDOW} months')::date
                       AND (k.period + interval '{WINDOW} months')::date
) h
CROSS JOIN LATERAL (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v - h.median)) AS mad
                    FROM unnest(h.vals) v) mad
WHERE h.stored IS NOT NULL
"""  # noqa: S608 - table name and constants only


def _params(resolved: list[dict]) -> list[str]:
    """The rows' keys as ``_SQL``'s four texts (kpi ids, org unit ids, partnership keys, months)."""
    kpi_ids, unit_ids, pkeys, periods = zip(*(r["key"] for r in resolved), strict=True)
    months = {p: p.isoformat() for p in set(periods)}  # a file holds a few months, many times
    return [",".join(map(str, kpi_ids)), ",".join(map(str, unit_ids)), ",".join(map(str, pkeys)),
            ",".join(map(months.__getitem__, periods))]


def check(resolved: list[dict], *, stored: set[int] | None = None) -> list[Doubt]:
    """Warnings for resolved rows (``kpis.services.measurements.validate_rows``), in row order.
    ``stored``, if given, receives the indexes (in ``resolved``) of the rows whose key has a
    measurement already, as the same read saw it (a hint for the writer, which stays safe if it
    changed since)."""
    if not resolved:
        return []
    with connection.cursor() as cur:
        cur.execute(_SQL, _params(resolved))
        stats = {row[0]: row[1:] for row in cur.fetchall()}
    warnings = []
    formatters: dict[int, Callable[[Any], str]] = {}  # one per KPI, not per questioned row
    for i, r in enumerate(resolved):
        if i not in stats:
            continue
        median, n, mad, prev, prev_period, in_store = stats[i]
        if in_store and stored is not None:
            stored.add(i)
        if not n or r["value"] is None:
            continue
        reason = _reason(r["value"], median=Decimal(str(median)), n=n, mad=Decimal(str(mad)), prev=prev)
        if reason:
            kpi = r["kpi"]
            fmt = formatters.get(kpi.pk) or formatters.setdefault(kpi.pk, value_formatter(kpi))
            field = "numerator" if kpi.is_ratio else "value"
            if "{prev}" in reason:  # only the figures the message shows are formatted
                text = reason.format(value=fmt(r["value"]), prev=fmt(prev), prev_period=f"{prev_period:%Y-%m}")
            else:
                text = reason.format(value=fmt(r["value"]), median=fmt(median))
            warnings.append(Doubt(row=r["row"], field=field, message=f"{kpi.code}: {text}"))
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
