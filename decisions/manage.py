"""Manage sections for decisions: decision types with their SLA per priority, calendar and forum,
the holidays business-hours calendars skip, and forums with their cancelled or moved meetings.
Rights (who recommends, agrees, decides) are edited in the decision-rights matrix editor, not here."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from decisions import services
from decisions.api.forums import ForumSerializer, MeetingExceptionSerializer
from decisions.api.holidays import HolidaySerializer
from decisions.api.serializers import DecisionTypeSerializer
from decisions.models import (
    MAX_SLA_HOURS,
    DecisionType,
    Forum,
    ForumMeetingException,
    Holiday,
    Priority,
    Recurrence,
    SlaCalendar,
)
from governance.manage.base import ManageForm, Section, active_or_current
from governance.manage.sections import UnitChoice, by_level
from governance.models import Function, OrgLevel, OrgUnit
from governance.querysets import VIEW
from governance.timezones import format_instant


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
    forum = forms.ModelChoiceField(queryset=Forum.objects.none(), required=False, empty_label="— none —",
                                   help_text="Forum-bound: a decision not taken in time goes on the forum's next "
                                             "agenda instead of escalating by the hour.")
    extra_template = "manage/_sla_priorities.html"

    def setup(self, user, instance):
        self.fields["forum"].queryset = Forum.objects.restrict(user, VIEW).filter(
            Q(archived_at__isnull=True) | Q(pk=getattr(instance, "forum_id", None)))
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
        t.get_calendar_display().split(" (")[0],
        f"to {t.forum.name}" if t.forum_id else ("yes" if t.escalation_enabled else "notify only"),
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


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ForumForm(ManageForm):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"placeholder": "e.g. DACH Commercial "
                                                                                       "Council"}))
    org_unit = UnitChoice(queryset=OrgUnit.objects.none(), to_field_name="code", label="Org unit",
                          help_text="Meetings are at the unit's local time.")
    chair_function = forms.ModelChoiceField(queryset=Function.objects.none(), to_field_name="code", required=False,
                                            label="Chaired by", empty_label="— no chair function —")
    recurrence = forms.ChoiceField(choices=Recurrence.choices, label="Meets")
    weekday = forms.TypedChoiceField(choices=list(enumerate(WEEKDAYS)), coerce=int, label="On")
    week_of_month = forms.IntegerField(label="Week of the month", initial=1, required=False,
                                       help_text="Monthly: 1–4, or -1 for the last one.")
    time_of_day = forms.TimeField(label="At", widget=forms.TimeInput(attrs={"type": "time"}))
    first_date = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="No meeting before; every other week counts from this date.")

    def setup(self, user, instance):
        self.fields["org_unit"].queryset = by_level(active_or_current(
            OrgUnit.objects.restrict(user, VIEW), [getattr(instance, "org_unit", None)]))
        self.fields["chair_function"].queryset = Function.objects.restrict(user, VIEW).order_by("name")


class MeetingExceptionForm(ManageForm):
    forum = forms.ModelChoiceField(queryset=Forum.objects.none())
    date = forms.DateField(label="Scheduled date", widget=forms.DateInput(attrs={"type": "date"}))
    moved_to = forms.DateTimeField(required=False, label="Moved to", help_text="Empty: the meeting is cancelled.",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(max_length=200, required=False)

    def setup(self, user, instance):
        self.fields["forum"].queryset = Forum.objects.restrict(user, VIEW).active().order_by("name")


def _forum_cells(f: Forum) -> list:
    return [format_html('<span class="fw-semibold">{}</span>', f.name), f"{f.org_unit.name} ({f.org_unit.code})",
            f.schedule, f.chair_function.name if f.chair_function_id else "—",
            format_html('<a href="{}">Agenda</a>', reverse("decisions:forum", args=[f.pk]))]


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
        refine=lambda qs: qs.select_related("forum").order_by("name"),
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
    Section(
        slug="forums", title="Forums", singular="forum", icon="calendar-event", model=Forum,
        serializer_class=ForumSerializer, form_class=ForumForm,
        headers=("Name", "Org unit", "Meets", "Chair", ""), cells=_forum_cells,
        search_fields=("name", "org_unit__code", "org_unit__name"), history_slug="forum",
        archive=lambda *, actor, obj, archived: services.forum_set_archived(forum=obj, archived=archived, actor=actor),
        description="Councils and committees that decide at their meetings; bind decision types to one under "
                    "Decision types. Cancel or move single meetings under Forum meetings.",
        refine=lambda qs: qs.select_related("org_unit", "chair_function").order_by("name"),
    ),
    Section(
        slug="forum-meetings", title="Forum meetings", singular="cancelled or moved meeting", icon="calendar-event",
        model=ForumMeetingException, serializer_class=MeetingExceptionSerializer, form_class=MeetingExceptionForm,
        headers=("Forum", "Scheduled", "Now"), search_fields=("forum__name", "note"), history_slug="forum-meeting",
        cells=lambda e: [e.forum.name, e.date.strftime("%a %-d %b %Y"),
                         f"moved to {format_instant(e.moved_to)}" if e.moved_to else "cancelled"],
        delete=lambda *, actor, obj: services.meeting_exception_delete(exception=obj),
        label=lambda e: f"{e.forum.name}, {e.date:%-d %b %Y}",
        description="Single meetings of a forum that are cancelled or moved; queued decisions go to the next "
                    "meeting that takes place.",
        refine=lambda qs: qs.select_related("forum").order_by("-date"),
    ),
]
