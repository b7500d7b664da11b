from datetime import date
from decimal import Decimal

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.api.serializers import NaturalKeySerializerMixin
from governance.models import Function, OrgUnit
from governance.periods import parse_period
from kpis.models import KPI, ImportJob, Measurement, ScorecardCell, StrategicObjective, Target
from kpis.services import definitions
from kpis.values import parse_number
from partners.models import Partnership


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2025-03"})
class PeriodField(serializers.Field):
    """A month as ``YYYY-MM`` (stored as its first day)."""

    def to_representation(self, value: date) -> str:
        return value.strftime("%Y-%m")

    def to_internal_value(self, data) -> date:
        try:
            return parse_period(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


@extend_schema_field({"type": "number", "example": 0.63})
class NumberField(serializers.Field):
    """A number parsed strictly (``kpis.values.parse_number``: no ``1_000``, ``1e-9``, NaN …), as a
    JSON number or a string of plain digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal | None:
        try:
            number = parse_number(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        if number is None and not self.allow_null:
            raise serializers.ValidationError("Give a number.")
        return number

    def to_representation(self, value) -> float | None:
        return None if value is None else float(value)


class OwnerSerializer(serializers.Serializer):
    function = ScopedSlugRelatedField(model=Function, slug_field="code", allow_null=True, required=False)
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, allow_null=True, required=False)
    weight = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0, default=1, coerce_to_string=False)

    def validate(self, attrs):
        if (attrs.get("function") is None) == (attrs.get("partnership") is None):
            raise serializers.ValidationError("Give either a function or a partnership.")
        return attrs

    def to_representation(self, ownership):
        return {"function": ownership.function.code if ownership.function_id else None,
                "partnership": ownership.partnership_id, "weight": float(ownership.weight)}


class KPISerializer(NaturalKeySerializerMixin, serializers.ModelSerializer):
    """``owners`` lists the co-owners the caller may see (``KPIOwnership`` ``"view"``: never another
    partnership's id); ``is_shared`` counts them all."""

    owners = OwnerSerializer(many=True, required=False, source="ownerships")
    is_shared = serializers.SerializerMethodField()
    min_value = NumberField(allow_null=True, required=False, help_text="Smallest valid actual (null: the kind's "
                                                                        "default; percent 0)")
    max_value = NumberField(allow_null=True, required=False, help_text="Largest valid actual (null: the kind's "
                                                                        "default; percent 1 = 100%)")

    class Meta:
        model = KPI
        fields = ["code", "name", "unit", "direction", "aggregation", "category", "frequency", "kind", "min_value",
                  "max_value", "description", "owners", "is_shared"]
        extra_kwargs = {"kind": {"help_text": "percent (stored as a fraction: 0.63 = 63%; default when unit is %), "
                                              "count, currency (default for EUR/USD/GBP/JPY), duration, score "
                                              "(min_value and max_value required) or number"}}

    def get_is_shared(self, kpi) -> bool:
        count = getattr(kpi, "owner_count", None)  # annotated by the viewset: owners hidden from the caller count too
        return (len(kpi.ownerships.all()) if count is None else count) >= 2

    @staticmethod
    def _owners(items):
        return [(o.get("function"), o.get("partnership"), o.get("weight", 1)) for o in items]

    def create(self, validated_data):
        owners = self._owners(validated_data.pop("ownerships", []))
        return definitions.kpi_create(owners=owners, **validated_data)

    def update(self, instance, validated_data):
        owners = validated_data.pop("ownerships", None)
        return definitions.kpi_update(kpi=instance, owners=None if owners is None else self._owners(owners),
                                      **validated_data)


class TargetSerializer(serializers.ModelSerializer):
    kpi = ScopedSlugRelatedField(model=KPI, slug_field="code")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code", action="log")
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, action="log", allow_null=True, required=False)
    period = PeriodField()
    value = NumberField(help_text="In the KPI's kind and range (percent: a fraction, 0.63 = 63%)")
    green_at = serializers.DecimalField(max_digits=6, decimal_places=3, default=Decimal("1.000"),
                                        coerce_to_string=False)
    red_at = serializers.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0.900"),
                                      coerce_to_string=False)

    class Meta:
        model = Target
        fields = ["id", "kpi", "org_unit", "partnership", "period", "value", "green_at", "red_at"]
        validators: list = []  # the unique key is checked by the service (it knows partnership_key)

    def create(self, validated_data):
        return definitions.target_set(partnership=validated_data.pop("partnership", None), **validated_data)

    def update(self, instance, validated_data):
        fields = {"kpi": instance.kpi, "org_unit": instance.org_unit, "partnership": instance.partnership,
                  "period": instance.period, "value": instance.value, "green_at": instance.green_at,
                  "red_at": instance.red_at, **validated_data}
        return definitions.target_set(target=instance, **fields)


class MeasurementSerializer(serializers.ModelSerializer):
    kpi = serializers.SlugRelatedField(slug_field="code", read_only=True)
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = PeriodField(read_only=True)
    value = serializers.FloatField(read_only=True, allow_null=True)
    numerator = serializers.FloatField(read_only=True, allow_null=True)
    denominator = serializers.FloatField(read_only=True, allow_null=True)
    entered_by = serializers.SerializerMethodField(
        help_text="Username of whoever entered it; null for a partner user when it was someone else.")

    class Meta:
        model = Measurement
        fields = ["id", "kpi", "org_unit", "partnership", "period", "value", "numerator", "denominator", "source",
                  "entered_by", "entered_at", "outlier_note"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_entered_by(self, measurement: Measurement) -> str | None:
        return measurement.entered_by_seen_by(self.context["request"].user)


class MeasurementInputSerializer(serializers.Serializer):
    """One measurement to record (the request body is this object or a JSON array of them)."""

    kpi = serializers.CharField(help_text="KPI code")
    org_unit = serializers.CharField(help_text="Org unit code")
    partnership = serializers.IntegerField(required=False, allow_null=True)
    period = serializers.CharField(help_text="YYYY-MM")
    value = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    numerator = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)
    denominator = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class BulkErrorSerializer(serializers.Serializer):
    errors = RowErrorSerializer(many=True, help_text="The first 1,000 errors.")
    error_count = serializers.IntegerField(help_text="How many errors there are in all.")


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import job as its uploader polls it: status (queued, running, confirm, done, failed),
    progress, and when finished the counts and changed keys, the row errors or the values to confirm."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "url", "filename", "fmt", "rows", "status", "progress", "step", "requested_at", "started_at",
                  "finished_at", "confirm", "created", "corrected", "unchanged", "changes", "errors", "error_count",
                  "warnings", "warning_count", "error"]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("import-job-detail", args=[job.pk])


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX: kpi,org_unit,partnership,period,value,numerator,denominator")
    decimal = serializers.ChoiceField(choices=["", "point", "comma"], required=False,
                                      help_text="The CSV's decimal separator (default: sniffed)")
    confirm = serializers.BooleanField(required=False, help_text="Record values far from their history as they are")


class ScorecardCellSerializer(serializers.ModelSerializer):
    kpi = serializers.CharField(source="kpi.code")
    kpi_name = serializers.CharField(source="kpi.name")
    unit = serializers.CharField(source="kpi.unit")
    direction = serializers.CharField(source="kpi.direction")
    aggregation = serializers.CharField(source="kpi.aggregation")
    org_unit = serializers.CharField(source="org_unit.code")
    period = PeriodField()
    actual = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    attainment = serializers.FloatField(allow_null=True)
    coverage = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardCell
        fields = ["kpi", "kpi_name", "unit", "direction", "aggregation", "org_unit", "partnership", "grain",
                  "period", "actual", "target", "attainment", "rag", "reporting", "expected", "coverage"]
        read_only_fields = fields

    def get_coverage(self, cell) -> float | None:
        return cell.coverage


class ObjectiveSerializer(NaturalKeySerializerMixin, serializers.ModelSerializer):
    """An objective of the cascade: ``parent`` (code; blank for top-level, admins only), and where it
    applies: ``org_unit`` (code) or ``partnership`` (id), never both. References choose from the
    caller's scope; the placement rules are ``kpis.services.objectives``'."""

    kpis = ScopedSlugRelatedField(model=KPI, slug_field="code", many=True, required=False)
    parent = ScopedSlugRelatedField(model=StrategicObjective, slug_field="code", required=False, allow_null=True,
                                    help_text="Code of the objective this one refines (blank: a top-level objective).")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code", action="log", required=False,
                                      allow_null=True, help_text="Code of the org unit it applies to.")
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, required=False, allow_null=True,
                                               help_text="Or the partnership it applies to (id).")
    children = serializers.SerializerMethodField(help_text="Codes of the child objectives the caller may see.")

    class Meta:
        model = StrategicObjective
        fields = ["code", "title", "description", "order", "parent", "org_unit", "partnership", "kpis", "children"]

    def get_children(self, instance) -> list[str]:
        if "children" in getattr(instance, "_prefetched_objects_cache", {}):  # the viewset prefetches them scoped
            return [c.code for c in instance.children.all()]
        return list(StrategicObjective.objects.restrict(self._actor(), "view").filter(parent=instance)
                    .values_list("code", flat=True))

    def _actor(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def create(self, validated_data):
        return definitions.objective_save(actor=self._actor(), kpis=validated_data.pop("kpis", []), **validated_data)

    def update(self, instance, validated_data):
        return definitions.objective_save(actor=self._actor(), objective=instance,
                                          kpis=validated_data.pop("kpis", None), **validated_data)
