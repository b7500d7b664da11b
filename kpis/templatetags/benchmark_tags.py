from types import SimpleNamespace

from django import template

from kpis.benchmarks.selectors import min_cohort, partnership_benchmarks
from kpis.values import value_formatter

register = template.Library()


@register.inclusion_tag("partners/benchmarks/_panel.html")
def peer_benchmarks(partnership, user):
    """The partnership page's "Peer benchmark" panel (the partner's portal): the latest month."""
    period, rows = partnership_benchmarks(user=user, partnership=partnership)
    for row in rows:  # the median as the KPI's figures read (64.0%, €241k, 55.5 accounts)
        row["median_display"] = value_formatter(SimpleNamespace(unit=row["unit"], kind=row["kind"]))(row["median"])
    return {"period": period, "rows": rows, "partnership": partnership, "user": user, "minimum": min_cohort()}


BAND_CLASSES = {"top": "text-bg-success", "second": "text-bg-info", "third": "text-bg-warning",
                "bottom": "text-bg-danger"}


@register.filter
def band_class(band: str) -> str:
    return BAND_CLASSES.get(band, "text-bg-secondary")
