"""Small text rules shared by every app."""

from __future__ import annotations


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
    from django.core.exceptions import ValidationError

    value = (text or "").strip()
    if len(value) > limit:
        raise ValidationError({field: f"At most {limit} characters ({len(value)} given)."})
    return value
