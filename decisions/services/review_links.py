"""What a business review's follow-up action serves: the partnership's decisions and KPIs it links to.

The links are many-to-many fields declared above partners in the layers (``Decision.review_actions``
and ``KPI.review_actions``; ``action.decisions`` and ``action.kpis`` read them), so this write lives
here, where decisions, KPIs and partners may all be imported. Who may link: an internal user who
may change the action's review. What may be linked: decisions of the action's partnership and KPIs
co-owned by it, each one the actor can see — so a partner user of the partnership sees exactly the
links whose decision is shared with them and all its KPI links (they see its co-owned KPIs).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from decisions.models import Decision
from governance.models import User
from governance.querysets import CHANGE, VIEW, can
from kpis.models import KPI
from partners.models import ReviewAction


def linkable_decisions(actor: User, action: ReviewAction):
    """The decisions ``action`` may serve: its partnership's, as ``actor`` sees them, newest first."""
    return (Decision.objects.restrict(actor, VIEW).filter(partnership_id=action.partnership_id)
            .select_related("decision_type").order_by("-requested_at", "-pk"))


def linkable_kpis(actor: User, action: ReviewAction):
    """The KPIs ``action`` may serve: those co-owned by its partnership that ``actor`` sees."""
    return (KPI.objects.restrict(actor, VIEW).filter(ownerships__partnership_id=action.partnership_id)
            .distinct().order_by("code"))


@transaction.atomic
def action_links_set(*, actor: User, action: ReviewAction, decisions: Iterable[Decision],
                     kpis: Iterable[KPI]) -> ReviewAction:
    """Set the decisions and KPIs ``action`` serves (replacing the previous links)."""
    if actor.is_partner or not can(actor, CHANGE, action.review):
        raise PermissionDenied("Only those who may change the review link its actions.")
    decisions, kpis = list(decisions), list(kpis)
    errors = {}
    allowed = set(linkable_decisions(actor, action).filter(pk__in=[d.pk for d in decisions])
                  .values_list("pk", flat=True))
    if any(d.pk not in allowed for d in decisions):
        errors["decisions"] = "Link only decisions of this partnership."
    allowed = set(linkable_kpis(actor, action).filter(pk__in=[k.pk for k in kpis]).values_list("pk", flat=True))
    if any(k.pk not in allowed for k in kpis):
        errors["kpis"] = "Link only KPIs co-owned by this partnership."
    if errors:
        raise ValidationError(errors)
    action.decisions.set(decisions)
    action.kpis.set(kpis)
    return action
