"""The per-address sign-in limit: password spraying tries one or two passwords on many usernames
from one address, which django-axes' (username, address) lockout never sees. So failed sign-ins
are also counted per address, across usernames, in the shared cache (Redis: every web worker sees
the same count). After ``ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT`` failures within the cool-off time
(``AXES_COOLOFF_TIME``) the address is blocked for the cool-off time: every sign-in from it — the
form, the admin, ``POST /api/v1/auth/token/`` — answers 429 with ``Retry-After``, even with a
right password, and each refusal is a SecurityEvent (``address_blocked``).

A success does not reset the address count (a sprayer holding one valid account could otherwise
clear it). The block is enforced by :class:`AddressLimitBackend`, first in
``AUTHENTICATION_BACKENDS``; it flags the request the way django-axes does (``axes_locked_out``),
so the same lockout answer is given: by ``AxesMiddleware`` for pages, by the token view for the API.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from governance.models import SecurityEvent
from governance.security import client_ip, record_security_event

_FAILURES = "login-failures:{ip}"
_BLOCKED = "login-blocked:{ip}"


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def address_blocked(request) -> bool:
    ip = client_ip(request)
    return bool(ip) and bool(cache.get(_BLOCKED.format(ip=ip)))


def address_failure_record(request) -> int:
    """Count one failed sign-in from the request's address; block it at the limit. Returns the
    address's failures in the current window (0 when unknown or the cache is unavailable)."""
    ip = client_ip(request)
    if not ip:
        return 0
    key, window = _FAILURES.format(ip=ip), _cooloff_seconds()
    cache.add(key, 0, timeout=window)  # the window starts at the first failure
    try:
        failures = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=window)
        failures = 1
    if failures >= settings.ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT:
        cache.set(_BLOCKED.format(ip=ip), 1, timeout=window)
    return failures


@receiver(user_login_failed, dispatch_uid="accord-login-address-failures")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    """Count the failure against the address (after ``governance.security`` recorded the event)."""
    if request is not None:
        address_failure_record(request)


class AddressLimitBackend:
    """Authentication backend that authenticates nobody: it refuses every attempt from a blocked
    address before any password is checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and address_blocked(request):
            request.axes_locked_out = True
            record_security_event(kind=SecurityEvent.Kind.ADDRESS_BLOCKED, request=request,
                                  username=str(username or ""))
            raise PermissionDenied("Too many failed sign-ins from this address.")
    # No get_user(): it signs nobody in, so no session names it (and force_login never picks it).
