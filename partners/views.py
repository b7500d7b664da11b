"""Partner pages: directory, partner, partnership (overview, maturity, reviews, actions, members),
the assessment form, reviews, "My actions" and the partner portal.

Every object is looked up through ``restrict(request.user, "view")``: out of scope is 404; what
the page offers (edit, share, log a review, assess) follows ``can()``, and the services re-check.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.models import User
from governance.querysets import CHANGE, LOG, VIEW, can
from partners import presenters, selectors, services
from partners.enablement import services as enablement_services
from partners.enablement.models import EnablementItem
from partners.forms import ActionForm, AssessmentForm, DirectoryFilterForm, EnablementForm, ReviewForm, ShareForm
from partners.models import (
    MATURITY_LEVELS,
    ActionStatus,
    AssessmentSide,
    BusinessReview,
    MaturityAssessment,
    Partner,
    Partnership,
    PartnershipUserObjectPermission,
    ReviewAction,
)
from partners.querysets import VIEW_PERMISSION


def _partnership_or_404(request, pk: int) -> Partnership:
    return get_object_or_404(Partnership.objects.restrict(request.user, VIEW), pk=pk)


def _service_errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{m}" for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages


@login_required
def directory(request):
    """All partners the user may see, with filters (kind, partnership type, status, region) and search."""
    form = DirectoryFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    partners = selectors.directory(
        request.user, q=filters.get("q", ""), kind=filters.get("kind", ""), status=filters.get("status", ""),
        type=filters.get("type", ""), org_unit=filters.get("org_unit"),
    )
    page = Paginator(partners, 25).get_page(request.GET.get("page"))
    ids = [p.pk for partner in page for p in partner.visible_partnerships]
    levels = selectors.latest_levels(ids)
    today = timezone.localdate()
    for partner in page:
        for p in partner.visible_partnerships:
            p.maturity_level = levels.get(p.pk)
            p.maturity_name = MATURITY_LEVELS.get(p.maturity_level, "")
            p.review_is_overdue = p.review_overdue(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "partners/directory.html", {
        "form": form, "page": page, "rows_html": presenters.directory_rows_html(page), "query": query.urlencode(),
        "today": today,
        "filtered": any(filters.values()) if filters else False,
    })


@login_required
def partner_detail(request, pk: int):
    partner = get_object_or_404(Partner.objects.restrict(request.user, VIEW).prefetch_related("org_units"), pk=pk)
    partnerships = list(
        Partnership.objects.restrict(request.user, VIEW).filter(partner=partner)
        .select_related("owner_function").prefetch_related("org_units").order_by("name")
    )
    levels = selectors.latest_levels([p.pk for p in partnerships])
    today = timezone.localdate()
    for p in partnerships:
        p.maturity_level = levels.get(p.pk)
        p.maturity_name = MATURITY_LEVELS.get(p.maturity_level, "")
        p.review_is_overdue = p.review_overdue(today)
    return render(request, "partners/partner_detail.html", {
        "partner": partner, "partnerships": partnerships, "today": today,
    })


@login_required
def partnership_detail(request, pk: int):
    """The partnership page: overview, maturity (radar + trend + gaps), reviews and actions, members."""
    partnership = get_object_or_404(
        Partnership.objects.restrict(request.user, VIEW).select_related("partner", "owner_function", "owner")
        .prefetch_related("org_units", "functions", "members"),
        pk=pk,
    )
    user = request.user
    today = timezone.localdate()
    can_edit = can(user, CHANGE, partnership)  # edit and share: every org unit in scope
    can_log = can_edit or can(user, LOG, partnership)  # reviews, actions, assessments: a unit in scope
    maturity = selectors.partnership_maturity(partnership)
    reviews_and_actions = selectors.partnership_reviews_and_actions(partnership)
    actions = reviews_and_actions.open_actions
    due_in = (partnership.next_review_due - today).days if partnership.next_review_due else None
    shared_with = []
    if can_edit:
        shared_with = [
            row.user for row in PartnershipUserObjectPermission.objects.filter(
                content_object=partnership, permission__codename=VIEW_PERMISSION).select_related("user")
        ]
    can_review = can_log and not user.is_partner  # partner users assess, but log no reviews
    return render(request, "partners/partnership_detail.html", {
        "partnership": partnership, "today": today, "can_edit": can_edit, "can_log": can_log,
        "can_review": can_review,
        "reviews_html": presenters.reviews_html(reviews_and_actions.reviews, today=today, viewer=user),
        "open_actions_html": presenters.open_actions_html(actions, today=today, user=user, can_review=can_review,
                                                          csrf_input=csrf_input(request), path=request.path),
        "can_assess": can_log,
        "maturity": maturity, "chart_data": maturity.chart_data(),
        "maturity_rows_html": presenters.maturity_rows_html(maturity.dimensions),
        "reviews": reviews_and_actions.reviews,
        "open_actions": actions, "overdue_count": sum(1 for a in actions if a.is_overdue(today)),
        "review_overdue": partnership.review_overdue(today), "shared_with": shared_with,
        "share_form": ShareForm(actor=user) if can_edit else None,
        "review_due_in": due_in, "review_due_in_abs": abs(due_in) if due_in is not None else None,
        **_enablement_context(request, partnership, today, can_change=can_edit),
    })


def _enablement_context(request, partnership, today, *, can_change: bool | None = None) -> dict:
    """The partnership's enablement items in the plan (open first, by due date), each with
    ``changeable``: whether the user may mark it (one query), and the list as HTML
    (``enablement_html``); for those who may manage them (``can_manage_enablement``; ``can_change``:
    whether the user may change the partnership, when the caller knows already), the archived ones too."""
    user = request.user
    mine = EnablementItem.objects.restrict(user, CHANGE).filter(pk=OuterRef("pk"))
    items = list(EnablementItem.objects.restrict(user, VIEW).filter(partnership=partnership)
                 .select_related("owner").annotate(changeable=Exists(mine))
                 .order_by(F("done_at").asc(nulls_first=True), "due_date", "pk"))
    if can_change is None:
        can_change = can(user, CHANGE, partnership)
    manage = not user.is_partner and can_change
    in_plan = [e for e in items if e.archived_at is None]
    return {"enablement": in_plan,
            "enablement_html": presenters.enablement_items_html(in_plan, today=today, viewer=user, can_manage=manage,
                                                                csrf_input=csrf_input(request)),
            "enablement_archived": [e for e in items if e.archived_at is not None] if manage else [],
            "enablement_done": sum(1 for e in items if e.done_at is not None and e.archived_at is None),
            "can_manage_enablement": manage}


def _enablement_section(request, partnership, status: int = 200):
    """After a change: the list alone (htmx) or back to the page."""
    if request.htmx:
        return render(request, "partners/_enablement.html", {
            "partnership": partnership, "today": timezone.localdate(),
            **_enablement_context(request, partnership, timezone.localdate())}, status=status)
    return redirect(reverse("partners:partnership", args=[partnership.pk]) + "#enablement")


def _enablement_form(request, partnership, *, item=None):
    """Add (``item`` None) or edit an enablement item: internal users who may change the partnership.
    GET shows the form (a fragment for htmx); POST writes through the service; bad input answers 400
    with the form and its errors, nothing written."""
    user = request.user
    if user.is_partner or not can(user, CHANGE, partnership):
        raise PermissionDenied("Only those who may change the partnership add or edit its enablement items.")
    initial = ({"kind": "training", "due_date": timezone.localdate() + timedelta(days=30), "owner": user.pk}
               if item is None else None)
    form = EnablementForm(request.POST or None, instance=item, initial=initial, partnership=partnership, actor=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in ("kind", "title", "owner", "due_date")}
            try:
                if item is None:
                    enablement_services.enablement_create(actor=user, partnership=partnership, **fields)
                else:
                    enablement_services.enablement_update(actor=user, item=item, **fields)
            except ValidationError as exc:
                for message in _service_errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, "Enablement item added." if item is None else "Enablement item saved.")
                return _enablement_section(request, partnership)
    template = "partners/_enablement_form.html" if request.htmx else "partners/enablement_form.html"
    return render(request, template, {"form": form, "partnership": partnership, "item": item}, status=status)


@login_required
def enablement_new(request, pk: int):
    return _enablement_form(request, _partnership_or_404(request, pk))


@login_required
def enablement_edit(request, pk: int):
    item = get_object_or_404(EnablementItem.objects.restrict(request.user, VIEW).select_related("partnership"), pk=pk)
    if item.archived_at is not None:
        return HttpResponseBadRequest("This item is archived: restore it before editing.")
    return _enablement_form(request, item.partnership, item=item)


@login_required
@require_POST
def enablement_archive(request, pk: int):
    """Archive (``archived=1``) or restore (``archived=0``) an item: those who may change the partnership."""
    item = get_object_or_404(EnablementItem.objects.restrict(request.user, VIEW).select_related("partnership"), pk=pk)
    if request.POST.get("archived") not in ("0", "1"):
        return HttpResponseBadRequest("archived: 1 to archive, 0 to restore.")
    archived = request.POST["archived"] == "1"
    if enablement_services.enablement_archive(actor=request.user, item=item, archived=archived):
        messages.success(request, f"“{item.title}” {'archived' if archived else 'restored'}.")
    return _enablement_section(request, item.partnership)


@login_required
@require_POST
def enablement_done(request, pk: int):
    """Mark an enablement item done (``done=1``) or reopen it (``done=0``): its owner, or whoever
    may log against the partnership. Out of scope is 404; seen but not theirs is 403."""
    item = get_object_or_404(EnablementItem.objects.restrict(request.user, VIEW), pk=pk)
    if request.POST.get("done") not in ("0", "1"):
        return HttpResponseBadRequest("done: 1 to mark done, 0 to reopen.")
    done = request.POST["done"] == "1"
    try:
        changed = enablement_services.enablement_set_done(actor=request.user, item=item, done=done)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(_service_errors(exc)))
    if changed:
        messages.success(request, f"“{item.title}” {'marked done' if done else 'reopened'}.")
    return redirect(reverse("partners:partnership", args=[item.partnership_id]) + "#enablement")


@login_required
def assess(request, pk: int):
    """Enter one side's maturity assessment: partner users the partner side, editors the internal side."""
    partnership = _partnership_or_404(request, pk)
    user = request.user
    side = AssessmentSide.PARTNER if user.is_partner else AssessmentSide.INTERNAL
    if not can(user, LOG, partnership):
        raise PermissionDenied
    previous = (MaturityAssessment.objects.restrict(user, VIEW).filter(partnership=partnership, side=side)
                .order_by("-assessed_at").first())
    form = AssessmentForm(request.POST or None, initial_from=previous)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_create(actor=user, partnership=partnership, scores=form.scores(),
                                       comments=form.comments(), summary=form.cleaned_data["summary"])
        except ValidationError as exc:
            for message in _service_errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "Thank you — your assessment is recorded.")
            return redirect("partners:partnership", pk=partnership.pk)
    return render(request, "partners/assess.html", {
        "partnership": partnership, "form": form, "side": side, "previous": previous,
        "side_label": AssessmentSide(side).label,
    })


@login_required
def review_new(request, pk: int):
    partnership = _partnership_or_404(request, pk)
    if not can(request.user, LOG, partnership) or request.user.is_partner:
        raise PermissionDenied
    form = ReviewForm(request.POST or None, partnership=partnership, actor=request.user,
                      initial={"date": timezone.localdate(), "kind": "qbr", "status": "held"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_create(
                actor=request.user, partnership=partnership, date=data["date"], kind=data["kind"],
                status=data["status"], title=data["title"], agenda=data["agenda"], notes=data["notes"],
                attendees=data["attendees"],
            )
        except ValidationError as exc:
            for message in _service_errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "Review logged. Add its follow-up actions below.")
            return redirect("partners:review", pk=review.pk)
    return render(request, "partners/review_form.html", {"partnership": partnership, "form": form})


@login_required
def review_detail(request, pk: int):
    review = get_object_or_404(
        BusinessReview.objects.restrict(request.user, VIEW).select_related("partnership__partner", "created_by")
        .prefetch_related("attendees", Prefetch("actions", queryset=ReviewAction.objects.restrict(
            request.user, VIEW).select_related("owner"))),
        pk=pk,
    )
    partnership = review.partnership
    can_edit = can(request.user, CHANGE, review)
    form = None
    if can_edit:
        form = ActionForm(request.POST or None, partnership=partnership, actor=request.user,
                          initial={"due_date": timezone.localdate() + timedelta(days=30)})
        if request.method == "POST" and form.is_valid():
            try:
                services.action_create(actor=request.user, review=review, **form.cleaned_data)
            except ValidationError as exc:
                for message in _service_errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, "Action added.")
                return redirect("partners:review", pk=review.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "partners/review_detail.html", {
        "review": review, "partnership": partnership, "can_edit": can_edit, "form": form,
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def action_status(request, pk: int):
    """Mark an action done or reopen it (its owner, or an editor of the partnership)."""
    action = get_object_or_404(ReviewAction.objects.restrict(request.user, VIEW), pk=pk)
    new_status = request.POST.get("status")
    if new_status not in ActionStatus.values:
        raise Http404
    services.action_update(actor=request.user, action=action, status=new_status)
    messages.success(request, f"“{action.title}” marked {ActionStatus(new_status).label.lower()}.")
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/partners/") else reverse("partners:my-actions"))


@login_required
def my_actions(request):
    """The signed-in user's review actions: open ones first (overdue flagged), then done."""
    today = timezone.localdate()
    actions = list(selectors.my_actions(request.user)[:300])
    open_actions = [a for a in actions if a.status == ActionStatus.OPEN]
    return render(request, "partners/my_actions.html", {
        "open_actions": open_actions, "done_actions": [a for a in actions if a.status == ActionStatus.DONE][:50],
        "overdue_count": sum(1 for a in open_actions if a.is_overdue(today)), "today": today,
    })


@login_required
def portal(request):
    """A partner user's home: their partnership page when they have exactly one, else a list."""
    partnerships = list(
        Partnership.objects.restrict(request.user, VIEW).select_related("partner")
        .annotate(open_actions=Count("review_actions", filter=Q(review_actions__status=ActionStatus.OPEN)))
        .order_by("name")
    )
    if request.user.is_partner and len(partnerships) == 1:
        return redirect("partners:partnership", pk=partnerships[0].pk)
    if not request.user.is_partner:
        return redirect("partners:directory")
    return render(request, "partners/portal.html", {"partnerships": partnerships, "today": timezone.localdate()})


@login_required
@require_POST
def share(request, pk: int):
    """Share the partnership with one internal user (or withdraw it: ``unshare=<user id>``)."""
    partnership = _partnership_or_404(request, pk)
    if not can(request.user, CHANGE, partnership):
        raise PermissionDenied
    if request.POST.get("unshare"):
        target = get_object_or_404(User.objects.restrict(request.user, VIEW), pk=request.POST["unshare"])
        services.partnership_unshare(actor=request.user, partnership=partnership, user=target)
        messages.success(request, f"No longer shared with {target.username}.")
    else:
        form = ShareForm(request.POST, actor=request.user)
        if form.is_valid():
            target = form.cleaned_data["username"]
            try:
                services.partnership_share(actor=request.user, partnership=partnership, user=target)
            except ValidationError as exc:
                messages.error(request, " ".join(_service_errors(exc)))
            else:
                messages.success(request, f"Shared with {target.username} (read-only).")
        else:
            messages.error(request, " ".join(form.errors["username"]))
    return redirect(reverse("partners:partnership", args=[partnership.pk]) + "#members")
