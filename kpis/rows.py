"""A batch of measurement rows, however it arrives (a CSV or XLSX file, the API, the entry grid):
its columns, its limits, and the all-or-nothing error that lists every bad row. Below both the file
readers (``kpis.files``) and the measurement services that use them."""

from __future__ import annotations

CSV_COLUMNS = ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator"]
MAX_ROWS = 100_000
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_ERRORS = 1_000  # an import that is all errors lists the first ones and counts the rest


class BulkValidationError(Exception):
    """All-or-nothing input failed: ``errors`` is a list of ``{"row", "field", "message"}`` — the
    field is a column a user knows (``kpi`` … ``denominator``, or ``file``/``row`` for the whole)."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid row(s)")
        self.errors = errors

    @property
    def not_found(self) -> bool:
        return any(e.get("code") == "not_found" for e in self.errors)

    def public_errors(self) -> list[dict]:
        """The first ``MAX_ERRORS`` errors (``error_count`` says how many there are)."""
        return [{k: v for k, v in e.items() if k != "code"} for e in self.errors[:MAX_ERRORS]]

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def payload(self) -> dict:
        """The API's and the import page's 400 body."""
        return {"errors": self.public_errors(), "error_count": self.error_count}
