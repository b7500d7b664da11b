"""Start, stop or show the embedded PostgreSQL (the database when ``DATABASE_URL`` is unset)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance import embedded_pg


class Command(BaseCommand):
    help = "start | stop | status of the embedded PostgreSQL under ACCORD_VAR_DIR/postgres."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args, action: str, **options):
        data_dir = Path(settings.ACCORD_EMBEDDED_PG_DIR)
        if action == "start":
            endpoint, started = embedded_pg.ensure_running(data_dir)
            url = embedded_pg.database_url({"NAME": embedded_pg.DATABASE, "HOST": endpoint.host,
                                            "PORT": endpoint.port})
            self.stdout.write(f"{'started' if started else 'already running'}: {url}")
        elif action == "stop":
            self.stdout.write("stopped" if embedded_pg.stop(data_dir) else "not running")
        else:
            if not embedded_pg.is_running(data_dir):
                raise CommandError(f"not running ({data_dir})")
            self.stdout.write(f"running ({data_dir})")
