"""Sidebar entries for the KPI pages (the dashboard is the leaders' landing page: first)."""

NAV_ITEMS = [
    ("Dashboard", "kpis:dashboard", "speedometer2", {"admin", "leader", "manager"}),
    ("Shared KPIs", "kpis:partnerships", "bullseye", {"partner"}),
    ("KPI catalogue", "kpis:list", "list-check", {"admin", "leader", "manager", "partner"}),
    ("Enter figures", "kpis:entry", "pencil-square", {"admin", "leader", "manager", "partner"}),
    ("Import actuals", "kpis:import", "cloud-upload", {"admin", "leader", "manager", "partner"}),
]
