"""Forum and meeting-exception serializers (the Manage pages write forums through them, as an API
would; decisions/forums.py has the meeting rule)."""

from __future__ import annotations

from rest_framework import serializers

from decisions import services
from decisions.models import Forum, ForumMeetingException
from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.models import Function, OrgUnit


class ForumSerializer(serializers.ModelSerializer):
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code",
                                      help_text="The unit whose forum it is (its time zone sets the meetings').")
    chair_function = ScopedSlugRelatedField(model=Function, slug_field="code", required=False, allow_null=True)

    class Meta:
        model = Forum
        fields = ["id", "name", "org_unit", "chair_function", "recurrence", "weekday", "week_of_month",
                  "time_of_day", "first_date", "archived_at"]
        read_only_fields = ["archived_at"]

    def create(self, validated_data):
        return services.forum_create(**validated_data)

    def update(self, instance, validated_data):
        return services.forum_update(forum=instance, **validated_data)


class MeetingExceptionSerializer(serializers.ModelSerializer):
    forum = ScopedPrimaryKeyRelatedField(model=Forum)

    class Meta:
        model = ForumMeetingException
        fields = ["id", "forum", "date", "moved_to", "note"]

    def create(self, validated_data):
        return services.meeting_exception_create(**validated_data)

    def update(self, instance, validated_data):
        return services.meeting_exception_update(exception=instance, **validated_data)
