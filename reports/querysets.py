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
