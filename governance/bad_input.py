"""Bad input answers 400 and changes nothing — decided here, once, for pages and the API.

Views validate what they expect; this module catches the *classes* of bad input that slip past a
view and would otherwise surface as a 500:

* a NUL byte in the URL path, the query string or a form field (PostgreSQL text cannot hold one),
  refused by :class:`BadInputMiddleware` before any view runs;
* exceptions that only bad input raises, translated by :func:`bad_input_detail` — used by the
  middleware (pages) and by the DRF exception handler (API):

  - ``DataError``: a NUL byte in a JSON string, a number that overflows its column, text too long;
  - ``IntegrityError``: a unique key taken between validation and insert (two requests at once),
    answered with the field(s) of the key, as DRF's own unique validators would;
  - ``RecursionError``: JSON nested too deep for the parser;
  - ``OverflowError``: a number or date pushed out of range (e.g. an SLA of 10^300 hours);
  - ``ValueError`` / ``decimal.InvalidOperation`` *from parsing*: raised by Django's field
    conversion (``filter(pk="abc")``), its date parsing (``2024-02-30``), or the built-in number
    and date constructors on a string. Any other ValueError is a bug and stays a 500.

Every 400 given here is logged (``accord.bad_input``, WARNING, with the traceback) so a bug
misfiled as bad input is still visible. The transaction the exception escaped from has already
been rolled back by ``transaction.atomic``, so nothing was written.
"""

from __future__ import annotations

import decimal
import logging
import re

from django.apps import apps
from django.db import DataError, IntegrityError
from django.http import JsonResponse
from django.urls import get_resolver

from governance.errors import ApplicationError

log = logging.getLogger("accord.bad_input")

NUL_MESSAGE = "NUL characters (\\x00) are not allowed in a request."

# Where a ValueError means "this string is not a valid value": (path fragment, function names).
_PARSING_FRAMES = (
    ("django/db/models/fields/", {"get_prep_value", "to_python", "get_db_prep_value"}),
    ("django/db/models/lookups.py", None),
    ("django/utils/dateparse.py", None),
    # DecimalField: a value with more digits than the column holds (quantize in format_number).
    ("django/db/backends/utils.py", {"format_number"}),
)
# Messages of the built-in constructors (int(), float(), date/datetime, fromisoformat, strptime).
_PARSING_MESSAGES = re.compile(
    r"invalid literal for int\(\)|could not convert string to float|"
    r"out of range for month|must be in \d+\.\.\d+|Invalid isoformat string|does not match format|"
    r"year \d+ is out of range"
)


def _raised_while_parsing(exc: BaseException) -> bool:
    if isinstance(exc, decimal.InvalidOperation) and exc.args and isinstance(exc.args[0], list) and (
            decimal.ConversionSyntax in exc.args[0]):  # Decimal("abc")
        return True
    if isinstance(exc, ValueError) and _PARSING_MESSAGES.search(str(exc)):
        return True
    tb = exc.__traceback__
    innermost = None
    while tb is not None:
        innermost = tb.tb_frame
        tb = tb.tb_next
    if innermost is None:
        return False
    filename = innermost.f_code.co_filename.replace("\\", "/")
    return any(fragment in filename and (names is None or innermost.f_code.co_name in names)
               for fragment, names in _PARSING_FRAMES)


_KEY_COLUMNS = re.compile(r"Key \((?P<columns>[^)]*)\)=")


def _field_for_column(table: str | None, column: str):
    for model in apps.get_models():
        if model._meta.db_table == table:
            for field in model._meta.concrete_fields:
                if field.column == column:
                    return model, field
    return None, None


def _integrity_detail(exc: IntegrityError) -> dict:
    """Field errors for a constraint violation, in DRF's shape and with Django's own wording.
    PostgreSQL names the key columns of a unique violation in its detail
    ("Key (code)=(0) already exists.") and the table in its diagnostics."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    detail = getattr(diag, "message_detail", None) or ""
    sqlstate = getattr(cause, "sqlstate", None)
    match = _KEY_COLUMNS.search(detail)
    if sqlstate == "23505" and match:  # unique_violation
        columns = [c.strip().strip('"') for c in match.group("columns").split(",")]
        found = [_field_for_column(getattr(diag, "table_name", None), c) for c in columns]
        model = found[0][0]
        if model is not None and all(field is not None for _, field in found):
            names = [field.name for _, field in found]
            labels = " and ".join(str(field.verbose_name).capitalize() if i == 0 else str(field.verbose_name)
                                  for i, (_, field) in enumerate(found))
            message = f"{str(model._meta.verbose_name).capitalize()} with this {labels} already exists."
        else:
            names = [c[:-3] if c.endswith("_id") else c for c in columns]
            message = "A record with these values already exists."
        return {names[0] if len(names) == 1 else "non_field_errors": [message]}
    if sqlstate == "23502" and getattr(diag, "column_name", None):  # not_null_violation
        return {diag.column_name: ["This field is required."]}
    if sqlstate == "23503":  # foreign_key_violation: the referenced row went away meanwhile
        return {"non_field_errors": ["A record this refers to no longer exists."]}
    return {"non_field_errors": ["This conflicts with data already stored; nothing was saved."]}


def bad_input_detail(exc: BaseException) -> dict | None:
    """The 400 body for an exception that only bad input raises; None for anything else."""
    if isinstance(exc, IntegrityError):
        detail = _integrity_detail(exc)
    elif isinstance(exc, DataError):
        text = str(exc)
        if "NUL" in text or "0x00" in text:
            detail = {"detail": NUL_MESSAGE}
        elif "out of range" in text or "overflow" in text:
            detail = {"detail": "A number in the request is too large or too precise to store."}
        elif "too long" in text:
            detail = {"detail": "A value in the request is too long."}
        else:
            detail = {"detail": "A value in the request cannot be stored."}
    elif isinstance(exc, RecursionError):
        detail = {"detail": "JSON nested too deeply."}
    elif isinstance(exc, OverflowError):
        detail = {"detail": "A number or date in the request is out of range."}
    elif isinstance(exc, decimal.InvalidOperation) and _raised_while_parsing(exc):
        detail = {"detail": "A number in the request is not valid, or too large to store."}
    elif isinstance(exc, ValueError) and _raised_while_parsing(exc):
        detail = {"detail": f"Invalid value in the request: {exc}"[:300]}
    else:
        return None
    log.warning("bad input answered 400: %s", detail, exc_info=exc)
    return detail


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    if "%00" in request.META.get("QUERY_STRING", "") and any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    # Page forms (the API's serializers refuse NUL in every string field themselves).
    if request.method == "POST" and not request.path.startswith("/api/") and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    return False


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.META.get("HTTP_ACCEPT", "")


def bad_request(request, detail: dict, status: int = 400):
    """400 (or another 4xx) in the caller's language: JSON for the API, the product's 400 page for browsers."""
    if wants_json(request):
        return JsonResponse(detail, status=status)
    handler = get_resolver().resolve_error_handler(400)
    response = handler(request, exception=BadInput(detail.get("detail") or "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in detail.items())))
    response.status_code = status
    return response


class BadInput(Exception):
    """What the 400 page says (handler400 receives it as ``exception``)."""


class BadInputMiddleware:
    """Refuses NUL bytes in the path, query or form fields up front (400), and turns the
    exceptions :func:`bad_input_detail` recognises into a 400 instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            log.warning("NUL byte refused: %s %r", request.method, request.path[:200])
            return bad_request(request, {"detail": NUL_MESSAGE})
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):  # a page that did not show the refusal itself
            response = bad_request(request, exception.body(), status=exception.status)
            for name, value in exception.headers().items():
                response[name] = value
            return response
        detail = bad_input_detail(exception)
        return None if detail is None else bad_request(request, detail)
