from django import template
from django.template.backends.utils import csrf_input

from kpis.catchball.presenters import proposals_html
from kpis.catchball.selectors import exact_value, proposals_for

register = template.Library()


def _csrf(context) -> str:
    """What ``{% csrf_token %}`` writes on the page being rendered (nothing without a request)."""
    request = getattr(context, "request", None)
    return csrf_input(request) if request is not None else ""


@register.simple_tag(takes_context=True)
def target_proposals(context, partnership, user, next_url: str = ""):
    """The partnership page's "Target proposals" panel (the partner's portal): open negotiations
    with accept/counter where it is the reader's turn, and the agreed ones."""
    return proposals_html(proposals_for(user=user, partnership=partnership, limit=12), user=user, next_url=next_url,
                          compact=True, csrf_input=_csrf(context))


@register.simple_tag(takes_context=True)
def proposals_list(context, proposals, user, next_url: str = ""):
    """The proposals page's list of ``proposals``, with accept/counter where it is the reader's turn."""
    return proposals_html(proposals, user=user, next_url=next_url, compact=False,
                          csrf_input=_csrf(context))


@register.filter(name="exact_value")
def exact_value_filter(value, kpi) -> str:
    return exact_value(value, kpi)
