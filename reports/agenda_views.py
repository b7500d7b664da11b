"""The "draft next agenda" button of a business review's page (``reports/agenda.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from partners.models import BusinessReview
from reports.agenda import agenda_draft


@login_required
@require_POST
def review_agenda_draft(request, pk: int):
    """Internal users who may change the review; partner users and other scopes get 404."""
    if request.user.is_partner:
        raise Http404
    review = get_object_or_404(BusinessReview.objects.restrict(request.user, "change").select_related("partnership"),
                               pk=pk)
    target = agenda_draft(actor=request.user, review=review)
    count = target.agenda_items.count()
    messages.success(request, f"Agenda drafted for {target} on {target.date:%d %b %Y}: {count} item"
                              f"{'s' if count != 1 else ''}. Edit the review to add the rest.")
    return redirect(reverse("partners:review", args=[target.pk]) + "#agenda")
