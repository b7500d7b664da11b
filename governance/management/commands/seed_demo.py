import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# Each app seeds its own part, in dependency order; a missing <app>/demo.py is skipped.
DEMO_MODULES = ["governance.demo", "partners.demo", "kpis.demo", "decisions.demo", "kpis.benchmarks.demo",
                "kpis.catchball.demo", "decisions.commitments.demo"]


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo adds demo users with a known password; DEBUG is off. Use --force.")
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            counts = module.seed()
            summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in (counts or {}).items())
            self.stdout.write(f"{module_name}: {summary}")
        # Planner statistics for the rows just written: autovacuum would gather them within minutes,
        # but the first visitors (and a server running with autovacuum off) would meet plans made for
        # empty tables — the analytics page's main query took 79 ms instead of ~5.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS("Demo organisation ready."))
