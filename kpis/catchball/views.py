"""Pages: the proposals of a unit (or all in scope) with the propose form; accept/counter posts from
there and from the partnership page's panel (the partner's portal)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from governance.errors import ApplicationError
from governance.models import OrgUnit
from governance.periods import parse_period
from kpis.catchball import services
from kpis.catchball.models import TargetProposal
from kpis.catchball.selectors import exact_value, proposals_for
from kpis.models import KPI
from partners.models import Partnership


class ProposeForm(forms.Form):
    kpi = forms.ModelChoiceField(queryset=KPI.objects.none(), label="KPI")
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label="For org unit")
    partnership = forms.ModelChoiceField(queryset=Partnership.objects.none(), required=False,
                                         help_text="Leave empty to propose the unit's own target.")
    period = forms.CharField(max_length=7, help_text="YYYY-MM")
    value = forms.CharField(max_length=40, help_text="Percent KPIs: 85% or 0.85.")
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = KPI.objects.restrict(user, "view").order_by("code")
        self.fields["org_unit"].queryset = OrgUnit.objects.restrict(user, "log").order_by("code")
        self.fields["partnership"].queryset = Partnership.objects.restrict(user, "log").order_by("name")
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm" if isinstance(
                field, forms.ModelChoiceField) else "form-control form-control-sm")

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data["period"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _back(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("kpis:proposals")


@login_required
def proposals(request):
    """Target proposals in scope (``?org_unit=CODE``: one unit's), and the propose form."""
    if request.user.is_partner:  # partner users negotiate on their partnership page
        raise Http404
    unit = None
    if request.GET.get("org_unit"):
        unit = get_object_or_404(OrgUnit.objects.restrict(request.user, "view"), code=request.GET["org_unit"][:32])
    form = ProposeForm(request.POST or None, user=request.user, initial={"org_unit": unit})
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Proposed {exact_value(proposal.value, proposal.kpi)} for {proposal.kpi.name}.")
            return redirect(request.get_full_path())
    return render(request, "kpis/catchball/proposals.html", {
        "proposals": proposals_for(user=request.user, org_unit=unit), "unit": unit, "form": form,
        "next_url": request.get_full_path(), "compact": False})


@login_required
@require_POST
def proposal_act(request, pk: int, action: str):
    """Accept or counter (revise, on the parent's turn) from a page; refusals come back as messages."""
    if action not in ("accept", "counter"):
        raise Http404
    proposal = get_object_or_404(TargetProposal.objects.restrict(request.user, "view"), pk=pk)
    try:
        if action == "accept":
            proposal = services.proposal_accept(actor=request.user, proposal=proposal,
                                                comment=request.POST.get("comment", ""))
            messages.success(request, f"Agreed: {exact_value(proposal.value, proposal.kpi)} is the target for "
                                      f"{proposal.kpi.name} in {proposal.period:%b %Y}.")
        else:
            proposal = services.proposal_counter(actor=request.user, proposal=proposal,
                                                 value=request.POST.get("value", ""),
                                                 comment=request.POST.get("comment", ""))
            messages.success(request, f"Your value {exact_value(proposal.value, proposal.kpi)} is on the table.")
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return redirect(_back(request))
