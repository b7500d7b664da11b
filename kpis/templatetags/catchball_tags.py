from django import template

from kpis.catchball.selectors import exact_value, proposals_for

register = template.Library()


@register.inclusion_tag("kpis/catchball/_proposals.html")
def target_proposals(partnership, user, next_url: str = ""):
    """The partnership page's "Target proposals" panel (the partner's portal): open negotiations
    with accept/counter where it is the reader's turn, and the agreed ones."""
    return {"proposals": proposals_for(user=user, partnership=partnership, limit=12), "user": user,
            "next_url": next_url, "compact": True}


@register.filter(name="exact_value")
def exact_value_filter(value, kpi) -> str:
    return exact_value(value, kpi)
