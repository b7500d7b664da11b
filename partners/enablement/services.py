"""Writes to enablement items: added by internal users who may log against the partnership; marked
done (or reopened) by them or by the item's owner, partner users included."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from governance.models import User
from governance.querysets import CHANGE, LOG
from partners.enablement.models import EnablementItem
from partners.models import Partnership
from partners.services.reviews import _check_action_owner
from partners.services.scope import require, require_internal_writer


@transaction.atomic
def enablement_create(*, actor: User, partnership: Partnership, kind: str, title: str, owner: User,
                      due_date: date) -> EnablementItem:
    """Add an item; its owner must be able to open the partnership (a member, or an internal user who sees it)."""
    require_internal_writer(actor)
    require(actor, LOG, partnership, "You may not add enablement items to this partnership.")
    _check_action_owner(partnership, owner)
    item = EnablementItem(partnership=partnership, kind=kind, title=title, owner=owner, due_date=due_date)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def enablement_set_done(*, actor: User, item: EnablementItem, done: bool, now: datetime | None = None) -> bool:
    """Mark the item done (now) or reopen it. Returns whether anything changed (marking a done item
    done again keeps its first completion time)."""
    require(actor, CHANGE, item, "You may not change this enablement item.")
    item = EnablementItem.objects.select_for_update().get(pk=item.pk)
    if done == (item.done_at is not None):
        return False
    item.done_at = (now or timezone.now()) if done else None
    item.save(update_fields=["done_at"])
    return True
