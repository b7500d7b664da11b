"""What an export holds, independent of its format: a titled document of tables.

Builders (``reports/builders.py``) turn what a page's selector returned into a ``Document``;
``reports/xlsx.py`` and ``reports/pdf.py`` render any document. A cell is either a plain value
(text, number, date) or a ``Fig``: the raw number a spreadsheet gets and the text a reader sees
on the page (``1.2M €``), so the two formats show the same figures from one source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple


class Fig(NamedTuple):
    """A figure: ``value`` for the spreadsheet (a number, or None), ``text`` as the page shows it."""

    value: Any
    text: str


# Kinds of column: how a plain value is written and shown. "fraction" is a ratio shown as a
# percentage (0.95 → 95%), "percent" a number already in percent (95.0 → 95.0%), "hours" a
# duration in hours (one unit per column), "rag" a status shown as text (never colour alone).
KINDS = ("text", "number", "fraction", "percent", "hours", "days", "date", "datetime", "rag", "svg")

RAG_LABELS = {"green": "Green · on target", "amber": "Amber · within tolerance", "red": "Red · off target",
              "none": "No data"}
RAG_SYMBOLS = {"green": "✓", "amber": "!", "red": "✕", "none": "–"}


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "none", RAG_LABELS["none"])


@dataclass
class Column:
    label: str
    kind: str = "text"
    width: int = 14  # spreadsheet column width (characters)
    media: str = "both"  # "pdf": only in the PDF (e.g. a sparkline, kind "svg"); "xlsx": only in the workbook

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """One table of a document: one sheet of the workbook, one titled table in the PDF."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""  # shown under the table (e.g. "first 5,000 of 7,120 decisions")
    sheet: str = ""  # workbook sheet name (default: the title, cut to Excel's 31 characters)

    def columns_for(self, media: str) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.media in ("both", media)]

    @property
    def in_pdf(self) -> bool:
        return bool(self.columns_for("pdf"))

    @property
    def pdf_columns(self) -> list[Column]:
        return [self.columns[i] for i in self.columns_for("pdf")]

    def cells(self):
        """Rows of ``Shown`` cells of the PDF's columns, for the PDF template."""
        keep = self.columns_for("pdf")
        for row in self.rows:
            yield [Shown(self.columns[i].kind, *_split(self.columns[i], row[i])) for i in keep]


class Shown(NamedTuple):
    kind: str
    raw: Any
    text: str

    @property
    def rag(self) -> str:
        return self.raw or "none"

    @property
    def symbol(self) -> str:
        return RAG_SYMBOLS.get(self.rag, "")

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "rag", "svg")


@dataclass
class Document:
    title: str
    subtitle: str  # the scope and period on screen, e.g. "DACH · January 2025"
    filename: str  # without extension
    tables: list[Table]
    generated_at: datetime
    generated_for: str = ""  # who asked (shown in the footer)
    intro: list[tuple[str, str]] = field(default_factory=list)  # (label, value) facts under the title
    confidential: str = "Internal"  # "Internal", or "Shared with <partner>" for partner users


def _split(col: Column, v: Any) -> tuple[Any, str]:
    if isinstance(v, Fig):
        return v.value, v.text
    return v, display(col.kind, v)


def display(kind: str, v: Any) -> str:
    """The text of a plain value of a column kind (a ``Fig`` carries its own)."""
    if kind == "rag":
        return rag_label(v)
    if v is None or v == "":
        return "—"
    if kind == "fraction":
        return f"{float(v) * 100:.0f}%"
    if kind == "percent":
        return f"{float(v):.1f}%"
    if kind == "hours":
        return f"{float(v):.1f} h"
    if kind == "days":
        return f"{float(v):.1f} d"
    if kind == "datetime" and isinstance(v, datetime):
        return f"{v:%d %b %Y %H:%M}"
    if kind in ("date", "datetime") and isinstance(v, date):
        return f"{v:%d %b %Y}"
    if isinstance(v, float | Decimal):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)
