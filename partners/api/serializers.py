"""Serializers: shape and reference resolution only; the rules live in ``partners.services``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.models import Function, OrgUnit, User
from governance.querysets import LOG
from partners import services
from partners.enablement.models import EnablementItem
from partners.enablement.services import enablement_create, enablement_update
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


class CodeField(ScopedSlugRelatedField):
    """An org unit or function by code, from those the caller may ``action`` (default: view)."""

    def __init__(self, model, **kwargs):
        super().__init__(model=model, slug_field="code", **kwargs)


UNKNOWN_PERSON = ("No person {pk_value} you can see. To involve a colleague from elsewhere, share the "
                  "partnership: share it with them first.")


def People(**kwargs):  # noqa: N802 - a field factory
    """User references: only people the caller may see; anyone else reads exactly like an id that
    does not exist (no enumeration of who exists)."""
    return ScopedPrimaryKeyRelatedField(model=User, error_messages={"does_not_exist": UNKNOWN_PERSON}, **kwargs)


class PartnerSerializer(serializers.ModelSerializer):
    org_units = CodeField(OrgUnit, action=LOG, many=True, required=False)
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
    partner = ScopedPrimaryKeyRelatedField(model=Partner)
    org_units = CodeField(OrgUnit, action=LOG, many=True)
    owner_function = CodeField(Function)
    functions = CodeField(Function, many=True, required=False)
    owner = People(required=False, allow_null=True)
    members = People(
        many=True, required=False,
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
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, not_found=True)
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
    review = ScopedPrimaryKeyRelatedField(model=BusinessReview, not_found=True)
    owner = People()
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
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, not_found=True)
    attendees = People(many=True, required=False)
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


class EnablementItemSerializer(serializers.ModelSerializer):
    """An enablement item of a partnership. ``partnership`` comes from the URL on create
    (``/partnerships/{id}/enablement-items/``) and never changes; ``owner`` among the people the
    caller sees, who must be able to open the partnership; ``done`` marks it done or reopens it
    (its owner may do only that). The rules are ``partners.enablement.services``'."""

    owner = People()
    due_date = serializers.DateField()
    done = serializers.BooleanField(required=False, help_text="true marks it done (now), false reopens it.")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = EnablementItem
        fields = ["id", "partnership", "kind", "title", "owner", "due_date", "done", "done_at", "archived_at",
                  "overdue"]
        read_only_fields = ["partnership", "done_at", "archived_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["done"] = instance.done_at is not None
        return data

    def get_overdue(self, item) -> bool:
        return item.archived_at is None and item.is_overdue(timezone.localdate())

    def create(self, validated_data):
        validated_data.pop("done", None)
        return enablement_create(actor=_user(self), partnership=self.context["partnership"], **validated_data)

    def update(self, instance, validated_data):
        return enablement_update(actor=_user(self), item=instance, **validated_data)
