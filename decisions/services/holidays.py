"""Holidays: non-working days of an org unit (and every unit below it) that business-hours SLA
clocks skip. A change applies to clocks started afterwards; running clocks keep their deadlines."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from decisions.models import Holiday
from governance.archive import refuse_archived
from governance.models import OrgUnit


@transaction.atomic
def holiday_create(*, org_unit: OrgUnit, date: date, name: str) -> Holiday:  # noqa: A002 - the field's name
    refuse_archived("org_unit", [org_unit])
    holiday = Holiday(org_unit=org_unit, date=date, name=name)
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def holiday_update(*, holiday: Holiday, **fields) -> Holiday:
    if "org_unit" in fields:
        refuse_archived("org_unit", [fields["org_unit"]], keep=[holiday.org_unit_id])
    for name, value in fields.items():
        setattr(holiday, name, value)
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday) -> None:
    """Delete a holiday (nothing refers to one; its history keeps the deletion)."""
    holiday.delete()
