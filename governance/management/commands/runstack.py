"""Serve Accord with its Celery worker and beat, as ``make run`` does. Ctrl-C stops all three, and
the embedded PostgreSQL when Accord runs on it (no ``DATABASE_URL``).

The web server is gunicorn with a fixed number of sync worker processes (``web_argv``), not
Django's ``runserver``: runserver starts a thread per client connection and never closes the
database connection a thread opened (its threaded server lacks the close that Django's test
server has), so every browser connection left one idle PostgreSQL connection behind until the
process ended. A gunicorn worker holds at most one connection, reused across requests
(``CONN_MAX_AGE``), so the web server holds at most ``WEB_WORKERS`` connections.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, connections

from governance import embedded_pg
from governance.demo import DEMO_LOGINS, DEMO_PASSWORD

WEB_WORKERS = 2


def child_env(addr: str, environ) -> dict[str, str]:
    """The environment of web, worker and beat: links in e-mails and notifications point at the
    address served here (``--addr``; a wildcard host as 127.0.0.1) unless ``ACCORD_BASE_URL`` is set."""
    host, _, port = addr.rpartition(":")
    env = {**environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("ACCORD_BASE_URL", f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}")  # noqa: S104
    return env


def web_argv(addr: str, *, workers: int = WEB_WORKERS) -> list[str]:
    """The web server's command line (also used by tests/governance/test_runstack.py)."""
    return [sys.executable, "-m", "gunicorn", "governance.wsgi:application", "--bind", addr,
            "--workers", str(workers), "--no-control-socket", "--access-logfile", "-", "--timeout", "120"]


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--prepare", action="store_true",
                            help="Migrate and load the demo organisation first (make run).")

    def handle(self, *args, addr: str, prepare: bool, **options):
        embedded = settings.DATABASES["default"]["ENGINE"] == "governance.embedded_pg"
        # Ctrl-C reaches every process of the terminal's group; a plain `kill` reaches only us,
        # so treat SIGTERM/SIGHUP like Ctrl-C and stop the children ourselves. The embedded
        # PostgreSQL runs in a session of its own (pg_ctl detaches it): we stop it last.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.default_int_handler)
        procs: dict[str, subprocess.Popen] = {}
        try:
            connection.ensure_connection()  # starts the embedded server if it is not running
            if prepare:
                call_command("migrate", interactive=False, verbosity=1)
                call_command("seed_demo")
            env = child_env(addr, os.environ)
            if embedded:  # the children connect straight to the running server
                env["DATABASE_URL"] = embedded_pg.database_url(connection.settings_dict)
            connections.close_all()
            procs = self._start(addr, env)
            url = f"http://{addr}/"
            self._wait_for(url)
            self.stdout.write(self._banner(url, embedded))
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            for name, proc in procs.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with {proc.returncode}; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(procs)
            connections.close_all()
            if embedded and embedded_pg.stop(Path(settings.ACCORD_EMBEDDED_PG_DIR)):
                self.stdout.write("Embedded PostgreSQL stopped.")

    @staticmethod
    def _start(addr: str, env: dict) -> dict[str, subprocess.Popen]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "governance"]
        commands = {
            "web": web_argv(addr),
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "-n", "worker@%h"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        return {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603

    @staticmethod
    def _stop(procs: dict[str, subprocess.Popen]) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    @staticmethod
    def _banner(url: str, embedded: bool) -> str:
        broker = "Redis" if getattr(settings, "REDIS_URL", "") else "filesystem broker (no server needed)"
        db = connection.settings_dict
        database = (f"embedded PostgreSQL in {settings.ACCORD_EMBEDDED_PG_DIR}" if embedded
                    else f"PostgreSQL {db['NAME']} at {db['HOST'] or 'localhost'}")
        lines = [
            "",
            "=" * 64,
            f"  Accord is running at {url}",
            f"  database: {database}",
            f"  Celery worker + beat on {broker}",
            f"  demo logins (password '{DEMO_PASSWORD}'):",
            *[f"    {username:<16} {what}" for username, what in DEMO_LOGINS],
            "  API docs: " + url + "api/v1/docs/   ·   Ctrl-C stops everything",
            "=" * 64,
            "",
        ]
        return "\n".join(lines)

    @staticmethod
    def _wait_for(url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "accounts/login/", timeout=2)  # noqa: S310 - our own loopback URL
                return
            except OSError:
                time.sleep(0.3)
