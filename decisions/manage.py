"""Manage sections for decisions: decision types with their SLA per priority and calendar, and
the holidays business-hours calendars skip. Rights (who recommends, agrees, decides) are edited
in the decision-rights matrix editor, not here."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from decisions import services
from decisions.api.holidays import HolidaySerializer
from decisions.api.serializers import DecisionTypeSerializer
from decisions.models import MAX_SLA_HOURS, DecisionType, Holiday, Priority, SlaCalendar
from governance.manage.base import ManageForm, Section, active_or_current
from governance.manage.sections import UnitChoice, by_level
from governance.models import OrgLevel, OrgUnit
from governance.querysets import VIEW


class DecisionTypeForm(ManageForm):
    code = forms.CharField(max_length=32, help_text="Upper-case letters, digits, _ - &; it cannot change later.")
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decided_at_level = forms.ChoiceField(choices=OrgLevel.choices, initial=OrgLevel.MARKET, label="Decided at level")
    calendar = forms.ChoiceField(choices=SlaCalendar.choices, initial=SlaCalendar.BUSINESS, label="SLA calendar",
                                 help_text="Business hours skip weekends and the holidays of the decision's unit "
                                           "and the units above it.")
    sla_hours = forms.IntegerField(label="SLA (hours)", initial=40, help_text="For every priority without its own.")
    escalation_enabled = forms.BooleanField(required=False, initial=True, label="Escalate overdue decisions one "
                                                                                "level up (off: only notify)")
    extra_template = "manage/_sla_priorities.html"

    def setup(self, user, instance):
        if instance is not None:
            self.fields["code"].disabled = True
        overrides = (instance.sla_hours_by_priority or {}) if instance is not None else {}
        for value, label in Priority.choices:
            self.fields[f"sla_{value}"] = forms.CharField(
                required=False, label=f"{label}", initial=overrides.get(value, ""),
                widget=forms.NumberInput(attrs={"min": 1, "max": MAX_SLA_HOURS, "placeholder": "default"}))

    def priority_fields(self):
        return [self[f"sla_{value}"] for value in Priority.values]

    def __iter__(self):  # the per-priority fields render in their own block
        return (self[name] for name in self.fields if not name.startswith("sla_") or name == "sla_hours")

    def extra_payload(self, data) -> dict:
        """``sla_hours_by_priority`` from the per-priority boxes (blank: the default SLA)."""
        out = {}
        for value in Priority.values:
            raw = data.get(f"sla_{value}", "").strip()
            if raw:
                try:
                    out[value] = int(raw)
                except ValueError:
                    out[value] = raw  # the model's rule answers "must be a number"
        return {"sla_hours_by_priority": out}


def _type_cells(t: DecisionType) -> list:
    overrides = t.sla_hours_by_priority or {}
    sla = ", ".join(f"{label.lower()} {overrides[value]} h" for value, label in Priority.choices if value in overrides)
    return [
        format_html('<span class="fw-semibold">{}</span>', t.name), format_html("<code>{}</code>", t.code),
        t.get_decided_at_level_display(), f"{t.sla_hours} h" + (f" ({sla})" if sla else ""),
        t.get_calendar_display().split(" (")[0], "yes" if t.escalation_enabled else "notify only",
    ]


class HolidayForm(ManageForm):
    org_unit = UnitChoice(queryset=OrgUnit.objects.none(), to_field_name="code", label="Org unit",
                          help_text="Closed that day, with every unit below it (a global holiday closes all).")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"placeholder": "e.g. Tag der Deutschen "
                                                                                       "Einheit"}))

    def setup(self, user, instance):
        self.fields["org_unit"].queryset = by_level(active_or_current(
            OrgUnit.objects.restrict(user, VIEW), [getattr(instance, "org_unit", None)]))


SECTIONS = [
    Section(
        slug="decision-types", title="Decision types", singular="decision type", icon="signpost-split",
        model=DecisionType, serializer_class=DecisionTypeSerializer, form_class=DecisionTypeForm,
        headers=("Name", "Code", "Decided at", "SLA", "Calendar", "Escalation"), cells=_type_cells,
        search_fields=("code", "name"), lookup="code", history_slug="decision-type", archived_field="is_active",
        archive_words=("Retire", "retired", "Reinstate", "reinstated"),
        archive=lambda *, actor, obj, archived: services.decision_type_update(
            decision_type=obj, actor=actor, is_active=not archived),
        description="Kinds of decisions with their SLA per priority and calendar; rights are set in the "
                    "decision-rights matrix.",
        refine=lambda qs: qs.order_by("name"),
        extra_context=lambda request, obj: {"matrix_url": reverse("decisions:matrix")},
    ),
    Section(
        slug="holidays", title="Calendars & holidays", singular="holiday", icon="calendar-event", model=Holiday,
        serializer_class=HolidaySerializer, form_class=HolidayForm,
        headers=("Date", "Name", "Org unit"), search_fields=("name", "org_unit__code", "org_unit__name"),
        cells=lambda h: [h.date.strftime("%a %-d %b %Y"), h.name, f"{h.org_unit.name} ({h.org_unit.code})"],
        history_slug="holiday", delete=lambda *, actor, obj: services.holiday_delete(holiday=obj),
        label=lambda h: f"{h.name}, {h.date:%-d %b %Y} ({h.org_unit.code})",
        description="Business-hours SLA clocks run Mon–Fri 09:00–18:00 in the unit's time zone and skip these "
                    "days; 24×7 types ignore them. Changes apply to clocks started afterwards.",
        refine=lambda qs: qs.select_related("org_unit").order_by("-date", "org_unit__code"),
    ),
]
