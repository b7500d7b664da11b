"""Small text rules shared by every app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def single_line(text: str) -> str:
    """``text`` as one line: every run of whitespace (line breaks and tabs included) becomes one
    space, ends trimmed. Titles are one line everywhere they appear — lists, e-mail subjects
    (where a line break would be a header injection and stops the mail), notifications."""
    return " ".join((text or "").split())


NOTE_MAX = 2000  # a reason or note on a step (the API's serializers say the same)
COMMENT_MAX = 4000  # an answer, an outcome or a rationale


def bounded(text: str | None, field: str, limit: int) -> str:
    """``text`` stripped; a ``ValidationError`` on ``field`` (a 400 on every path) when longer than
    ``limit`` characters — what a person writes on a decision, never a pasted file."""
    value = (text or "").strip()
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters ({len(value)} given)."})
    return value


def shorten(value: object, limit: int = 40) -> str:
    """``value`` as text of at most ``limit`` characters (cut with "…"), to quote what a person sent
    back to them in a message: an error names the value without echoing a whole file's worth of it."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def xlsx_text(cell: Any, value: object) -> None:
    """Store ``value`` in a workbook cell (openpyxl) as text: never a formula, whatever it starts
    with (``=HYPERLINK(…)`` in a name stays the name). Every workbook Accord writes uses this."""
    cell.value = "" if value is None else str(value)
    cell.data_type = "s"
