"""The decision-rights matrix: lint (gaps and conflicts), diff and publish versions; decision types."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from decisions.models import DecisionType, MatrixCell, MatrixVersion, RapidRole
from governance.models import Assignment, Function, OrgUnit, User

Cells = dict[tuple[int, int], str]  # (decision_type_id, function_id) -> role


@dataclass
class LintIssue:
    kind: str  # "conflict" (not exactly one D) or "gap" (no holder for an A or D function)
    decision_type: str
    message: str
    org_unit: str | None = None
    function: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "decision_type": self.decision_type, "org_unit": self.org_unit,
                "function": self.function, "message": self.message}


@dataclass
class LintReport:
    issues: list[LintIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def by_type(self) -> dict[str, list[LintIssue]]:
        grouped: dict[str, list[LintIssue]] = defaultdict(list)
        for issue in self.issues:
            grouped[issue.decision_type].append(issue)
        return dict(grouped)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "conflicts": sum(i.kind == "conflict" for i in self.issues),
                "gaps": sum(i.kind == "gap" for i in self.issues), "issues": [i.as_dict() for i in self.issues]}


def matrix_cells(version: MatrixVersion | None) -> Cells:
    """The cells of ``version`` as a dict (empty before the first publication)."""
    if version is None:
        return {}
    return {(t, f): r for t, f, r in
            MatrixCell.objects.filter(version=version).values_list("decision_type_id", "function_id", "role")}


def matrix_lint(*, cells: Cells, decision_types=None) -> LintReport:
    """Check ``cells``: exactly one D per decision type, and a holder of every A and D function at
    the deciding level in every org unit of that level. Three queries whatever the matrix size."""
    types = list(decision_types if decision_types is not None else DecisionType.objects.filter(is_active=True))
    functions = {f.pk: f for f in Function.objects.all()}
    levels = {t.decided_at_level for t in types}
    units_by_level: dict[str, list[OrgUnit]] = defaultdict(list)
    for unit in OrgUnit.objects.filter(level__in=levels).order_by("code"):
        units_by_level[unit.level].append(unit)
    held = set(Assignment.objects.filter(org_unit__level__in=levels, user__is_active=True)
               .values_list("org_unit_id", "function_id"))
    report = LintReport()
    for t in sorted(types, key=lambda t: t.code):
        mine = {f: r for (tid, f), r in cells.items() if tid == t.pk}
        deciders = [functions[f].code for f, r in mine.items() if r == RapidRole.DECIDE]
        if len(deciders) != 1:
            what = "no decider (D)" if not deciders else f"{len(deciders)} deciders ({', '.join(sorted(deciders))})"
            report.issues.append(LintIssue("conflict", t.code, f"{t.name}: {what}; exactly one D is required."))
        for function_id, role in sorted(mine.items(), key=lambda fr: functions[fr[0]].code):
            if role not in (RapidRole.DECIDE, RapidRole.AGREE):
                continue
            function = functions[function_id]
            for unit in units_by_level[t.decided_at_level]:
                if (unit.pk, function_id) not in held:
                    report.issues.append(LintIssue(
                        "gap", t.code, f"{t.name}: nobody holds {function.name} ({role}) at {unit.name}.",
                        org_unit=unit.code, function=function.code))
    return report


def matrix_diff(before: Cells, after: Cells) -> list[dict]:
    """Changed cells as ``{decision_type_id, function_id, before, after}`` (None = no role)."""
    keys = sorted(set(before) | set(after))
    return [{"decision_type_id": t, "function_id": f, "before": before.get((t, f)), "after": after.get((t, f))}
            for t, f in keys if before.get((t, f)) != after.get((t, f))]


@transaction.atomic
def matrix_publish(*, actor: User | None, cells: Cells, effective_at: datetime | None = None, note: str = "",
                   only_types=None, now: datetime | None = None) -> MatrixVersion:
    """Publish ``cells`` as a new matrix version (a full snapshot). Lint must pass for the decision
    types concerned (``only_types`` or all active ones); an unchanged matrix publishes nothing and
    returns the latest version."""
    now = now or timezone.now()
    valid_roles = set(RapidRole.values)
    if any(r not in valid_roles for r in cells.values()):
        raise ValidationError({"rights": "Roles are R, A, P, I or D."})
    # Serialise publishers on the newest version row; the unique number is the backstop.
    latest = MatrixVersion.objects.select_for_update().order_by("-number").first()
    if latest is not None and matrix_cells(latest) == cells:
        return latest
    report = matrix_lint(cells=cells, decision_types=only_types)
    if not report.ok:
        raise ValidationError({"rights": [i.message for i in report.issues]})
    version = MatrixVersion.objects.create(
        number=(latest.number + 1) if latest else 1, effective_at=effective_at or now, published_by=actor,
        created_at=now, note=note[:300])
    MatrixCell.objects.bulk_create([MatrixCell(version=version, decision_type_id=t, function_id=f, role=r)
                                    for (t, f), r in sorted(cells.items())])
    return version


@transaction.atomic
def decision_type_set_rights(*, actor: User | None, decision_type: DecisionType, rights: list[tuple[Function, str]],
                             note: str = "", now: datetime | None = None) -> MatrixVersion:
    """Replace one decision type's row of the matrix and publish the result as a new version."""
    seen = set()
    for function, _role in rights:
        if function.pk in seen:
            raise ValidationError({"rights": f"{function.code} appears twice."})
        seen.add(function.pk)
    latest = MatrixVersion.objects.order_by("-number").first()
    cells = {k: v for k, v in matrix_cells(latest).items() if k[0] != decision_type.pk}
    cells.update({(decision_type.pk, f.pk): role for f, role in rights})
    return matrix_publish(actor=actor, cells=cells, only_types=[decision_type],
                          note=note or f"Rights of {decision_type.code} changed", now=now)


@transaction.atomic
def decision_type_create(*, actor: User | None = None, rights: list | None = None, now=None, **fields) -> DecisionType:
    decision_type = DecisionType(**fields)
    decision_type.full_clean()
    decision_type.save()
    if rights is not None:
        decision_type_set_rights(actor=actor, decision_type=decision_type, rights=rights, now=now)
    return decision_type


@transaction.atomic
def decision_type_update(*, decision_type: DecisionType, actor: User | None = None, rights: list | None = None,
                         now=None, **fields) -> DecisionType:
    for name, value in fields.items():
        setattr(decision_type, name, value)
    decision_type.full_clean()
    decision_type.save()
    if rights is not None:
        decision_type_set_rights(actor=actor, decision_type=decision_type, rights=rights, now=now)
    return decision_type
