"""API filters. A filter naming another object chooses from the caller's scope (``scoped``)."""

import django_filters

from governance.models import OrgUnit
from governance.querysets import scoped
from kpis.models import KPI, Measurement, StrategicObjective, Target
from partners.models import Partnership


class KPIFilter(django_filters.FilterSet):
    class Meta:
        model = KPI
        fields = ["category", "aggregation", "direction", "frequency"]


class MeasurementFilter(django_filters.FilterSet):
    kpi = django_filters.CharFilter(field_name="kpi__code")
    org_unit = django_filters.CharFilter(field_name="org_unit__code")
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = Measurement
        fields = ["kpi", "org_unit", "partnership", "period_from", "period_to"]


class TargetFilter(django_filters.FilterSet):
    kpi = django_filters.CharFilter(field_name="kpi__code")
    org_unit = django_filters.CharFilter(field_name="org_unit__code")
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))

    class Meta:
        model = Target
        fields = ["kpi", "org_unit", "partnership"]


class ObjectiveFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=scoped(StrategicObjective), to_field_name="code")
    org_unit = django_filters.ModelChoiceFilter(queryset=scoped(OrgUnit), to_field_name="code")
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    top = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = StrategicObjective
        fields = ["parent", "org_unit", "partnership", "top"]
