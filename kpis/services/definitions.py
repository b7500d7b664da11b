"""Admin writes: KPI definitions with their co-owners, targets and strategic objectives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from governance.models import Function, OrgUnit
from governance.periods import parse_period
from kpis.models import KPI, KPIOwnership, Measurement, ScorecardCell, Target
from kpis.services.dirty import mark_dirty, mark_kpi_dirty
from kpis.services.objectives import objective_save  # noqa: F401  (the cascade's writes live there)
from kpis.values import as_validation_error, kind_for, parse_number, target_problems
from partners.models import Partnership

KPI_FIELDS = ("code", "name", "unit", "direction", "aggregation", "category", "frequency", "kind", "min_value",
              "max_value", "description")
Owner = tuple[Function | None, Partnership | None, Decimal]


def _set_owners(*, kpi: KPI, owners: Iterable[Owner]) -> None:
    wanted: dict[tuple, Decimal] = {}
    for function, partnership, weight in owners:
        if (function is None) == (partnership is None):
            raise ValidationError({"owners": "Each owner is a function or a partnership."})
        if weight is None or Decimal(weight) < 0:
            raise ValidationError({"owners": "Weights are zero or more."})
        key = (function.pk if function else None, partnership.pk if partnership else None)
        if key in wanted:
            raise ValidationError({"owners": "An owner is listed twice."})
        wanted[key] = Decimal(weight)
    for ownership in KPIOwnership.objects.filter(kpi=kpi):
        key = (ownership.function_id, ownership.partnership_id)
        if key not in wanted:
            ownership.delete()
            continue
        weight = wanted.pop(key)
        if ownership.weight != weight:
            ownership.weight = weight
            ownership.save(update_fields=["weight"])
    for (function_id, partnership_id), weight in wanted.items():
        KPIOwnership.objects.create(kpi=kpi, function_id=function_id, partnership_id=partnership_id, weight=weight)


@transaction.atomic
def kpi_create(*, owners: Iterable[Owner] = (), **fields) -> KPI:
    """Define a KPI and its co-owners (a KPI with two or more owners is shared). Without a ``kind``
    the unit decides it (% → percent, EUR → currency, days → duration, else number)."""
    fields.setdefault("kind", kind_for(fields.get("unit") or ""))
    kpi = KPI(**{k: v for k, v in fields.items() if k in KPI_FIELDS})
    kpi.full_clean()
    kpi.save()
    _set_owners(kpi=kpi, owners=owners)
    return kpi


@transaction.atomic
def kpi_update(*, kpi: KPI, owners: Iterable[Owner] | None = None, **fields) -> KPI:
    """Change a KPI; a new aggregation or direction re-rolls all its cells."""
    if "code" in fields and (error := kpi.code_change_error(fields["code"])):
        raise ValidationError({"code": error})
    # Compare with the stored row: a ModelForm (the admin's) has already set the fields on ``kpi``.
    before = KPI.objects.select_for_update().filter(pk=kpi.pk).values_list("aggregation", "direction").get()
    for name, value in fields.items():
        if name in KPI_FIELDS:
            setattr(kpi, name, value)
    kpi.full_clean()
    kpi.save()
    if owners is not None:
        _set_owners(kpi=kpi, owners=owners)
    if (kpi.aggregation, kpi.direction) != before:
        mark_kpi_dirty(kpi.pk)
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: KPI) -> None:
    if Measurement.objects.filter(kpi=kpi).exists():
        raise ValidationError({"kpi": "This KPI has measurements; it cannot be deleted."})
    ScorecardCell.objects.filter(kpi=kpi).delete()
    kpi.delete()


def _check_period(period: date) -> None:
    try:
        parse_period(period)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from None


@transaction.atomic
def target_set(*, kpi: KPI, org_unit: OrgUnit, partnership: Partnership | None, period: date,
               value: Decimal | str | None,
               green_at: Decimal = Decimal("1.00"), red_at: Decimal = Decimal("0.90"),
               target: Target | None = None) -> Target:
    """Create or change a target (``target`` given = change that row). The cells of the key the row
    had in the database are marked dirty too, read back because a caller such as an admin form may
    have applied the new values to the instance already."""
    _check_period(period)
    try:
        value = parse_number(value)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from None
    problems = target_problems(kpi, value)
    if problems or value is None:  # None: target_problems names it
        raise as_validation_error(problems)
    if Decimal(red_at) > Decimal(green_at):
        raise ValidationError({"red_at": "red_at must not be above green_at."})
    old_key = (Target.objects.filter(pk=target.pk).values_list("kpi_id", "org_unit_id", "partnership_key", "period")
               .first() if target and target.pk else None)
    target = target or Target()
    target.kpi, target.org_unit, target.partnership, target.period = kpi, org_unit, partnership, period
    target.partnership_key = partnership.pk if partnership else 0
    target.value, target.green_at, target.red_at = value, green_at, red_at
    target.full_clean(validate_constraints=False)
    clash = Target.objects.filter(kpi=kpi, org_unit=org_unit, partnership_key=target.partnership_key, period=period)
    if target.pk:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise ValidationError({"period": "A target for this KPI, org unit, partnership and month exists already."})
    target.save()
    keys = [(kpi.pk, org_unit.pk, target.partnership_key, period)] + ([old_key] if old_key else [])
    mark_dirty(keys)
    return target


@transaction.atomic
def target_delete(*, target: Target) -> None:
    key = (target.kpi_id, target.org_unit_id, target.partnership_key, target.period)
    target.delete()
    mark_dirty([key])
