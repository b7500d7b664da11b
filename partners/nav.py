"""Sidebar entries of the partners app (see governance/nav.py)."""

from governance.nav import ALL_ROLES, INTERNAL_ROLES

NAV_ITEMS = [
    ("Partners", "partners:directory", "buildings", INTERNAL_ROLES),
    ("My partnership", "partners:portal", "briefcase", frozenset({"partner"})),
    ("My actions", "partners:my-actions", "check2-square", ALL_ROLES),
]
