import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from knox.settings import knox_settings

from governance import tokens
from governance.audit import object_history
from governance.bad_input import BadInput
from governance.models import Delivery
from governance.notifications import NOTIFICATION_GROUPS, delivery_map, preferences_set
from governance.security import record_security_event
from governance.selectors import org_tree_for
from governance.services import user_set_timezone
from governance.timezones import default_timezone, format_instant, zone


def favicon(request):
    """``/favicon.ico``, which browsers ask for on pages that name no icon (the browsable API, raw
    JSON): Accord's icon, as every page's ``<link rel="icon">`` names it."""
    return redirect(static("img/accord.svg"), permanent=True)


@login_required
def home(request):
    """Each role's landing page: leaders and admins the dashboard, managers their decision queue,
    partner users their partnership."""
    user = request.user
    if user.is_partner:
        return redirect("partners:portal")
    if user.is_manager:
        return redirect("decisions:queue")
    return redirect("kpis:dashboard")


@login_required
def org_structure(request):
    """The org tree the user may see, with assignments (who holds which function where).
    Internal staffing is not shown to partner users."""
    if request.user.is_partner:
        raise Http404
    return render(request, "governance/org_structure.html", {"roots": org_tree_for(request.user)})


@login_required
def object_history_page(request, slug: str, pk: int):
    """Who changed what and when, for one audited object (admins and leaders, in scope)."""
    obj, entries = object_history(user=request.user, slug=slug, pk=pk)
    return render(request, "governance/history.html", {"object": obj, "entries": entries,
                                                       "model_name": obj._meta.verbose_name})


@login_required
def account(request):
    """The signed-in user's account: who they are, their password, their API tokens."""
    return render(request, "account/account.html", {
        "tokens": tokens.tokens_of(request.user), "token_ttl_hours": _token_ttl_hours()})


def _token_ttl_hours() -> int:
    return int(knox_settings.TOKEN_TTL.total_seconds() // 3600)


@login_required
@require_POST
def account_token_revoke(request, key: str):
    """Revoke one of the user's own API tokens (another user's key revokes nothing: 404)."""
    if not tokens.token_revoke(user=request.user, key=key):
        raise Http404
    messages.success(request, f"Token {key}… revoked: it no longer works.")
    return redirect("account")


@login_required
@require_POST
def account_tokens_revoke_all(request):
    count = tokens.tokens_revoke_all(user=request.user)
    messages.success(request, f"{count} token{'s' if count != 1 else ''} revoked.")
    return redirect("account")


def bad_request(request, exception=None):
    """400 page in the product's look, saying what was wrong (``governance.bad_input``)."""
    reason = str(exception) if isinstance(exception, BadInput) else ""
    return render(request, "400.html", {"reason": reason}, status=400)


@login_required
def time_zone(request):
    """The zone the signed-in user reads times in (pages and e-mails); empty: their unit's."""
    user = request.user
    unit_zone = default_timezone(user)
    error = None
    if request.method == "POST":
        chosen = request.POST.get("timezone", "").strip()
        try:
            user_set_timezone(user=user, timezone=chosen)
        except ValidationError as exc:
            error = " ".join(m for ms in exc.message_dict.values() for m in ms)
        else:
            messages.success(request, f"Times are now shown in {user.timezone}.")
            back = request.POST.get("next", "")
            if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                return redirect(back)
            return redirect("time-zone")
    now = timezone.now()
    return render(request, "governance/time_zone.html", {
        "zones": sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}), "unit_zone": unit_zone,
        "error": error, "sample": format_instant(now, zone(user.timezone)),
        "unit_sample": format_instant(now, zone(unit_zone)), "next": request.GET.get("next", ""),
    }, status=400 if error else 200)


def permission_denied(request, exception=None):
    """403 page; the refusal is recorded as a security event."""
    record_security_event(kind="permission_denied", request=request, user=getattr(request, "user", None))
    return render(request, "403.html", status=403)


@login_required
def notification_settings(request):
    """Per kind of notification: e-mail immediately, in the daily or weekly digest, or not at all."""
    status = 200
    if request.method == "POST":
        choices = {g: request.POST.get(g, "") for g in NOTIFICATION_GROUPS}
        try:
            preferences_set(user=request.user, choices=choices)
        except ValidationError as exc:
            messages.error(request, " ".join(f"{g}: {m}" for g, ms in exc.message_dict.items() for m in ms))
            status = 400
        else:
            messages.success(request, "Saved: e-mail arrives as you chose.")
            return redirect("notification-settings")
    current = delivery_map(request.user)
    groups = [{"key": g, "label": label, "current": current[g],
               "options": [(d, Delivery(d).label) for d in offered]}
              for g, (label, _, offered) in NOTIFICATION_GROUPS.items()]
    return render(request, "account/notifications.html", {"groups": groups}, status=status)
