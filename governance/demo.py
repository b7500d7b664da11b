"""The demo organisation: a mid-size MedTech company's commercial structure.

``seed()`` is idempotent: it creates what is missing and leaves what exists alone.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from governance import services
from governance.models import Assignment, Function, OrgLevel, OrgUnit, Role, User

DEMO_PASSWORD = "accord-demo"  # noqa: S105 - printed by make run; seed_demo refuses DEBUG off

FUNCTIONS = [
    ("SALES", "Sales"),
    ("MKT", "Marketing"),
    ("ACCESS", "Market Access"),
    ("MEDICAL", "Medical Affairs"),
    ("COMPLIANCE", "Compliance"),
    ("FINANCE", "Finance"),
    ("REGULATORY", "Regulatory"),
]

# region -> cluster -> [(market code, name, time zone)]
ORG = {
    ("EMEA", "Europe, Middle East & Africa", "Europe/London"): {
        ("DACH", "DACH", "Europe/Berlin"): [
            ("DE", "Germany", "Europe/Berlin"), ("AT", "Austria", "Europe/Vienna"),
            ("CH", "Switzerland", "Europe/Zurich")],
        ("NORDICS", "Nordics", "Europe/Stockholm"): [
            ("SE", "Sweden", "Europe/Stockholm"), ("DK", "Denmark", "Europe/Copenhagen"),
            ("NO", "Norway", "Europe/Oslo"), ("FI", "Finland", "Europe/Helsinki")],
        ("IBERIA", "Iberia", "Europe/Madrid"): [
            ("ES", "Spain", "Europe/Madrid"), ("PT", "Portugal", "Europe/Lisbon")],
        ("UKI", "UK & Ireland", "Europe/London"): [
            ("GB", "United Kingdom", "Europe/London"), ("IE", "Ireland", "Europe/Dublin")],
        ("FRBNL", "France & Benelux", "Europe/Paris"): [
            ("FR", "France", "Europe/Paris"), ("BE", "Belgium", "Europe/Brussels"),
            ("NL", "Netherlands", "Europe/Amsterdam")],
        ("SEUR", "Southern Europe", "Europe/Rome"): [
            ("IT", "Italy", "Europe/Rome"), ("GR", "Greece", "Europe/Athens")],
    },
    ("AMERICAS", "Americas", "America/New_York"): {
        ("NA", "North America", "America/New_York"): [
            ("US", "United States", "America/New_York"), ("CA", "Canada", "America/Toronto")],
        ("LATAM", "Latin America", "America/Sao_Paulo"): [
            ("BR", "Brazil", "America/Sao_Paulo"), ("MX", "Mexico", "America/Mexico_City"),
            ("AR", "Argentina", "America/Argentina/Buenos_Aires"), ("CO", "Colombia", "America/Bogota")],
    },
    ("APAC", "Asia Pacific", "Asia/Singapore"): {
        ("JAPAN", "Japan", "Asia/Tokyo"): [("JP", "Japan", "Asia/Tokyo")],
        ("ANZ", "Australia & New Zealand", "Australia/Sydney"): [
            ("AU", "Australia", "Australia/Sydney"), ("NZ", "New Zealand", "Pacific/Auckland")],
        ("GCHINA", "Greater China", "Asia/Shanghai"): [
            ("CN", "China", "Asia/Shanghai"), ("HK", "Hong Kong", "Asia/Hong_Kong"),
            ("TW", "Taiwan", "Asia/Taipei")],
        ("SEA", "South-East Asia", "Asia/Singapore"): [
            ("SG", "Singapore", "Asia/Singapore"), ("MY", "Malaysia", "Asia/Kuala_Lumpur"),
            ("TH", "Thailand", "Asia/Bangkok")],
    },
}

# The people demo visitors log in as: (username, first, last, role, [(function, unit, title)]).
PERSONAS = [
    ("admin", "Ada", "Admin", Role.ADMIN, []),
    ("leader.global", "Grace", "Holloway", Role.LEADER, [("SALES", "GLOBAL", "Chief Commercial Officer")]),
    ("leader.emea", "Elena", "Brandt", Role.LEADER, [("SALES", "EMEA", "Commercial Lead EMEA")]),
    ("leader.americas", "Marcus", "Reid", Role.LEADER, [("SALES", "AMERICAS", "Commercial Lead Americas")]),
    ("leader.apac", "Mei", "Lin", Role.LEADER, [("SALES", "APAC", "Commercial Lead APAC")]),
    ("manager.dach", "Jonas", "Keller", Role.MANAGER, [("SALES", "DACH", "Head of Sales DACH")]),
    ("manager.de", "Max", "Müller", Role.MANAGER, [("SALES", "DE", "Country Manager Germany")]),
    ("manager.jp", "Yuki", "Tanaka", Role.MANAGER, [("SALES", "JP", "Country Manager Japan")]),
    ("compliance.dach", "Sofia", "Weber", Role.MANAGER, [("COMPLIANCE", "DACH", "Compliance Officer DACH")]),
    ("access.dach", "Lukas", "Fischer", Role.MANAGER, [("ACCESS", "DACH", "Head of Market Access DACH")]),
]

# Generated holders: every function at global, region and cluster level; the customer-facing
# functions in every market. Decision routing and escalation need a holder at each level.
MARKET_FUNCTIONS = ["SALES", "MKT", "ACCESS", "MEDICAL"]

FIRST_NAMES = ["Anna", "Ben", "Carla", "David", "Eva", "Felix", "Hana", "Ivan", "Julia", "Karl", "Laura",
               "Mateo", "Nina", "Omar", "Paula", "Rafael", "Sara", "Tomás", "Ulla", "Victor", "Wen", "Zoe"]
LAST_NAMES = ["Andersen", "Bauer", "Costa", "Dubois", "Evans", "Ferreira", "García", "Hansen", "Ito",
              "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Olsen", "Pereira", "Rossi",
              "Schmidt", "Silva", "Tan", "Virtanen", "Wong"]


def _tree():
    """Yield (code, name, level, parent code, time zone) top-down."""
    yield "GLOBAL", "Global", OrgLevel.GLOBAL, None, "UTC"
    for (rcode, rname, rtz), clusters in ORG.items():
        yield rcode, rname, OrgLevel.REGION, "GLOBAL", rtz
        for (ccode, cname, ctz), markets in clusters.items():
            yield ccode, cname, OrgLevel.CLUSTER, rcode, ctz
            for mcode, mname, mtz in markets:
                yield mcode, mname, OrgLevel.MARKET, ccode, mtz


@transaction.atomic
def seed() -> dict:
    """Create the org tree, functions and users. Returns counts of what now exists."""
    functions = {}
    for code, name in FUNCTIONS:
        functions[code] = Function.objects.filter(code=code).first() or services.function_create(
            code=code, name=name
        )
    units = {u.code: u for u in OrgUnit.objects.all()}
    for code, name, level, parent_code, tz in _tree():
        if code not in units:
            units[code] = services.org_unit_create(
                code=code, name=name, level=level, parent=units.get(parent_code), timezone=tz
            )

    password_hash = make_password(DEMO_PASSWORD)  # hashed once: seeding stays fast
    existing = set(User.objects.values_list("username", flat=True))
    held = set(Assignment.objects.values_list("function__code", "org_unit__code"))

    def ensure_user(username, first, last, role, holdings):
        if username in existing:
            return
        user = services.user_create(
            username=username, password=None, role=role, first_name=first, last_name=last,
            email=f"{username}@accord.example",
            assignments=[(functions[f], units[u], title) for f, u, title in holdings],
        )
        user.password = password_hash
        user.is_superuser = role == Role.ADMIN
        user.save(update_fields=["password", "is_superuser"])
        existing.add(username)
        held.update((f, u) for f, u, _ in holdings)

    for username, first, last, role, holdings in PERSONAS:
        ensure_user(username, first, last, role, holdings)

    n = 0
    for code, _name, level, _parent, _tz in _tree():
        wanted = [c for c, _ in FUNCTIONS] if level != OrgLevel.MARKET else MARKET_FUNCTIONS
        for fcode in wanted:
            if (fcode, code) in held:
                continue
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            n += 1
            role = Role.LEADER if level in (OrgLevel.GLOBAL, OrgLevel.REGION) else Role.MANAGER
            title = f"Head of {functions[fcode].name}, {units[code].name}"
            ensure_user(f"{code.lower()}.{fcode.lower()}", first, last, role, [(fcode, code, title)])

    return {
        "org_units": OrgUnit.objects.count(),
        "functions": Function.objects.count(),
        "users": User.objects.count(),
        "assignments": Assignment.objects.count(),
    }


DEMO_LOGINS = [
    ("admin", "admin: configures org, matrix, KPIs"),
    ("leader.emea", "commercial leader, EMEA"),
    ("manager.de", "regional manager, Germany"),
    ("manager.jp", "regional manager, Japan"),
    ("partner.demo", "external partner user"),
]
