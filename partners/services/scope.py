"""Access checks shared by the partners services, re-run inside each write's transaction.

They only apply ``governance.querysets.can`` / ``restrict``: the rules themselves live in the
querysets (``partners/querysets.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

from governance.models import OrgUnit, Role, User
from governance.querysets import LOG, can


def require_internal_writer(actor: User) -> None:
    if not (actor.is_active and (actor.is_admin or actor.role in (Role.LEADER, Role.MANAGER))):
        raise PermissionDenied("Your role may not make this change.")


def require_units_in_scope(actor: User, units: Iterable[OrgUnit], field: str = "org_units") -> None:
    """Things may only be placed in org units the actor may log against (their scope)."""
    ids = {u.pk for u in units}
    allowed = set(OrgUnit.objects.restrict(actor, LOG).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - allowed:
        raise PermissionDenied(f"{field}: you may only use org units inside your scope.")


def require(actor: User, action: str, obj: models.Model, message: str | None = None) -> None:
    """403 unless ``can(actor, action, obj)``."""
    if not can(actor, action, obj):
        raise PermissionDenied(message or f"You may not {action} this {obj._meta.verbose_name}.")


def today_of(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
