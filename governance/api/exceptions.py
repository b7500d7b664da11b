"""Turn a service's Django ``ValidationError`` into DRF's usual 400 shape."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler


def accord_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = exception_handler(exc, context)
    if response is not None and response.status_code == 403:
        from governance.security import record_security_event

        request = context.get("request")
        record_security_event(kind="permission_denied", request=request, user=getattr(request, "user", None))
    return response
