from django import forms

from decisions.models import DecisionStatus, DecisionType, Priority
from decisions.visibility import Visibility
from governance.models import OrgUnit
from kpis.models import KPI
from partners.models import Partnership

OPTION_ROWS = 3


class DecisionLogForm(forms.Form):
    """Log a decision. Extend by adding fields and listing them in ``service_kwargs``."""

    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True,
                                                                           "placeholder": "What needs deciding?"}))
    decision_type = forms.ModelChoiceField(queryset=DecisionType.objects.none(), empty_label="Choose a type…")
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), empty_label="Choose an org unit…")
    partnership = forms.ModelChoiceField(queryset=Partnership.objects.none(), required=False,
                                         empty_label="— none —")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kpis = forms.ModelMultipleChoiceField(queryset=KPI.objects.none(), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 5}))
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.INTERNAL, widget=forms.RadioSelect, required=False,
        label="Who sees it", help_text="Internal by default. Shared: the partner's users see the decision, its "
                                       "outcome and the answers their authors share — never who is involved.")
    share_options = forms.BooleanField(required=False, label="Also share the options and trade-off with the partner")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision_type"].queryset = DecisionType.objects.restrict(user, "view").filter(is_active=True)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "log").order_by("code")
        self.fields["kpis"].queryset = KPI.objects.restrict(user, "view").order_by("category", "name")
        self.fields["partnership"].queryset = Partnership.objects.restrict(user, "log").select_related("partner")
        for i in range(1, OPTION_ROWS + 1):
            self.fields[f"option_{i}"] = forms.CharField(required=False, max_length=500, label=f"Option {i}",
                                                         widget=forms.TextInput(attrs={"placeholder": f"Option {i}"}))
            self.fields[f"pros_{i}"] = forms.CharField(required=False, label="Pros",
                                                       widget=forms.TextInput(attrs={"placeholder": "Pros"}))
            self.fields[f"cons_{i}"] = forms.CharField(required=False, label="Cons",
                                                       widget=forms.TextInput(attrs={"placeholder": "Cons"}))
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect | forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if field.label in ("Pros", "Cons") or (field.label or "").startswith("Option "):
                css += " form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def option_rows(self):
        return [(self[f"option_{i}"], self[f"pros_{i}"], self[f"cons_{i}"]) for i in range(1, OPTION_ROWS + 1)]

    def options(self) -> list[dict]:
        d = self.cleaned_data
        return [{"option": d[f"option_{i}"], "pros": d[f"pros_{i}"], "cons": d[f"cons_{i}"]}
                for i in range(1, OPTION_ROWS + 1) if d.get(f"option_{i}")]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        shared = d.get("visibility") == Visibility.SHARED
        return {"title": d["title"], "decision_type": d["decision_type"], "org_unit": d["org_unit"],
                "partnership": d.get("partnership"), "priority": d["priority"], "description": d["description"],
                "options": self.options(), "kpis": list(d.get("kpis") or []),
                "visibility": Visibility.SHARED if shared else Visibility.INTERNAL,
                "options_visibility": Visibility.SHARED if shared and d.get("share_options") else Visibility.INTERNAL}


class DecisionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *DecisionStatus.choices], required=False)
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False, empty_label="All org units",
                                      to_field_name="code")
    decision_type = forms.ModelChoiceField(queryset=DecisionType.objects.none(), required=False,
                                           empty_label="All types", to_field_name="code")
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    overdue = forms.BooleanField(required=False)
    escalated = forms.BooleanField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "view").order_by("code")
        self.fields["decision_type"].queryset = DecisionType.objects.restrict(user, "view")
        if user.is_partner:  # the escalation path is internal
            del self.fields["escalated"]
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                field.widget.attrs["class"] = "form-check-input"
            else:
                field.widget.attrs["class"] = "form-select form-select-sm"
