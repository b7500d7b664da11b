"""Security event recording: who, from which IP, when (UTC), and what happened.

Sign-in, sign-out, failed sign-in and lockout (django-axes' ``user_locked_out``) are recorded
here from signals; a blocked address by ``governance.login_limits``; permission denied from the
403 handlers (pages and API).
"""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from governance.models import SecurityEvent

log = logging.getLogger("accord.security")


def client_ip(request) -> str | None:
    """The peer address. Behind a proxy, configure it to set REMOTE_ADDR (we do not trust
    X-Forwarded-For from clients)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record_security_event(*, kind: str, request=None, user=None, username: str = "") -> None:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    username = username or (user.get_username() if user is not None else "")
    ip = client_ip(request)
    path = request.path[:300] if request is not None else ""
    SecurityEvent.objects.create(kind=kind, user=user, username=username[:150], ip_address=ip, path=path)
    log.info("security event=%s user=%s ip=%s path=%s", kind, username or "-", ip or "-", path or "-")


@receiver(user_logged_in, dispatch_uid="accord-security-login")
def _on_login(sender, request, user, **kwargs):
    record_security_event(kind=SecurityEvent.Kind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accord-security-logout")
def _on_logout(sender, request, user, **kwargs):
    record_security_event(kind=SecurityEvent.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accord-security-login-failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    record_security_event(kind=SecurityEvent.Kind.LOGIN_FAILED, request=request,
                          username=str(credentials.get("username", "")))


@receiver(user_locked_out, dispatch_uid="accord-security-lockout")
def _on_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    record_security_event(kind=SecurityEvent.Kind.LOCKOUT, request=request, username=str(username or ""))


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return f"Too many failed sign-in attempts from this address. Try again in {minutes} minutes."


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out (username, IP) pair: 429 with ``Retry-After``; JSON for
    the API, the sign-in page (with the reason, not the password error) for browsers."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = render(request, "registration/login.html",
                          {"form": AuthenticationForm(request), "locked_out": lockout_message()}, status=429)
    response["Retry-After"] = retry_after
    return response
