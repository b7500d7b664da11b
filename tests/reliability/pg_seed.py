"""Seed a fresh database (the private PostgreSQL of test_postgres_restart) and print API tokens.

Run as ``python -m tests.reliability.pg_seed`` with DATABASE_URL pointing at that database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime


def seed() -> dict:
    from decisions import services as decisions
    from governance import services
    from governance.tokens import token_issue

    f = {code: services.function_create(code=code, name=name)
         for code, name in [("SALES", "Sales"), ("COMPLIANCE", "Compliance")]}
    units = {}
    for code, level, parent in [("GLOBAL", "global", None), ("EMEA", "region", "GLOBAL"),
                                ("DACH", "cluster", "EMEA"), ("DE", "market", "DACH")]:
        units[code] = services.org_unit_create(code=code, name=code.title(), level=level, parent=units.get(parent),
                                               timezone="Europe/Berlin")

    def user(name, role, holdings):
        return services.user_create(username=name, password="pw-" + name, role=role, email=f"{name}@example.com",
                                    assignments=holdings)

    admin = user("ada.admin", "admin", [])
    manager = user("max.de", "manager", [(f["SALES"], units["DE"], "Country Manager Germany")])
    user("carla.compliance", "manager", [(f["COMPLIANCE"], units["DE"], "Compliance DE")])
    user("dirk.dach", "manager", [(f["SALES"], units["DACH"], "Head of Sales DACH")])
    decisions.decision_type_create(
        actor=admin, code="PRICE_EXC", name="Distributor price exception", decided_at_level="market",
        sla_hours=24, calendar="24x7", rights=[(f["SALES"], "D"), (f["COMPLIANCE"], "A")],
        now=datetime(2026, 1, 1, tzinfo=UTC))
    return {"manager_token": token_issue(user=manager)[1]}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(seed()))
