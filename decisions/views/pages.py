"""Pages: my queue, the log form (with a live routing preview), lists, detail with timeline and
actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from decisions import selectors, services
from decisions.forms import DecisionFilterForm, DecisionLogForm
from decisions.models import DecisionType, RapidRole
from decisions.routing import resolve
from governance.idempotency import submission_token, submit_once
from governance.models import OrgUnit


def _internal_only(user) -> None:
    if user.is_partner:
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


