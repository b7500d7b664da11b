"""Filters shared by the API and the directory page.

A filter that names another object (``?partnership=``, ``?partner=``, ``?review=``, ``?owner=``)
chooses from what the caller may view (``scoped``): an id outside the caller's scope is refused
exactly like one that does not exist, so filters are no existence oracle.
"""

from __future__ import annotations

import django_filters
from django.db import models
from django.utils import timezone

from governance.models import OrgUnit, User
from governance.querysets import scoped
from partners.enablement.models import EnablementItem
from partners.models import (
    ActionStatus,
    AssessmentSide,
    BusinessReview,
    MaturityAssessment,
    Partner,
    PartnerKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    PartnerStatus,
    ReviewAction,
    ReviewKind,
    ReviewStatus,
)


def _subtree(request, code: str):
    """The caller's units under (and including) the unit ``code``."""
    return OrgUnit.objects.restrict(request.user, "view").filter(ancestor_links__ancestor__code=code).values("pk")


class PartnerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PartnerKind.choices)
    status = django_filters.ChoiceFilter(choices=PartnerStatus.choices)
    type = django_filters.ChoiceFilter(
        choices=PartnershipType.choices, method="filter_type", label="Has a partnership of this type"
    )
    org_unit = django_filters.CharFilter(method="filter_org_unit", label="Org unit code (its whole subtree)")

    class Meta:
        model = Partner
        fields = ["kind", "status"]

    def filter_type(self, queryset, name, value):
        partnerships = Partnership.objects.restrict(self.request.user, "view")
        return queryset.filter(pk__in=partnerships.filter(type=value).values("partner_id"))

    def filter_org_unit(self, queryset, name, value):
        units = _subtree(self.request, value)
        partnerships = Partnership.objects.restrict(self.request.user, "view")
        return queryset.filter(
            models.Q(pk__in=Partner.org_units.through.objects.filter(orgunit_id__in=units).values("partner_id"))
            | models.Q(pk__in=partnerships.filter(org_units__in=units).values("partner_id"))
        )


class PartnershipFilter(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(queryset=scoped(Partner))
    type = django_filters.ChoiceFilter(choices=PartnershipType.choices)
    status = django_filters.ChoiceFilter(choices=PartnershipStatus.choices)
    org_unit = django_filters.CharFilter(method="filter_org_unit", label="Org unit code (its whole subtree)")
    review_overdue = django_filters.BooleanFilter(method="filter_review_overdue")

    class Meta:
        model = Partnership
        fields = ["partner", "type", "status", "review_cadence"]

    def filter_org_unit(self, queryset, name, value):
        return queryset.filter(pk__in=Partnership.org_units.through.objects.filter(
            orgunit_id__in=_subtree(self.request, value)).values("partnership_id"))

    def filter_review_overdue(self, queryset, name, value):
        overdue = models.Q(status__in=["active", "under_review"], next_review_due__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class MaturityAssessmentFilter(django_filters.FilterSet):
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    side = django_filters.ChoiceFilter(choices=AssessmentSide.choices)

    class Meta:
        model = MaturityAssessment
        fields = ["partnership", "side"]


class BusinessReviewFilter(django_filters.FilterSet):
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = BusinessReview
        fields = ["partnership", "kind", "status"]


class ReviewActionFilter(django_filters.FilterSet):
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    review = django_filters.ModelChoiceFilter(queryset=scoped(BusinessReview))
    owner = django_filters.ModelChoiceFilter(queryset=scoped(User))
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only the caller's actions")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past due")

    class Meta:
        model = ReviewAction
        fields = ["partnership", "review", "status", "owner"]

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)

    def filter_overdue(self, queryset, name, value):
        overdue = models.Q(status=ActionStatus.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class EnablementItemFilter(django_filters.FilterSet):
    partnership = django_filters.ModelChoiceFilter(queryset=scoped(Partnership))
    owner = django_filters.ModelChoiceFilter(queryset=scoped(User))
    archived = django_filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True,
                                            label="Archived items (true) or those in the plan (false)")

    class Meta:
        model = EnablementItem
        fields = ["partnership", "owner", "kind", "archived"]
