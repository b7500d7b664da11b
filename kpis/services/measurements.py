"""Entering actuals: one row, a JSON batch or a CSV file — validated with a few set queries,
written all or nothing with history, then the touched cells are marked dirty."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from governance.models import OrgUnit, User
from governance.periods import parse_period
from governance.text import shorten
from kpis.files import read_upload
from kpis.models import KPI, DirtyCell, Measurement
from kpis.periods import actual_period_problem, current_month
from kpis.plausibility import PlausibilityWarning, check
from kpis.rows import CSV_COLUMNS, MAX_CSV_BYTES, MAX_ROWS, BulkValidationError
from kpis.services.bulk import COPY_THRESHOLD, upsert_with_history
from kpis.services.dirty import enqueue_rollup, mark_dirty
from kpis.values import measurement_problems, parse_number
from partners.models import Partnership

MAX_CELL_CHARS = 200  # any one field of a row (codes, months, numbers), whichever way the row came
_WHOLE = re.compile(r"[0-9]+")


class MeasurementConflict(Exception):
    """The same new key was written by someone else at the same moment, twice in a row: answer 409."""


@dataclass
class RecordResult:
    created: int = 0
    updated: int = 0
    measurements: list[Measurement] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _partnership_id(value: Any) -> int | None:
    if value is None or value == "" or _blank(value):
        return None
    if isinstance(value, bool) or not _WHOLE.fullmatch(str(value).strip()):
        raise ValueError("A partnership id is a whole number.")
    return int(str(value).strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def validate_rows(*, actor: User, rows: list[dict], now: datetime, first_row: int = 1,
                  decimal_comma: bool = False) -> list[dict]:
    """Check every row; return resolved rows or raise ``BulkValidationError`` listing every problem
    with its row and column. What a value may be is the KPI's business (``kpis.values``); which
    months take actuals, the reporting calendar's (``kpis.periods``: none after the unit's current
    month at ``now`` in its time zone; quarterly KPIs at a quarter's last month).

    Three set queries whatever the batch size: the KPIs, org units and partnerships the actor may
    write to. ``decimal_comma``: the file declared a decimal comma (see ``kpis.values.parse_number``).
    """
    errors: list[dict] = []

    def line(i: int) -> int:  # a file's rows carry their line number (blank lines are skipped)
        row = rows[i]
        return row.get("__line__") or i + first_row if isinstance(row, dict) else i + first_row

    def err(i: int, fld: str, message: str, code: str = "invalid") -> None:
        errors.append({"row": line(i), "field": fld, "message": message, "code": code})

    if len(rows) > MAX_ROWS:
        raise BulkValidationError([{"row": 0, "field": "file", "message": f"At most {MAX_ROWS} rows at once."}])
    if not rows:
        raise BulkValidationError([{"row": 0, "field": "file", "message": "No rows given."}])
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            err(i, "row", "Each row must be an object with kpi, org_unit, period and value (or numerator and "
                          "denominator).")
    if errors:
        raise BulkValidationError(errors)
    # PostgreSQL text cannot hold NUL, and no field is longer than ``MAX_CELL_CHARS``: such a row is
    # reported and looked up no further
    refused = set()
    for i, row in enumerate(rows):
        for name in CSV_COLUMNS:
            raw = row.get(name)
            if raw is None or (type(raw) is str and len(raw) <= MAX_CELL_CHARS and "\x00" not in raw):
                continue  # the usual cell: stripping cannot make it too long or give it a NUL
            text = _text(raw)
            if len(text) > MAX_CELL_CHARS:
                err(i, name, f"Longer than {MAX_CELL_CHARS} characters.")
                refused.add(i)
            elif "\x00" in text and name in ("kpi", "org_unit", "partnership", "period"):
                err(i, name, "Contains a NUL character.")
                refused.add(i)

    kpi_codes = {_text(r.get("kpi")) for i, r in enumerate(rows) if i not in refused}
    unit_codes = {_text(r.get("org_unit")) for i, r in enumerate(rows) if i not in refused}
    kpis = {k.code: k for k in KPI.objects.restrict(actor, "view").filter(code__in=kpi_codes)}
    # Where the actor may record actuals: org units and partnerships they may "log" against (a
    # partnership shared with them read-only is not one of them).
    units = OrgUnit.objects.restrict(actor, "log").filter(code__in=unit_codes)
    units = {u.code: u for u in units.only("id", "code", "timezone")}
    pids = set()
    for i, r in enumerate(rows):
        with contextlib.suppress(ValueError):
            pids.add(None if i in refused else _partnership_id(r.get("partnership")))
    pids.discard(None)
    partnerships = set(Partnership.objects.restrict(actor, "log").filter(pk__in=pids).values_list("pk", flat=True))

    resolved: list[dict] = []
    seen: dict[tuple, int] = {}
    periods: dict[str, date] = {}  # a file repeats a few months thousands of times: parse each once
    unit_months: dict[str, date] = {}  # each time zone's current month
    for i, row in enumerate(rows):
        if i in refused:
            continue
        before = len(errors)
        code = _text(row.get("kpi"))
        kpi = kpis.get(code)
        if not code:
            err(i, "kpi", "Give the KPI code.")
        elif kpi is None:
            err(i, "kpi", f"Unknown KPI '{shorten(code)}'.", "not_found")
        ucode = _text(row.get("org_unit"))
        unit = units.get(ucode)
        if not ucode:
            err(i, "org_unit", "Give the org unit code.")
        elif unit is None:
            err(i, "org_unit", f"Unknown org unit '{shorten(ucode)}'.", "not_found")
        pid = None
        try:
            pid = _partnership_id(row.get("partnership"))
        except ValueError as exc:
            err(i, "partnership", str(exc))
        if pid is not None and pid not in partnerships:
            err(i, "partnership", f"Unknown partnership {pid}.", "not_found")
        if pid is None and actor.is_partner:
            err(i, "partnership", "Partner users enter measurements for their partnership: give its id.")
        period = None
        raw_period = row.get("period")
        try:
            period = periods[raw_period] if isinstance(raw_period, str) and raw_period in periods else None
            if period is None:
                period = parse_period(raw_period)
                if isinstance(raw_period, str):
                    periods[raw_period] = period
        except ValueError as exc:
            err(i, "period", str(exc))
        values = {}
        for name in ("value", "numerator", "denominator"):
            try:
                values[name] = parse_number(row.get(name), decimal_comma=decimal_comma,
                                            percent=name == "value" and kpi is not None and kpi.is_percent)
            except ValueError as exc:
                err(i, name, str(exc))
        if kpi is not None and unit is not None and period is not None:
            tz = unit.timezone
            if tz not in unit_months:
                unit_months[tz] = current_month(now, tz)
            problem = actual_period_problem(kpi, period, unit_month=unit_months[tz])
            if problem:
                err(i, "period", problem)
        if kpi is not None and (len(errors) == before or not any(
                e["row"] == line(i) and e["field"] in ("value", "numerator", "denominator")
                for e in errors[before:])):
            values["value"], problems = measurement_problems(kpi, **values)
            for name, message in problems:
                err(i, name, message)
        if len(errors) == before:
            key = (kpi.pk, unit.pk, pid or 0, period)
            if key in seen:
                err(i, "period", f"Same KPI, org unit, partnership and period as row {seen[key]}.")
                continue
            seen[key] = number = line(i)
            resolved.append({"key": key, "kpi": kpi, "org_unit": unit, "partnership_id": pid, "row": number,
                             **values})
    if errors:
        raise BulkValidationError(errors)
    return resolved


@transaction.atomic
def measurements_record(*, actor: User, rows: list[dict], source: str = "api", now: datetime,
                        first_row: int = 1, decimal_comma: bool = False, confirm: bool = False) -> RecordResult:
    """Record actuals all or nothing. A key that exists already is a correction: the value is
    replaced and the previous one stays in the history table.

    Values far from their series' history (``kpis.plausibility``) raise ``PlausibilityWarning``
    (nothing written) unless ``confirm``; confirmed ones keep the warning in ``outlier_note``.
    ``measurements_prepare`` then ``measurements_write``, in one transaction."""
    resolved = measurements_prepare(actor=actor, rows=rows, now=now, first_row=first_row,
                                    decimal_comma=decimal_comma, confirm=confirm)
    return measurements_write(resolved, actor=actor, source=source, now=now)


def measurements_prepare(*, actor: User, rows: list[dict], now: datetime, first_row: int = 1,
                         decimal_comma: bool = False, confirm: bool = False) -> list[dict]:
    """Validate the rows (``validate_rows``) and check them for plausibility: the resolved rows,
    each with its ``outlier_note``, ready for ``measurements_write``. Reads only."""
    resolved = validate_rows(actor=actor, rows=rows, now=now, first_row=first_row, decimal_comma=decimal_comma)
    stored: set[int] = set()
    doubts = check(resolved, stored=stored)
    if doubts and not confirm:
        raise PlausibilityWarning(doubts)
    notes = {d.row: d.message[:300] for d in doubts}
    for i, r in enumerate(resolved):
        r["outlier_note"] = notes.get(r["row"], "")
        r["stored"] = i in stored  # as the check read it: a hint for the set-based write
    return resolved


@transaction.atomic(savepoint=False)  # inside a caller's transaction, a failure fails it all (no savepoint)
def measurements_write(resolved: list[dict], *, actor: User, source: str, now: datetime) -> RecordResult:
    """Write prepared rows (``measurements_prepare``) all or nothing and mark their cells dirty.

    Batches of ``COPY_THRESHOLD`` rows or more are written set-based
    (``kpis.services.bulk.upsert_with_history``: COPY into a staging table, then one statement for
    the rows and their history and one for the dirty keys — plain inserts when the check read none
    of the keys as stored, upserts otherwise or if one was written meanwhile) and return counts only
    (``measurements`` is empty);
    smaller batches go through the ORM and return the saved instances. Both are safe when someone
    else writes the same new key at the same moment: the set-based path upserts (``ON CONFLICT``),
    the ORM path retries once as a correction, then raises ``MeasurementConflict`` (409)."""
    if len(resolved) >= COPY_THRESHOLD:
        created, updated = upsert_with_history(
            Measurement, _KEY_COLUMNS, _COPY_COLUMNS,
            [(r["kpi"].pk, r["org_unit"].pk, r["partnership_id"], r["key"][2], r["key"][3], r["value"],
              r["numerator"], r["denominator"], source, actor.pk, now, r["outlier_note"]) for r in resolved],
            user_id=actor.pk, now=now, dirty_table=DirtyCell._meta.db_table,
            all_new=not any(r.get("stored", True) for r in resolved))
        enqueue_rollup()
        return RecordResult(created=created, updated=updated)
    for attempt in (1, 2):
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back this try only
                return _write_orm(resolved, actor=actor, source=source, now=now)
        except IntegrityError:
            if attempt == 2:
                raise MeasurementConflict() from None
    raise AssertionError("unreachable")


def _write_orm(resolved: list[dict], *, actor: User, source: str, now: datetime) -> RecordResult:
    keys = [r["key"] for r in resolved]
    existing = {
        (m.kpi_id, m.org_unit_id, m.partnership_key, m.period): m
        for m in Measurement.objects.select_for_update().filter(
            kpi_id__in={k[0] for k in keys}, org_unit_id__in={k[1] for k in keys},
            period__in={k[3] for k in keys}, partnership_key__in={k[2] for k in keys},
        )
    }
    creates, updates = [], []
    for r in resolved:
        m = existing.get(r["key"])
        if m is None:
            m = Measurement(kpi=r["kpi"], org_unit=r["org_unit"], partnership_id=r["partnership_id"],
                            partnership_key=r["key"][2], period=r["key"][3])
            creates.append(m)
        else:
            updates.append(m)
        m.value, m.numerator, m.denominator = r["value"], r["numerator"], r["denominator"]
        m.source, m.entered_by, m.entered_at = source, actor, now
        m.outlier_note = r["outlier_note"]
    if creates:
        bulk_create_with_history(creates, Measurement, batch_size=2000, default_user=actor, default_date=now)
    if updates:
        bulk_update_with_history(updates, Measurement, ["value", "numerator", "denominator", "source", "entered_by",
                                                        "entered_at", "outlier_note"],
                                 batch_size=2000, default_user=actor, default_date=now)
    mark_dirty(keys)
    return RecordResult(created=len(creates), updated=len(updates), measurements=creates + updates)


_KEY_COLUMNS = ("kpi_id", "org_unit_id", "partnership_key", "period")
_COPY_COLUMNS = ("kpi_id", "org_unit_id", "partnership_id", "partnership_key", "period", "value", "numerator",
                 "denominator", "source", "entered_by_id", "entered_at", "outlier_note")


def measurement_record(*, actor: User, data: dict, source: str = "api", now: datetime,
                       confirm: bool = False) -> Measurement:
    """One measurement; field errors raise ``ValidationError`` (``BulkValidationError`` when an
    object is unknown or out of the actor's scope, so the API can answer 404)."""
    try:
        result = measurements_record(actor=actor, rows=[data], source=source, now=now, confirm=confirm)
    except BulkValidationError as exc:
        if exc.not_found:
            raise
        fields: dict[str, list[str]] = {}
        for e in exc.errors:
            fields.setdefault(e["field"], []).append(e["message"])
        raise ValidationError(fields) from None
    return result.measurements[0]


def read_csv(upload) -> list[dict]:
    """Parse an uploaded CSV (UTF-8, header ``kpi,org_unit,partnership,period,value,numerator,
    denominator``, comma-separated) into row dicts, bounded in size and rows. Uploads go through
    ``kpis.files.read_upload`` (sniffed CSV or XLSX); this plain reader is the benchmark's."""
    if upload.size is not None and upload.size > MAX_CSV_BYTES:
        raise BulkValidationError([{"row": 0, "field": "file",
                                    "message": f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB."}])
    raw = upload.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkValidationError([{"row": 0, "field": "file", "message": "The file is not UTF-8 text."}]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("kpi", "org_unit", "period") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        message = f"The header must be {','.join(CSV_COLUMNS)}"
        message += f" (missing: {', '.join(missing)})" if missing else f" (unknown: {', '.join(unknown)})"
        raise BulkValidationError([{"row": 1, "field": "file", "message": message + "."}])
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if None in row:
                rows.append({"__extra__": True, **{k: v for k, v in row.items() if k is not None}})
            else:
                rows.append(row)
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise BulkValidationError([{"row": reader.line_num, "field": "file",
                                    "message": f"The file is not valid CSV here: {exc}."}]) from None
    errors = [{"row": i + 2, "field": "file", "message": "More cells than header columns."}
              for i, r in enumerate(rows) if r.pop("__extra__", False)]
    if errors:
        raise BulkValidationError(errors)
    return rows


def measurements_import_csv(*, actor: User, upload, now: datetime, confirm: bool = False,
                            decimal: str = "") -> RecordResult:
    """Import a CSV or XLSX file (``kpis.files``) all or nothing; row numbers are the file's line
    numbers (header = 1). ``decimal``: "comma"/"point" as declared by the uploader, "" to sniff."""
    table = read_upload(upload, decimal=decimal)
    return measurements_record(actor=actor, rows=table.rows, source=table.kind, now=now, first_row=2,
                               confirm=confirm, decimal_comma=table.decimal_comma)


def csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ (or tab/CR) gets a leading '."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


@transaction.atomic
def measurements_delete(*, measurements) -> int:
    """Delete measurements (a queryset or list; history keeps each) and mark their cells dirty, so
    the next incremental rollup equals a full rebuild. Returns how many were deleted."""
    rows = list(measurements)
    keys = [(m.kpi_id, m.org_unit_id, m.partnership_key, m.period) for m in rows]
    for measurement in rows:
        measurement.delete()
    mark_dirty(keys)
    return len(rows)
