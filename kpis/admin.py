from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from governance.admin_services import ServiceAdmin
from kpis.forms import MeasurementForm, TargetForm
from kpis.models import KPI, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.services import definitions
from kpis.services.measurements import measurements_delete, measurements_record
from kpis.services.objectives import FIELDS as objective_fields
from kpis.services.objectives import objective_delete, objective_save


class OwnershipInline(admin.TabularInline):
    model = KPIOwnership
    extra = 0
    autocomplete_fields = ["function", "partnership"]


@admin.register(KPI)
class KPIAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "category", "kind", "aggregation", "direction", "unit", "min_value", "max_value",
                    "frequency"]
    list_filter = ["category", "kind", "aggregation", "direction"]
    search_fields = ["code", "name"]
    inlines = [OwnershipInline]

    def save_through_service(self, request, obj, form, change):
        """Its rules (natural key, kind) and the re-roll of a new aggregation or direction."""
        if change:
            return definitions.kpi_update(kpi=obj, **{f: form.cleaned_data[f] for f in form.changed_data
                                                      if f in definitions.KPI_FIELDS})
        return definitions.kpi_create(**{f: v for f, v in form.cleaned_data.items() if f in definitions.KPI_FIELDS})

    def delete_model(self, request, obj):
        definitions.kpi_delete(kpi=obj)

    def delete_queryset(self, request, queryset):
        for kpi in queryset:
            definitions.kpi_delete(kpi=kpi)


@admin.register(Target)
class TargetAdmin(ServiceAdmin, SimpleHistoryAdmin):
    form = TargetForm
    list_display = ["kpi", "org_unit", "partnership", "period", "value", "green_at", "red_at"]
    list_filter = ["kpi__category", "org_unit__level"]
    search_fields = ["kpi__code", "org_unit__code"]
    autocomplete_fields = ["kpi", "org_unit", "partnership"]
    date_hierarchy = "period"

    def save_through_service(self, request, obj, form, change):
        return definitions.target_set(kpi=obj.kpi, org_unit=obj.org_unit, partnership=obj.partnership,
                                      period=obj.period, value=obj.value, green_at=obj.green_at, red_at=obj.red_at,
                                      target=obj if change else None)

    def delete_model(self, request, obj):
        definitions.target_delete(target=obj)

    def delete_queryset(self, request, queryset):
        for target in queryset:
            definitions.target_delete(target=target)


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    """Values are checked by the KPI's rules (``MeasurementForm``) and recorded through the same
    service as the API and imports (an upsert: safe if someone records the same key meanwhile). A
    recorded row keeps its key (KPI, unit, partnership, month): correct its figures, or delete it
    (through ``measurements_delete``) and record the right key."""

    form = MeasurementForm
    list_display = ["kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator", "source",
                    "entered_at"]
    list_filter = ["source", "kpi__category"]
    search_fields = ["kpi__code", "org_unit__code"]
    autocomplete_fields = ["kpi", "org_unit", "partnership"]
    readonly_fields = ["entered_by", "entered_at"]
    show_full_result_count = False  # no COUNT(*) over millions of rows

    def get_readonly_fields(self, request, obj=None):
        key = ["kpi", "org_unit", "partnership", "period"] if obj is not None else []
        return [*self.readonly_fields, *key]

    def save_model(self, request, obj, form, change):
        row = {"kpi": obj.kpi.code, "org_unit": obj.org_unit.code, "partnership": obj.partnership_id,
               "period": obj.period, "value": obj.value, "numerator": obj.numerator,
               "denominator": obj.denominator}
        obj.pk = measurements_record(actor=request.user, rows=[row], source="admin", now=timezone.now(),
                                     confirm=form.cleaned_data.get("confirm", False)).measurements[0].pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        measurements_delete(measurements=[obj])

    def delete_queryset(self, request, queryset):
        measurements_delete(measurements=queryset)


@admin.register(StrategicObjective)
class ObjectiveAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = ["code", "title", "order"]
    filter_horizontal = ["kpis"]
    search_fields = ["code", "title"]

    def save_through_service(self, request, obj, form, change):
        """The cascade's rules: placement within the parent, archived units, the actor's scope."""
        fields = {f: form.cleaned_data[f] for f in (form.changed_data if change else form.cleaned_data)
                  if f in objective_fields}
        return objective_save(objective=obj if change else None, kpis=form.cleaned_data.get("kpis"),
                              actor=request.user, **fields)

    def delete_model(self, request, obj):
        objective_delete(objective=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for objective in queryset:
            objective_delete(objective=objective, actor=request.user)


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
