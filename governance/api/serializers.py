import copy
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from governance import services
from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.models import PARTNERSHIP_MODEL, Assignment, Function, OrgUnit, User


# A comment, not a docstring, for the same reason as below. DRF's ModelSerializer works its fields out
# from the model (``get_field_info``, ``build_field``, each model field's validators) for every
# serializer it makes: ~8% of a small list's request. For a serializer whose fields depend on its
# class alone (Meta and declared fields: no ``get_fields``/``build_field`` override, nothing read
# from the context), the mixin builds them once per class and hands each serializer a deep copy,
# which DRF's fields support by re-creating themselves from their arguments (as DRF copies declared
# fields). tests/governance/test_api.py compares the fields with DRF's own.
class ClassFieldsMixin:
    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_class_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._class_fields = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


# ``code`` is set on create and never changes: the model's rule (``governance.natural_keys``). A comment,
# not a docstring: drf-spectacular would describe every serializer using the mixin with it.
class NaturalKeySerializerMixin:

    instance: Any

    def validate_code(self, value: str) -> str:
        error = self.instance.code_change_error(value) if self.instance is not None else None
        if error:
            raise serializers.ValidationError(error)
        return value


class OrgUnitSerializer(ClassFieldsMixin, NaturalKeySerializerMixin, serializers.ModelSerializer):
    parent = ScopedSlugRelatedField(model=OrgUnit, slug_field="code", allow_null=True, required=False)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "level", "parent", "timezone"]

    def create(self, validated_data):
        return services.org_unit_create(parent=validated_data.pop("parent", None), **validated_data)

    def update(self, instance, validated_data):
        return services.org_unit_update(unit=instance, **validated_data)


class FunctionSerializer(ClassFieldsMixin, NaturalKeySerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Function
        fields = ["code", "name"]

    def create(self, validated_data):
        return services.function_create(**validated_data)

    def update(self, instance, validated_data):
        return services.function_update(function=instance, name=validated_data.get("name", instance.name))


class AssignmentSerializer(serializers.ModelSerializer):
    function = ScopedSlugRelatedField(model=Function, slug_field="code")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code")
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")

    class Meta:
        model = Assignment
        fields = ["function", "org_unit", "title"]


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    assignments = AssignmentSerializer(many=True, required=False)
    partnerships = ScopedPrimaryKeyRelatedField(model=PARTNERSHIP_MODEL, many=True, required=False)

    class Meta:
        model = User
        fields = ["id", "username", "password", "email", "first_name", "last_name", "role",
                  "is_active", "timezone", "assignments", "partnerships"]
        read_only_fields = ["id"]
        extra_kwargs = {"role": {"required": True}}  # user_create needs it (was a 500 when omitted)

    def validate(self, attrs):
        password = attrs.get("password")
        if password:
            candidate = User(username=attrs.get("username", getattr(self.instance, "username", "")),
                             email=attrs.get("email", ""))
            try:
                validate_password(password, user=candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs

    @staticmethod
    def _assignment_triples(items):
        return [(a["function"], a["org_unit"], a.get("title", "")) for a in items]

    def create(self, validated_data):
        assignments = self._assignment_triples(validated_data.pop("assignments", []))
        return services.user_create(
            password=validated_data.pop("password", None),
            assignments=assignments,
            partnerships=validated_data.pop("partnerships", []),
            **validated_data,
        )

    def update(self, instance, validated_data):
        assignments = validated_data.pop("assignments", None)
        return services.user_update(
            user=instance,
            password=validated_data.pop("password", None),
            assignments=None if assignments is None else self._assignment_triples(assignments),
            partnerships=validated_data.pop("partnerships", None),
            **validated_data,
        )
