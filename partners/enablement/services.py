"""Writes to enablement items, validated here once for the partnership page (htmx) and the API.

* Added, edited (kind, title, owner, due date) and archived or restored by internal users who may
  change the partnership (every one of its org units in their scope: ``EnablementItem`` ``delete``);
  partner users never (403), nor a manager who sees only some of the partnership's units (403).
* Marked done (or reopened) by them, by those who may log against the partnership, or by the
  item's owner, partner users included (``change``).
* The owner must be able to open the partnership (an internal user who sees it, or one of its
  partner users); the due date is required; an archived item is not marked or edited (restore it).
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from governance.models import User
from governance.querysets import CHANGE, DELETE
from partners.enablement.models import EnablementItem, EnablementKind
from partners.models import Partnership
from partners.services.reviews import _check_action_owner
from partners.services.scope import require, require_internal_writer

EDITABLE = ("kind", "title", "owner", "due_date")
NOT_YOURS = "Only those who may change the partnership add, edit or archive its enablement items."


def _check_fields(fields: dict, partnership: Partnership) -> None:
    errors = {}
    if "kind" in fields and fields["kind"] not in EnablementKind.values:
        errors["kind"] = f"Choose one of: {', '.join(EnablementKind.values)}."
    if "title" in fields and not (fields["title"] or "").strip():
        errors["title"] = "A title is required."
    if "due_date" in fields and not isinstance(fields["due_date"], date):
        errors["due_date"] = "A due date is required."
    if errors:
        raise ValidationError(errors)
    if "owner" in fields:
        if fields["owner"] is None:
            raise ValidationError({"owner": "An owner is required."})
        _check_action_owner(partnership, fields["owner"])


@transaction.atomic
def enablement_create(*, actor: User, partnership: Partnership, kind: str, title: str, owner: User | None,
                      due_date: date | None) -> EnablementItem:
    """Add an item; its owner must be able to open the partnership (a member, or an internal user who sees it)."""
    require_internal_writer(actor)
    require(actor, CHANGE, partnership, NOT_YOURS)
    if partnership.archived_at is not None:
        raise ValidationError({"partnership": "The partnership is archived."})
    fields = {"kind": kind, "title": title, "owner": owner, "due_date": due_date}
    _check_fields(fields, partnership)
    item = EnablementItem(partnership=partnership, **{**fields, "title": title.strip()})
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def enablement_update(*, actor: User, item: EnablementItem, **fields) -> EnablementItem:
    """Change an item's kind, title, owner or due date (and ``done``, as ``enablement_set_done``)."""
    done = fields.pop("done", None)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    item = EnablementItem.objects.select_for_update().select_related("partnership").get(pk=item.pk)
    changed = {k: v for k, v in fields.items() if getattr(item, k) != v}
    if changed:
        require_internal_writer(actor)
        require(actor, DELETE, item, NOT_YOURS)
        if item.archived_at is not None:
            raise ValidationError({"archived": "This item is archived: restore it before editing."})
        _check_fields(changed, item.partnership)
        for name, value in changed.items():
            setattr(item, name, value.strip() if name == "title" else value)
        item.full_clean()
        item.save(update_fields=list(changed))
    if done is not None:
        enablement_set_done(actor=actor, item=item, done=bool(done))
        item.refresh_from_db()
    return item


@transaction.atomic
def enablement_archive(*, actor: User, item: EnablementItem, archived: bool = True,
                       now: datetime | None = None) -> bool:
    """Archive the item (drop it from the plan) or restore it. Returns whether anything changed."""
    require_internal_writer(actor)
    require(actor, DELETE, item, NOT_YOURS)
    item = EnablementItem.objects.select_for_update().get(pk=item.pk)
    if archived == (item.archived_at is not None):
        return False
    item.archived_at = (now or timezone.now()) if archived else None
    item.save(update_fields=["archived_at"])
    return True


@transaction.atomic
def enablement_set_done(*, actor: User, item: EnablementItem, done: bool, now: datetime | None = None) -> bool:
    """Mark the item done (now) or reopen it. Returns whether anything changed (marking a done item
    done again keeps its first completion time)."""
    require(actor, CHANGE, item, "You may not change this enablement item.")
    item = EnablementItem.objects.select_for_update().get(pk=item.pk)
    if item.archived_at is not None:
        raise ValidationError({"archived": "This item is archived: restore it first."})
    if done == (item.done_at is not None):
        return False
    item.done_at = (now or timezone.now()) if done else None
    item.save(update_fields=["done_at"])
    return True
