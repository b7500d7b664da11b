"""Pages: my queue, the log form (with a live routing preview), lists, detail with timeline and
actions."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from decisions import selectors, services
from decisions.clock import level_clock
from decisions.forms import DecisionEditForm, DecisionFilterForm, DecisionLogForm, DecisionReviseForm
from decisions.models import AgendaItem, DecisionType, EventKind, RapidRole, SavedDecisionFilter
from decisions.routing import resolve
from decisions.services.edits import first_answer
from decisions.services.nudges import NUDGE_INTERVAL, waiting_on
from decisions.services.pauses import may_pause, pause_rules_for, running_pause
from decisions.services.workflow import agreement_blockers, due_by_instant, reassign_candidates
from decisions.visibility import Visibility, sees_internal
from governance.errors import ApplicationError
from governance.idempotency import submission_token, submit_once
from governance.models import INTERNAL_ROLES, OrgUnit, User
from partners.models import BusinessReview, Partnership


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
                                                    "now": timezone.now(), "show_internal": True})


def list_params(request, saved: list | None = None) -> tuple:
    """The list's filters from the query string or a saved filter (``?saved=<name>``): the chosen
    saved filter, the query it stands for, the bound form and its clean filters (``{}`` when
    invalid). The page and its exports (``reports``) read them alike."""
    saved = saved if saved is not None else list(SavedDecisionFilter.objects.filter(user=request.user))
    chosen = next((f for f in saved if f.name == request.GET.get("saved")), None)
    data = QueryDict(chosen.query) if chosen else request.GET
    form = DecisionFilterForm(data or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    return chosen, data, form, filters


@login_required
def decision_list(request):
    """Visible decisions: search, filters, sort and the user's saved filters (``?saved=<name>``
    applies one). The selection comes from ``selectors.decision_list`` (exports reuse it)."""
    saved = list(SavedDecisionFilter.objects.filter(user=request.user))
    chosen, data, form, filters = list_params(request, saved)
    qs = selectors.decision_list(user=request.user, filters=filters, sort=filters.get("sort") or "newest")
    page = selectors.decision_page(qs, request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    query.pop("saved", None)
    return render(request, "decisions/list.html", {
        "form": form, "page": page, "query": query.urlencode(), "now": timezone.now(), "saved": saved,
        "chosen": chosen, "saveable": DecisionFilterForm.saved_query(data),
        "export_query": urlencode({"saved": chosen.name} if chosen else [(k, v) for k, v in request.GET.items()
                                                                          if k != "page"]),
        "show_internal": sees_internal(request.user)})


@login_required
@require_POST
def saved_filter_save(request):
    """Save the list's current filters under a name (the same name replaces the earlier one)."""
    try:
        saved = services.saved_filter_save(user=request.user, name=request.POST.get("name", ""),
                                           query=DecisionFilterForm.saved_query(request.POST))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(f"{reverse('decisions:list')}?{DecisionFilterForm.saved_query(request.POST)}")
    messages.success(request, f"Saved the filter “{saved.name}”.")
    return redirect(f"{reverse('decisions:list')}?{urlencode({'saved': saved.name})}")


@login_required
@require_POST
def saved_filter_delete(request, pk: int):
    if not services.saved_filter_delete(user=request.user, pk=pk):
        raise Http404
    messages.info(request, "Saved filter removed.")
    return redirect("decisions:list")


@login_required
def log_decision(request):
    _internal_only(request.user)
    if request.user.role not in INTERNAL_ROLES and not request.user.is_admin:
        raise Http404
    initial = {"org_unit": request.GET.get("org_unit"), "partnership": request.GET.get("partnership")}
    review = _review_to_log_in(request)
    if review is not None:
        initial.update(review=review.pk, partnership=review.partnership_id,
                       org_unit=selectors.review_log_unit(user=request.user, review=review))
    form = DecisionLogForm(request.POST or None, user=request.user, initial=initial)
    # A double-submitted form logs one decision: the second submit goes where the first went.
    token = submission_token(request)
    if request.method == "POST":
        return submit_once(request, lambda: _log_decision_post(request, form, token, review), form="decisions:log")
    return render(request, "decisions/log.html", {"form": form, "submission_token": token, "review": review})


def _review_to_log_in(request):
    """The business review a decision is logged from (``?review=<id>``): one the user may change,
    else 404."""
    raw = request.GET.get("review") or request.POST.get("review") or ""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise Http404
    review = BusinessReview.objects.restrict(request.user, "change").select_related("partnership").filter(
        pk=raw).first()
    if review is None:
        raise Http404
    return review


def _log_decision_post(request, form, token: str, review=None):
    if form.is_valid():
        try:
            decision = services.decision_log(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            who = decision.decider.get_full_name() or decision.decider.username
            messages.success(request, f"Logged “{decision.title}”. {who} decides.")
            if decision.review_id:
                return redirect(reverse("partners:review", args=[decision.review_id]) + "#decisions")
            return redirect("decisions:detail", pk=decision.pk)
    return render(request, "decisions/log.html", {"form": form, "submission_token": token, "review": review})


@login_required
def routing_preview(request):
    """htmx partial: who must give input / agree / decide for the chosen type and org unit."""
    _internal_only(request.user)
    context = {}
    types = DecisionType.objects.restrict(request.user, "view")
    decision_type = types.filter(pk=request.GET.get("decision_type") or 0).first()
    unit = OrgUnit.objects.restrict(request.user, "log").filter(pk=request.GET.get("org_unit") or 0).first()
    partnership_id = request.GET.get("partnership") or ""
    partnership = (Partnership.objects.restrict(request.user, "log").filter(pk=partnership_id).first()
                   if partnership_id.isdigit() and len(partnership_id) < 10 else None)
    if decision_type and unit:
        try:
            routing = resolve(decision_type=decision_type, org_unit=unit, at=timezone.now(), partnership=partnership,
                              strict=False)
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
                context["due_at"] = level_clock(decision_type=decision_type, priority=priority, org_unit=unit,
                                                start=timezone.now()).due_at
    return render(request, "decisions/_routing_preview.html", context)


def _confidentiality(decision, user, *, manage: bool) -> dict:
    """What of the decision the page shows ``user`` (decisions/visibility.py has the rule)."""
    internal = sees_internal(user)
    return {
        "show_internal": internal,
        "show_options": internal or decision.options_visibility == Visibility.SHARED,
        "show_rationale": internal or decision.rationale_visibility == Visibility.SHARED,
        "can_share": decision.partnership_id is not None and manage,
        # The partner holds a seat (participants are prefetched with their users): it stays shared.
        "joint": any(p.user.is_partner for p in decision.participants.all()),
        "shared": decision.visibility == Visibility.SHARED,
        "visibility_choices": Visibility.choices,
    }


def _actions_for(decision, user) -> dict:
    mine = [p for p in decision.participants.all() if p.user_id == user.pk]
    is_open = decision.is_open
    internal = sees_internal(user)
    manage = decision.may_change  # Decision "change": requester, decider, admin (read with the decision)
    requester = internal and user.pk == decision.requested_by_id
    answered = first_answer(decision) if is_open and requester else None
    return {
        "can_decide": is_open and decision.decider_id == user.pk,
        "can_agree": is_open and any(p.role == RapidRole.AGREE for p in mine),
        "can_input": is_open and any(p.role in (RapidRole.INPUT, RapidRole.RECOMMEND) for p in mine),
        "can_withdraw": is_open and manage,
        "can_reopen": not is_open and manage,
        "can_edit": is_open and requester and answered is None and not decision.blocked,
        "can_revise": is_open and requester and decision.blocked,
        "can_reassign": is_open and internal and (user.is_admin or user.pk == decision.decider_id),
        "can_nudge": is_open and manage,
        "edit_closed_by": answered,
    }


@login_required
def decision_detail(request, pk: int):
    decision = selectors.decision_detail(user=request.user, pk=pk)
    actions = _actions_for(decision, request.user)
    now = timezone.now()
    context = {
        "decision": decision, "now": now, "deadline": decision.deadline(),
        # Only the decider is shown why they cannot decide yet (with the names they may see).
        "blockers": agreement_blockers(decision, viewer=request.user)
        if decision.is_open and decision.decider_id == request.user.pk else [],
        "participants": sorted(decision.participants.all(), key=lambda p: ("DARIP".index(p.role), p.level)),
        "rounds": _rounds(decision), "closing_event": _closing_event(decision), **actions,
        "stages": selectors.decision_stages(decision=decision, user=request.user, now=now),
        **_confidentiality(decision, request.user, manage=decision.may_change),
    }
    if actions["can_nudge"]:
        context["waiting"] = [w for w in waiting_on(decision) if w.user.pk != request.user.pk]
        if decision.last_nudged_at and decision.last_nudged_at + NUDGE_INTERVAL > now:
            context["next_nudge_at"] = decision.last_nudged_at + NUDGE_INTERVAL
    if actions["can_reassign"]:
        context["reassign_to"] = reassign_candidates(decision)
    context.update(_pause_context(decision, request.user))
    context.update(_forum_context(decision, request.user, manage=actions["can_withdraw"]))
    return render(request, "decisions/detail.html", context)


def _forum_context(decision, user, *, manage: bool) -> dict:
    """The agenda the decision is queued on (internal users), and whether ``user`` may flag it
    "needs the forum" (who may change it, while open and not queued). No query for types without
    a forum."""
    if not decision.is_open or decision.decision_type.forum_id is None or not sees_internal(user):
        return {}
    item = (AgendaItem.objects.restrict(user, "view").filter(decision=decision, closed_at__isnull=True)
            .select_related("forum").first())
    return {"forum_item": item, "can_flag_forum": manage and item is None}


def _pause_context(decision, user) -> dict:
    """The running pause (shown to everyone who sees the stages) and, for who may pause or resume,
    the type's reasons and the parties a pause may wait on."""
    if not decision.is_open or not (decision.is_paused or decision.has_pause_rules):
        return {}  # the common case costs no query: both were read with the decision
    pause = running_pause(decision) if decision.is_paused else None
    context = {"pause": pause}
    if not sees_internal(user):
        return context
    if pause is not None:
        context["can_resume"] = user.pk == pause.paused_by_id or may_pause(decision, user, pause.rule)
        return context
    rules = pause_rules_for(decision, user)
    if rules:
        functions = sorted({(p.function.code, p.function.name) for p in decision.participants.all()
                            if p.role in (RapidRole.AGREE, RapidRole.INPUT, RapidRole.RECOMMEND)})
        parties = [("partner", decision.partnership.partner.name)] if decision.partnership_id else []
        context.update(pause_rules=rules, pause_parties=[*parties, ("requester", "The requester"), *functions])
    return context


def _pause(*, decision, actor, reason: str = "", party: str = "", note: str = "", until: str = ""):
    day = None
    if until:
        try:
            day = date.fromisoformat(until)
        except ValueError:
            raise ValidationError({"until": "Give the date as YYYY-MM-DD."}) from None
    return services.decision_pause(decision=decision, actor=actor, reason=reason, party=party, note=note,
                                   until=due_by_instant(day, decision.org_unit))


def _rounds(decision) -> list[tuple[int, list]]:
    """The timeline as ``[(round, events)]``, oldest first (one round for most decisions)."""
    rounds: dict[int, list] = {}
    for event in decision.events.all():
        rounds.setdefault(event.round, []).append(event)
    return sorted(rounds.items())


def _closing_event(decision):
    """The event that closed ``decision`` (decided or withdrawn), for the page's summary."""
    if decision.is_open:
        return None
    kind = EventKind.DECIDED if decision.status == "decided" else EventKind.WITHDRAWN
    return next((e for e in reversed(decision.events.all()) if e.kind == kind), None)


def _reassign(*, decision, actor, user_id: str = "", reason: str = ""):
    to_user = (User.objects.restrict(actor, "view").filter(pk=int(user_id), is_active=True).first()
               if user_id.isdigit() else None)
    if to_user is None:
        raise ValidationError({"user": "Choose who decides instead."})
    return services.decision_reassign(decision=decision, actor=actor, to_user=to_user, reason=reason)


ACTIONS = {
    "decide": (services.decision_decide, {"outcome": "outcome", "rationale": "rationale",
                                          "rationale_visibility": "rationale_visibility"}, "Decision recorded."),
    "agree": (services.decision_agree, {"comment": "comment", "visibility": "visibility"},
              "Your answer is recorded."),
    "input": (services.decision_give_input, {"comment": "comment", "visibility": "visibility"},
              "Thanks — your input is recorded."),
    "withdraw": (services.decision_withdraw, {"reason": "reason"}, "Decision withdrawn."),
    "reopen": (services.decision_reopen, {"reason": "reason"}, "Decision reopened."),
    "reassign": (_reassign, {"user_id": "user", "reason": "reason"}, "Decision handed over."),
    "nudge": (services.decision_nudge, {}, None),
    "pause": (_pause, {"reason": "reason", "party": "party", "note": "note", "until": "until"}, "Paused."),
    "resume": (services.decision_resume, {}, "Resumed."),
    "forum": (services.decision_flag_forum, {"note": "note"}, "On the forum's agenda for its next meeting."),
    "share": (services.decision_set_visibility, {"visibility": "visibility",
                                                 "options_visibility": "options_visibility",
                                                 "rationale_visibility": "rationale_visibility"}, "Sharing updated."),
}
# Unticked share boxes and unchosen radios post nothing: internal.
DEFAULTS = {"visibility": Visibility.INTERNAL, "rationale_visibility": Visibility.INTERNAL,
            "options_visibility": Visibility.INTERNAL}
PARTNER_ACTIONS = ("agree", "input")  # where the matrix names the partner; the service decides


@login_required
@require_POST
def decision_act(request, pk: int, action: str):
    """Run one workflow step from the detail page; conflicts come back as a message."""
    if action not in ACTIONS or (request.user.is_partner and action not in PARTNER_ACTIONS):
        raise Http404
    decision = selectors.decision_detail(user=request.user, pk=pk)
    service, fields, done = ACTIONS[action]
    kwargs = {target: request.POST.get(source, DEFAULTS.get(source, "")) for target, source in fields.items()}
    if action == "agree":
        kwargs["agree"] = request.POST.get("agree") == "yes"
    try:
        result = service(decision=decision, actor=request.user, **kwargs)
    except ApplicationError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        if action == "nudge":
            done = "Reminder sent to " + ", ".join(u.get_full_name() or u.username for u in result) + "."
        messages.success(request, done)
    return redirect("decisions:detail", pk=pk)


def _change_page(request, pk: int, *, revise: bool):
    """The requester's edit (before the first answer) or revision (after a veto) of a decision."""
    _internal_only(request.user)
    decision = selectors.decision_detail(user=request.user, pk=pk)
    if request.user.pk != decision.requested_by_id:
        raise Http404
    form_class = DecisionReviseForm if revise else DecisionEditForm
    form = form_class(request.POST or None, user=request.user, decision=decision)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            if revise:
                services.decision_revise(decision=decision, actor=request.user, changes=form.changes(decision),
                                         comment=form.cleaned_data["comment"])
            else:
                services.decision_edit(decision=decision, actor=request.user, changes=form.changes(decision))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(request, "Revised: a new round starts, agreements are asked for again." if revise
                             else "Changes saved.")
            return redirect("decisions:detail", pk=pk)
    return render(request, "decisions/change.html", {"decision": decision, "form": form, "revise": revise,
                                                     "error": error}, status=409 if error else 200)


@login_required
def decision_edit(request, pk: int):
    return _change_page(request, pk, revise=False)


@login_required
def decision_revise(request, pk: int):
    return _change_page(request, pk, revise=True)
