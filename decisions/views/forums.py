"""Pages: governance forums and their agendas (the decisions queued for each meeting)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from decisions import selectors
from decisions.views.pages import _internal_only


@login_required
def forum_list(request):
    _internal_only(request.user)
    return render(request, "decisions/forums.html", {"forums": selectors.forum_list(user=request.user)})


@login_required
def forum_agenda(request, pk: int):
    """A forum's agenda: 404 unless ``user`` may view the forum's unit (partner users: always)."""
    _internal_only(request.user)
    agenda = selectors.forum_agenda(user=request.user, pk=pk, now=timezone.now())
    return render(request, "decisions/forum_agenda.html", agenda)
