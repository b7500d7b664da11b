"""A user's saved decision-list filters (named query strings)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.models import SavedDecisionFilter
from governance.models import User

MAX_SAVED_FILTERS = 30


@transaction.atomic
def saved_filter_save(*, user: User, name: str, query: str, now: datetime | None = None) -> SavedDecisionFilter:
    """Save ``query`` (the list's own parameters) under ``name``; the same name replaces it."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ValidationError({"name": "Give the filter a name."})
    if len(query) > 1000:
        raise ValidationError({"query": "This filter is too long to save."})
    exists = SavedDecisionFilter.objects.filter(user=user, name=name).exists()
    if not exists and SavedDecisionFilter.objects.filter(user=user).count() >= MAX_SAVED_FILTERS:
        raise ValidationError({"name": f"You can keep {MAX_SAVED_FILTERS} saved filters; remove one first."})
    saved, _ = SavedDecisionFilter.objects.update_or_create(
        user=user, name=name, defaults={"query": query, "created_at": now or timezone.now()})
    return saved


@transaction.atomic
def saved_filter_delete(*, user: User, pk: int) -> bool:
    """Remove one of ``user``'s saved filters (another user's is never touched)."""
    deleted, _ = SavedDecisionFilter.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
