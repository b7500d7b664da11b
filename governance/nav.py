"""Navigation entries. Each app may add its own in ``<app>/nav.py`` as ``NAV_ITEMS``.

An entry is ``(label, url_name, bootstrap_icon, roles)``; ``roles`` is the set of roles that see it.
Entries whose URL does not exist (yet) are skipped.
"""

ALL_ROLES = frozenset({"admin", "leader", "manager", "partner"})
INTERNAL_ROLES = frozenset({"admin", "leader", "manager"})

NAV_ITEMS = [
    ("Organisation", "org-structure", "diagram-3", INTERNAL_ROLES),
    ("Manage", "manage:index", "sliders", frozenset({"admin"})),
]
