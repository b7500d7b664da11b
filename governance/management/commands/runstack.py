"""Serve Accord with its Celery worker and beat, as ``make run`` does. Ctrl-C stops all three."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from governance.demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "governance"]
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "-n", "worker@%h"],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Ctrl-C reaches every process of the terminal's group; a plain `kill` reaches only us,
        # so treat SIGTERM/SIGHUP like Ctrl-C and stop the children ourselves.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.default_int_handler)
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603
        url = f"http://{addr}/"
        self._wait_for(url)
        broker = "Redis" if getattr(settings, "REDIS_URL", "") else "filesystem broker (no server needed)"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        lines = [
            "",
            "=" * 64,
            f"  Accord is running at {url}",
            f"  database: {database} · Celery worker + beat on {broker}",
            f"  demo logins (password '{DEMO_PASSWORD}'):",
            *[f"    {username:<16} {what}" for username, what in DEMO_LOGINS],
            "  API docs: " + url + "api/v1/docs/   ·   Ctrl-C stops everything",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))
        try:
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            for name, proc in procs.items():
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with {proc.returncode}; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
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
    def _wait_for(url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "accounts/login/", timeout=2)  # noqa: S310 - our own loopback URL
                return
            except OSError:
                time.sleep(0.3)
