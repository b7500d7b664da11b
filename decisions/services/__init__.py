"""Writes of the decisions app. Pages, the API, the admin, tasks and the demo all call these.

* ``workflow``: log, input, agree/veto, decide, withdraw, reopen, reassign (rounds and blocked);
* ``edits``: the requester's edits before the first answer, and revisions after a veto (new round);
* ``nudges``: reminding the people a decision waits on, rate-limited;
* ``pauses``: pausing and resuming under the decision type's rules (the clock stops only if allowed);
* ``stages``: the stored stage intervals (who it waited on), kept in step by every step above;
* ``saved_filters``: users' named decision-list filters;
* ``matrix``: lint, diff, publish and cancel decision-rights matrix versions; decision types;
* ``matrix_drafts``: admins' drafts of the matrix and the three-way merge onto a newer version;
* ``holidays``: the non-working days business-hours clocks skip;
* ``escalation``: the overdue sweep (compare-and-set, exactly once per level);
* ``forums``: forums, their cancelled and moved meetings, and their agendas (a lapsed or flagged
  forum-bound decision is queued for the next meeting and rolls on while open);
* ``review_links``: the decisions and KPIs a business review's follow-up action serves;
* ``chasing``: the sweep's second half — missing agreements and inputs reminded, then chased to the
  same function one level up (the same guarantees).
"""

from decisions.services.chasing import chase_overdue
from decisions.services.edits import decision_edit, decision_revise
from decisions.services.escalation import decision_escalate_step, escalate_overdue
from decisions.services.forums import (
    decision_flag_forum,
    forum_create,
    forum_set_archived,
    forum_update,
    meeting_exception_create,
    meeting_exception_delete,
    meeting_exception_update,
    roll_agenda,
)
from decisions.services.holidays import holiday_create, holiday_delete, holiday_update
from decisions.services.matrix import (
    LintIssue,
    LintReport,
    StaleMatrixVersion,
    decision_type_create,
    decision_type_set_rights,
    decision_type_update,
    matrix_cells,
    matrix_diff,
    matrix_lint,
    matrix_publish,
    matrix_version_cancel,
)
from decisions.services.matrix_drafts import (
    matrix_draft_discard,
    matrix_draft_rebase,
    matrix_draft_save,
)
from decisions.services.nudges import decision_nudge
from decisions.services.pauses import decision_pause, decision_resume, resume_due_pauses
from decisions.services.review_links import action_links_set
from decisions.services.saved_filters import saved_filter_delete, saved_filter_save
from decisions.services.workflow import (
    decision_agree,
    decision_decide,
    decision_give_input,
    decision_log,
    decision_reassign,
    decision_reopen,
    decision_set_visibility,
    decision_withdraw,
)

__all__ = [
    "action_links_set",
    "chase_overdue",
    "LintIssue",
    "LintReport",
    "StaleMatrixVersion",
    "decision_agree",
    "decision_decide",
    "decision_edit",
    "decision_escalate_step",
    "decision_flag_forum",
    "decision_give_input",
    "decision_log",
    "decision_nudge",
    "decision_pause",
    "decision_reassign",
    "decision_reopen",
    "decision_resume",
    "decision_revise",
    "decision_set_visibility",
    "decision_type_create",
    "decision_type_set_rights",
    "decision_type_update",
    "decision_withdraw",
    "escalate_overdue",
    "forum_create",
    "forum_set_archived",
    "forum_update",
    "holiday_create",
    "holiday_delete",
    "holiday_update",
    "matrix_cells",
    "matrix_diff",
    "matrix_draft_discard",
    "matrix_draft_rebase",
    "matrix_draft_save",
    "matrix_lint",
    "matrix_publish",
    "matrix_version_cancel",
    "meeting_exception_create",
    "meeting_exception_delete",
    "meeting_exception_update",
    "resume_due_pauses",
    "roll_agenda",
    "saved_filter_delete",
    "saved_filter_save",
]
