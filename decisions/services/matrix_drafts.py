"""Admins' matrix drafts: saved as they edit (one per admin), discarded on request, and merged onto
a newer published version when someone else published first (the three-way view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.models import MatrixDraft, MatrixVersion, RapidRole
from decisions.services.matrix import Cells, matrix_cells
from governance.models import User

MINE, THEIRS = "mine", "theirs"


def draft_cells(draft: MatrixDraft) -> Cells:
    """The draft's proposed matrix as ``{(decision type id, function id): role}``."""
    return {(int(t), int(f)): r for t, f, r in draft.cells}


@transaction.atomic
def matrix_draft_save(*, user: User, cells: Cells, base_number: int | None, note: str = "",
                      effective_at: datetime | None = None, now: datetime | None = None) -> MatrixDraft:
    """Create or replace ``user``'s draft (the editor saves it on every change)."""
    if any(r not in RapidRole.values for r in cells.values()):
        raise ValidationError({"cells": "Roles are R, A, P, I or D."})
    draft, _ = MatrixDraft.objects.update_or_create(user=user, defaults={
        "base_number": base_number, "cells": [[t, f, r] for (t, f), r in sorted(cells.items())],
        "note": (note or "")[:2000], "effective_at": effective_at, "updated_at": now or timezone.now()})
    return draft


@transaction.atomic
def matrix_draft_discard(*, user: User) -> bool:
    """Throw ``user``'s draft away. Returns whether there was one."""
    deleted, _ = MatrixDraft.objects.filter(user=user).delete()
    return bool(deleted)


@dataclass(frozen=True)
class MergeRow:
    """One cell that changed on either side since the common base."""

    decision_type_id: int
    function_id: int
    base: str | None
    theirs: str | None
    mine: str | None

    @property
    def key(self) -> tuple[int, int]:
        return (self.decision_type_id, self.function_id)

    @property
    def conflict(self) -> bool:
        """Both sides changed the cell, differently: the admin must choose."""
        return self.theirs != self.base and self.mine != self.base and self.theirs != self.mine

    @property
    def outcome(self) -> str | None:
        """The merged role when there is no conflict (a side that changed wins)."""
        return self.mine if self.mine != self.base else self.theirs


def three_way(*, base: Cells, theirs: Cells, mine: Cells) -> list[MergeRow]:
    """Every cell changed by the draft (mine) or by what was published since its base (theirs)."""
    rows = []
    for key in sorted(set(base) | set(theirs) | set(mine)):
        b, t, m = base.get(key), theirs.get(key), mine.get(key)
        if t != b or m != b:
            rows.append(MergeRow(key[0], key[1], b, t, m))
    return rows


@transaction.atomic
def matrix_draft_rebase(*, user: User, choices: dict[tuple[int, int], str],
                        now: datetime | None = None) -> MatrixDraft:
    """Move ``user``'s draft onto the newest published version: their changes and mine both kept;
    where both changed a cell, ``choices[key]`` (``"mine"``/``"theirs"``) decides. The draft can
    then be reviewed and published against the new base."""
    draft = MatrixDraft.objects.select_for_update().filter(user=user).first()
    if draft is None:
        raise ValidationError({"draft": "You have no draft to merge."})
    head = MatrixVersion.objects.head()
    base_version = MatrixVersion.objects.filter(number=draft.base_number).first() if draft.base_number else None
    theirs, mine = matrix_cells(head), draft_cells(draft)
    merged = dict(theirs)
    missing = []
    for row in three_way(base=matrix_cells(base_version), theirs=theirs, mine=mine):
        if row.conflict:
            choice = choices.get(row.key)
            if choice not in (MINE, THEIRS):
                missing.append(row)
                continue
            role = row.mine if choice == MINE else row.theirs
        else:
            role = row.outcome
        if role is None:
            merged.pop(row.key, None)
        else:
            merged[row.key] = role
    if missing:
        raise ValidationError({"choices": f"Choose yours or theirs for {len(missing)} "
                                          f"cell{'s' if len(missing) != 1 else ''} both of you changed."})
    return matrix_draft_save(user=user, cells=merged, base_number=head.number if head else None, note=draft.note,
                             effective_at=draft.effective_at, now=now)
