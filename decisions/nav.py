from governance.nav import ADMIN_ONLY, ALL_ROLES, INTERNAL_ROLES

NAV_ITEMS = [
    ("My decision queue", "decisions:queue", "inbox", INTERNAL_ROLES),
    ("Decisions", "decisions:list", "check2-square", ALL_ROLES),
    ("Decision latency", "decisions:analytics", "stopwatch", INTERNAL_ROLES),
    ("Forums", "decisions:forums", "calendar-event", INTERNAL_ROLES),
    ("Decision rights", "decisions:matrix", "grid-3x3", ADMIN_ONLY),
]
