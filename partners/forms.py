"""Page forms. They only shape input; ``partners.services`` decides what may be written."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from governance.models import Assignment, OrgUnit, OrgUnitClosure, Role, User
from governance.querysets import SHARE, VIEW
from partners.enablement.models import EnablementItem
from partners.models import (
    DIMENSIONS,
    BusinessReview,
    PartnerKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    PartnerStatus,
    ReviewAction,
)

SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search",
                        widget=forms.TextInput(attrs={"placeholder": "Partner or partnership"}))
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *PartnerKind.choices])
    type = forms.ChoiceField(required=False, label="Partnership type",
                             choices=[("", "Any type"), *PartnershipType.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *PartnerStatus.choices])
    org_unit = forms.ModelChoiceField(required=False, queryset=OrgUnit.objects.none(), empty_label="Any region",
                                      to_field_name="code", label="Region / org unit")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, VIEW).exclude(level="market").order_by(
            "code") if not user.is_partner else OrgUnit.objects.none()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(
                field, forms.ChoiceField) else "form-control form-control-sm")


class AssessmentForm(forms.Form):
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                              label="Overall comment")

    def __init__(self, *args, initial_from=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in DIMENSIONS:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect,
                initial=getattr(initial_from, name, None),
            )
            self.fields[f"comment_{name}"] = forms.CharField(
                required=False, label=f"Comment on {label.lower()}",
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                              "placeholder": "Comment (optional)"}),
                initial=(initial_from.comments.get(name, "") if initial_from else ""),
            )

    def dimension_rows(self):
        return [(self[name], self[f"comment_{name}"]) for name, _ in DIMENSIONS]

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _ in DIMENSIONS}

    def comments(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"comment_{name}", "") for name, _ in DIMENSIONS}


def eligible_people(partnership: Partnership, *, actor, include=()):
    """Who plausibly attends or owns actions, among the people ``actor`` may see: internal people
    assigned at the partnership's org units or above them, its owner, its partner users (and
    anyone already chosen)."""
    units_and_above = OrgUnitClosure.objects.filter(
        descendant__in=partnership.org_units.all()).values("ancestor_id")
    assigned = Assignment.objects.filter(org_unit__in=units_and_above).values("user_id")
    return User.objects.restrict(actor, VIEW).filter(is_active=True).filter(
        (~Q(role=Role.PARTNER) & (Q(pk__in=assigned) | Q(pk=partnership.owner_id) | Q(pk__in=list(include))))
        | Q(pk__in=partnership.members.values("pk"))
    ).order_by("role", "last_name", "username")


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.username}{', partner' if obj.is_partner else ''})"


class _PeopleChoice(forms.ModelMultipleChoiceField):
    label_from_instance = _PersonChoice.label_from_instance


class ReviewForm(forms.ModelForm):
    attendees = _PeopleChoice(queryset=User.objects.none(), required=False,
                              widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))

    class Meta:
        model = BusinessReview
        fields = ["title", "date", "kind", "status", "attendees", "agenda", "notes"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control", "placeholder": "e.g. Q3 business review"}),
            "date": forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
            "kind": forms.Select(attrs={"class": "form-select"}),
            "status": forms.Select(attrs={"class": "form-select"}),
            "agenda": forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            "notes": forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        }

    def __init__(self, *args, partnership: Partnership, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = eligible_people(partnership, actor=actor, include=[actor.pk])


class ActionForm(forms.ModelForm):
    owner = _PersonChoice(queryset=User.objects.none(), widget=forms.Select(attrs={"class": "form-select"}))

    class Meta:
        model = ReviewAction
        fields = ["title", "owner", "due_date"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control", "placeholder": "What needs doing"}),
            "due_date": forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, partnership: Partnership, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = eligible_people(partnership, actor=actor, include=[actor.pk])


class ShareForm(forms.Form):
    username = forms.CharField(label="Share with (username)", widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "e.g. emea.finance"}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_username(self):
        # Any active internal user (restrict "share"); partner users read as unknown.
        user = User.objects.restrict(self.actor, SHARE).filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError("No active internal user with that username.")
        return user


PARTNERSHIP_STATUS_CSS = {
    PartnershipStatus.ACTIVE: "text-bg-success",
    PartnershipStatus.PLANNED: "text-bg-info",
    PartnershipStatus.UNDER_REVIEW: "text-bg-warning",
    PartnershipStatus.ENDED: "text-bg-secondary",
}


class EnablementForm(forms.ModelForm):
    """The fields of an enablement item; ``partners.enablement.services`` checks the rules (owner able
    to open the partnership, who may write) for this form and the API alike."""

    owner = _PersonChoice(queryset=User.objects.none(), widget=forms.Select(attrs={"class": "form-select"}))

    class Meta:
        model = EnablementItem
        fields = ["title", "kind", "due_date", "owner"]
        widgets = {
            "kind": forms.Select(attrs={"class": "form-select"}),
            "title": forms.TextInput(attrs={"class": "form-control", "placeholder": "e.g. Product training, level 1"}),
            "due_date": forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, partnership: Partnership, actor, **kwargs):
        super().__init__(*args, **kwargs)
        current = [self.instance.owner_id] if self.instance and self.instance.owner_id else []
        self.fields["owner"].queryset = eligible_people(partnership, actor=actor, include=[actor.pk, *current])
        self.fields["due_date"].required = True
