"""Writes to partners, partnerships, maturity assessments, business reviews and their actions.

The API, the pages, the admin, the demo and the sweep all call these. Scope is re-checked
inside each write's transaction: a caller that got past a view still cannot write outside
its scope.
"""

from partners.services.maturity import assessment_create, assessment_delete, assessment_update
from partners.services.partnerships import (
    compute_next_review_due,
    partner_archive,
    partner_create,
    partner_delete,
    partner_update,
    partnership_archive,
    partnership_create,
    partnership_delete,
    partnership_owners,
    partnership_refresh_review_due,
    partnership_share,
    partnership_unshare,
    partnership_update,
)
from partners.services.reviews import (
    action_create,
    action_delete,
    action_update,
    review_create,
    review_delete,
    review_update,
)
from partners.services.sweep import flag_overdue

__all__ = [
    "action_create", "action_delete", "action_update", "assessment_create", "assessment_delete",
    "assessment_update", "compute_next_review_due", "flag_overdue", "partner_archive", "partner_create",
    "partner_delete", "partner_update", "partnership_archive", "partnership_create", "partnership_delete",
    "partnership_owners",
    "partnership_refresh_review_due", "partnership_share", "partnership_unshare", "partnership_update",
    "review_create", "review_delete", "review_update",
]
