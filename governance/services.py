"""Writes to the organisation. Views, the API, the admin and seed data all call these."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from governance.archive import refuse_archived, set_archived
from governance.models import Assignment, Function, OrgUnit, OrgUnitClosure, Role, User
from governance.timezones import default_timezone

_CLOSURE = OrgUnitClosure._meta.db_table


def _link_under_parent(*, unit: OrgUnit) -> None:
    """Add closure rows from ``unit.parent``'s ancestors to every node of ``unit``'s subtree."""
    if unit.parent_id is None:
        return
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_CLOSURE} (ancestor_id, descendant_id, depth) "  # noqa: S608 - table name only
            f"SELECT a.ancestor_id, s.descendant_id, a.depth + s.depth + 1 "
            f"FROM {_CLOSURE} a, {_CLOSURE} s WHERE a.descendant_id = %s AND s.ancestor_id = %s",
            [unit.parent_id, unit.pk],
        )


@transaction.atomic
def org_unit_create(*, code: str, name: str, level: str, parent: OrgUnit | None, timezone: str = "UTC") -> OrgUnit:
    """Create an org unit and its closure rows (never under an archived unit)."""
    refuse_archived("parent", [parent])
    unit = OrgUnit(code=code, name=name, level=level, parent=parent, timezone=timezone)
    unit.full_clean()
    unit.save()
    OrgUnitClosure.objects.create(ancestor=unit, descendant=unit, depth=0)
    _link_under_parent(unit=unit)
    return unit


@transaction.atomic
def org_unit_update(*, unit: OrgUnit, **fields) -> OrgUnit:
    """Change an org unit; moving it (a new ``parent``) re-links its whole subtree set-based."""
    # Compare with the stored row: callers such as a ModelForm may already have set the fields.
    old_parent_id, old_level = (
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).values_list("parent_id", "level").get()
    )
    for name, value in fields.items():
        setattr(unit, name, value)
    moved = unit.parent_id != old_parent_id
    if moved:
        refuse_archived("parent", [unit.parent])
    if moved and unit.parent_id and OrgUnitClosure.objects.filter(ancestor=unit, descendant_id=unit.parent_id).exists():
        raise ValidationError({"parent": "An org unit cannot move under itself or its own subtree."})
    if unit.level != old_level and unit.children.exists():
        raise ValidationError({"level": "Move or remove the children before changing this unit's level."})
    unit.full_clean()
    unit.save()
    if unit.parent_id != old_parent_id:
        subtree = OrgUnitClosure.objects.filter(ancestor=unit).values("descendant_id")
        OrgUnitClosure.objects.filter(descendant__in=subtree).exclude(ancestor__in=subtree).delete()
        _link_under_parent(unit=unit)
    return unit


@transaction.atomic
def org_unit_archive(*, unit: OrgUnit, archived: bool = True, now=None) -> OrgUnit:
    """Archive an org unit (or restore it with ``archived=False``). Its records, assignments and
    history stay; it is no longer offered for new ones. The tree stays whole: a unit with active
    children is not archived, and a unit under an archived parent is not restored."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    if archived:
        if unit.parent_id is None:
            raise ValidationError({"archived_at": "The top of the org tree cannot be archived."})
        if unit.children.filter(archived_at__isnull=True).exists():
            raise ValidationError({"archived_at": "Archive or move its child units first."})
    elif unit.parent is not None and unit.parent.archived_at is not None:
        raise ValidationError({"archived_at": f"Restore its parent {unit.parent} first."})
    return set_archived(unit, archived=archived, now=now)


@transaction.atomic
def function_create(*, code: str, name: str) -> Function:
    function = Function(code=code, name=name)
    function.full_clean()
    function.save()
    return function


@transaction.atomic
def function_update(*, function: Function, name: str) -> Function:
    """Rename a function (its code is its natural key and stays)."""
    function.name = name
    function.full_clean()
    function.save()
    return function


@transaction.atomic
def function_archive(*, function: Function, archived: bool = True, now=None) -> Function:
    """Archive a function (or restore it): assignments, matrix rows and KPI owners keep it; it is no
    longer offered for new ones."""
    return set_archived(function, archived=archived, now=now)


def _follow_unit_timezone(user: User, previous_default: str) -> None:
    """A user who kept their unit's zone (or has none yet) follows their unit when it changes;
    a zone they chose themselves stays."""
    if user.timezone in ("", previous_default):
        zone = default_timezone(user)
        if zone != user.timezone:
            user.timezone = zone
            user.save(update_fields=["timezone"])


@transaction.atomic
def user_set_timezone(*, user: User, timezone: str) -> User:
    """Set the zone ``user`` reads times in (an IANA name; empty: their unit's)."""
    user.timezone = timezone or default_timezone(user)
    user.full_clean(exclude=["password"])
    user.save(update_fields=["timezone"])
    return user


@transaction.atomic
def assignments_replace(*, user: User, assignments: Iterable[tuple[Function, OrgUnit, str]]) -> None:
    """Make ``user``'s assignments exactly ``assignments`` ((function, org unit, title) triples),
    keeping unchanged rows (and their history) untouched. A user on their unit's zone follows the
    new unit's zone."""
    previous_default = default_timezone(user) if user.timezone else ""
    wanted = {(f.pk, u.pk): title for f, u, title in assignments}
    for existing in Assignment.objects.filter(user=user):
        key = (existing.function_id, existing.org_unit_id)
        if key not in wanted:
            existing.delete()
            continue
        title = wanted.pop(key)
        if existing.title != title:
            existing.title = title
            existing.save(update_fields=["title"])
    for (function_id, org_unit_id), title in wanted.items():
        Assignment.objects.create(user=user, function_id=function_id, org_unit_id=org_unit_id, title=title)
    _follow_unit_timezone(user, previous_default)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    is_active: bool = True,
    assignments: Iterable[tuple[Function, OrgUnit, str]] = (),
    partnerships: Iterable = (),
    timezone: str = "",
) -> User:
    """Create a user with their assignments (internal roles) or partnerships (partner users).
    ``timezone`` defaults to their unit's (``governance.timezones.default_timezone``)."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, role=role,
                is_active=is_active, timezone=timezone)
    user.is_staff = role == Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _set_partnerships(user=user, partnerships=partnerships)
    assignments_replace(user=user, assignments=assignments)  # then sets the unit's zone unless one was given
    _check_role_consistency(user)
    return user


@transaction.atomic
def user_update(*, user: User, password: str | None = None, assignments=None, partnerships=None, **fields) -> User:
    """Change a user; ``assignments``/``partnerships`` replace the current ones when given. An
    empty ``timezone`` means their unit's."""
    for name, value in fields.items():
        setattr(user, name, value)
    if "timezone" in fields and not fields["timezone"]:
        user.timezone = default_timezone(user)
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if assignments is not None:
        assignments_replace(user=user, assignments=assignments)
    if partnerships is not None:
        previous_default = default_timezone(user) if user.timezone else ""
        _set_partnerships(user=user, partnerships=partnerships)
        _follow_unit_timezone(user, previous_default)
    _check_role_consistency(user)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate a user (or reactivate them) instead of deleting them: what they did stays theirs
    in every history, they can no longer sign in, and pickers no longer offer them. Nobody
    deactivates themselves (an organisation must not lock its last admin out by a slip)."""
    if not active and user.pk == actor.pk:
        raise ValidationError({"is_active": "You cannot deactivate yourself."})
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


def _set_partnerships(*, user: User, partnerships: Iterable) -> None:
    """Change membership from the partnership side so each partnership's history records it
    (simple-history cannot record an m2m change made from the reverse side)."""
    wanted = {p.pk: p for p in partnerships}
    for partnership in user.partnerships.all():
        if wanted.pop(partnership.pk, None) is None:
            partnership.members.remove(user)
    for partnership in wanted.values():
        partnership.members.add(user)


def _check_role_consistency(user: User) -> None:
    if user.role == Role.PARTNER and user.assignments.exists():
        raise ValidationError({"assignments": "Partner users have partnerships, not internal assignments."})
    if user.role != Role.PARTNER and user.partnerships.exists():
        raise ValidationError({"partnerships": "Only partner users belong to partnerships."})
