"""Who may see which briefing books and region packs (``restrict(user, action)``).

| | leaders / managers | partner users |
|---|---|---|
| partnership book view | the partnership is viewable | their own partnership's (shared version only) |
| region pack view | its org unit is in scope | — |

Admins see every book. Requesting a book is a "log" on its partnership (or a "view" of the unit
for a region pack); the services check it.

``reports.models`` imports this module: the related models come through the relations
(``ScopedQuerySet.related_model``).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from governance.querysets import VIEW, ScopedQuerySet, visible_org_unit_ids


def _visible(qs: ScopedQuerySet, field: str, user) -> models.QuerySet:
    """Subquery of the pks of the rows at the other end of ``field`` that ``user`` may view."""
    related: Any = qs.related_model(field)  # a scoped model: its manager has restrict()
    return related.objects.restrict(user, VIEW).values("pk")


class BriefingBookQuerySet(ScopedQuerySet):
    actions = (VIEW,)

    def _restrict_view(self, user):
        partnerships = _visible(self, "partnership", user)
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
        return self.filter(review__in=_visible(self, "review", user)).filter(
            models.Q(action__isnull=True) | models.Q(action__in=_visible(self, "action", user)),
            models.Q(decision__isnull=True) | models.Q(decision__in=_visible(self, "decision", user)),
            models.Q(kpi__isnull=True) | models.Q(kpi__in=_visible(self, "kpi", user)))
