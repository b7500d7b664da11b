from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from decisions.models import Decision, DecisionState, DecisionType, Priority
from decisions.selectors import LOGGED_WITHIN
from decisions.visibility import Visibility
from governance.models import Function, OrgUnit
from governance.querysets import assignment_unit_ids
from governance.timezones import zone
from kpis.models import KPI
from partners.models import BusinessReview, Partnership

OPTION_ROWS = 3


class DecisionFieldsForm(forms.Form):
    """What the requester says about a decision (logging and editing share it). Extend by adding
    fields and listing them in ``FIELDS``."""

    FIELDS = ("title", "partnership", "priority", "due_by", "description", "kpis")

    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True,
                                                                           "placeholder": "What needs deciding?"}))
    partnership = forms.ModelChoiceField(queryset=Partnership.objects.none(), required=False,
                                         empty_label="— none —")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    # type="date" inputs speak ISO dates whatever the locale.
    due_by = forms.DateField(required=False, label="Needed by",
                             widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                             help_text="Optional: a date you need it by (e.g. a tender deadline). The earlier of it "
                                       "and the SLA drives the reminders.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kpis = forms.ModelMultipleChoiceField(queryset=KPI.objects.none(), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 5}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpis"].queryset = KPI.objects.restrict(user, "view").order_by("category", "name")
        # Tagging a decision with a partnership is logging against it (a read-only share is not enough).
        self.fields["partnership"].queryset = Partnership.objects.restrict(user, "log").select_related("partner")
        for i in range(1, OPTION_ROWS + 1):
            self.fields[f"option_{i}"] = forms.CharField(required=False, max_length=500, label=f"Option {i}",
                                                         widget=forms.TextInput(attrs={"placeholder": f"Option {i}"}))
            self.fields[f"pros_{i}"] = forms.CharField(required=False, label="Pros",
                                                       widget=forms.TextInput(attrs={"placeholder": "Pros"}))
            self.fields[f"cons_{i}"] = forms.CharField(required=False, label="Cons",
                                                       widget=forms.TextInput(attrs={"placeholder": "Cons"}))

    def style(self) -> None:
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

    def field_values(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "partnership": d.get("partnership"), "priority": d["priority"],
                "due_by": d.get("due_by"), "description": d["description"], "options": self.options(),
                "kpis": list(d.get("kpis") or [])}


class DecisionLogForm(DecisionFieldsForm):
    """Log a decision: the type and org unit decide who takes part. A user who holds assignments at
    exactly one org unit finds it chosen."""

    decision_type = forms.ModelChoiceField(queryset=DecisionType.objects.none(), empty_label="Choose a type…")
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), empty_label="Choose an org unit…")
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.INTERNAL, widget=forms.RadioSelect, required=False,
        label="Who sees it", help_text="Internal by default. Shared: the partner's users see the decision, its "
                                       "outcome and the answers their authors share — never who is involved.")
    share_options = forms.BooleanField(required=False, label="Also share the options and trade-off with the partner")
    # Logged from a business review's page (``?review=<id>``): the decision is linked to it.
    review = forms.ModelChoiceField(queryset=BusinessReview.objects.none(), required=False, widget=forms.HiddenInput)
    field_order = ["title", "decision_type", "org_unit", "priority", "partnership", "due_by", "description", "kpis"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["decision_type"].queryset = DecisionType.objects.restrict(user, "view").filter(is_active=True)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "log").order_by("code")
        if self.is_bound:  # a hidden input: its choices are only read to validate a submitted review
            self.fields["review"].queryset = BusinessReview.objects.restrict(user, "change").select_related(
                "partnership")
        if not self.is_bound and not self.initial.get("org_unit"):
            own = assignment_unit_ids(user) if not user.is_admin else []
            if len(own) == 1:
                self.initial["org_unit"] = own[0]
        self.order_fields(self.field_order)
        self.style()

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        shared = d.get("visibility") == Visibility.SHARED
        return {"decision_type": d["decision_type"], "org_unit": d["org_unit"], **self.field_values(),
                "review": d.get("review"),
                "visibility": Visibility.SHARED if shared else Visibility.INTERNAL,
                "options_visibility": Visibility.SHARED if shared and d.get("share_options") else Visibility.INTERNAL}


class DecisionEditForm(DecisionFieldsForm):
    """The requester's edit (before the first answer) or revision (after a veto) of ``decision``."""

    def __init__(self, *args, user, decision, **kwargs):
        kwargs.setdefault("initial", self.initial_for(decision))
        super().__init__(*args, user=user, **kwargs)
        self.style()

    @staticmethod
    def initial_for(decision) -> dict:
        initial = {"title": decision.title, "partnership": decision.partnership_id, "priority": decision.priority,
                   "description": decision.description, "kpis": [k.pk for k in decision.kpis.all()],
                   "due_by": timezone.localtime(decision.due_by, _zone(decision)).date() if decision.due_by else None}
        for i, option in enumerate(decision.options[:OPTION_ROWS], start=1):
            initial.update({f"option_{i}": option.get("option", ""), f"pros_{i}": option.get("pros", ""),
                            f"cons_{i}": option.get("cons", "")})
        return initial

    def changes(self, decision) -> dict:
        """The requester's values; an unchanged requested date stays as it was (a date is the end of
        its day, so re-saving the same date must not move a precise time)."""
        values = self.field_values()
        if decision.due_by is not None and values["due_by"] == self.initial_for(decision)["due_by"]:
            values["due_by"] = decision.due_by
        return values


class DecisionReviseForm(DecisionEditForm):
    comment = forms.CharField(required=False, label="How this revision answers the veto",
                              widget=forms.Textarea(attrs={"rows": 3}))


def _zone(decision):
    return zone(decision.org_unit.timezone)


SORTS = {"newest": "Newest first", "oldest": "Oldest first", "due": "Due soonest", "priority": "Priority",
         "title": "Title"}


# Filters that would tell a partner user something internal (escalations, vetoes, who decides, SLA
# attainment); the selector also ignores them for partners (``selectors.decision_list``).
INTERNAL_FILTERS = ("escalated", "stuck", "sla", "decider_function")


class DecisionFilterForm(forms.Form):
    """The decision list's filters, search and sort (also what a saved filter keeps)."""

    PARAMS = ("q", "state", "status", "org_unit", "decision_type", "priority", "overdue", "escalated", "stuck",
              "at_unit", "decider_function", "logged_within", "sla", "sort")
    # Filters the latency analytics' links set (each figure's decisions): hidden, and named on the page.
    DRILL = ("status", "at_unit", "decider_function", "logged_within", "sla")

    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.SearchInput(attrs={"placeholder": "Title, description, partner…"}))
    state = forms.ChoiceField(choices=[("", "Any state"), *DecisionState.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), ("open", "Open (incl. blocked)"),
                                        ("decided", "Decided"), ("withdrawn", "Withdrawn")], required=False,
                               widget=forms.HiddenInput)
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False, empty_label="All org units",
                                      to_field_name="code")
    decision_type = forms.ModelChoiceField(queryset=DecisionType.objects.none(), required=False,
                                           empty_label="All types", to_field_name="code")
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    overdue = forms.BooleanField(required=False)
    escalated = forms.BooleanField(required=False)
    stuck = forms.BooleanField(required=False,
                               help_text="Overdue, escalated or waiting on an agree past its answer time")
    at_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), required=False, to_field_name="code",
                                     widget=forms.HiddenInput, label="Logged at")
    decider_function = forms.ModelChoiceField(queryset=Function.objects.none(), required=False, to_field_name="code",
                                              widget=forms.HiddenInput, label="Deciding function")
    logged_within = forms.ChoiceField(choices=[("", ""), *LOGGED_WITHIN.items()], required=False,
                                      widget=forms.HiddenInput, label="Logged")
    sla = forms.ChoiceField(choices=[("", ""), ("met", "Decided within the SLA"),
                                     ("breached", "Decided after the SLA")], required=False,
                            widget=forms.HiddenInput, label="SLA")
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False, initial="newest")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "view").order_by("code")
        self.fields["decision_type"].queryset = DecisionType.objects.restrict(user, "view")
        self.fields["at_unit"].queryset = OrgUnit.objects.restrict(user, "view")
        self.fields["decider_function"].queryset = Function.objects.restrict(user, "view")
        if user.is_partner:  # escalations, vetoes (blocked) and who decides are internal: no filter tells them apart
            for internal in INTERNAL_FILTERS:
                del self.fields[internal]
            self.fields["state"].choices = [c for c in self.fields["state"].choices if c[0] != DecisionState.BLOCKED]
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"

    def drill_labels(self) -> list[str]:
        """The analytics' filters in force, in words ("Deciding function: Sales"), for the page."""
        if not self.is_valid():
            return []
        out = []
        for name in self.DRILL:
            value = self.cleaned_data.get(name)
            if value:
                field = self.fields[name]
                # a ChoiceField's label; a ModelChoiceField's value is its object, shown as itself
                shown = dict(getattr(field, "choices", ())).get(value, value) if isinstance(value, str) else value
                out.append(f"{field.label}: {shown}")
        return out

    @classmethod
    def saved_query(cls, data) -> str:
        """The part of a query string a saved filter keeps: only the list's own, non-empty params."""
        return urlencode([(k, data.get(k)) for k in cls.PARAMS if data.get(k)])


class ActionLinksForm(forms.Form):
    """The decisions and KPIs a review action serves (``services.review_links``)."""

    decisions = forms.ModelMultipleChoiceField(
        queryset=Decision.objects.none(), required=False, label="Decisions it serves",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    kpis = forms.ModelMultipleChoiceField(
        queryset=KPI.objects.none(), required=False, label="KPIs it serves",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    def __init__(self, *args, decisions, kpis, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decisions"].queryset = decisions
        self.fields["kpis"].queryset = kpis
        self.fields["decisions"].label_from_instance = lambda d: f"{d.title} ({d.decision_type.name})"
        self.fields["kpis"].label_from_instance = lambda k: f"{k.name} ({k.code})"
