"""Errors the decision workflow raises; the API maps them to 409 and 403."""

from rest_framework import status
from rest_framework.exceptions import APIException


class DecisionConflict(APIException):
    """The decision's state does not allow this now (e.g. a required agreement is missing)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The decision's current state does not allow this."
    default_code = "conflict"


class AgreementMissing(DecisionConflict):
    default_code = "agreement_missing"


class NotTheDecider(DecisionConflict):
    default_code = "not_the_decider"


class DecisionClosed(DecisionConflict):
    default_code = "decision_closed"


class NotAParticipant(APIException):
    """The caller has no part in this decision that allows the action."""

    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You have no part in this decision that allows this action."
    default_code = "not_a_participant"
