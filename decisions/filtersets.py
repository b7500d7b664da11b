"""API filters of decisions. A filter naming another object chooses from the caller's scope."""

import django_filters
from django.utils import timezone

from decisions.models import Decision, DecisionState, DecisionStatus, DecisionType, Priority
from governance.models import OrgUnit
from governance.querysets import scoped
from partners.models import Partnership


class DecisionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DecisionStatus.choices)
    state = django_filters.ChoiceFilter(choices=DecisionState.choices, method="filter_state",
                                        help_text="What a reader sees: open, blocked (vetoed), decided or withdrawn.")
    q = django_filters.CharFilter(method="filter_q", help_text="Search title, description, partnership and partner.")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    decision_type = django_filters.ModelChoiceFilter(field_name="decision_type", to_field_name="code",
                                                     queryset=scoped(DecisionType))
    org_unit = django_filters.CharFilter(method="filter_org_unit", help_text="Org unit code: its whole subtree.")
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Open and past due.")
    escalated = django_filters.BooleanFilter(method="filter_escalated", help_text="Escalated at least once.")

    class Meta:
        model = Decision
        fields = ["status", "state", "priority", "decision_type", "org_unit", "partnership", "overdue", "escalated",
                  "q"]

    def get_form_class(self):
        """The form of the filters asked for: one not in the query filters nothing (an absent value
        is skipped), so its field — for decision_type and partnership a queryset scoped to the
        caller — is not built per request. ``filters`` stays whole (the schema and the scope checks
        read it)."""
        if not self.is_bound:
            return super().get_form_class()
        fields = {name: f.field for name, f in self.filters.items() if name in self.data}
        return type(f"{type(self).__name__}Form", (self._meta.form,), fields)

    def filter_state(self, queryset, name, value):
        return queryset.in_state(value, viewer=self.request.user)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_org_unit(self, queryset, name, value):
        units = OrgUnit.objects.restrict(self.request.user, "view").filter(ancestor_links__ancestor__code=value)
        return queryset.filter(org_unit__in=units.values("pk"))

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(status="open", sla_due_at__lte=now)

    def filter_escalated(self, queryset, name, value):
        if self.request.user.is_partner:  # escalations are internal: nothing answers "escalated" for them
            return queryset.none() if value else queryset
        return queryset.filter(escalation_level__gt=0) if value else queryset.filter(escalation_level=0)
