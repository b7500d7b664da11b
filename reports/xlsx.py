"""A ``Document`` as an XLSX workbook (openpyxl): an "About" sheet (title, scope and period,
when and for whom), then one sheet per table with a bold, frozen, filterable header row.

Numbers are written as numbers (a ``Fig``'s raw value; fractions formatted as percentages),
statuses as text ("Red · off target"), dates as dates in the reader's time zone. Text is always
stored as text: a title starting with ``=`` is never a formula.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from governance.text import xlsx_text
from reports.document import Document, Fig, Table, display

# Colour-blind-safe fills (Okabe–Ito inspired, light): the text label carries the status anyway.
RAG_FILLS = {"green": "CCE5F6", "amber": "FCE8C3", "red": "F9D3C0", "none": "EEEEEE"}
NUMBER_FORMATS = {"fraction": "0%", "percent": "0.0", "hours": "0.0", "days": "0.0", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def document_xlsx(doc: Document) -> bytes:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    facts = [[doc.title], [doc.subtitle], [], *([label, value] for label, value in doc.intro),
             ["Generated", timezone.localtime(doc.generated_at).strftime("%Y-%m-%d %H:%M %Z")],
             ["For", doc.generated_for], ["Confidentiality", doc.confidential]]
    for r, row in enumerate(facts, start=1):
        for c, value in enumerate(row, start=1):
            xlsx_text(about.cell(row=r, column=c), value)
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 40
    used: set[str] = {"About"}
    for table in doc.tables:
        _sheet(wb, table, used)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(table: Table, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", table.sheet or table.title)[:31].strip() or "Sheet"
    name, n = base, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def _sheet(wb: Workbook, table: Table, used: set[str]) -> None:
    ws = wb.create_sheet(_sheet_name(table, used))
    keep = table.columns_for("xlsx")
    columns = [table.columns[i] for i in keep]
    for c, col in enumerate(columns, start=1):
        xlsx_text(ws.cell(row=1, column=c), col.label)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(table.rows, start=2):
        for c, (col, raw) in enumerate(zip(columns, [row[i] for i in keep], strict=True), start=1):
            value = raw.value if isinstance(raw, Fig) else raw
            cell = ws.cell(row=r, column=c)
            if col.kind == "rag":
                xlsx_text(cell, display("rag", value))
                cell.fill = PatternFill("solid", fgColor=RAG_FILLS.get(value or "none", RAG_FILLS["none"]))
            elif isinstance(value, bool):
                cell.value = "yes" if value else "no"
            elif isinstance(value, int | float | Decimal):
                cell.value = value
                cell.number_format = NUMBER_FORMATS.get(col.kind, "General")
            elif isinstance(value, datetime):
                cell.value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
                cell.number_format = NUMBER_FORMATS["datetime"]
            elif hasattr(value, "isoformat"):  # a date
                cell.value = value
                cell.number_format = NUMBER_FORMATS["date"]
            elif value is not None:
                xlsx_text(cell, value)
    for c, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.freeze_panes = "A2"
    if table.rows:
        ws.auto_filter.ref = ws.dimensions
    if table.note:
        xlsx_text(ws.cell(row=len(table.rows) + 3, column=1), table.note)
