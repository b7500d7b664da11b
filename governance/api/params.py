"""Query parameters the API reads the same way on every route."""

from __future__ import annotations

from datetime import date

from rest_framework.exceptions import ValidationError

from governance.periods import parse_period


def period_param(params, name: str = "period") -> date | None:
    """``?period=YYYY-MM`` as the month's first day; absent or blank: ``None``; anything else: 400
    with ``parse_period``'s sentence under the parameter's name."""
    if not params.get(name):
        return None
    try:
        return parse_period(params[name])
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None
