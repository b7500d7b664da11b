from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from simple_history.admin import SimpleHistoryAdmin

from governance.models import User
from partners import services
from partners.models import (
    BusinessReview,
    Commitment,
    MaturityAssessment,
    Partner,
    Partnership,
    PartnershipGroupObjectPermission,
    PartnershipUserObjectPermission,
    ReviewAction,
)


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]
    filter_horizontal = ["org_units"]


class ShareActionForm(ActionForm):
    username = forms.CharField(required=False, label="Username to share with / unshare from")


@admin.register(Partnership)
class PartnershipAdmin(SimpleHistoryAdmin):
    list_display = ["name", "partner", "type", "status", "review_cadence", "next_review_due"]
    list_filter = ["type", "status", "review_cadence"]
    search_fields = ["name", "partner__name"]
    autocomplete_fields = ["partner", "owner_function", "owner"]
    filter_horizontal = ["org_units", "functions", "members"]
    readonly_fields = ["next_review_due"]
    action_form = ShareActionForm
    actions = ["share_with_user", "unshare_from_user"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.partnership_refresh_review_due(partnership=form.instance)

    def _target(self, request):
        user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        if user is None:
            self.message_user(request, "Enter the username of an existing user.", messages.ERROR)
        return user

    @admin.action(description="Share selected partnerships (read-only) with the user named below")
    def share_with_user(self, request, queryset):
        user = self._target(request)
        if user is None:
            return
        for partnership in queryset:
            services.partnership_share(actor=request.user, partnership=partnership, user=user)
        self.message_user(request, f"Shared {queryset.count()} partnership(s) with {user.username}.")

    @admin.action(description="Stop sharing selected partnerships with the user named below")
    def unshare_from_user(self, request, queryset):
        user = self._target(request)
        if user is None:
            return
        for partnership in queryset:
            services.partnership_unshare(actor=request.user, partnership=partnership, user=user)
        self.message_user(request, f"Unshared {queryset.count()} partnership(s) from {user.username}.")


@admin.register(MaturityAssessment)
class MaturityAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["partnership", "side", "assessed_at", "assessed_by"]
    list_filter = ["side"]
    search_fields = ["partnership__name"]
    raw_id_fields = ["partnership", "assessed_by"]


class ReviewActionInline(admin.TabularInline):
    model = ReviewAction
    extra = 0
    fields = ["title", "owner", "due_date", "status"]
    raw_id_fields = ["owner"]


@admin.register(BusinessReview)
class BusinessReviewAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "partnership", "date", "kind", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "partnership__name"]
    raw_id_fields = ["partnership", "created_by"]
    filter_horizontal = ["attendees"]
    inlines = [ReviewActionInline]

    def save_formset(self, request, form, formset, change):
        for action in formset.save(commit=False):
            action.partnership_id = form.instance.partnership_id
            action.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.partnership_refresh_review_due(partnership=form.instance.partnership)


@admin.register(ReviewAction)
class ReviewActionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "partnership", "owner", "due_date", "status"]
    list_filter = ["status"]
    search_fields = ["title", "partnership__name"]
    raw_id_fields = ["review", "owner", "partnership"]


@admin.register(PartnershipUserObjectPermission)
class PartnershipUserObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ["content_object", "user", "permission"]
    raw_id_fields = ["content_object", "user"]


admin.site.register(PartnershipGroupObjectPermission)


@admin.register(Commitment)
class CommitmentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "partnership", "side", "measure", "days", "target")
    list_filter = ("side", "measure")
    search_fields = ("name", "partnership__name")
