"""Writes to business reviews and their follow-up actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from governance.models import User
from governance.querysets import CHANGE, DELETE, LOG, VIEW, can
from partners.models import ActionStatus, BusinessReview, Partnership, ReviewAction
from partners.services.partnerships import partnership_refresh_review_due
from partners.services.scope import require, require_internal_writer


def _check_attendees(partnership: Partnership, attendees: Iterable[User]) -> list[User]:
    attendees = list(attendees)
    member_ids = set(partnership.members.values_list("pk", flat=True))
    outsiders = [u.username for u in attendees if u.is_partner and u.pk not in member_ids]
    if outsiders:
        raise ValidationError({"attendees": f"Not partner users of this partnership: {', '.join(outsiders)}."})
    return attendees


@transaction.atomic
def review_create(
    *, actor: User, partnership: Partnership, date: date, kind: str = "qbr", status: str = "held",  # noqa: A002
    title: str = "", agenda: str = "", notes: str = "", attendees: Iterable[User] = (),
) -> BusinessReview:
    """Log a business review; a held review moves the partnership's next review due date."""
    require_internal_writer(actor)
    require(actor, LOG, partnership, "You may not log reviews for this partnership.")
    review = BusinessReview(partnership=partnership, date=date, kind=kind, status=status, title=title,
                            agenda=agenda, notes=notes, created_by=actor)
    review.full_clean()
    review.save()
    review.attendees.set(_check_attendees(partnership, attendees))
    partnership_refresh_review_due(partnership=partnership)
    return review


@transaction.atomic
def review_update(*, actor: User, review: BusinessReview, attendees: Iterable[User] | None = None,
                  **fields) -> BusinessReview:
    require_internal_writer(actor)
    require(actor, CHANGE, review)
    fields.pop("partnership", None)  # a review never moves to another partnership
    for name, value in fields.items():
        setattr(review, name, value)
    review.full_clean()
    review.save()
    if attendees is not None:
        review.attendees.set(_check_attendees(review.partnership, attendees))
    partnership_refresh_review_due(partnership=review.partnership)
    return review


@transaction.atomic
def review_delete(*, actor: User, review: BusinessReview) -> None:
    require_internal_writer(actor)
    require(actor, DELETE, review)
    partnership = review.partnership
    review.delete()
    partnership_refresh_review_due(partnership=partnership)


# --- review actions ----------------------------------------------------------------------------


def _check_action_owner(partnership: Partnership, owner: User) -> None:
    """An action's owner must be able to open it: a member of the partnership (partner users) or
    someone who can see it (internal users; share the partnership with them first)."""
    if not owner.is_active:
        raise ValidationError({"owner": "The owner must be an active user."})
    if owner.is_partner and not partnership.members.filter(pk=owner.pk).exists():
        raise ValidationError({"owner": "A partner user can only own actions of their own partnership."})
    if not can(owner, VIEW, partnership):
        raise ValidationError({"owner": "This person cannot see the partnership; share it with them first."})


@transaction.atomic
def action_create(
    *, actor: User, review: BusinessReview, title: str, owner: User, due_date: date, description: str = "",
) -> ReviewAction:
    """Add a follow-up action to a review (those who may change the review)."""
    require_internal_writer(actor)
    require(actor, CHANGE, review)
    _check_action_owner(review.partnership, owner)
    action = ReviewAction(review=review, partnership_id=review.partnership_id, title=title, owner=owner,
                          due_date=due_date, description=description)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_update(*, actor: User, action: ReviewAction, now: datetime | None = None, **fields) -> ReviewAction:
    """Change an action. Partner users may only change the status of actions they own; internal
    users with write access to the partnership may change anything but the review."""
    now = now or timezone.now()
    fields.pop("review", None)
    require(actor, CHANGE, action)  # those who may log against the partnership, and the owner...
    if not (action.owner_id == actor.pk and set(fields) <= {"status"}):  # ...who may only close or reopen it
        if actor.is_partner:
            raise PermissionDenied("Partner users may only change the status of their own actions.")
        require_internal_writer(actor)
        require(actor, LOG, action.partnership, "You may only change the status of your own actions.")
    if "owner" in fields:
        _check_action_owner(action.partnership, fields["owner"])
    if "due_date" in fields and fields["due_date"] != action.due_date:
        action.overdue_flagged_at = None  # a new deadline re-arms the overdue notice
    if "status" in fields and fields["status"] != action.status:
        action.done_at = now if fields["status"] == ActionStatus.DONE else None
    for name, value in fields.items():
        setattr(action, name, value)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_delete(*, actor: User, action: ReviewAction) -> None:
    require_internal_writer(actor)
    require(actor, DELETE, action)
    action.delete()
