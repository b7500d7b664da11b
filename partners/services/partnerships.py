"""Writes to partners and partnerships, sharing, and the derived next-review due date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from governance.archive import refuse_archived, set_archived
from governance.models import Assignment, Function, OrgUnit, Role, User
from governance.periods import add_months
from governance.querysets import CHANGE, DELETE, VIEW, can
from partners.models import (
    CADENCE_MONTHS,
    GOVERNED_STATUSES,
    BusinessReview,
    Partner,
    Partnership,
    ReviewStatus,
)
from partners.querysets import VIEW_PERMISSION
from partners.services.scope import require, require_internal_writer, require_units_in_scope

# --- partners ----------------------------------------------------------------------------------

PARTNER_OUTSIDE = "You may not change this partner: it covers or serves org units outside your scope."


@transaction.atomic
def partner_create(*, actor: User, name: str, kind: str, status: str = "active",
                   org_units: Iterable[OrgUnit] = ()) -> Partner:
    """Create a partner. Leaders and managers must give the org units it covers, all in scope."""
    require_internal_writer(actor)
    org_units = list(org_units)
    if not actor.is_admin and not org_units:
        raise ValidationError({"org_units": "Name at least one org unit in your scope that this partner covers."})
    require_units_in_scope(actor, org_units)
    refuse_archived("org_units", org_units)
    partner = Partner(name=name, kind=kind, status=status)
    partner.full_clean()
    partner.save()
    partner.org_units.set(org_units)
    return partner


@transaction.atomic
def partner_update(*, actor: User, partner: Partner, org_units: Iterable[OrgUnit] | None = None, **fields) -> Partner:
    """Change a partner. Coverage changes (units added or removed) must lie inside the actor's scope."""
    require_internal_writer(actor)
    require(actor, CHANGE, partner, PARTNER_OUTSIDE)
    for name, value in fields.items():
        setattr(partner, name, value)
    partner.full_clean()
    partner.save()
    if org_units is not None:
        wanted = {u.pk: u for u in org_units}
        current = {u.pk: u for u in partner.org_units.all()}
        changed = [wanted.get(pk) or current.get(pk) for pk in set(wanted) ^ set(current)]
        require_units_in_scope(actor, changed)
        refuse_archived("org_units", wanted.values(), keep=current)
        partner.org_units.set(wanted.values())
    return partner


@transaction.atomic
def partner_archive(*, actor: User, partner: Partner, archived: bool = True, now=None) -> Partner:
    """Archive a partner (or restore it) instead of deleting what history refers to. Its
    partnerships are archived first; it is no longer offered for new partnerships."""
    require_internal_writer(actor)
    require(actor, DELETE, partner, PARTNER_OUTSIDE)
    if archived and partner.partnerships.filter(archived_at__isnull=True).exists():
        raise ValidationError({"archived_at": "Archive its partnerships first."})
    return set_archived(partner, archived=archived, now=now)


@transaction.atomic
def partner_delete(*, actor: User, partner: Partner) -> None:
    require_internal_writer(actor)
    require(actor, DELETE, partner, PARTNER_OUTSIDE)
    if partner.partnerships.exists():
        raise ValidationError({"partner": "End or delete its partnerships first."})
    partner.delete()


# --- partnerships ------------------------------------------------------------------------------

NOT_EVERY_UNIT = "You may not change this partnership: not all of its org units are in your scope."


def compute_next_review_due(partnership: Partnership) -> date | None:
    """Last held review (or the start, before any) plus the cadence; none unless governed."""
    if partnership.status not in GOVERNED_STATUSES:
        return None
    last_held = (
        BusinessReview.objects.filter(partnership=partnership, status=ReviewStatus.HELD)
        .order_by("-date").values_list("date", flat=True).first()
    )
    return add_months(last_held or partnership.start, CADENCE_MONTHS[partnership.review_cadence])


def partnership_refresh_review_due(*, partnership: Partnership) -> date | None:
    """Store the derived ``next_review_due``; a new due date re-arms the overdue flag."""
    due = compute_next_review_due(partnership)
    Partnership.objects.filter(pk=partnership.pk).update(next_review_due=due)
    partnership.next_review_due = due
    return due


def _check_members(members: Iterable[User]) -> list[User]:
    members = list(members)
    if any(m.role != Role.PARTNER for m in members):
        raise ValidationError({"members": "Only partner users can be members of a partnership."})
    return members


def _check_owner(owner: User | None) -> None:
    if owner is not None and (owner.is_partner or not owner.is_active):
        raise ValidationError({"owner": "The owner must be an active internal user."})


@transaction.atomic
def partnership_create(
    *, actor: User, partner: Partner, name: str, type: str, org_units: Iterable[OrgUnit],  # noqa: A002
    owner_function: Function, functions: Iterable[Function] = (), status: str = "active", start: date,
    end: date | None = None, review_cadence: str = "quarterly", owner: User | None = None,
    members: Iterable[User] | None = None,
) -> Partnership:
    """Create a partnership. Leaders and managers: every org unit in scope, the partner visible to
    them, and no members (admins manage who from the partner side may log in)."""
    require_internal_writer(actor)
    org_units = list(org_units)
    if not org_units:
        raise ValidationError({"org_units": "A partnership needs at least one org unit in scope."})
    require_units_in_scope(actor, org_units)
    if not can(actor, VIEW, partner):
        raise ValidationError({"partner": "Unknown partner."})
    if members is not None and not actor.is_admin:
        raise PermissionDenied("members: only admins decide who may log in as a partner user.")
    _check_owner(owner)
    refuse_archived("partner", [partner])
    refuse_archived("org_units", org_units)
    refuse_archived("owner_function", [owner_function])
    functions = list(functions)
    refuse_archived("functions", functions)
    partnership = Partnership(partner=partner, name=name, type=type, owner_function=owner_function, status=status,
                              start=start, end=end, review_cadence=review_cadence, owner=owner)
    partnership.full_clean()
    _check_dates(start, end)
    partnership.save()
    partnership.org_units.set(org_units)
    partnership.functions.set(functions)
    if members:
        partnership.members.set(_check_members(members))
    partnership_refresh_review_due(partnership=partnership)
    return partnership


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"end": "The end cannot be before the start."})


@transaction.atomic
def partnership_update(
    *, actor: User, partnership: Partnership, org_units: Iterable[OrgUnit] | None = None,
    functions: Iterable[Function] | None = None, members: Iterable[User] | None = None, **fields,
) -> Partnership:
    """Change a partnership. Leaders and managers: only partnerships in their scope, and org-unit
    changes inside their scope; members are admin-only."""
    require_internal_writer(actor)
    require(actor, CHANGE, partnership, NOT_EVERY_UNIT)
    if members is not None and not actor.is_admin:
        raise PermissionDenied("members: only admins decide who may log in as a partner user.")
    new_partner = fields.get("partner")
    if new_partner is not None and new_partner.pk != partnership.partner_id and not can(actor, VIEW, new_partner):
        raise ValidationError({"partner": "Unknown partner."})
    if "owner" in fields:
        _check_owner(fields["owner"])
    if "partner" in fields:
        refuse_archived("partner", [fields["partner"]], keep=[partnership.partner_id])
    if "owner_function" in fields:
        refuse_archived("owner_function", [fields["owner_function"]], keep=[partnership.owner_function_id])
    for name, value in fields.items():
        setattr(partnership, name, value)
    partnership.full_clean()
    _check_dates(partnership.start, partnership.end)
    partnership.save()
    if org_units is not None:
        org_units = list(org_units)
        if not org_units:
            raise ValidationError({"org_units": "A partnership needs at least one org unit in scope."})
        wanted = {u.pk: u for u in org_units}
        current = {u.pk: u for u in partnership.org_units.all()}
        require_units_in_scope(actor, [wanted.get(pk) or current.get(pk) for pk in set(wanted) ^ set(current)])
        refuse_archived("org_units", org_units, keep=current)
        partnership.org_units.set(org_units)
    if functions is not None:
        functions = list(functions)
        refuse_archived("functions", functions, keep=partnership.functions.values_list("pk", flat=True))
        partnership.functions.set(functions)
    if members is not None:
        partnership.members.set(_check_members(members))
    partnership_refresh_review_due(partnership=partnership)
    return partnership


@transaction.atomic
def partnership_delete(*, actor: User, partnership: Partnership) -> None:
    """Delete a partnership and its reviews, actions and assessments: only for those who may
    change every org unit it spans (admins; leaders and managers with all its units in scope)."""
    require_internal_writer(actor)
    require(actor, DELETE, partnership, NOT_EVERY_UNIT)
    try:
        partnership.delete()
    except models.ProtectedError as exc:
        raise ValidationError(
            {"partnership": "Other records (KPIs, decisions, objectives) still refer to it."}) from exc


@transaction.atomic
def partnership_archive(*, actor: User, partnership: Partnership, archived: bool = True, now=None) -> Partnership:
    """Archive a partnership (or restore it) instead of deleting it with its reviews, actions and
    assessments: only for those who may delete it. A partnership of an archived partner is not
    restored."""
    require_internal_writer(actor)
    require(actor, DELETE, partnership, NOT_EVERY_UNIT)
    if not archived:
        refuse_archived("partner", [partnership.partner])
    return set_archived(partnership, archived=archived, now=now)


@transaction.atomic
def partnership_share(*, actor: User, partnership: Partnership, user: User) -> None:
    """Share one partnership (read-only: ``view``, never ``log`` or ``change``) with one internal
    user outside its org scope. Only those who may change it share it."""
    require_internal_writer(actor)
    require(actor, CHANGE, partnership, NOT_EVERY_UNIT)
    if user.is_partner:
        raise ValidationError({"user": "Partner users join a partnership as members, not through sharing."})
    assign_perm(VIEW_PERMISSION, user, partnership)


@transaction.atomic
def partnership_unshare(*, actor: User, partnership: Partnership, user: User) -> None:
    require_internal_writer(actor)
    require(actor, CHANGE, partnership, NOT_EVERY_UNIT)
    remove_perm(VIEW_PERMISSION, user, partnership)


def partnership_owners(partnership: Partnership) -> list[User]:
    """Who hears about overdue reviews: the named owner, else the holders of the owning function
    at the partnership's org units."""
    if partnership.owner_id:
        return [partnership.owner]
    holders = Assignment.objects.filter(
        function_id=partnership.owner_function_id, org_unit__in=partnership.org_units.all()
    ).values("user_id")
    return list(User.objects.filter(pk__in=holders, is_active=True))
