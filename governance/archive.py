"""Archiving: what history refers to is never deleted, it is archived.

An archived org unit, function, partner or partnership keeps its rows, its history and every
record that points at it; it is only no longer offered for *new* records: pickers list
``Model.objects.active()`` (plus whatever the edited record already uses), and services refuse a
newly chosen archived reference with :func:`refuse_archived`. Archiving and restoring are saves,
so simple-history records who did it and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def is_archived(obj: models.Model | None) -> bool:
    return obj is not None and getattr(obj, "archived_at", None) is not None


def refuse_archived(field: str, objs: Iterable[models.Model | None], *, keep: Iterable[int] = ()) -> None:
    """A field error naming the archived objects among ``objs`` (ids in ``keep`` — references the
    record already had — stay allowed, so editing an old record does not force anyone to drop them)."""
    keep = set(keep)
    archived = [str(o) for o in objs if is_archived(o) and o.pk not in keep]
    if archived:
        raise ValidationError({field: f"Archived, no longer available: {', '.join(archived)}."})


ArchivableT = TypeVar("ArchivableT", bound=models.Model)


def set_archived(obj: ArchivableT, *, archived: bool, now=None) -> ArchivableT:
    """Archive (or restore) ``obj``: one save, recorded in its history."""
    obj.archived_at = (now or timezone.now()) if archived else None
    obj.save(update_fields=["archived_at"])
    return obj
