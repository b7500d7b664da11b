"""Pages: my queue, the log form (with a live routing preview), lists, detail with timeline and
actions, the decision-rights matrix editor, latency analytics and notifications."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from decisions import selectors, services
from decisions.forms import DecisionFilterForm, DecisionLogForm
from decisions.models import DecisionType, MatrixVersion, RapidRole
from decisions.routing import resolve
from governance.idempotency import submission_token, submit_once
from governance.models import Function, Notification, OrgUnit
from governance.notifications import notification_mark_read


def _internal_only(user) -> None:
    if user.is_partner:
        raise Http404


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Http404


@login_required
def index(request):
    return redirect("decisions:list" if request.user.is_partner else "decisions:queue")


@login_required
def queue(request):
    """What waits on me: decisions to decide, to agree to, to give input on; my open requests."""
    _internal_only(request.user)
    return render(request, "decisions/queue.html", {"queue": selectors.queue_for(user=request.user),
                                                    "now": timezone.now()})


@login_required
def decision_list(request):
    form = DecisionFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.decision_list(user=request.user, filters=filters).order_by("-requested_at", "-pk")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "decisions/list.html", {"form": form, "page": page, "query": query.urlencode(),
                                                   "now": timezone.now()})


@login_required
def log_decision(request):
    _internal_only(request.user)
    if request.user.role not in ("admin", "leader", "manager") and not request.user.is_admin:
        raise Http404
    form = DecisionLogForm(request.POST or None, user=request.user,
                           initial={"org_unit": request.GET.get("org_unit"),
                                    "partnership": request.GET.get("partnership")})
    # A double-submitted form logs one decision: the second submit goes where the first went.
    token = submission_token(request)
    if request.method == "POST":
        return submit_once(request, lambda: _log_decision_post(request, form, token), form="decisions:log")
    return render(request, "decisions/log.html", {"form": form, "submission_token": token})


def _log_decision_post(request, form, token: str):
    if form.is_valid():
        try:
            decision = services.decision_log(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            who = decision.decider.get_full_name() or decision.decider.username
            messages.success(request, f"Logged “{decision.title}”. {who} decides.")
            return redirect("decisions:detail", pk=decision.pk)
    return render(request, "decisions/log.html", {"form": form, "submission_token": token})


@login_required
def routing_preview(request):
    """htmx partial: who must give input / agree / decide for the chosen type and org unit."""
    _internal_only(request.user)
    context = {}
    types = DecisionType.objects.visible_to(request.user)
    decision_type = types.filter(pk=request.GET.get("decision_type") or 0).first()
    unit = OrgUnit.objects.visible_to(request.user).filter(pk=request.GET.get("org_unit") or 0).first()
    if decision_type and unit:
        try:
            routing = resolve(decision_type=decision_type, org_unit=unit, at=timezone.now(), strict=False)
        except ValidationError as exc:
            context["error"] = " ".join(m for ms in exc.message_dict.values() for m in ms)
        else:
            context.update(routing=routing, decision_type=decision_type, unit=unit,
                           deciders=routing.by_role(RapidRole.DECIDE), agree=routing.by_role(RapidRole.AGREE),
                           inputs=routing.by_role(RapidRole.INPUT) + routing.by_role(RapidRole.RECOMMEND),
                           informed=routing.by_role(RapidRole.PERFORM))
            priority = request.GET.get("priority") or "normal"
            context["target_hours"] = decision_type.target_hours(priority)
            context["no_decider"] = not any(s.user for s in context["deciders"]) or any(
                s.user is None for s in context["agree"])
            if not context["no_decider"]:
                context["due_at"], _ = services.decision_clock(decision_type=decision_type, priority=priority,
                                                               start=timezone.now(), org_unit=unit)
    return render(request, "decisions/_routing_preview.html", context)


def _actions_for(decision, user) -> dict:
    mine = [p for p in decision.participants.all() if p.user_id == user.pk]
    is_open = decision.is_open
    manage = user.is_admin or user.pk in (decision.requested_by_id, decision.decider_id)
    return {
        "can_decide": is_open and decision.decider_id == user.pk,
        "can_agree": is_open and any(p.role == RapidRole.AGREE for p in mine),
        "can_input": is_open and any(p.role in (RapidRole.INPUT, RapidRole.RECOMMEND) for p in mine),
        "can_withdraw": is_open and manage and not user.is_partner,
        "can_reopen": not is_open and manage and not user.is_partner,
    }


@login_required
def decision_detail(request, pk: int):
    decision = selectors.decision_detail(user=request.user, pk=pk)
    from decisions.services.workflow import agreement_blockers

    return render(request, "decisions/detail.html", {
        "decision": decision, "now": timezone.now(),
        "blockers": agreement_blockers(decision) if decision.is_open else [],
        "participants": sorted(decision.participants.all(), key=lambda p: ("DARIP".index(p.role), p.level)),
        **_actions_for(decision, request.user),
    })


ACTIONS = {
    "decide": (services.decision_decide, {"outcome": "outcome", "rationale": "rationale"}),
    "agree": (services.decision_agree, {"comment": "comment"}),
    "input": (services.decision_give_input, {"comment": "comment"}),
    "withdraw": (services.decision_withdraw, {"reason": "reason"}),
    "reopen": (services.decision_reopen, {"reason": "reason"}),
}


@login_required
@require_POST
def decision_act(request, pk: int, action: str):
    """Run one workflow step from the detail page; conflicts come back as a message."""
    if action not in ACTIONS or request.user.is_partner:
        raise Http404
    decision = selectors.decision_detail(user=request.user, pk=pk)
    service, fields = ACTIONS[action]
    kwargs = {target: request.POST.get(source, "") for target, source in fields.items()}
    if action == "agree":
        kwargs["agree"] = request.POST.get("agree") == "yes"
    try:
        service(decision=decision, actor=request.user, **kwargs)
    except APIException as exc:
        messages.error(request, str(exc.detail))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, {"decide": "Decision recorded.", "agree": "Your answer is recorded.",
                                   "input": "Thanks — your input is recorded.", "withdraw": "Decision withdrawn.",
                                   "reopen": "Decision reopened."}[action])
    return redirect("decisions:detail", pk=pk)


# --- The decision-rights matrix editor (admins) -------------------------------------------------


def _posted_cells(post, types, functions) -> dict:
    cells = {}
    for t in types:
        for f in functions:
            role = post.get(f"cell-{t.pk}-{f.pk}", "")
            if role in RapidRole.values:
                cells[(t.pk, f.pk)] = role
    return cells


def _check_context(cells, grid) -> dict:
    report = services.matrix_lint(cells=cells, decision_types=grid["types"])
    types = {t.pk: t for t in grid["types"]}
    functions = {f.pk: f for f in grid["functions"]}
    diff = [{**d, "decision_type": types.get(d["decision_type_id"]), "function": functions.get(d["function_id"])}
            for d in services.matrix_diff(grid["cells"], cells)]
    return {"report": report, "by_type": report.by_type(), "diff": diff, "version": grid["version"],
            "type_names": {t.code: t.name for t in grid["types"]}}


@login_required
def matrix_editor(request):
    """Decision types × functions with a role per cell; live lint and diff; publish."""
    _admin_only(request.user)
    grid = selectors.matrix_grid()
    shown = grid
    number = request.GET.get("version")
    if number and number.isdigit():
        version = MatrixVersion.objects.filter(number=int(number)).first()
        if version is not None:
            shown = selectors.matrix_grid(version=version)
    rows = [{"type": t, "cells": [(f, shown["cells"].get((t.pk, f.pk), "")) for f in grid["functions"]]}
            for t in grid["types"]]
    versions = MatrixVersion.objects.select_related("published_by").order_by("-number")[:20]
    return render(request, "decisions/matrix.html", {
        "rows": rows, "functions": grid["functions"], "versions": versions, "shown": shown["version"],
        "latest": grid["version"], "roles": RapidRole.choices,
        **_check_context(shown["cells"], grid),
    })


@login_required
@require_POST
def matrix_check(request):
    """htmx partial: lint and diff of the grid as currently edited (nothing saved)."""
    _admin_only(request.user)
    grid = selectors.matrix_grid()
    cells = _posted_cells(request.POST, grid["types"], grid["functions"])
    return render(request, "decisions/_matrix_check.html", _check_context(cells, grid))


@login_required
@require_POST
def matrix_publish(request):
    _admin_only(request.user)
    grid = selectors.matrix_grid()
    cells = _posted_cells(request.POST, grid["types"], grid["functions"])
    try:
        version = services.matrix_publish(actor=request.user, cells=cells, note=request.POST.get("note", ""),
                                          only_types=grid["types"])
    except ValidationError as exc:
        messages.error(request, "Not published: " + " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        if grid["version"] is not None and version.pk == grid["version"].pk:
            messages.info(request, "Nothing changed; the published matrix stays as it is.")
        else:
            messages.success(request, f"Published matrix v{version.number}. New decisions use it from now on.")
    return redirect("decisions:matrix")


# --- Analytics and notifications ----------------------------------------------------------------

PERIODS = {"30": 30, "90": 90, "180": 180, "365": 365}


@login_required
def analytics(request):
    """Decision latency for leaders: where decisions wait, by type, org unit and function."""
    _internal_only(request.user)
    group_by = request.GET.get("group_by") if request.GET.get("group_by") in selectors.GROUPINGS else "decision_type"
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "180"
    units = OrgUnit.objects.visible_to(request.user).exclude(level="market").order_by("code")
    unit = units.filter(code=request.GET.get("org_unit") or "").first()
    data = selectors.latency_analytics(user=request.user, group_by=group_by, org_unit=unit,
                                       since=timezone.now() - timedelta(days=PERIODS[period]))
    return render(request, "decisions/analytics.html", {
        "data": data, "group_by": group_by, "period": period, "units": units, "unit": unit,
        "groupings": [("decision_type", "Decision type"), ("org_unit", "Org unit"), ("function", "Deciding function")],
        "periods": [("30", "Last 30 days"), ("90", "Last 90 days"), ("180", "Last 6 months"), ("365", "Last year")],
        "functions": Function.objects.count(),
    })


@login_required
def notifications(request):
    qs = Notification.objects.visible_to(request.user).order_by("-created_at", "-pk")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "decisions/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notification_mark_read(user=request.user, ids=ids)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("decisions:notifications")
