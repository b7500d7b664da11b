"""Measurement files: reading CSV (sniffed) and XLSX uploads into rows, and writing XLSX.

CSV files are read as people's spreadsheets save them:

* **Encoding**: UTF-8 with or without a byte-order mark. UTF-16 ("Unicode text") and legacy 8-bit
  encodings are refused with what to do instead (save as "CSV UTF-8").
* **Delimiter**: comma, semicolon or tab — the one that splits the header line into the known
  columns. Anything else is refused naming the columns expected.
* **Decimal comma**: only where the upload declares it (``decimal="comma"``) or the file proves it:
  a semicolon- or tab-separated file whose number cells use commas (``82,8``), never points, and at
  least one of them not with exactly three digits after the comma (``1,000`` could be a thousand).
  A file mixing both is refused and asked to declare.

XLSX files (``openpyxl``): the first worksheet, header in the first row; every row the sheet holds
(its recorded size, ``<dimension>``, may understate it and is not trusted). Number cells are taken with
Excel's own 15 significant digits (``0.1 + 0.2`` reads as ``0.3``); a percent-formatted cell is
already a fraction, which is the stored scale of percent KPIs; month cells may be dates.

Both may carry the informational columns of the templates (``INFO_COLUMNS``), which are ignored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from governance.text import shorten, xlsx_text
from kpis.rows import CSV_COLUMNS, MAX_CSV_BYTES, MAX_ROWS, BulkValidationError

INFO_COLUMNS = ["kpi_name", "unit", "previous"]  # in templates, for people; ignored on import
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
XLSX_MAGIC = b"PK\x03\x04"
NUMBER_COLUMNS = ("value", "numerator", "denominator")
_COMMA_NUMBER = re.compile(r"^[+-]?[0-9]+,([0-9]+)%?$")
_POINT_NUMBER = re.compile(r"^[+-]?[0-9]*\.[0-9]+%?$")
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a workbook's members, unpacked: 100,000 rows take ~25 MB
MAX_RATIO = 100  # unpacked / packed size of a large member; real sheets pack ~15:1, a zip bomb ~1000:1
EXCEL_MAX_ROW = 1_048_576
XLSX_COUNTED_ROWS = 1_000  # a workbook's data rows counted before it is queued (beyond, the job counts)
PROGRESS_EVERY = 2_000  # rows read between two ``on_rows`` calls
OnRows = Callable[[int], None] | None


@dataclass
class Table:
    rows: list[dict]
    decimal_comma: bool
    kind: str  # "csv" or "xlsx"
    delimiter: str = ","


def _fail(message: str, row: int = 0) -> BulkValidationError:
    return BulkValidationError([{"row": row, "field": "file", "message": message}])


@dataclass
class Shape:
    kind: str  # "csv" or "xlsx"
    rows: int | None  # data rows (None: unknown) — an estimate for progress unless ``exact``
    exact: bool = True  # a CSV's rows are all counted, a workbook's up to ``XLSX_COUNTED_ROWS``


def read_upload(upload, *, decimal: str = "") -> Table:
    """An uploaded CSV or XLSX file → rows (dicts by column), bounded in size and rows.
    ``decimal``: "comma" or "point" when the uploader declares it, else "" (sniffed)."""
    return read_table(read_bytes(upload), decimal=decimal)


def read_bytes(upload) -> bytes:
    """The upload's bytes, refused above ``MAX_CSV_BYTES``."""
    if upload.size is not None and upload.size > MAX_CSV_BYTES:
        raise _too_large()
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise _too_large()
    return raw


def _too_large() -> BulkValidationError:
    return _fail(f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB.")


def read_table(raw: bytes, *, decimal: str = "", on_rows: OnRows = None) -> Table:
    """A file's bytes → rows; ``on_rows(n)`` is told every ``PROGRESS_EVERY`` rows read."""
    if raw.startswith(XLSX_MAGIC):
        return read_xlsx(raw, on_rows=on_rows)
    return read_csv_text(decode(raw), decimal=decimal, on_rows=on_rows)


def check_shape(raw: bytes, *, decimal: str = "") -> Shape:
    """What can be told about a file at once, before it is queued: a CSV is read in full (quick:
    encoding, delimiter, header, extra cells, an ambiguous decimal separator), an XLSX workbook is
    opened, its header checked and its data rows counted up to ``XLSX_COUNTED_ROWS`` (reading all
    its cells is the slow part, left to the job; beyond the count, the sheet's recorded size is the
    estimate). Raises ``BulkValidationError`` (field ``file``) as ``read_table`` would."""
    if raw.startswith(XLSX_MAGIC):
        book, sheet, recorded = _open_xlsx(raw)
        try:
            lines = _xlsx_rows(sheet)
            _xlsx_header(lines)
            counted = 0
            for _, cells in lines:
                counted += any(c not in (None, "") for c in cells)
                if counted > XLSX_COUNTED_ROWS:
                    return Shape(kind="xlsx", rows=max(counted, (recorded or 0) - 1), exact=False)
        finally:
            book.close()
        return Shape(kind="xlsx", rows=counted)
    return Shape(kind="csv", rows=len(read_csv_text(decode(raw), decimal=decimal).rows))


def decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail("The file is UTF-16 (\"Unicode text\"): save it as \"CSV UTF-8\" and upload it again.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise _fail("The file is not UTF-8 text (it looks like a legacy encoding such as Windows-1252): save it "
                    "as \"CSV UTF-8\" and upload it again.", row=line) from None


def _header(cells: list) -> list[str]:
    return [str(c or "").strip().lower() for c in cells]


def _check_header(header: list[str]) -> None:
    missing = [c for c in ("kpi", "org_unit", "period") if c not in header]
    unknown = [h for h in header if h and h not in CSV_COLUMNS and h not in INFO_COLUMNS]
    if missing or unknown:
        message = f"The header must be {','.join(CSV_COLUMNS)}"
        message += (f" (missing: {', '.join(missing)})" if missing
                    else f" (unknown: {', '.join(shorten(h) for h in unknown[:10])})")
        raise _fail(message + ".", row=1)


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most known columns (at least three)."""
    best, best_known = None, 2
    for delimiter in DELIMITERS:
        known = sum(1 for h in first_line.split(delimiter) if h.strip().strip('"').lower() in CSV_COLUMNS)
        if known > best_known:
            best, best_known = delimiter, known
    if best is None:
        raise _fail("Could not tell how the columns are separated: the first line must be the header "
                    f"{','.join(CSV_COLUMNS)}, separated by commas, semicolons or tabs.", row=1)
    return best


def read_csv_text(text: str, *, decimal: str = "", on_rows: OnRows = None) -> Table:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = _header(next(reader, []))
        _check_header(header)
        rows, extra = [], []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                extra.append(reader.line_num)
            row = dict(zip(header, cells, strict=False))
            row["__line__"] = reader.line_num
            rows.append(row)
            if len(rows) > MAX_ROWS:
                break
            if on_rows and len(rows) % PROGRESS_EVERY == 0:
                on_rows(len(rows))
    except csv.Error as exc:
        raise _fail(f"The file is not valid CSV here: {exc}.", row=reader.line_num) from None
    if extra:
        raise BulkValidationError([{"row": n, "field": "file", "message": "More cells than header columns."}
                                   for n in extra])
    return Table(rows=rows, decimal_comma=_decimal_comma(rows, delimiter, decimal), kind="csv",
                 delimiter=delimiter)


def _decimal_comma(rows: list[dict], delimiter: str, declared: str) -> bool:
    if declared in ("comma", "point"):
        return declared == "comma"
    if delimiter == ",":
        return False  # an unquoted comma would have split the cell
    commas = points = 0
    not_thousands = False
    for row in rows:
        for name in NUMBER_COLUMNS:
            cell = (row.get(name) or "").strip()
            match = _COMMA_NUMBER.match(cell)
            if match:
                commas += 1
                not_thousands = not_thousands or len(match[1]) != 3
            elif _POINT_NUMBER.match(cell):
                points += 1
    if commas and points:
        raise _fail("Number cells use both decimal commas and decimal points: choose the decimal separator "
                    "of the file and upload it again.")
    if commas and not not_thousands:
        raise _fail("Every number with a comma has three digits after it (1,000): it could be a thousands "
                    "separator. Choose the decimal separator of the file and upload it again.")
    return commas > 0


def _xlsx_cell(value):
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(value, ".15g")  # Excel's precision: 0.1 + 0.2 is 0.3
    if isinstance(value, datetime):
        return value.date()
    return value


def _check_unpacked(raw: bytes) -> None:
    """Refuse a workbook that unpacks to more than ``MAX_UNPACKED_BYTES``, or has a large member packed
    more tightly than ``MAX_RATIO`` (a small file that inflates to a huge cell). The sizes are the
    zip's own records, which bound what is read: Python's zip reader stops at a member's recorded
    size."""
    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _fail("The file is not a readable XLSX workbook.") from None
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise _fail(f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB: split it into "
                    "smaller files.")
    if any(m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members):
        raise _fail("The workbook is packed unlike a spreadsheet (a small file that unpacks to a very large "
                    "one): save it again from your spreadsheet program, or upload it as CSV.")


def _open_xlsx(raw: bytes):
    _check_unpacked(raw)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the uploader's problem, told as such
        raise _fail("The file is not a readable XLSX workbook.") from None
    if not book.worksheets:
        book.close()
        raise _fail("The workbook has no worksheet: put the measurements on its first sheet.")
    sheet = book.worksheets[0]
    recorded = sheet.max_row
    sheet.reset_dimensions()  # read every row the sheet holds, whatever size it records
    return book, sheet, recorded


def _xlsx_rows(sheet):
    """The sheet's rows as ``(row number, values)``; XML that breaks part-way, or rows past Excel's
    last, are the uploader's problem (``BulkValidationError`` naming the row), never a crash."""
    lines = sheet.iter_rows(values_only=True)
    n = 0
    while True:
        try:
            cells = next(lines)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - a broken sheet (XML, cell values): told to the uploader
            raise _fail(f"The workbook cannot be read after row {n}: open it in your spreadsheet program, save "
                        "it again and upload it again (or upload it as CSV).", row=n + 1) from None
        n += 1
        if n > EXCEL_MAX_ROW:
            raise _fail(f"The sheet has rows past Excel's last row ({EXCEL_MAX_ROW:,}).", row=n)
        yield n, cells


def _xlsx_header(lines) -> list[str]:
    header = _header(list(next(lines, (1, ()))[1] or ()))
    while header and not header[-1]:
        header.pop()
    _check_header(header)
    return header


def read_xlsx(raw: bytes, *, on_rows: OnRows = None) -> Table:
    book, sheet, _ = _open_xlsx(raw)
    try:
        lines = _xlsx_rows(sheet)
        header = _xlsx_header(lines)
        rows = []
        for n, cells in lines:
            values = [_xlsx_cell(c) for c in cells[:len(header)]]
            if not any(v not in (None, "") for v in values):
                continue
            if any(c not in (None, "") for c in cells[len(header):]):
                raise _fail("More cells than header columns.", row=n)
            rows.append(dict(zip(header, values, strict=False)) | {"__line__": n})
            if len(rows) > MAX_ROWS:
                break
            if on_rows and len(rows) % PROGRESS_EVERY == 0:
                on_rows(len(rows))
    finally:
        book.close()
    return Table(rows=rows, decimal_comma=False, kind="xlsx")


def write_xlsx(header: list[str], rows, *, title: str, widths: dict[str, int] | None = None,
               row_formats: list[list[str | None]] | None = None) -> bytes:
    """A one-sheet workbook: bold frozen header, the rows (decimals as numbers, text always as text:
    ``governance.text.xlsx_text``), and optional number formats per row and column (``"0.0%"`` for
    a percent KPI's stored fraction)."""
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r, row in enumerate(rows, start=2):
        formats = row_formats[r - 2] if row_formats else []
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)  # by index: sheet[r] would measure the whole sheet each row
            if isinstance(value, str):
                xlsx_text(cell, value)  # a name starting with "=" is a name, not a formula
            elif value is not None:
                cell.value = _number(value) if isinstance(value, Decimal) else value
            if c <= len(formats) and formats[c - 1]:
                cell.number_format = formats[c - 1]
    for i, name in enumerate(header):
        sheet.column_dimensions[chr(ord("A") + i)].width = (widths or {}).get(name, max(10, len(name) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(value: Decimal) -> int | float:
    """A stored decimal as the workbook's number: whole numbers as int (they read back exactly)."""
    return int(value) if value == value.to_integral_value() else float(value)
