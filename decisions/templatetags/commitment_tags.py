from django import template

from decisions.commitments.attainment import attainment, recent_months
from decisions.commitments.presenters import commitments_html

register = template.Library()


def commitment_rows(results) -> list[dict]:
    """``attainment``'s results as the panel's rows, one per commitment: ``{commitment, months,
    breaches}`` (the latest five breaches, newest months first)."""
    rows: dict[int, dict] = {}
    for r in results:
        row = rows.setdefault(r.commitment.pk, {"commitment": r.commitment, "months": [], "breaches": []})
        row["months"].append(r)
        row["breaches"] = [*r.breaches, *row["breaches"]][:5]  # newest months first
    return list(rows.values())


@register.simple_tag
def commitments_panel(partnership, user):
    """The partnership page's "Commitments" panel: each side's service levels over the last six
    months (attainment against target) and the latest breaches, written by
    ``decisions.commitments.presenters``."""
    months = recent_months()
    rows = commitment_rows(attainment(viewer=user, partnership=partnership, months=months))
    return commitments_html(rows, months, is_partner=user.is_partner)
