from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from decisions.models import (
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionType,
    Escalation,
    Holiday,
    MatrixCell,
    MatrixVersion,
    PauseRule,
)


class PauseRuleInline(admin.TabularInline):
    """The reasons a decision of the type may be paused for, and their rules (issue 18)."""

    model = PauseRule
    extra = 0
    fields = ["code", "label", "party", "who_may_pause", "stops_clock", "max_hours", "resumes_on_answer", "is_active"]


@admin.register(DecisionType)
class DecisionTypeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "decided_at_level", "sla_hours", "calendar", "escalation_enabled", "is_active"]
    list_filter = ["decided_at_level", "calendar", "is_active"]
    search_fields = ["code", "name"]
    inlines = [PauseRuleInline]


@admin.register(Holiday)
class HolidayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "name", "org_unit"]
    list_filter = ["org_unit"]
    date_hierarchy = "date"


class MatrixCellInline(admin.TabularInline):
    model = MatrixCell
    extra = 0
    can_delete = False
    readonly_fields = ["decision_type", "function", "role"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MatrixVersion)
class MatrixVersionAdmin(SimpleHistoryAdmin):
    """Versions are published from the matrix editor (lint first); here they are read-only."""

    list_display = ["number", "effective_at", "published_by", "created_at", "note"]
    readonly_fields = ["number", "effective_at", "published_by", "created_at", "note"]
    inlines = [MatrixCellInline]

    def has_add_permission(self, request):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ParticipantInline(ReadOnlyInline):
    model = DecisionParticipant


class EventInline(ReadOnlyInline):
    model = DecisionEvent


class EscalationInline(ReadOnlyInline):
    model = Escalation


class PauseInline(ReadOnlyInline):
    model = DecisionPause


class StageInline(ReadOnlyInline):
    model = DecisionStage


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Decisions change through the workflow (events), so the admin shows them read-only."""

    list_display = ["title", "decision_type", "org_unit", "status", "priority", "escalation_level", "due_at"]
    list_filter = ["status", "priority", "decision_type", "escalation_level"]
    search_fields = ["title"]
    list_select_related = ["decision_type", "org_unit"]
    inlines = [ParticipantInline, EventInline, EscalationInline, PauseInline, StageInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
