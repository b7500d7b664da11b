from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from governance.admin_services import ServiceAdmin
from kpis.forms import CONFIRM_HINT, MeasurementForm, TargetForm
from kpis.models import KPI, KPIOwnership, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.plausibility import PlausibilityWarning
from kpis.rows import BulkValidationError
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
class MeasurementAdmin(ServiceAdmin, SimpleHistoryAdmin):
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

    def save_through_service(self, request, obj, form, change):
        """Recorded on the row's own key: on a change (or a history revert) the key is the stored row's.
        The service's refusals become form errors (``ServiceAdmin`` runs this first in a savepoint)."""
        key = Measurement.objects.select_related("kpi", "org_unit").get(pk=obj.pk) if change else obj
        row = {"kpi": key.kpi.code, "org_unit": key.org_unit.code, "partnership": key.partnership_id,
               "period": key.period, "value": obj.value, "numerator": obj.numerator, "denominator": obj.denominator}
        field = "numerator" if key.kpi.is_ratio else "value"
        try:
            return measurements_record(actor=request.user, rows=[row], source="admin", now=timezone.now(),
                                       confirm=form.cleaned_data.get("confirm", False)).measurements[0]
        except BulkValidationError as exc:
            errors: dict[str, list[str]] = {}
            for e in exc.errors:
                errors.setdefault(e["field"] if e.get("field") in form.fields else NON_FIELD_ERRORS, []).append(
                    e["message"])
            raise ValidationError(errors) from None
        except PlausibilityWarning as exc:
            raise ValidationError({field: [f"{w.message} {CONFIRM_HINT}" for w in exc.warnings]}) from None

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
        """The cascade's rules: placement within the parent, archived units, the actor's scope. Every
        field the form holds is passed (a history revert's form has none "changed")."""
        fields = {f: v for f, v in form.cleaned_data.items() if f in objective_fields}
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

    def has_delete_permission(self, request, obj=None):
        return False
