"""Requests that take effect once: the API's ``Idempotency-Key`` header and page form tokens.

**API.** Any ``POST /api/…`` carrying ``Idempotency-Key: <key>`` (1–255 printable ASCII
characters, chosen by the client, e.g. a UUID) runs at most once per (user, key) for
``ACCORD_IDEMPOTENCY_HOURS`` (default 24):

* the first request runs and, if it succeeds (2xx), its status, body and ``Location`` are stored
  with the key, in the same transaction as everything it wrote;
* the same key again from the same user, with the same request (method, path, query, body),
  gets that stored answer (header ``Idempotent-Replayed: true``) and writes nothing;
* the same key with a different request answers 422 and writes nothing;
* a request that failed (4xx/5xx) stores nothing: the client may fix it and retry with the key.

Two requests with one key at the same moment: the key row is inserted first, inside the request's
transaction, and the unique (user, key) constraint makes the second INSERT wait for the first
transaction; when it commits, the second one replays its answer; when it rolls back, the second
one runs. The database, not timing, guarantees one effect.

**Pages.** A form that creates (logging a decision) carries a one-time ``submission_token``
(:func:`new_submission_token`); :func:`run_once` with ``form:<token>`` makes a double-submitted
form create once — the second submit is sent where the first one went.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from governance.models import IdempotencyKey, User

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


def _ttl() -> timedelta:
    return timedelta(hours=settings.ACCORD_IDEMPOTENCY_HOURS)


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type or None)
    if record.location:
        response["Location"] = record.location
    response["Idempotent-Replayed"] = "true"
    return response


def _succeeded(response: HttpResponse) -> bool:
    return 200 <= response.status_code < 300


def run_once(*, user: User, key: str, fingerprint: str, produce: Callable[[], HttpResponse],
             keep: Callable[[HttpResponse], bool] = _succeeded) -> HttpResponse:
    """``produce()`` at most once per (user, key); repeats get the first answer kept (see module
    doc). ``keep`` says which answers are final (default: 2xx); others leave the key unused."""
    with transaction.atomic():
        now = timezone.now()
        try:
            with transaction.atomic():  # blocks while another transaction holds this key uncommitted
                record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
            if record.created_at > now - _ttl():
                if record.fingerprint != fingerprint:
                    return JsonResponse({"detail": f"This {HEADER} was already used for a different request."},
                                        status=422)
                return _replay(record)
            record.created_at, record.fingerprint, record.status_code = now, fingerprint, None  # expired: anew
            record.save(update_fields=["created_at", "fingerprint", "status_code"])
        response = produce()
        status = response.status_code
        if status >= 500:
            transaction.set_rollback(True)  # as if the request never ran
        elif not keep(response) or getattr(response, "streaming", False):
            record.delete()  # nothing to replay; what the request recorded (e.g. a security event) stays
        else:
            record.status_code = status
            record.content_type = response.get("Content-Type", "")[:120]
            record.location = response.get("Location", "")[:500]
            record.body = response.content
            record.save(update_fields=["status_code", "content_type", "location", "body"])
        return response


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    if request.content_type == "multipart/form-data":  # parsed (files to disk), not read whole into memory
        for name, values in sorted(request.POST.lists()):
            digest.update(f"{name}={values!r}\n".encode())
        for name, upload in sorted(request.FILES.items()):
            digest.update(f"{name}:{upload.name}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _api_user(request):
    """The caller as DRF will see it (token or session), or None: the view then answers 401/403."""
    drf_request = Request(request, authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES])
    try:
        user = drf_request.user
    except APIException:
        return None
    return user if user is not None and user.is_authenticated else None


class IdempotencyMiddleware:
    """Honours ``Idempotency-Key`` on every ``POST /api/…`` (see the module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not _VALID_KEY.fullmatch(key):
            return JsonResponse({"detail": f"{HEADER} must be 1 to 255 printable ASCII characters."}, status=400)
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        return run_once(user=user, key=key, fingerprint=_fingerprint(request),
                        produce=lambda: self.get_response(request))


def new_submission_token() -> str:
    """A one-time token for a form that creates something (a hidden ``submission_token`` field)."""
    return secrets.token_hex(16)


def submission_token(request) -> str:
    """The token a re-rendered form keeps (the posted one, if valid) or a new one."""
    posted = request.POST.get("submission_token", "")
    return posted if _FORM_TOKEN.fullmatch(posted) else new_submission_token()


def submit_once(request, produce: Callable[[], HttpResponse], *, form: str) -> HttpResponse:
    """Run a form POST once per ``submission_token``: a second submit of the same form (double
    click, reload, a retry after a timeout) gets the first one's redirect. Without a valid token
    (an old page), the POST simply runs."""
    token = request.POST.get("submission_token", "")
    if not _FORM_TOKEN.fullmatch(token):
        return produce()
    return run_once(user=request.user, key=f"form:{token}", fingerprint=hashlib.sha256(form.encode()).hexdigest(),
                    produce=produce, keep=lambda response: 300 <= response.status_code < 400)


def idempotency_keys_delete_expired(*, now=None) -> int:
    """Forget keys past their time (periodic job)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=(now or timezone.now()) - _ttl()).delete()
    return deleted
