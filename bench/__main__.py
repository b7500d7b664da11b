"""``python -m bench [--measurements N --decisions M --reuse --no-http]`` (PostgreSQL only).

Runs with the test settings (production settings, DEBUG off, throttles raised, plain static
storage) against DATABASE_URL, by default the dedicated ``accord_bench`` database, which it
creates and migrates when needed.
"""

import os
import sys
from urllib.parse import urlparse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accord_bench")


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from bench.runner import main

    main(sys.argv[1:])


if __name__ == "__main__":
    run()
