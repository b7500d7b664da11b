"""Sidebar entries for the KPI pages (the dashboard is the leaders' landing page: first)."""

from governance.nav import ALL_ROLES, INTERNAL_ROLES, PARTNER_ONLY

NAV_ITEMS = [
    ("Dashboard", "kpis:dashboard", "speedometer2", INTERNAL_ROLES),
    ("Objectives", "kpis:objectives", "diagram-3", INTERNAL_ROLES),
    ("Shared KPIs", "kpis:partnerships", "bullseye", PARTNER_ONLY),
    ("KPI catalogue", "kpis:list", "list-check", ALL_ROLES),
    ("Enter figures", "kpis:entry", "pencil-square", ALL_ROLES),
    ("Import actuals", "kpis:import", "cloud-upload", ALL_ROLES),
]
