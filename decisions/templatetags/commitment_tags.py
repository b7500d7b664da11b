from django import template

from decisions.commitments.attainment import attainment, recent_months

register = template.Library()


@register.inclusion_tag("partners/commitments/_panel.html")
def commitments_panel(partnership, user):
    """The partnership page's "Commitments" panel: each side's service levels over the last six
    months (attainment against target) and the latest breaches."""
    months = recent_months()
    results = attainment(viewer=user, partnership=partnership, months=months)
    rows: dict[int, dict] = {}
    for r in results:
        row = rows.setdefault(r.commitment.pk, {"commitment": r.commitment, "months": [], "breaches": []})
        row["months"].append(r)
        row["breaches"] = [*r.breaches, *row["breaches"]][:5]  # newest months first
    rows_list = list(rows.values())
    return {"rows": rows_list, "months": months, "user": user, "any_breaches": any(r["breaches"] for r in rows_list)}
