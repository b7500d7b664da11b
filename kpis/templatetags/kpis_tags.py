"""Formatting for KPI values and the ``{% partnership_kpis partnership user %}`` inclusion tag
(the partners page shows a partnership's shared KPIs with it)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from kpis.selectors import partnership_kpi_cells
from kpis.values import is_blank, value_formatter

register = template.Library()


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI figure for people: 1.2M €, 64.0%, 12.5 days (``kpis.values.value_formatter``)."""
    return value_formatter(kpi)(value)


@register.filter
def kpi_change(diff, kpi) -> str:
    """A signed change of a KPI figure in its unit: +1.2M €, −3.0%."""
    if diff is None or diff == "":
        return "—"
    return ("+" if diff >= 0 else "−") + value_formatter(kpi)(abs(diff))


@register.filter
def pct(value) -> str:
    if is_blank(value):  # "": the template's missing cell (a KPI with no data in the period)
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
    return {"partnership": partnership, "items": partnership_kpi_cells(user, partnership)}
