"""The API's exception handler: a service's Django ``ValidationError`` becomes DRF's usual 400
shape; a service's ``governance.errors.ApplicationError`` its own status and body; bad input that
escaped validation (``governance.bad_input``) a 400 instead of a 500; every 403 is recorded as a
security event."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from governance.bad_input import bad_input_detail
from governance.errors import ApplicationError
from governance.security import record_security_event


def accord_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, ApplicationError):
        set_rollback()
        response = Response(exc.body(), status=exc.status, headers=exc.headers())
    else:
        detail = None if isinstance(exc, exceptions.APIException) else bad_input_detail(exc)
        if detail is not None:
            set_rollback()
            return Response(detail, status=400)
        response = exception_handler(exc, context)
    if response is not None and response.status_code == 403:
        request = context.get("request")
        record_security_event(kind="permission_denied", request=request, user=getattr(request, "user", None))
    return response
