"""Small text rules shared by every app."""

from __future__ import annotations


def single_line(text: str) -> str:
    """``text`` as one line: every run of whitespace (line breaks and tabs included) becomes one
    space, ends trimmed. Titles are one line everywhere they appear — lists, e-mail subjects
    (where a line break would be a header injection and stops the mail), notifications."""
    return " ".join((text or "").split())
