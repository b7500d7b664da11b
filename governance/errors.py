"""Errors a service raises when a rule of the domain says no — free of DRF and of HTTP.

Services (``*/services``) raise these; nothing below the views knows about responses. The HTTP
status each maps to is written once, on the class (``status``), and read in two places only: the
API's exception handler (``governance.api.exceptions``) answers ``{"detail": message}`` with that
status (and ``Retry-After`` for :class:`TooSoon`), and a page view shows the message beside the
form or as a flash message (``str(exc)``). A bad *value* stays Django's ``ValidationError``
(400, per field); these are for "not now", "not you" and "not again" (the HackSoft styleguide's
``ApplicationError``).
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A request a rule refuses; ``message`` is what the user reads."""

    status = 400
    code = "invalid"
    default_message = "This is not possible."

    def __init__(self, message: str | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)

    def body(self) -> dict:
        """The API's JSON answer (a subclass may add fields beside ``detail``)."""
        return {"detail": self.message}

    def headers(self) -> dict[str, str]:
        """Extra response headers (none by default)."""
        return {}


class Conflict(ApplicationError):
    """The object's current state does not allow this now (409)."""

    status = 409
    code = "conflict"
    default_message = "The current state does not allow this."


class NotAllowed(ApplicationError):
    """The caller may see the object but has no part that allows this action (403)."""

    status = 403
    code = "permission_denied"
    default_message = "You are not allowed to do this."


class TooSoon(ApplicationError):
    """Asked again before the rule allows it (429, with ``Retry-After``)."""

    status = 429
    code = "throttled"

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
