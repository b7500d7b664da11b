"""The page that links a business review's follow-up action to the decisions and KPIs it serves
(``services.review_links``). Internal users who may change the review; anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from decisions.forms import ActionLinksForm
from decisions.services.review_links import action_links_set, linkable_decisions, linkable_kpis
from governance.querysets import CHANGE, VIEW, can
from partners.models import ReviewAction


@login_required
def action_links(request, pk: int):
    action = get_object_or_404(ReviewAction.objects.restrict(request.user, VIEW)
                               .select_related("review", "partnership", "owner"), pk=pk)
    if request.user.is_partner or not can(request.user, CHANGE, action.review):
        raise Http404
    form = ActionLinksForm(request.POST or None, decisions=linkable_decisions(request.user, action),
                           kpis=linkable_kpis(request.user, action),
                           initial={"decisions": list(action.decisions.values_list("pk", flat=True)),
                                    "kpis": list(action.kpis.values_list("pk", flat=True))})
    if request.method == "POST" and form.is_valid():
        try:
            action_links_set(actor=request.user, action=action, decisions=form.cleaned_data["decisions"],
                             kpis=form.cleaned_data["kpis"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Links of “{action.title}” saved.")
            return redirect(reverse("partners:review", args=[action.review_id]) + "#actions")
    status = 400 if request.method == "POST" else 200
    return render(request, "decisions/action_links.html", {"action": action, "form": form}, status=status)
