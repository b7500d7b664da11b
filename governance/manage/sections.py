"""Manage sections of the organisation: org units (the tree) and functions."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.html import format_html

from governance import services
from governance.api.serializers import FunctionSerializer, OrgUnitSerializer
from governance.manage.base import ManageForm, Section, active_or_current
from governance.models import LEVEL_DEPTH, Function, OrgLevel, OrgUnit
from governance.querysets import VIEW

TIMEZONES = sorted(zoneinfo.available_timezones())


def by_level(units: QuerySet) -> QuerySet:
    """Units for a picker: global first, then regions, clusters, markets, each by name."""
    depth = Case(*[When(level=level, then=Value(d)) for level, d in LEVEL_DEPTH.items()],
                 output_field=IntegerField())
    return units.alias(depth=depth).order_by("depth", "name")


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code}) · {obj.get_level_display()}"


class OrgUnitForm(ManageForm):
    code = forms.CharField(max_length=32, help_text="Upper-case letters, digits, _ - &; it cannot change later.")
    name = forms.CharField(max_length=120)
    level = forms.ChoiceField(choices=OrgLevel.choices)
    parent = UnitChoice(queryset=OrgUnit.objects.none(), to_field_name="code", required=False,
                        empty_label="— none (the global unit) —",
                        help_text="Moving a unit moves its whole subtree; a unit cannot move under itself.")
    timezone = forms.ChoiceField(choices=[(z, z) for z in TIMEZONES], initial="UTC", label="Time zone",
                                 help_text="Its people read times in this zone unless they choose another.")

    def setup(self, user, instance):
        units = OrgUnit.objects.restrict(user, VIEW).exclude(level=OrgLevel.MARKET)
        if instance is not None:
            self.fields["code"].disabled = True
            # Offer no place inside its own subtree (the service refuses it anyway).
            units = units.exclude(pk__in=OrgUnit.objects.subtree_of(instance).values("pk"))
        self.fields["parent"].queryset = by_level(active_or_current(units, [getattr(instance, "parent", None)]))


def _tree_order(units: list[OrgUnit]) -> list[OrgUnit]:
    """Rows in tree order (each unit under its parent), by name at each level."""
    def path(u: OrgUnit) -> tuple:
        chain = []
        while u is not None:
            chain.append(u.name.lower())
            u = u.parent
        return tuple(reversed(chain))

    return sorted(units, key=path)


def _unit_cells(u: OrgUnit) -> list:
    return [
        format_html('<span style="padding-left:{}rem" class="fw-semibold">{}</span>', u.depth * 1.25, u.name),
        format_html("<code>{}</code>", u.code),
        u.get_level_display(),
        u.parent.code if u.parent_id else "—",
        u.timezone,
    ]


def _archive_unit(*, actor, obj, archived):
    return services.org_unit_archive(unit=obj, archived=archived)


def _archive_function(*, actor, obj, archived):
    return services.function_archive(function=obj, archived=archived)


class FunctionForm(ManageForm):
    code = forms.CharField(max_length=32, help_text="Upper-case letters, digits, _ - &; it cannot change later.")
    name = forms.CharField(max_length=120)

    def setup(self, user, instance):
        if instance is not None:
            self.fields["code"].disabled = True


SECTIONS = [
    Section(
        slug="org-units", title="Org units", singular="org unit", icon="diagram-3", model=OrgUnit,
        serializer_class=OrgUnitSerializer, form_class=OrgUnitForm,
        headers=("Name", "Code", "Level", "Parent", "Time zone"), cells=_unit_cells,
        search_fields=("code", "name"), lookup="code", archive=_archive_unit, history_slug="org-unit",
        description="The tree global › region › cluster › market. Move a unit by choosing a new parent.",
        refine=lambda qs: qs.select_related("parent__parent__parent"), order=_tree_order,
    ),
    Section(
        slug="functions", title="Functions", singular="function", icon="people", model=Function,
        serializer_class=FunctionSerializer, form_class=FunctionForm,
        headers=("Name", "Code"), cells=lambda f: [f.name, format_html("<code>{}</code>", f.code)],
        search_fields=("code", "name"), lookup="code", archive=_archive_function, history_slug="function",
        description="Internal functions people hold at org units and the decision-rights matrix names.",
        refine=lambda qs: qs.order_by("name"),
    ),
]
