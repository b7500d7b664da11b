"""Holiday serializer (the Manage pages write holidays through it, as an API would)."""

from __future__ import annotations

from rest_framework import serializers

from decisions import services
from decisions.models import Holiday
from governance.api.fields import ScopedSlugRelatedField
from governance.models import OrgUnit


class HolidaySerializer(serializers.ModelSerializer):
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code",
                                      help_text="The unit closed that day, with every unit below it.")

    class Meta:
        model = Holiday
        fields = ["id", "org_unit", "date", "name"]

    def create(self, validated_data):
        return services.holiday_create(**validated_data)

    def update(self, instance, validated_data):
        return services.holiday_update(holiday=instance, **validated_data)
