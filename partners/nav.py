"""Sidebar entries of the partners app (see governance/nav.py)."""

from governance.nav import ALL_ROLES, INTERNAL_ROLES, PARTNER_ONLY

NAV_ITEMS = [
    ("Partners", "partners:directory", "buildings", INTERNAL_ROLES),
    ("Benchmarks", "kpis:benchmarks", "bar-chart-steps", INTERNAL_ROLES),
    ("My partnership", "partners:portal", "briefcase", PARTNER_ONLY),
    ("My actions", "partners:my-actions", "check2-square", ALL_ROLES),
]
