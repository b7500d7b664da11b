"""Manage sections for KPIs: definitions with their co-owners and weights, strategic
objectives, and the targets grid (``kpis.manage_targets``)."""

from __future__ import annotations

from django import forms
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from governance.manage.base import ManageForm, Section, active_or_current
from governance.models import Function, OrgUnit
from governance.querysets import CHANGE, LOG, VIEW
from kpis.api.serializers import KPISerializer, ObjectiveSerializer
from kpis.manage_targets import TARGETS_PAGE, targets_grid
from kpis.models import KPI, Aggregation, Category, Direction, Frequency, Kind, StrategicObjective
from partners.models import Partnership

OWNER_ROWS_EXTRA = 2


class KPIForm(ManageForm):
    code = forms.CharField(max_length=32, help_text="Upper-case letters, digits, _ - &; it cannot change later.")
    name = forms.CharField(max_length=160)
    unit = forms.CharField(max_length=24, required=False, help_text="e.g. EUR, %, days, accounts")
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.HIGHER, label="Better when")
    aggregation = forms.ChoiceField(choices=Aggregation.choices, initial=Aggregation.SUM,
                                    help_text="How months and units add up.")
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OTHER)
    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.MONTHLY)
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.NUMBER,
                             help_text="Decides the valid range and how values show (percent: 0.63 = 63%).")
    min_value = forms.CharField(required=False, label="Smallest valid value",
                                help_text="Blank: the kind's default (percent 0; count and duration 0).")
    max_value = forms.CharField(required=False, label="Largest valid value",
                                help_text="Blank: the kind's default (percent 1 = 100%). A score needs both.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    extra_template = "manage/_kpi_owners.html"

    def setup(self, user, instance):
        if instance is not None:
            self.fields["code"].disabled = True
        owners = list(instance.ownerships.select_related("function", "partnership").order_by("pk")) if instance else []
        self.owner_functions = active_or_current(Function.objects.restrict(user, VIEW),
                                                 [o.function for o in owners]).order_by("name")
        self.owner_partnerships = active_or_current(Partnership.objects.restrict(user, LOG),
                                                    [o.partnership for o in owners]).order_by("name")
        self._owners = owners

    def owner_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [("Functions", [(f"f:{f.code}", f"{f.name} ({f.code})") for f in self.owner_functions]),
                ("Partnerships", [(f"p:{p.pk}", p.name) for p in self.owner_partnerships])]

    def owner_rows(self) -> list[dict]:
        """The co-owner rows to show (as submitted, else the KPI's), then blank ones."""
        if self.is_bound:
            rows = self._submitted(self.data)
        else:
            rows = [{"owner": f"f:{o.function.code}" if o.function_id else f"p:{o.partnership_id}",
                     "weight": f"{o.weight.normalize():f}"} for o in self._owners]
        rows += [{"owner": "", "weight": "1"}] * OWNER_ROWS_EXTRA
        return [{**row, "index": i} for i, row in enumerate(rows)]

    @staticmethod
    def _submitted(data) -> list[dict]:
        rows, i = [], 0
        while f"owner-{i}-owner" in data:
            row = {"owner": data.get(f"owner-{i}-owner", "").strip(), "weight": data.get(f"owner-{i}-weight", "")}
            if row["owner"] and not data.get(f"owner-{i}-remove"):
                rows.append(row)
            i += 1
        return rows

    def extra_payload(self, data) -> dict:
        """``owners``: a function (``f:CODE``) or a partnership (``p:id``) with a weight each."""
        owners = []
        for row in self._submitted(data):
            kind, _, ref = row["owner"].partition(":")
            key = {"f": "function", "p": "partnership"}.get(kind, "function")
            owners.append({key: ref, "weight": row["weight"].strip() or "1"})
        return {"owners": owners}


def _kpi_cells(k: KPI) -> list:
    owners = list(k.ownerships.all())
    return [
        format_html('<span class="fw-semibold">{}</span>', k.name), format_html("<code>{}</code>", k.code),
        k.unit or "—", k.get_kind_display().split(" (")[0], k.get_aggregation_display(), k.get_direction_display(),
        format_html('{} owner{}{}', len(owners), "" if len(owners) == 1 else "s",
                    mark_safe(' <span class="badge text-bg-info">shared</span>') if len(owners) >= 2 else ""),
    ]


class ObjectiveForm(ManageForm):
    code = forms.CharField(max_length=32, help_text="Upper-case letters, digits, _ - &; it cannot change later.")
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.ModelChoiceField(queryset=StrategicObjective.objects.none(), to_field_name="code", required=False,
                                    label="Refines objective",
                                    help_text="The objective one level up (blank: a top-level objective, admins only).")
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), to_field_name="code", required=False,
                                      label="For org unit", help_text="Within the parent objective's org unit.")
    partnership = forms.ModelChoiceField(queryset=Partnership.objects.none(), required=False,
                                         label="Or for partnership",
                                         help_text="Instead of an org unit: a partnership working there.")
    order = forms.IntegerField(min_value=0, initial=0, help_text="Position on the dashboard (smallest first).")
    kpis = forms.ModelMultipleChoiceField(queryset=KPI.objects.none(), to_field_name="code", required=False,
                                          label="Measured by KPIs", widget=forms.SelectMultiple(attrs={"size": 8}))

    def setup(self, user, instance):
        if instance is not None:
            self.fields["code"].disabled = True
        parents = StrategicObjective.objects.restrict(user, VIEW)
        if instance is not None:
            parents = parents.exclude(pk=instance.pk)
        self.fields["parent"].queryset = parents.order_by("order", "code")
        self.fields["org_unit"].queryset = active_or_current(
            OrgUnit.objects.restrict(user, LOG), [instance.org_unit if instance else None]).order_by("code")
        self.fields["partnership"].queryset = active_or_current(
            Partnership.objects.restrict(user, VIEW), [instance.partnership if instance else None]).order_by("name")
        self.fields["kpis"].queryset = KPI.objects.restrict(user, VIEW).order_by("name")


def _objective_cells(o: StrategicObjective) -> list:
    return [format_html('<span class="fw-semibold">{}</span>', o.title), format_html("<code>{}</code>", o.code),
            o.parent.code if o.parent_id else "—", o.place, o.order,
            ", ".join(k.code for k in o.kpis.all()) or "—"]


def _targets_urls() -> list:
    return [path("targets/", targets_grid, name="targets-list")]


SECTIONS = [
    Section(
        slug="kpis", title="KPIs", singular="KPI", icon="speedometer2", model=KPI,
        serializer_class=KPISerializer, form_class=KPIForm,
        headers=("Name", "Code", "Unit", "Kind", "Aggregation", "Better when", "Co-owners"), cells=_kpi_cells,
        search_fields=("code", "name"), lookup="code", history_slug="kpi",
        description="Shared KPIs with the functions and partnerships that co-own them (weights).",
        refine=lambda qs: qs.prefetch_related("ownerships").order_by("name"),
    ),
    Section(
        slug="objectives", title="Objectives", singular="objective", icon="bullseye", model=StrategicObjective,
        serializer_class=ObjectiveSerializer, form_class=ObjectiveForm,
        headers=("Title", "Code", "Refines", "For", "Order", "KPIs"), search_fields=("code", "title"), lookup="code",
        cells=_objective_cells, history_slug="objective", admin_only=False, change_action=CHANGE,
        description="The objectives cascade: global objectives refined by region, market and partnership, "
                    "and the KPIs that measure each. Leaders and managers add objectives within their scope.",
        refine=lambda qs: qs.select_related("parent", "org_unit", "partnership").prefetch_related("kpis")
        .order_by("order", "code"),
    ),
]

PAGES = [TARGETS_PAGE]
URLS = _targets_urls()
