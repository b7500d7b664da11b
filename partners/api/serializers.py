"""Serializers: shape and reference resolution only; the rules live in ``partners.services``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from governance.models import Function, OrgUnit, User
from partners import services
from partners.models import (
    DIMENSION_FIELDS,
    BusinessReview,
    MaturityAssessment,
    Partner,
    Partnership,
    ReviewAction,
)


def _user(serializer):
    return serializer.context["request"].user


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference resolved through ``visible_to(request.user)``. Out of scope (or unknown) answers
    404 when ``not_found=True`` — the caller learns nothing about objects they cannot see."""

    def __init__(self, *, model, not_found: bool = False, **kwargs):
        self.model = model
        self.not_found = not_found
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            if self.not_found:
                raise NotFound(f"No such {self.model._meta.verbose_name}.") from None
            raise


class CodeField(serializers.SlugRelatedField):
    def __init__(self, model, **kwargs):
        super().__init__(slug_field="code", queryset=model.objects.all(), **kwargs)


class PartnerSerializer(serializers.ModelSerializer):
    org_units = CodeField(OrgUnit, many=True, required=False)
    partnerships = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = ["id", "name", "kind", "status", "org_units", "partnerships"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_partnerships(self, partner) -> list[int]:
        """Ids of this partner's partnerships the caller can see."""
        return [p.pk for p in getattr(partner, "visible_partnerships", [])]

    def create(self, validated_data):
        return services.partner_create(actor=_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.partner_update(actor=_user(self), partner=instance, **validated_data)


class PartnershipSerializer(serializers.ModelSerializer):
    partner = ScopedPrimaryKeyField(model=Partner)
    org_units = CodeField(OrgUnit, many=True)
    owner_function = CodeField(Function)
    functions = CodeField(Function, many=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), many=True, required=False,
        help_text="Partner users who may log in and see this partnership. Admins only may write it.",
    )
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Partnership
        fields = ["id", "partner", "name", "type", "org_units", "owner_function", "functions", "status", "start",
                  "end", "review_cadence", "owner", "members", "next_review_due", "review_overdue"]
        read_only_fields = ["next_review_due"]

    def get_review_overdue(self, partnership) -> bool:
        return partnership.review_overdue(timezone.localdate())

    def create(self, validated_data):
        return services.partnership_create(actor=_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.partnership_update(actor=_user(self), partnership=instance, **validated_data)


class MaturitySerializer(serializers.Serializer):
    level = serializers.IntegerField(allow_null=True)
    level_name = serializers.CharField()
    average = serializers.FloatField(allow_null=True)
    dimensions = serializers.ListField(child=serializers.DictField())


@extend_schema_field(OpenApiTypes.OBJECT)
class CommentsField(serializers.DictField):
    """``{dimension: comment}``."""

    child = serializers.CharField(allow_blank=True)


class MaturityAssessmentSerializer(serializers.ModelSerializer):
    partnership = ScopedPrimaryKeyField(model=Partnership, not_found=True)
    comments = CommentsField(required=False)
    average = serializers.FloatField(read_only=True)

    class Meta:
        model = MaturityAssessment
        fields = ["id", "partnership", "side", "assessed_at", "assessed_by", *DIMENSION_FIELDS, "average",
                  "comments", "summary"]
        read_only_fields = ["side", "assessed_at", "assessed_by"]

    def validate_partnership(self, value):
        if self.instance is not None and value.pk != self.instance.partnership_id:
            raise serializers.ValidationError("An assessment stays with its partnership.")
        return value

    def create(self, validated_data):
        scores = {f: validated_data.pop(f) for f in DIMENSION_FIELDS if f in validated_data}
        return services.assessment_create(actor=_user(self), scores=scores, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("partnership", None)
        scores = {f: validated_data.pop(f) for f in DIMENSION_FIELDS if f in validated_data}
        return services.assessment_update(actor=_user(self), assessment=instance, scores=scores or None,
                                          **validated_data)


class ReviewActionSerializer(serializers.ModelSerializer):
    review = ScopedPrimaryKeyField(model=BusinessReview, not_found=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ReviewAction
        fields = ["id", "review", "partnership", "title", "description", "owner", "due_date", "status", "done_at",
                  "overdue"]
        read_only_fields = ["partnership", "done_at"]

    def validate_review(self, value):
        if self.instance is not None and value.pk != self.instance.review_id:
            raise serializers.ValidationError("An action stays with its review.")
        return value

    def get_overdue(self, action) -> bool:
        return action.is_overdue(timezone.localdate())

    def create(self, validated_data):
        validated_data.pop("status", None)
        return services.action_create(actor=_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.action_update(actor=_user(self), action=instance, **validated_data)


class BusinessReviewSerializer(serializers.ModelSerializer):
    partnership = ScopedPrimaryKeyField(model=Partnership, not_found=True)
    attendees = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    actions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = BusinessReview
        fields = ["id", "partnership", "date", "kind", "status", "title", "attendees", "agenda", "notes", "actions"]

    def validate_partnership(self, value):
        if self.instance is not None and value.pk != self.instance.partnership_id:
            raise serializers.ValidationError("A review stays with its partnership.")
        return value

    def create(self, validated_data):
        return services.review_create(actor=_user(self), **validated_data)

    def update(self, instance, validated_data):
        return services.review_update(actor=_user(self), review=instance, **validated_data)
