"""Writes of the decisions app. Pages, the API, the admin, tasks and the demo all call these.

* ``workflow``: log, input, agree/veto, decide, withdraw, reopen;
* ``matrix``: lint, diff and publish the decision-rights matrix, decision types;
* ``escalation``: the overdue sweep (compare-and-set, exactly once per level).
"""

from decisions.services.escalation import decision_escalate_step, escalate_overdue
from decisions.services.matrix import (
    LintIssue,
    LintReport,
    decision_type_create,
    decision_type_set_rights,
    decision_type_update,
    matrix_cells,
    matrix_diff,
    matrix_lint,
    matrix_publish,
)
from decisions.services.workflow import (
    decision_agree,
    decision_clock,
    decision_decide,
    decision_give_input,
    decision_log,
    decision_reassign,
    decision_reopen,
    decision_withdraw,
)

__all__ = [
    "LintIssue",
    "LintReport",
    "decision_agree",
    "decision_clock",
    "decision_decide",
    "decision_escalate_step",
    "decision_give_input",
    "decision_log",
    "decision_reassign",
    "decision_reopen",
    "decision_type_create",
    "decision_type_set_rights",
    "decision_type_update",
    "decision_withdraw",
    "escalate_overdue",
    "matrix_cells",
    "matrix_diff",
    "matrix_lint",
    "matrix_publish",
]
