"""Forms that write KPI numbers (the admin's measurement and target forms; the manage area and the
entry grid build on them): numbers are parsed and checked by ``kpis.values``, errors land on the
field they are about."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from governance.periods import parse_period
from kpis.models import Measurement, Target
from kpis.periods import actual_period_problem, current_month
from kpis.plausibility import check
from kpis.values import measurement_problems, parse_number, plain, target_problems

CONFIRM_HINT = "Tick “Confirm an outlier” to record it as it is."  # the admin's measurement form and its save


class NumberInput(forms.CharField):
    """A number typed by a person: kept as text until the form knows the KPI (``82.8%`` is valid
    for percent KPIs only), then parsed by ``kpis.values.parse_number``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return plain(value) if value is not None and not isinstance(value, str) else value


def _month(form: forms.ModelForm) -> None:
    period = form.cleaned_data.get("period")
    if period is not None:
        try:
            form.cleaned_data["period"] = parse_period(period)
        except ValueError as exc:
            form.add_error("period", str(exc))


class MeasurementForm(forms.ModelForm):
    value = NumberInput()
    numerator = NumberInput()
    denominator = NumberInput()
    confirm = forms.BooleanField(required=False, label="Confirm an outlier",
                                 help_text="Record a value far from its history as it is.")
    outlier_note = ""  # the confirmed warning, for the save

    class Meta:
        model = Measurement
        fields = ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator", "source"]

    def clean(self):
        data = super().clean()
        _month(self)
        kpi = data.get("kpi")
        parsed = {}
        for name in ("value", "numerator", "denominator"):
            try:
                parsed[name] = parse_number(data.get(name), percent=name == "value" and kpi is not None
                                            and kpi.is_percent)
            except ValueError as exc:
                self.add_error(name, str(exc))
        if kpi is None or len(parsed) < 3:
            return data
        value, problems = measurement_problems(kpi, **parsed)
        unit, period = data.get("org_unit"), data.get("period")
        if unit is not None and period and "period" not in self.errors:
            problem = actual_period_problem(kpi, period, unit_month=current_month(timezone.now(), unit.timezone))
            if problem:
                problems.append(("period", problem))
        for name, message in problems:
            self.add_error(name, message)
        if not problems:
            key = (kpi.pk, unit.pk if unit else 0, data["partnership"].pk if data.get("partnership") else 0, period)
            doubts = check([{"key": key, "kpi": kpi, "value": value, "row": 1}]) if unit is not None else []
            field = "numerator" if kpi.is_ratio else "value"
            for d in doubts:
                if data.get("confirm"):
                    self.outlier_note = d.message[:300]
                else:
                    self.add_error(field, f"{d.message} {CONFIRM_HINT}")
        if not problems:
            data.update(parsed, value=value)
            unit, partnership = data.get("org_unit"), data.get("partnership")
            clash = Measurement.objects.filter(kpi=kpi, org_unit=unit, partnership_key=partnership.pk if partnership
                                               else 0, period=data.get("period"))
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if unit is not None and data.get("period") and clash.exists():
                self.add_error("period", "This KPI, org unit, partnership and month has a measurement already: "
                                         "correct that one.")
        return data


class TargetForm(forms.ModelForm):
    value = NumberInput(required=True)

    class Meta:
        model = Target
        fields = ["kpi", "org_unit", "partnership", "period", "value", "green_at", "red_at"]

    def clean(self):
        data = super().clean()
        _month(self)
        kpi = data.get("kpi")
        try:
            value = parse_number(data.get("value"), percent=kpi is not None and kpi.is_percent)
        except ValueError as exc:
            self.add_error("value", str(exc))
            return data
        if kpi is not None:
            for name, message in target_problems(kpi, value):
                self.add_error(name, message)
        data["value"] = value
        return data
