"""Manage sections for partners and partnerships (units, functions, members; shares on the
partnership page). Leaders and managers use them within their scope, as the API lets them."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from governance.manage.base import ManageForm, Section, active_or_current
from governance.manage.sections import UnitChoice, by_level
from governance.models import Function, OrgUnit, Role, User
from governance.querysets import CHANGE, LOG, VIEW
from partners import services
from partners.api.serializers import PartnerSerializer, PartnershipSerializer
from partners.models import (
    Partner,
    PartnerKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    PartnershipUserObjectPermission,
    PartnerStatus,
    ReviewCadence,
)


class UnitsChoice(forms.ModelMultipleChoiceField):
    label_from_instance = UnitChoice.label_from_instance


class CodeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class CodesChoice(forms.ModelMultipleChoiceField):
    label_from_instance = CodeChoice.label_from_instance


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class PeopleChoice(forms.ModelMultipleChoiceField):
    label_from_instance = PersonChoice.label_from_instance


def _current(instance, attr: str) -> list:
    return list(getattr(instance, attr).all()) if instance is not None else []


class PartnerForm(ManageForm):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=PartnerKind.choices)
    status = forms.ChoiceField(choices=PartnerStatus.choices, initial=PartnerStatus.ACTIVE)
    org_units = UnitsChoice(queryset=OrgUnit.objects.none(), to_field_name="code", required=False,
                            label="Covers org units", widget=forms.SelectMultiple(attrs={"size": 8}),
                            help_text="Leaders and managers name at least one unit in their scope.")

    def setup(self, user, instance):
        units = by_level(OrgUnit.objects.restrict(user, LOG))
        self.fields["org_units"].queryset = active_or_current(units, _current(instance, "org_units"))


class PartnershipForm(ManageForm):
    partner = forms.ModelChoiceField(queryset=Partner.objects.none())
    name = forms.CharField(max_length=200)
    type = forms.ChoiceField(choices=PartnershipType.choices)
    status = forms.ChoiceField(choices=PartnershipStatus.choices, initial=PartnershipStatus.ACTIVE)
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    review_cadence = forms.ChoiceField(choices=ReviewCadence.choices, initial=ReviewCadence.QUARTERLY)
    org_units = UnitsChoice(queryset=OrgUnit.objects.none(), to_field_name="code", label="Org units",
                            widget=forms.SelectMultiple(attrs={"size": 8}),
                            help_text="Leaders and managers may change it only when every unit is in their scope.")
    owner_function = CodeChoice(queryset=Function.objects.none(), to_field_name="code", label="Owning function")
    functions = CodesChoice(queryset=Function.objects.none(), to_field_name="code", required=False,
                            label="Functions involved", widget=forms.SelectMultiple(attrs={"size": 6}))
    owner = PersonChoice(queryset=User.objects.none(), required=False, label="Relationship owner",
                         empty_label="— the owning function's holders —")
    members = PeopleChoice(queryset=User.objects.none(), required=False, label="Partner users (members)",
                           widget=forms.SelectMultiple(attrs={"size": 5}),
                           help_text="Who from the partner may sign in and see this partnership (admins decide).")

    def setup(self, user, instance):
        self.fields["partner"].queryset = active_or_current(
            Partner.objects.restrict(user, VIEW), [getattr(instance, "partner", None)])
        self.fields["org_units"].queryset = active_or_current(
            by_level(OrgUnit.objects.restrict(user, LOG)), _current(instance, "org_units"))
        functions = Function.objects.restrict(user, VIEW).order_by("name")
        self.fields["owner_function"].queryset = active_or_current(
            functions, [getattr(instance, "owner_function", None)])
        self.fields["functions"].queryset = active_or_current(functions, _current(instance, "functions"))
        people = User.objects.restrict(user, VIEW).filter(is_active=True).order_by("last_name", "username")
        self.fields["owner"].queryset = people.exclude(role=Role.PARTNER)
        if user.is_admin:
            self.fields["members"].queryset = people.filter(role=Role.PARTNER)
        else:
            del self.fields["members"]


def _partner_cells(p: Partner) -> list:
    return [
        format_html('<span class="fw-semibold">{}</span>', p.name), p.get_kind_display(), p.get_status_display(),
        ", ".join(u.code for u in p.org_units.all()) or "—",
    ]


def _partnership_cells(p: Partnership) -> list:
    return [
        format_html('<a class="fw-semibold" href="{}">{}</a>', reverse("partners:partnership", args=[p.pk]), p.name),
        p.partner.name, p.get_type_display(), p.get_status_display(),
        ", ".join(u.code for u in p.org_units.all()),
        format_html_join(" ", '<span class="badge text-bg-light border">{}</span>',
                         ((f.code,) for f in p.functions.all())),
    ]


def _partnership_context(request, obj) -> dict:
    """The edit page lists who the partnership is shared with (changed on the partnership page)."""
    if obj is None:
        return {}
    shared = User.objects.restrict(request.user, VIEW).filter(
        pk__in=PartnershipUserObjectPermission.objects.filter(content_object=obj).values("user_id"))
    return {"shared_with": shared, "share_url": reverse("partners:partnership", args=[obj.pk]) + "#members"}


SECTIONS = [
    Section(
        slug="partners", title="Partners", singular="partner", icon="buildings", model=Partner,
        serializer_class=PartnerSerializer, form_class=PartnerForm,
        headers=("Name", "Kind", "Status", "Covers"), cells=_partner_cells, search_fields=("name",),
        admin_only=False, change_action=CHANGE, history_slug="partner",
        archive=lambda *, actor, obj, archived: services.partner_archive(actor=actor, partner=obj, archived=archived),
        description="External organisations: distributors, GPOs, hospitals, digital-health companies, …",
        refine=lambda qs: qs.prefetch_related("org_units").order_by("name", "pk"),
    ),
    Section(
        slug="partnerships", title="Partnerships", singular="partnership", icon="link-45deg", model=Partnership,
        serializer_class=PartnershipSerializer, form_class=PartnershipForm,
        headers=("Name", "Partner", "Type", "Status", "Org units", "Functions"), cells=_partnership_cells,
        search_fields=("name", "partner__name"), admin_only=False, change_action=CHANGE,
        history_slug="partnership",
        archive=lambda *, actor, obj, archived: services.partnership_archive(
            actor=actor, partnership=obj, archived=archived),
        description="Governed relationships: their org units, functions, owner, partner users and shares.",
        refine=lambda qs: qs.select_related("partner").prefetch_related("org_units", "functions")
        .order_by("name", "pk"),
        extra_context=_partnership_context,
    ),
]
