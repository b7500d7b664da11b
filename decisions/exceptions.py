"""Errors the decision workflow raises (``governance.errors``: 409 and 403 for the API and pages)."""

from governance.errors import Conflict, NotAllowed


class DecisionConflict(Conflict):
    """The decision's state does not allow this now (e.g. a required agreement is missing)."""

    default_message = "The decision's current state does not allow this."


class AgreementMissing(DecisionConflict):
    code = "agreement_missing"


class NotTheDecider(DecisionConflict):
    code = "not_the_decider"


class DecisionClosed(DecisionConflict):
    code = "decision_closed"


class NotAParticipant(NotAllowed):
    """The caller has no part in this decision that allows the action."""

    code = "not_a_participant"
    default_message = "You have no part in this decision that allows this action."
