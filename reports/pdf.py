"""A ``Document`` (or any page built for print) as PDF with WeasyPrint.

The HTML is a template of its own (``reports/document_pdf.html``) with its stylesheet inline:
no sidebar, no navigation, A4 landscape, repeated table headers, a footer with the scope, the
confidentiality and "page x of y". Statuses are text plus a symbol; colour only adds to them.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from reports.document import Document


def html_pdf(html: str) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 — heavy (pango: docs/benchmarks.md), loaded by the first export only

    return HTML(string=html, base_url=None).write_pdf()


def document_pdf(doc: Document) -> bytes:
    html = render_to_string("reports/document_pdf.html", {"doc": doc})
    return html_pdf(html)


def book_pdf(version) -> bytes:
    """A partnership briefing book (``reports.packs.BookVersion``): a cover, then its tables, the
    maturity radar beside the maturity table."""
    html = render_to_string("reports/book_pdf.html", {"doc": version.document, "v": version})
    return html_pdf(html)
