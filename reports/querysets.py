"""Who may see which briefing books and region packs (``restrict(user, action)``).

| | leaders / managers | partner users |
|---|---|---|
| partnership book view | the partnership is viewable | their own partnership's (shared version only) |
| region pack view | its org unit is in scope | — |

Admins see every book. Requesting a book is a "log" on its partnership (or a "view" of the unit
for a region pack); the services check it.
"""

from __future__ import annotations

from django.db import models

from governance.querysets import VIEW, ScopedQuerySet, visible_org_unit_ids


class BriefingBookQuerySet(ScopedQuerySet):
    actions = (VIEW,)

    def _restrict_view(self, user):
        from partners.models import Partnership

        partnerships = Partnership.objects.restrict(user, VIEW).values("pk")
        if user.is_partner:
            return self.filter(partnership__in=partnerships)
        return self.filter(models.Q(partnership__in=partnerships)
                           | models.Q(partnership__isnull=True, org_unit__in=visible_org_unit_ids(user)))


class ReviewAgendaItemQuerySet(ScopedQuerySet):
    """A drafted agenda item is seen by those who see its review *and* what it points at: the
    action, the decision (a partner user: only one shared with them) or the KPI — so a partner user
    reads the shared agenda, never an internal-only decision. Written by the drafting service only."""

    actions = (VIEW,)

    def _restrict_view(self, user):
        from decisions.models import Decision
        from kpis.models import KPI
        from partners.models import BusinessReview, ReviewAction

        return self.filter(review__in=BusinessReview.objects.restrict(user, VIEW).values("pk")).filter(
            models.Q(action__isnull=True) | models.Q(action__in=ReviewAction.objects.restrict(user, VIEW).values("pk")),
            models.Q(decision__isnull=True) | models.Q(decision__in=Decision.objects.restrict(user, VIEW).values("pk")),
            models.Q(kpi__isnull=True) | models.Q(kpi__in=KPI.objects.restrict(user, VIEW).values("pk")))
