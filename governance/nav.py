"""Navigation entries. Each app may add its own in ``<app>/nav.py`` as ``NAV_ITEMS``.

An entry is ``(label, url_name, bootstrap_icon, roles)``; ``roles`` is the set of roles that see it.
Entries whose URL does not exist (yet) are skipped.
"""

from governance.models import INTERNAL_ROLES, Role

ALL_ROLES = frozenset(Role)
ADMIN_ONLY = frozenset({Role.ADMIN})
PARTNER_ONLY = frozenset({Role.PARTNER})

__all__ = ["ADMIN_ONLY", "ALL_ROLES", "INTERNAL_ROLES", "NAV_ITEMS", "PARTNER_ONLY"]

NAV_ITEMS = [
    ("Organisation", "org-structure", "diagram-3", INTERNAL_ROLES),
    ("Manage", "manage:index", "sliders", ADMIN_ONLY),
]
