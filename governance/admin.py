from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from governance import services
from governance.admin_services import ServiceAdmin
from governance.models import Assignment, Function, Heartbeat, OrgUnit, User


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["function", "org_unit"]


@admin.register(User)
class AccordUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "get_full_name", "email", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = UserAdmin.fieldsets + (("Accord", {"fields": ["role"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Accord", {"fields": ["role"]}),)
    inlines = [AssignmentInline]


@admin.register(OrgUnit)
class OrgUnitAdmin(ServiceAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "level", "parent", "timezone"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]

    def save_through_service(self, request, obj, form, change):
        # The closure table must follow every create and move: go through the services.
        if change:
            return services.org_unit_update(unit=obj, **{f: form.cleaned_data[f] for f in form.changed_data})
        return services.org_unit_create(code=obj.code, name=obj.name, level=obj.level, parent=obj.parent,
                                        timezone=obj.timezone)


@admin.register(Function)
class FunctionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "function", "org_unit", "title"]
    list_filter = ["function", "org_unit__level"]
    search_fields = ["user__username", "org_unit__code", "title"]
    autocomplete_fields = ["user", "function", "org_unit"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beats", "last_seen"]


def _superusers_only(request) -> bool:
    """Django's admin is a superuser's tool (Axes, heartbeats, beat schedules, raw tables);
    business admins run the organisation from the Manage area (``/manage/``)."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
