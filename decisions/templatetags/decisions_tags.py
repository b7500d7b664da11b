from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone

from decisions import presenters, selectors
from decisions.models import Decision, DecisionState, DecisionStatus
from decisions.visibility import sees_internal
from governance.models import INTERNAL_ROLES
from governance.notifications import unread_count
from governance.querysets import CHANGE, can
from kpis.models import KPI

register = template.Library()


@register.inclusion_tag("decisions/_partnership_decisions.html")
def partnership_decisions(partnership, user, limit: int = 8):
    """A partnership's open and recent decisions that ``user`` may see (for the partnership page):
    only the columns its list and the answers-owed card show."""
    qs = (Decision.objects.restrict(user, "view").filter(partnership=partnership)
          .only("pk", "title", "status", "due_at", "sla_due_at", "decided_at"))
    open_ = list(qs.filter(status=DecisionStatus.OPEN).order_by("due_at")[:limit])
    recent = list(qs.exclude(status=DecisionStatus.OPEN).order_by("-decided_at", "-pk")[:limit])
    return {"open_decisions": open_, "recent_decisions": recent, "partnership": partnership,
            "waiting": selectors.answers_owed(user=user, decisions=qs), "now": timezone.now(), "user": user,
            "can_log": not user.is_partner}


@register.inclusion_tag("decisions/_review_decisions.html")
def review_decisions(review, user):
    """The decisions taken in a business review, on its page: what ``user`` may see of them (a
    partner user: the shared ones, without who decides), and the button to log one from the review
    for those who may log decisions and change the review."""
    internal = sees_internal(user)
    may_log = internal and (user.role in INTERNAL_ROLES or user.is_admin) and can(user, CHANGE, review)
    rows = [(d, d.state if internal or d.state != DecisionState.BLOCKED else DecisionState.OPEN)  # a veto is internal
            for d in selectors.review_decisions(user=user, review=review)]
    return {"review": review, "rows": rows, "internal": internal, "may_log": may_log, "now": timezone.now(),
            "user": user}


@register.inclusion_tag("decisions/_action_serves.html")
def action_serves(action, user, review):
    """Under a review action: the decisions and KPIs it serves, as ``user`` may see them (a partner
    user: decisions shared with them, their partnership's KPIs), and the link to change them for
    those who may change ``review``."""
    return {"action": action,
            "decisions": list(Decision.objects.restrict(user, "view").filter(review_actions=action)
                              .order_by("requested_at", "pk")),
            "kpis": list(KPI.objects.restrict(user, "view").filter(review_actions=action).order_by("code")),
            "may_link": sees_internal(user) and can(user, CHANGE, review)}


STUCK_ON_DASHBOARD = 8
# A reason's badge on the panel (``stuck_reasons``' words): its colour and icon; any other (escalated to Ln)
# is grey with an arrow.
@register.inclusion_tag("decisions/_stuck_decisions.html")
def stuck_decisions_panel(user, unit):
    """The leader's dashboard panel: the stuck decisions under ``unit`` (a ``kpis.selectors.Unit``)
    that ``user`` may see, each linked, with why it is stuck; one query (a row more than shown
    tells whether there are more, which the decision list's ``stuck`` filter lists)."""
    now = timezone.now()
    found = selectors.stuck_decisions(user=user, org_unit_id=unit.pk, now=now, limit=STUCK_ON_DASHBOARD + 1,
                                     brief=True)
    shown = found[:STUCK_ON_DASHBOARD]
    rows = [(d, selectors.stuck_reasons(d, now)) for d in shown]
    return {"rows": rows, "rows_html": presenters.stuck_rows_html(rows), "more": len(found) > len(shown), "unit": unit,
            "now": now}


@register.simple_tag
def unread_notification_count(user) -> int:
    """The bell's number (``governance.notifications.unread_count``)."""
    return unread_count(user)


@register.filter
def hours(value) -> str:
    """36.0 → "1.5 d"; 5.25 → "5.3 h"; None → "—"."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if value >= 48:
        return f"{value / 24:.1f} d"
    return f"{value:.1f} h"


@register.filter
def fixed(value, places: int = 1) -> str:
    """``floatformat:<places>`` (places ≥ 0) for the English formats this app renders, without its
    per-call localisation lookups: the analytics page shows ~1,000 party rows with three numbers
    each (floatformat was 40% of the admin's render; docs/benchmarks.md). Rounds as floatformat
    does (the float's shortest repr, half up; no "-0"); ``tests/decisions/test_analytics_snapshots.py``
    compares the two over a grid of values."""
    if value is None or value == "":
        return ""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP) + 0
    return f"{rounded:f}"


register.filter("business_time", presenters.business_time)
register.filter("role_class", presenters.role_class)
register.filter("status_class", presenters.status_class)
register.filter("event_icon", presenters.event_icon)


@register.simple_tag(takes_context=True)
def decision_rows(context, decisions):
    """The decision table's rows (``decisions.presenters.decision_rows_html``) with the page's
    ``now``, reader and ``show_internal``."""
    return presenters.decision_rows_html(decisions, now=context["now"], viewer=context["user"],
                                         show_internal=context["show_internal"])


# The decision page's per-row loops, written in Python (decisions.presenters) with the page's reader.
@register.simple_tag
def stage_parties(parties):
    return presenters.stage_parties_html(parties)


@register.simple_tag(takes_context=True)
def stage_rows(context, rows):
    return presenters.stage_rows_html(rows, show_internal=context["show_internal"])


@register.simple_tag(takes_context=True)
def timeline(context, rounds):
    return presenters.timeline_html(rounds, decision=context["decision"], viewer=context["user"],
                                    show_internal=context["show_internal"])


@register.simple_tag(takes_context=True)
def participant_items(context, participants):
    return presenters.participants_html(participants, decision=context["decision"], viewer=context["user"],
                                        show_internal=context["show_internal"])
