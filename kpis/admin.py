from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from kpis.forms import MeasurementForm, TargetForm
from kpis.models import KPI, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.services import definitions
from kpis.services.dirty import mark_dirty, mark_kpi_dirty
from kpis.services.measurements import measurements_record


class OwnershipInline(admin.TabularInline):
    model = KPIOwnership
    extra = 0
    autocomplete_fields = ["function", "partnership"]


@admin.register(KPI)
class KPIAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category", "kind", "aggregation", "direction", "unit", "min_value", "max_value",
                    "frequency"]
    list_filter = ["category", "kind", "aggregation", "direction"]
    search_fields = ["code", "name"]
    inlines = [OwnershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"aggregation", "direction"} & set(form.changed_data):
            mark_kpi_dirty(obj.pk)

    def delete_model(self, request, obj):
        definitions.kpi_delete(kpi=obj)


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    form = TargetForm
    list_display = ["kpi", "org_unit", "partnership", "period", "value", "green_at", "red_at"]
    list_filter = ["kpi__category", "org_unit__level"]
    search_fields = ["kpi__code", "org_unit__code"]
    autocomplete_fields = ["kpi", "org_unit", "partnership"]
    date_hierarchy = "period"

    def save_model(self, request, obj, form, change):
        definitions.target_set(kpi=obj.kpi, org_unit=obj.org_unit, partnership=obj.partnership, period=obj.period,
                               value=obj.value, green_at=obj.green_at, red_at=obj.red_at,
                               target=obj if change else None)

    def delete_model(self, request, obj):
        definitions.target_delete(target=obj)

    def delete_queryset(self, request, queryset):
        keys = list(queryset.values_list("kpi_id", "org_unit_id", "partnership_key", "period"))
        super().delete_queryset(request, queryset)
        mark_dirty(keys)


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    """Values are checked by the KPI's rules (``MeasurementForm``); a new one is recorded through the
    same service as the API and imports (an upsert: safe if someone records the same key meanwhile)."""

    form = MeasurementForm
    list_display = ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator", "source",
                    "entered_at"]
    list_filter = ["source", "kpi__category"]
    search_fields = ["kpi__code", "org_unit__code"]
    autocomplete_fields = ["kpi", "org_unit", "partnership"]
    readonly_fields = ["entered_by", "entered_at"]
    show_full_result_count = False  # no COUNT(*) over millions of rows

    def save_model(self, request, obj, form, change):
        if not change:
            row = {"kpi": obj.kpi.code, "org_unit": obj.org_unit.code, "partnership": obj.partnership_id,
                   "period": obj.period, "value": obj.value, "numerator": obj.numerator,
                   "denominator": obj.denominator}
            obj.pk = measurements_record(actor=request.user, rows=[row], source="admin",
                                         now=timezone.now()).measurements[0].pk
            return
        # The form has applied its values to ``obj``: read the key the row leaves from the database.
        left = (Measurement.objects.filter(pk=obj.pk).values_list("kpi_id", "org_unit_id", "partnership_key", "period")
                .first() if change else None)
        obj.partnership_key = obj.partnership_id or 0
        obj.entered_by, obj.entered_at, obj.source = request.user, timezone.now(), "admin"
        super().save_model(request, obj, form, change)
        mark_dirty([(obj.kpi_id, obj.org_unit_id, obj.partnership_key, obj.period)] + ([left] if left else []))

    def delete_model(self, request, obj):
        key = (obj.kpi_id, obj.org_unit_id, obj.partnership_key, obj.period)
        super().delete_model(request, obj)
        mark_dirty([key])

    def delete_queryset(self, request, queryset):
        keys = list(queryset.values_list("kpi_id", "org_unit_id", "partnership_key", "period"))
        super().delete_queryset(request, queryset)
        mark_dirty(keys)


@admin.register(StrategicObjective)
class ObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "order"]
    filter_horizontal = ["kpis"]
    search_fields = ["code", "title"]


@admin.register(ScorecardCell)
class ScorecardCellAdmin(admin.ModelAdmin):
    """Read-only: cells are written by the rollup only."""

    list_display = ["kpi", "org_unit", "partnership_key", "grain", "period", "actual", "target", "attainment", "rag"]
    list_filter = ["grain", "rag"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
