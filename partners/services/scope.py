"""Scope checks shared by the partners services: re-run inside each write's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance.models import OrgUnit, Role, User
from partners.models import Partnership


def require_internal_writer(actor: User) -> None:
    if not (actor.is_active and (actor.is_admin or actor.role in (Role.LEADER, Role.MANAGER))):
        raise PermissionDenied("Your role may not make this change.")


def require_units_in_scope(actor: User, units: Iterable[OrgUnit], field: str = "org_units") -> None:
    """Leaders and managers may only place things in org units inside their scope."""
    if actor.is_admin:
        return
    ids = {u.pk for u in units}
    visible = set(OrgUnit.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - visible:
        raise PermissionDenied(f"{field}: you may only use org units inside your scope.")


def require_editable(actor: User, partnership: Partnership) -> None:
    if not Partnership.objects.editable_by(actor).filter(pk=partnership.pk).exists():
        raise PermissionDenied("You may not change this partnership.")


def require_visible(actor: User, partnership: Partnership) -> None:
    if not Partnership.objects.visible_to(actor).filter(pk=partnership.pk).exists():
        raise PermissionDenied("This partnership is not yours to change.")


def today_of(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
