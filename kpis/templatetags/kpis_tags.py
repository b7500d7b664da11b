"""Formatting for KPI values and the ``{% partnership_kpis partnership user %}`` inclusion tag
(the partners page shows a partnership's shared KPIs with it)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import template

register = template.Library()

CURRENCY = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def _compact(x: float) -> str:
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.1f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if ax >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}".rstrip("0").rstrip(".") if ax >= 1 else f"{x:.2f}"


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI figure for people: 1.2M €, 64%, 12.5 days. Ratio KPIs in % are stored as fractions."""
    return value_formatter(kpi)(value)


def display_scale(kpi) -> int:
    """What a stored figure of ``kpi`` is multiplied by for people: ratio KPIs in % are stored as
    fractions (0.5) and shown, and exported, as percentages (50.0%)."""
    return 100 if (getattr(kpi, "unit", "") or "") == "%" and getattr(kpi, "aggregation", "") == "ratio" else 1


def value_formatter(kpi) -> Callable[[Any], str]:
    """The formatting of ``kpi_value`` for one KPI, its unit looked at once: the dashboard formats
    thousands of cells of the same KPI with one of these."""
    unit = getattr(kpi, "unit", "") or ""
    if unit == "%":
        scale = display_scale(kpi)
        return lambda v: "—" if v is None or v == "" else f"{float(v) * scale:.1f}%"
    if unit in CURRENCY:
        symbol = CURRENCY[unit]
        return lambda v: "—" if v is None or v == "" else symbol + _compact(float(v))
    suffix = f" {unit}" if unit else ""
    return lambda v: "—" if v is None or v == "" else _compact(float(v)) + suffix


@register.filter
def pct(value) -> str:
    if value is None or value == "":  # "": the template's missing cell (a KPI with no data in the period)
        return "—"
    return f"{float(value) * 100:.0f}%"


@register.filter
def rag_of(cell) -> str:
    return getattr(cell, "rag", None) or "none"


@register.filter
def bar_width(value) -> int:
    """Attainment as a 0–100 bar width (capped at 150%)."""
    if value is None:
        return 0
    return round(min(float(value), 1.5) / 1.5 * 100)


@register.filter
def as_float(value):
    return None if value is None else float(Decimal(value))


@register.inclusion_tag("kpis/_partnership_kpis.html")
def partnership_kpis(partnership, user) -> dict:
    """The partnership's co-owned KPIs with the latest actual, target and RAG the user may see."""
    from kpis.selectors import partnership_kpi_cells

    return {"partnership": partnership, "items": partnership_kpi_cells(user, partnership)}
