"""A service's refusal (``governance.errors``) reaches the user with its own status, once mapped:
the API answers JSON with that status and headers; a page that does not catch it answers the
product's error page with the same status — never a 500."""

import pytest
from django.test import RequestFactory

from governance.api.exceptions import accord_exception_handler
from governance.bad_input import BadInputMiddleware
from governance.errors import ApplicationError, Conflict, NotAllowed, TooSoon


@pytest.mark.django_db  # a 403 is recorded as a security event
@pytest.mark.parametrize(("error", "status"), [(ApplicationError("No."), 400), (Conflict("Closed already."), 409),
                                                (NotAllowed("Not yours."), 403),
                                                (TooSoon("Wait.", retry_after=90), 429)])
def test_the_api_answers_each_refusal_with_its_status_and_message(error, status):
    request = RequestFactory().post("/api/v1/anything/")
    response = accord_exception_handler(error, {"request": request})
    assert response.status_code == status
    assert response.data == {"detail": error.message}
    assert response.get("Retry-After") == ("90" if status == 429 else None)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "json"), [("/decisions/1/act/", False), ("/api/v1/decisions/1/agree/", True)])
def test_a_refusal_a_view_did_not_catch_is_its_status_not_a_500(path, json):
    middleware = BadInputMiddleware(lambda request: None)
    request = RequestFactory().post(path)
    response = middleware.process_exception(request, TooSoon("Try again later.", retry_after=5))
    assert response.status_code == 429 and response["Retry-After"] == "5"
    assert ("application/json" in response["Content-Type"]) is json
    assert "Try again later." in response.content.decode()


def test_services_raise_no_drf_exceptions():
    """The workflow's own errors are ApplicationErrors (the import contract keeps DRF out of services)."""
    from decisions.exceptions import DecisionConflict, NotAParticipant
    from decisions.services.nudges import NudgedRecently
    from kpis.catchball.services import NotYourTurn, ProposalClosed

    assert all(issubclass(cls, ApplicationError) for cls in (DecisionConflict, NotAParticipant, NudgedRecently,
                                                              NotYourTurn, ProposalClosed))
    assert (DecisionConflict.status, NotAParticipant.status, NudgedRecently.status,
            NotYourTurn.status, ProposalClosed.status) == (409, 403, 429, 403, 409)
