"""The ``--now ISO8601`` option shared by the operator commands that run a clock-driven sweep."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone


def add_now_argument(parser) -> None:
    parser.add_argument("--now", help="Evaluate the clock at this ISO 8601 instant, e.g. 2026-05-01T09:00:00+02:00 "
                                      "(default: now; a time without offset is UTC).")


def parse_now(value: str | None) -> datetime | None:
    """``--now`` as an aware datetime, or ``None`` when not given; a clear error when malformed."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO 8601 timestamp: {value!r}") from exc
    return timezone.make_aware(at, timezone.get_current_timezone()) if timezone.is_naive(at) else at
