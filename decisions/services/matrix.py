"""The decision-rights matrix: lint (conflicts and gaps), diff, publish and cancel versions; decision types.

Publishing is guarded three ways:

* **Optimistic concurrency.** A publish names the version its edit started from (``base_version``).
  If another admin published meanwhile, the publish is refused with ``StaleMatrixVersion`` (HTTP
  409, carrying the versions) instead of silently undoing their change. Publishers serialise on the
  newest version row (``SELECT … FOR UPDATE``); the unique version number is the backstop.
* **Lint.** A *conflict* (a decision type without exactly one D, or with the partner as its D)
  blocks. A *gap* (an org unit at the type's deciding level where nobody in its chain holds an A or
  D function — coverage is ``routing.nearest_holders``, the rule routing uses) is a warning the
  publisher may publish over with ``acknowledge_gaps=True``; the acknowledged gaps are kept in the
  version's note. The partner (``PARTNER``) is never a gap: its seats come from the decision's
  partnership when it is logged (``routing``).
* **Effective dating.** A version takes effect now or at a future ``effective_at``, never in the
  past and never before the version it was edited from; until then the earlier version stays in
  force (``MatrixVersion.objects.in_force``). The newest scheduled version can be cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.exceptions import DecisionConflict
from decisions.models import DecisionType, MatrixCell, MatrixVersion, RapidRole
from decisions.routing import covered_pairs, is_partner_function
from governance.models import Function, OrgUnit, User

Cells = dict[tuple[int, int], str]  # (decision_type_id, function_id) -> role

# A client's "now" reaches us a little later: an effective time this far in the past means "now".
PAST_TOLERANCE = timedelta(minutes=5)
NOTE_GAPS_SHOWN = 50  # the note lists this many acknowledged gaps; the JSON field keeps them all


@dataclass
class LintIssue:
    kind: str  # "conflict" (not exactly one D: blocks) or "gap" (nobody covers an A or D: a warning)
    decision_type: str
    message: str
    org_unit: str | None = None
    function: str | None = None  # the cell a gap concerns; for a conflict, None (the whole row)

    @property
    def blocking(self) -> bool:
        return self.kind == "conflict"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "decision_type": self.decision_type, "org_unit": self.org_unit,
                "function": self.function, "message": self.message}


@dataclass
class LintReport:
    issues: list[LintIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def conflicts(self) -> list[LintIssue]:
        return [i for i in self.issues if i.kind == "conflict"]

    @property
    def gaps(self) -> list[LintIssue]:
        return [i for i in self.issues if i.kind == "gap"]

    @property
    def blocking(self) -> bool:
        """Publishing is impossible (a conflict); gaps alone only need an acknowledgement."""
        return bool(self.conflicts)

    def by_type(self) -> dict[str, list[LintIssue]]:
        grouped: dict[str, list[LintIssue]] = defaultdict(list)
        for issue in self.issues:
            grouped[issue.decision_type].append(issue)
        return dict(grouped)

    def by_cell(self) -> dict[tuple[str, str], list[LintIssue]]:
        """Gaps by (decision type code, function code): what the editor shows beside each cell."""
        grouped: dict[tuple[str, str], list[LintIssue]] = defaultdict(list)
        for issue in self.gaps:
            grouped[(issue.decision_type, issue.function)].append(issue)
        return dict(grouped)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "conflicts": len(self.conflicts), "gaps": len(self.gaps),
                "issues": [i.as_dict() for i in self.issues]}


class StaleMatrixVersion(DecisionConflict):
    """The edit started from a version that is no longer the newest: someone published meanwhile.

    The API answers 409 with ``detail``, ``base_version``, ``current_version`` and ``versions``
    (those published since the base, oldest first)."""

    code = "stale_version"

    def __init__(self, *, base: int | None, head: MatrixVersion):
        self.base, self.head = base, head
        self.newer = list(MatrixVersion.objects.published().filter(number__gt=base or 0)
                          .select_related("published_by").order_by("number"))
        who = head.published_by.username if head.published_by else "someone"
        started = f"v{base}" if base else "an empty matrix"
        self.message = (f"Your edit started from {started}, but {who} has since published v{head.number}. "
                        "Review their changes against yours, then publish again.")
        super().__init__(self.message)

    def body(self) -> dict:
        """The 409 body as documented, in plain values."""
        return {
            "detail": self.message, "base_version": self.base or 0, "current_version": self.head.number,
            "versions": [{"number": v.number, "effective_at": v.effective_at.isoformat(),
                          "published_by": v.published_by.username if v.published_by else None,
                          "created_at": v.created_at.isoformat(), "note": v.note} for v in self.newer]}


def matrix_cells(version: MatrixVersion | None) -> Cells:
    """The cells of ``version`` as a dict (empty before the first publication)."""
    if version is None:
        return {}
    return {(t, f): r for t, f, r in
            MatrixCell.objects.filter(version=version).values_list("decision_type_id", "function_id", "role")}


def matrix_lint(*, cells: Cells, decision_types=None, functions=None) -> LintReport:
    """Check ``cells`` for ``decision_types`` (default: the active ones): exactly one D per type
    (conflict), and for every A and D function, somebody covering it for every org unit at the
    type's deciding level (gap otherwise). Four queries whatever the matrix size (fewer when the
    caller passes the types and all ``functions`` it has read already)."""
    types = list(decision_types if decision_types is not None else DecisionType.objects.filter(is_active=True))
    functions = {f.pk: f for f in (functions if functions is not None else Function.objects.all())}
    levels = {t.decided_at_level for t in types}
    # (id, code, name) of the units at each deciding level: the loop below asks each of them per A/D cell.
    units_by_level: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for pk, level, code, name in (OrgUnit.objects.filter(level__in=levels).order_by("code")
                                  .values_list("pk", "level", "code", "name")):
        units_by_level[level].append((pk, code, name))
    type_ids = {t.pk for t in types}
    # The partner is seated from the decision's partnership, not covered up the tree: never a gap.
    partner = {pk for pk, f in functions.items() if is_partner_function(f)}
    needed = {f for (t, f), r in cells.items()
              if t in type_ids and r in (RapidRole.DECIDE, RapidRole.AGREE) and f not in partner}
    covered = covered_pairs(unit_ids=[u[0] for units in units_by_level.values() for u in units], function_ids=needed)
    by_type: dict[int, dict[int, str]] = defaultdict(dict)
    for (tid, f), r in cells.items():
        by_type[tid][f] = r
    report = LintReport()
    for t in sorted(types, key=lambda t: t.code):
        mine = by_type.get(t.pk, {})
        deciders = [functions[f].code for f, r in mine.items() if r == RapidRole.DECIDE]
        if len(deciders) != 1:
            what = "no decider (D)" if not deciders else f"{len(deciders)} deciders ({', '.join(sorted(deciders))})"
            report.issues.append(LintIssue("conflict", t.code, f"{t.name}: {what}; exactly one D is required."))
        elif any(f in partner for f, r in mine.items() if r == RapidRole.DECIDE):
            report.issues.append(LintIssue("conflict", t.code, f"{t.name}: the partner cannot decide (D); "
                                                               "give the D to an internal function."))
        for function_id, role in sorted(mine.items(), key=lambda fr: functions[fr[0]].code):
            if role not in (RapidRole.DECIDE, RapidRole.AGREE) or function_id in partner:
                continue
            function = functions[function_id]
            for unit_id, unit_code, unit_name in units_by_level[t.decided_at_level]:
                if (unit_id, function_id) not in covered:
                    report.issues.append(LintIssue(
                        "gap", t.code, f"{t.name}: nobody holds {function.name} ({role}) at {unit_name} or above.",
                        org_unit=unit_code, function=function.code))
    return report


def matrix_diff(before: Cells, after: Cells) -> list[dict]:
    """Changed cells as ``{decision_type_id, function_id, before, after}`` (None = no role)."""
    keys = sorted(set(before) | set(after))
    return [{"decision_type_id": t, "function_id": f, "before": before.get((t, f)), "after": after.get((t, f))}
            for t, f in keys if before.get((t, f)) != after.get((t, f))]


def _effective(effective_at: datetime | None, head: MatrixVersion | None, now: datetime) -> datetime:
    """When the new version takes effect: ``now`` unless a later time is asked; never in the past,
    never before the version it follows (versions take effect in number order)."""
    if effective_at is None or now - PAST_TOLERANCE <= effective_at <= now:
        effective_at = now
    elif effective_at < now:
        raise ValidationError({"effective_at": "A matrix version cannot take effect in the past."})
    if head is not None and effective_at < head.effective_at:
        raise ValidationError({"effective_at": (
            f"v{head.number} takes effect at {head.effective_at.isoformat()}; a later version cannot take effect "
            f"before it. Choose that time or later, or cancel v{head.number} first.")})
    return effective_at


def _gap_note(gaps: list[LintIssue]) -> str:
    lines = [f"- {g.message}" for g in gaps[:NOTE_GAPS_SHOWN]]
    if len(gaps) > NOTE_GAPS_SHOWN:
        lines.append(f"- … and {len(gaps) - NOTE_GAPS_SHOWN} more")
    return f"Published over {len(gaps)} acknowledged gap{'s' if len(gaps) != 1 else ''}:\n" + "\n".join(lines)


@transaction.atomic
def matrix_publish(*, actor: User | None, cells: Cells, base_version: int | None = None,
                   acknowledge_gaps: bool = False, effective_at: datetime | None = None, note: str = "",
                   only_types=None, now: datetime | None = None) -> MatrixVersion:
    """Publish ``cells`` as a new matrix version (a full snapshot) edited from ``base_version``
    (the version number the edit started from; 0 before the first publication; None: not checked,
    for callers that read and publish in one transaction).

    Raises ``StaleMatrixVersion`` (409) when a version newer than ``base_version`` exists;
    ``ValidationError`` for a conflict, for gaps not acknowledged, or for an effective time in the
    past or before the newest version's. Lint covers ``only_types`` or every active type. An
    unchanged matrix publishes nothing and returns the newest version."""
    now = now or timezone.now()
    valid_roles = set(RapidRole.values)
    if any(r not in valid_roles for r in cells.values()):
        raise ValidationError({"rights": "Roles are R, A, P, I or D."})
    # Serialise publishers on the newest version row; the unique number is the backstop.
    newest = MatrixVersion.objects.select_for_update().order_by("-number").first()
    head = MatrixVersion.objects.head()
    if base_version is not None and base_version != (head.number if head else 0):
        if head is not None:
            raise StaleMatrixVersion(base=base_version, head=head)
        raise ValidationError({"base_version": "Nothing has been published yet: give 0 or leave it out."})
    if head is not None and matrix_cells(head) == cells:
        return head
    report = matrix_lint(cells=cells, decision_types=only_types)
    if report.blocking:
        raise ValidationError({"rights": [i.message for i in report.conflicts]})
    if report.gaps and not acknowledge_gaps:
        raise ValidationError({
            "rights": [i.message for i in report.gaps],
            "acknowledge_gaps": f"{len(report.gaps)} gap{'s' if len(report.gaps) != 1 else ''}: nobody covers "
                                "these there yet. Acknowledge the gaps to publish anyway."})
    note = (note or "").strip()
    if report.gaps:
        note = "\n\n".join(part for part in (note, _gap_note(report.gaps)) if part)
    version = MatrixVersion.objects.create(
        number=(newest.number + 1) if newest else 1, effective_at=_effective(effective_at, head, now),
        published_by=actor, created_at=now, note=note, based_on=head.number if head else None,
        acknowledged_gaps=[g.as_dict() for g in report.gaps])
    MatrixCell.objects.bulk_create([MatrixCell(version=version, decision_type_id=t, function_id=f, role=r)
                                    for (t, f), r in sorted(cells.items())])
    return version


@transaction.atomic
def matrix_version_cancel(*, version: MatrixVersion, actor: User, now: datetime | None = None) -> MatrixVersion:
    """Cancel the newest version while it is still scheduled: it never takes effect (it stays
    listed, with who cancelled it and when). Versions already in force cannot be cancelled:
    publish a new one instead."""
    now = now or timezone.now()
    locked = MatrixVersion.objects.select_for_update().get(pk=version.pk)
    if locked.cancelled_at is not None:
        raise DecisionConflict(f"v{locked.number} is already cancelled.")
    if locked.effective_at <= now:
        raise DecisionConflict(f"v{locked.number} is already in effect; publish a new version to change it.")
    head = MatrixVersion.objects.head()
    if head is not None and head.pk != locked.pk:
        raise DecisionConflict(f"v{head.number} was edited from v{locked.number}; cancel v{head.number} first.")
    locked.cancelled_at, locked.cancelled_by = now, actor
    locked.save(update_fields=["cancelled_at", "cancelled_by"])
    return locked


@transaction.atomic
def decision_type_set_rights(*, actor: User | None, decision_type: DecisionType, rights: list[tuple[Function, str]],
                             base_version: int | None = None, acknowledge_gaps: bool = False,
                             effective_at: datetime | None = None, note: str = "",
                             now: datetime | None = None) -> MatrixVersion:
    """Replace one decision type's row of the newest matrix and publish the result as a new version.

    ``base_version`` (the version the caller read the rights from) is checked when given: stale →
    ``StaleMatrixVersion``. Without it the row replaces the newest version's (other types' rows are
    never touched, so nobody else's change is undone)."""
    seen = set()
    for function, _role in rights:
        if function.pk in seen:
            raise ValidationError({"rights": f"{function.code} appears twice."})
        seen.add(function.pk)
    head = MatrixVersion.objects.head()
    cells = {k: v for k, v in matrix_cells(head).items() if k[0] != decision_type.pk}
    cells.update({(decision_type.pk, f.pk): role for f, role in rights})
    return matrix_publish(actor=actor, cells=cells, only_types=[decision_type], base_version=base_version,
                          acknowledge_gaps=acknowledge_gaps,
                          effective_at=effective_at, note=note or f"Rights of {decision_type.code} changed",
                          now=now)


@transaction.atomic
def decision_type_create(*, actor: User | None = None, rights: list | None = None, now=None,
                         publish_options: dict | None = None, **fields) -> DecisionType:
    """Create a decision type; ``rights`` publish its matrix row (``publish_options``: the
    ``base_version``/``acknowledge_gaps``/``effective_at``/``note`` of ``decision_type_set_rights``)."""
    decision_type = DecisionType(**fields)
    decision_type.full_clean()
    decision_type.save()
    if rights is not None:
        decision_type_set_rights(actor=actor, decision_type=decision_type, rights=rights, now=now,
                                 **(publish_options or {}))
    return decision_type


@transaction.atomic
def decision_type_update(*, decision_type: DecisionType, actor: User | None = None, rights: list | None = None,
                         now=None, publish_options: dict | None = None, **fields) -> DecisionType:
    """Change a decision type; ``rights`` publish its matrix row as in ``decision_type_create``."""
    for name, value in fields.items():
        setattr(decision_type, name, value)
    decision_type.full_clean()
    decision_type.save()
    if rights is not None:
        decision_type_set_rights(actor=actor, decision_type=decision_type, rights=rights, now=now,
                                 **(publish_options or {}))
    return decision_type
