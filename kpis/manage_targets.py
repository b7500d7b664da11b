"""The targets grid: one KPI's monthly targets for an org unit and its child units (rows) over a
year (columns), optionally for one partnership, edited at once.

Every changed cell goes through the API's ``TargetSerializer`` (and so ``target_set``); a blank
cell that had a target removes it (``target_delete``). All cells are saved in one transaction:
one bad cell saves nothing, and the grid comes back with each error beside its cell (400).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from governance.manage.base import Page, save_through_api_in, sections_for
from governance.manage.sections import by_level
from governance.models import OrgUnit
from governance.querysets import DELETE, LOG, VIEW
from kpis.api.serializers import TargetSerializer
from kpis.models import KPI, Target
from kpis.services import definitions
from partners.models import Partnership

TARGETS_PAGE = Page(slug="targets", title="Targets", icon="grid-3x3-gap",
                    description="Monthly targets per KPI as a grid of org units × months.")


class GridFilter(forms.Form):
    kpi = forms.ModelChoiceField(queryset=KPI.objects.none(), to_field_name="code", label="KPI")
    parent = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), to_field_name="code", label="Units under")
    year = forms.IntegerField(min_value=2000, max_value=2100)
    partnership = forms.ModelChoiceField(queryset=Partnership.objects.none(), required=False,
                                         empty_label="— no partnership (the unit's own) —")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = KPI.objects.restrict(user, VIEW).order_by("name")
        self.fields["parent"].queryset = by_level(OrgUnit.objects.restrict(user, VIEW).active().exclude(
            level="market"))
        self.fields["partnership"].queryset = Partnership.objects.restrict(user, LOG).active().order_by("name")
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select form-select-sm" if isinstance(f, forms.ChoiceField) \
                else "form-control form-control-sm"


def _months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def _cell_name(unit: OrgUnit, month: date) -> str:
    return f"t-{unit.code}-{month:%Y-%m}"


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


@login_required
def targets_grid(request):
    user = request.user
    if not TARGETS_PAGE.may_use(user):
        raise Http404
    params = request.GET.copy()
    params.setdefault("year", str(timezone.localdate().year))
    if "parent" not in params:
        root = OrgUnit.objects.restrict(user, VIEW).filter(parent__isnull=True).first()
        params["parent"] = root.code if root else ""
    if "kpi" not in params:
        first = KPI.objects.restrict(user, VIEW).order_by("name").first()
        params["kpi"] = first.code if first else ""
    chooser = GridFilter(params, user=user)
    context = {"page_info": TARGETS_PAGE, "sections": sections_for(user), "chooser": chooser, "section": TARGETS_PAGE}
    if not chooser.is_valid():
        return render(request, "manage/targets.html", context, status=400 if request.GET else 200)
    kpi, parent, year = chooser.cleaned_data["kpi"], chooser.cleaned_data["parent"], chooser.cleaned_data["year"]
    partnership = chooser.cleaned_data["partnership"]
    units = [parent, *OrgUnit.objects.restrict(user, VIEW).active().filter(parent=parent).order_by("name")]
    months = _months(year)
    existing = {(t.org_unit_id, t.period): t for t in Target.objects.restrict(user, VIEW).filter(
        kpi=kpi, org_unit__in=units, partnership_key=partnership.pk if partnership else 0,
        period__in=months)}
    errors: dict[str, list[str]] = {}
    submitted = request.POST if request.method == "POST" else None
    if submitted is not None:
        errors, saved, removed = _save_grid(request, kpi, partnership, units, months, existing, submitted)
        if not errors:
            messages.success(request, f"{saved} target{'s' if saved != 1 else ''} saved, {removed} removed.")
            return redirect(request.get_full_path())
    rows = [{"unit": u, "cells": [{
        "name": _cell_name(u, m),
        "value": submitted.get(_cell_name(u, m), "") if submitted is not None
        else _fmt(getattr(existing.get((u.pk, m)), "value", None)),
        "errors": errors.get(_cell_name(u, m), []), "month": m}
        for m in months]} for u in units]
    context.update(kpi=kpi, parent=parent, year=year, partnership=partnership, months=months, rows=rows,
                   error_count=len(errors))
    return render(request, "manage/targets.html", context, status=400 if errors else 200)


def _save_grid(request, kpi, partnership, units, months, existing, data):
    """Write every changed cell (one transaction); returns (errors by cell, saved, removed)."""
    errors: dict[str, list[str]] = {}
    saved = removed = 0
    with transaction.atomic():
        for unit in units:
            for month in months:
                name = _cell_name(unit, month)
                if name not in data:
                    continue
                raw = data[name].strip()
                target = existing.get((unit.pk, month))
                if raw == _fmt(getattr(target, "value", None)):
                    continue
                if raw == "":
                    if target is not None and Target.objects.restrict(request.user, DELETE).filter(
                            pk=target.pk).exists():
                        definitions.target_delete(target=target)
                        removed += 1
                    continue
                payload = {"kpi": kpi.code, "org_unit": unit.code, "partnership": partnership.pk if partnership
                           else None, "period": f"{month:%Y-%m}", "value": raw}
                _obj, cell_errors, _status = save_through_api_in(TargetSerializer, request, target, payload)
                if cell_errors:
                    errors[name] = [m for msgs in cell_errors.values() for m in msgs]
                else:
                    saved += 1
        if errors:
            transaction.set_rollback(True)
    return errors, saved, removed

