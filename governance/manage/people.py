"""Manage section for people: users with their role, assignments (function at org unit) or
partnerships, invited by e-mail (a one-time link to choose their password), deactivated rather
than deleted."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.utils.html import format_html_join

from governance import services
from governance.account import user_invite
from governance.api.serializers import UserSerializer
from governance.manage.base import ManageForm, Section, active_or_current
from governance.manage.sections import TIMEZONES, by_level
from governance.models import Function, OrgUnit, Role, User, partnership_model
from governance.querysets import VIEW

ASSIGNMENT_ROWS_EXTRA = 2  # blank rows offered below a user's assignments


class UserForm(ManageForm):
    username = forms.CharField(max_length=150, help_text="How they sign in; it cannot change later.")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, help_text="Invitations, reminders and escalations go here.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MANAGER)
    timezone = forms.ChoiceField(choices=[("", "— their unit's —"), *((z, z) for z in TIMEZONES)], required=False,
                                 label="Time zone")
    partnerships = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Partner users only: the partnerships they may sign in to.")
    send_invite = forms.BooleanField(required=False, initial=True, label="E-mail an invitation to choose a password")
    not_sent = ("send_invite",)
    extra_template = "manage/_assignments.html"

    def setup(self, user, instance):
        partnerships = partnership_model()._default_manager.restrict(user, VIEW)
        self.fields["partnerships"].queryset = active_or_current(
            partnerships, list(instance.partnerships.all()) if instance else [])
        if instance is not None:
            self.fields["username"].disabled = True
            del self.fields["send_invite"]
            self.initial["timezone"] = instance.timezone
        self.functions = active_or_current(Function.objects.restrict(user, VIEW),
                                           [a.function for a in self._assignments(instance)]).order_by("name")
        self.units = by_level(active_or_current(OrgUnit.objects.restrict(user, VIEW),
                                       [a.org_unit for a in self._assignments(instance)]))

    @staticmethod
    def _assignments(instance) -> list:
        if instance is None:
            return []
        return list(instance.assignments.select_related("function", "org_unit").order_by("org_unit__code"))

    def assignment_rows(self) -> list[dict]:
        """The rows to show: as submitted, else the user's assignments; then blank ones."""
        if self.is_bound:
            rows = self._submitted_rows(self.data)
        else:
            rows = [{"function": a.function.code, "org_unit": a.org_unit.code, "title": a.title}
                    for a in self._assignments(self.instance)]
        rows += [{"function": "", "org_unit": "", "title": ""}] * ASSIGNMENT_ROWS_EXTRA
        return [{**row, "index": i} for i, row in enumerate(rows)]

    @staticmethod
    def _submitted_rows(data) -> list[dict]:
        rows, i = [], 0
        while f"assignment-{i}-function" in data or f"assignment-{i}-org_unit" in data:
            row = {k: data.get(f"assignment-{i}-{k}", "").strip() for k in ("function", "org_unit", "title")}
            if (row["function"] or row["org_unit"]) and not data.get(f"assignment-{i}-remove"):
                rows.append(row)
            i += 1
        return rows

    def extra_payload(self, data) -> dict:
        return {"assignments": self._submitted_rows(data)}


def _user_cells(u: User) -> list:
    return [
        u.username, u.get_full_name() or "—", u.email or "—", u.get_role_display(),
        format_html_join(", ", "{} @ {}", ((a.function.code, a.org_unit.code) for a in u.assignments.all()))
        or ", ".join(p.name for p in u.partnerships.all()) or "—",
    ]


def _deactivate(*, actor, obj, archived):
    return services.user_set_active(actor=actor, user=obj, active=not archived)


def _invite(request, obj, form, *, created):
    if created and form.option("send_invite") and obj.email:
        user_invite(user=obj, domain=request.get_host(), use_https=request.is_secure())
        messages.info(request, f"An invitation to choose a password goes to {obj.email}.")


SECTIONS = [
    Section(
        slug="users", title="Users", singular="user", icon="person-badge", model=User,
        serializer_class=UserSerializer, form_class=UserForm,
        headers=("Username", "Name", "E-mail", "Role", "Holds"), cells=_user_cells,
        search_fields=("username", "first_name", "last_name", "email"), history_slug="user",
        archive=_deactivate, archived_field="is_active", after_save=_invite,
        archive_words=("Deactivate", "deactivated", "Reactivate", "reactivated"),
        description="People, their role and what they hold where. Deactivate instead of deleting.",
        refine=lambda qs: qs.prefetch_related("assignments__function", "assignments__org_unit", "partnerships")
        .order_by("username"),
    ),
]
