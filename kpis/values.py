"""What a KPI's values may be, and how they read — the one owner for every write path (API single
and bulk, CSV/XLSX import, admin, forms) and for the formatting of figures.

* **Kinds** (``KPI.kind``): ``percent`` — stored as a fraction (0.63 = 63%, every aggregation, targets
  too), valid in [0, 1] unless the KPI says otherwise, shown as ``63.0%``; ``count`` — a whole number,
  not negative; ``currency``; ``duration`` — not negative; ``score`` — between the KPI's minimum and
  maximum (both required); ``number``. A KPI's ``min_value`` / ``max_value`` replace the kind's
  default bounds (a percent KPI may allow 150% with ``max_value`` 1.5).
* **Ratio KPIs** are entered as numerator and denominator (neither negative, the denominator above
  0); their value is the quotient, checked against the range like any other value.
* **Strict numbers** (:func:`parse_number`): plain digits with an optional sign and decimal point, at
  most 6 decimals, below 10^14 in size. ``1_000``, ``1e-9``, ``NaN``, ``inf``, thousands separators
  and NUL characters are refused with a message rather than guessed at; a decimal comma only where
  the caller says the source declared one. Percent KPIs also accept ``82.8%`` (= 0.828).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from kpis.choices import Kind

PLACES = 6  # Measurement/Target columns: decimal_places=6
STEP = Decimal(1).scaleb(-PLACES)
AMOUNT_LIMIT = Decimal("1e14")
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # [0-9], not \d: no other scripts' digits
CURRENCY = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
DEFAULT_BOUNDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    Kind.PERCENT: (Decimal(0), Decimal(1)),
    Kind.COUNT: (Decimal(0), None),
    Kind.DURATION: (Decimal(0), None),
    Kind.CURRENCY: (None, None),
    Kind.SCORE: (None, None),
    Kind.NUMBER: (None, None),
}
Problems = list[tuple[str, str]]  # (field, message)


def parse_number(raw: Any, *, decimal_comma: bool = False, percent: bool = False) -> Decimal | None:
    """A number a person or a program wrote → ``Decimal`` (``None`` when blank); ``ValueError`` with
    a message a user can act on otherwise. ``percent``: ``"82.8%"`` is accepted and means 0.828.
    ``decimal_comma``: the source declared a decimal comma (``"82,8"``); a point is then refused."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("Not a number.")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError("Not a finite number.")
        text = repr(raw)
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueError("Not a finite number.")
        text = format(raw, "f")
    else:
        text = str(raw)
    if "\x00" in text:
        raise ValueError("Contains a NUL character.")
    text = text.strip()
    if not text:
        return None
    scaled = False
    if percent and text.endswith("%"):
        text, scaled = text[:-1].rstrip(), True
    if decimal_comma:
        if "." in text:
            raise ValueError("This file uses a decimal comma: write 1234,5 (no thousands separators).")
        text = text.replace(",", ".", 1)
    if not _PLAIN.fullmatch(text):
        raise ValueError(_why_not_a_number(text, decimal_comma=decimal_comma))
    number = Decimal(text)
    if scaled:
        number = number / 100
    if abs(number) >= AMOUNT_LIMIT:
        raise ValueError("Not a number below 10^14.")
    if number != number.quantize(STEP):
        raise ValueError(f"At most {PLACES - 2} decimal places in a percentage." if scaled
                         else f"At most {PLACES} decimal places.")
    return number.quantize(STEP)


def _why_not_a_number(text: str, *, decimal_comma: bool) -> str:
    low = text.lower()
    if "_" in text:
        return "Write the number without underscores (1000, not 1_000)."
    if low.lstrip("+-") in {"nan", "inf", "infinity", "snan"}:
        return "Not a finite number."
    if "e" in low and any(c.isdigit() for c in low):
        return "Write the number in plain digits, not exponent notation (0.000001, not 1e-6)."
    if "," in text and not decimal_comma:
        return ("Use a decimal point and no thousands separators (1234.5); a decimal comma is read only "
                "where the file declares it.")
    if text.endswith("%"):
        return "Only percent KPIs take a % sign."
    return "Not a number: use digits with an optional decimal point, e.g. 1234.5."


def bounds(kpi) -> tuple[Decimal | None, Decimal | None]:
    """The KPI's valid range: its own ``min_value``/``max_value``, else its kind's defaults."""
    low, high = DEFAULT_BOUNDS.get(kpi.kind, (None, None))
    return (kpi.min_value if kpi.min_value is not None else low,
            kpi.max_value if kpi.max_value is not None else high)


def check_definition(kpi) -> None:
    """``KPI.clean``: the kind, the unit and the range agree with each other."""
    errors: dict[str, str] = {}
    if kpi.kind == Kind.PERCENT:
        if not kpi.unit:
            kpi.unit = "%"
        elif kpi.unit != "%":
            errors["unit"] = "A percent KPI's unit is %."
    elif kpi.unit == "%":
        errors["kind"] = "A KPI in % is of the percent kind (stored as a fraction, 0.63 = 63%)."
    if kpi.kind == Kind.SCORE and (kpi.min_value is None or kpi.max_value is None):
        errors["max_value" if kpi.min_value is not None else "min_value"] = "A score needs a minimum and a maximum."
    if kpi.kind in (Kind.COUNT, Kind.DURATION) and kpi.min_value is not None and kpi.min_value < 0:
        errors["min_value"] = f"A {kpi.kind} is never negative."
    if kpi.min_value is not None and kpi.max_value is not None and kpi.min_value > kpi.max_value:
        errors["max_value"] = "The maximum is below the minimum."
    if errors:
        raise ValidationError(errors)


def kind_for(unit: str) -> str:
    """The kind a KPI defined without one gets from its unit (% → percent, EUR → currency …)."""
    if unit == "%":
        return Kind.PERCENT
    if unit in CURRENCY:
        return Kind.CURRENCY
    if unit in ("days", "hours", "weeks", "minutes"):
        return Kind.DURATION
    return Kind.NUMBER


def _range_problem(kpi, value: Decimal, *, what: str = "", hint: bool = True) -> str | None:
    low, high = bounds(kpi)
    if low is not None and value < low:
        fmt = value_formatter(kpi)  # formatted only for the message (an import checks 100,000 values)
        return f"{what}{fmt(value)} is below the minimum of {fmt(low)} for {kpi.code}."
    if high is not None and value > high:
        fmt = value_formatter(kpi)
        tip = ""
        if hint and kpi.kind == Kind.PERCENT and high <= 1 < value <= 100:
            tip = f" Percent values are fractions: write {plain(value / 100)} or {plain(value)}%."
        return f"{what}{fmt(value)} is above the maximum of {fmt(high)} for {kpi.code}.{tip}"
    return None


def measurement_problems(kpi, *, value: Decimal | None, numerator: Decimal | None,
                         denominator: Decimal | None) -> tuple[Decimal | None, Problems]:
    """Check one actual (already parsed) against its KPI: ``(value to store, [(field, message)])``.
    A ratio KPI's value is numerator / denominator."""
    problems: Problems = []
    if kpi.is_ratio:
        for name, given in (("numerator", numerator), ("denominator", denominator)):
            if given is None:
                problems.append((name, f"{kpi.code} is a ratio KPI: give numerator and denominator."))
        if value is not None and not problems:
            problems.append(("value", f"{kpi.code} is a ratio KPI: give numerator and denominator, not the value."))
        if numerator is not None and numerator < 0:
            problems.append(("numerator", "The numerator cannot be negative."))
        if denominator is not None and denominator < 0:
            problems.append(("denominator", "The denominator cannot be negative."))
        elif denominator is not None and denominator == 0:
            problems.append(("denominator", "The denominator must be above 0."))
        if problems:
            return None, problems
        quotient = numerator / denominator
        if abs(quotient) >= AMOUNT_LIMIT:
            return None, [("denominator", "numerator / denominator is too large (10^14 or more).")]
        value = quotient.quantize(STEP)
        problem = _range_problem(kpi, value, what="numerator / denominator = ", hint=False)
        return value, [("numerator", problem)] if problem else []
    if value is None:
        problems.append(("value", "Give the value."))
    for name, given in (("numerator", numerator), ("denominator", denominator)):
        if given is not None:
            problems.append((name, f"{kpi.code} is not a ratio KPI: give only the value."))
    if value is not None:
        if kpi.kind == Kind.COUNT and value != value.to_integral_value():
            problems.append(("value", f"{kpi.code} counts: give a whole number."))
        else:
            problem = _range_problem(kpi, value)
            if problem:
                problems.append(("value", problem))
    return value, problems


def target_problems(kpi, value: Decimal | None) -> Problems:
    """A target is within its KPI's range (counts may have fractional targets: a monthly share)."""
    if value is None:
        return [("value", "Give the target value.")]
    problem = _range_problem(kpi, value, what="The target ")
    return [("value", problem)] if problem else []


def as_validation_error(problems: Problems) -> ValidationError:
    fields: dict[str, list[str]] = {}
    for name, message in problems:
        fields.setdefault(name, []).append(message)
    return ValidationError(fields)


# --- formatting ---------------------------------------------------------------------------------


def _compact(x: float) -> str:
    ax = abs(x)
    if x == 0:
        return "0"
    if ax >= 1e9:
        return f"{x / 1e9:.1f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.1f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if ax >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}".rstrip("0").rstrip(".") if ax >= 1 else f"{x:.2f}"


def display_scale(kpi) -> int:
    """What a stored figure of ``kpi`` is multiplied by to read as shown: percent KPIs are stored
    as fractions and shown (and exported, ``reports``) as percentages."""
    return 100 if getattr(kpi, "kind", None) == Kind.PERCENT else 1


def value_formatter(kpi) -> Callable[[Any], str]:
    """How one KPI's figures read: 1.2M €, 64.0%, 12.5 days — the unit looked at once, so the
    dashboard formats thousands of cells of the same KPI with one of these. Percent KPIs are
    fractions on every aggregation (0.64 → 64.0%)."""
    unit = getattr(kpi, "unit", "") or ""
    if display_scale(kpi) != 1:
        return lambda v: "—" if is_blank(v) else f"{float(v) * 100:.1f}%"
    if unit in CURRENCY:
        symbol = CURRENCY[unit]
        return lambda v: "—" if is_blank(v) else symbol + _compact(float(v))
    suffix = f" {unit}" if unit else ""
    return lambda v: "—" if is_blank(v) else _compact(float(v)) + suffix


def is_blank(value: Any) -> bool:
    """No figure: None, or "" (a template's missing cell). Tested as a str rather than ``value == ""``,
    which for a Decimal asks the numbers ABCs (isinstance) on every call: the dashboard formats ~1,000
    figures."""
    return value is None or (isinstance(value, str) and not value)


def typed_back(kpi, value: Decimal | None) -> str:
    """A stored figure of ``kpi`` as its user would type it back into a form: percent KPIs as a
    percentage with its sign (``0.797207`` → ``79.7207%``, which ``parse_number(percent=True)``
    reads back to the same fraction), other kinds ``plain``."""
    if value is None or display_scale(kpi) == 1:
        return plain(value)
    return plain(value * display_scale(kpi)) + "%"


def plain(value: Decimal | None) -> str:
    """A stored decimal as a person would type it back: ``0.828``, ``12`` (no trailing zeros)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

