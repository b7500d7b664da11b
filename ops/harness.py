"""The pieces ``make prod-check`` is made of: a database of its own, the image's processes run
natively (each logging to a file), and an HTTP client that talks as the TLS proxy would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import environ
import psycopg
import requests
from psycopg import sql

from governance import embedded_pg
from ops.deployment import ROOT

LOGS = ROOT / "test-artifacts" / "prod-check"


class CheckFailed(Exception):
    pass


class Report:
    def __init__(self):
        self.started = time.monotonic()
        self.lines: list[str] = []

    def step(self, title: str):
        return _Step(self, title)

    def say(self, text: str) -> None:
        print(text, flush=True)


class _Step:
    def __init__(self, report: Report, title: str):
        self.report, self.title, self.detail = report, title, ""

    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        took = time.monotonic() - self.t0
        mark = "✓" if exc_type is None else "✗"
        line = f"  {mark} {self.title:<52} {took:6.1f} s  {self.detail if exc_type is None else exc}"
        self.report.lines.append(line)
        self.report.say(line)
        return False


# --- services --------------------------------------------------------------------------------


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Database:
    """A database of the check's own on the chosen server; dropped (and an embedded server we
    started, stopped) in ``close``."""

    def __init__(self, name: str):
        self.name = name
        self.embedded_dir: Path | None = None
        url = os.environ.get("DATABASE_URL", "")
        if url:
            cfg = environ.Env.db_url_config(url)  # as the settings read it (a socket folder travels as ?host=)
            options = cfg.get("OPTIONS", {})
            self.conn_args = {"host": cfg["HOST"] or options.get("host") or "127.0.0.1",
                              "port": int(cfg["PORT"] or options.get("port") or 5432),
                              "user": cfg["USER"] or "postgres", "password": cfg["PASSWORD"] or None}
            self.where = f"{self.conn_args['host']}:{self.conn_args['port']} (DATABASE_URL's server)"
        elif listening("127.0.0.1", 5432):
            self.conn_args = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": None}
            self.where = "127.0.0.1:5432"
        else:
            self.embedded_dir = Path(os.environ.get("ACCORD_VAR_DIR", ROOT / "var")) / "postgres"
            endpoint, self.started_embedded = embedded_pg.ensure_running(self.embedded_dir)
            self.conn_args = {"host": endpoint.host, "port": endpoint.port, "user": "postgres", "password": None}
            self.where = f"embedded server in {self.embedded_dir} (nothing on 127.0.0.1:5432)"
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def _admin(self):
        return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10,
                               **{k: v for k, v in self.conn_args.items() if v is not None})

    @property
    def url(self) -> str:
        return embedded_pg.database_url({"USER": self.conn_args["user"], "PASSWORD": self.conn_args["password"] or "",
                             "HOST": str(self.conn_args["host"]), "PORT": self.conn_args["port"], "NAME": self.name})

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error), self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        if self.embedded_dir is not None and self.started_embedded:
            embedded_pg.stop(self.embedded_dir)


def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    p = urlparse(url)
    if not listening(p.hostname or "127.0.0.1", p.port or 6379):
        raise CheckFailed(f"Redis is not reachable at {url}: production runs on Redis (set REDIS_URL or start it)")
    return url


# --- processes -------------------------------------------------------------------------------


def native(argv: list[str]) -> list[str]:
    """The image's commands with this checkout's interpreter: ``python``/``gunicorn``/``celery``."""
    head, *rest = argv
    if head == "python":
        return [sys.executable, *rest]
    if head in ("gunicorn", "celery"):
        return [sys.executable, "-m", head, *rest]
    return argv


class Processes:
    def __init__(self, env: dict):
        self.env = env
        self.running: dict[str, tuple[subprocess.Popen, Path]] = {}

    def run(self, name: str, argv: list[str], *, extra_env: dict | None = None, timeout: float = 600) -> str:
        log = LOGS / f"{name}.log"
        with open(log, "w") as out:
            done = subprocess.run(native(argv), cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        text = log.read_text(errors="replace")
        if done.returncode:
            raise CheckFailed(f"{' '.join(argv)} exited with {done.returncode}:\n{text[-3000:]}")
        return text

    def start(self, name: str, argv: list[str]) -> None:
        log = LOGS / f"{name}.log"
        out = open(log, "w")  # noqa: SIM115 - closed with the process in stop_all()
        proc = subprocess.Popen(native(argv), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        out.close()
        self.running[name] = (proc, log)

    def log(self, name: str) -> str:
        return self.running[name][1].read_text(errors="replace")

    def assert_alive(self) -> None:
        for name, (proc, log) in self.running.items():
            if proc.poll() is not None:
                raise CheckFailed(f"{name} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")

    def stop_all(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM each process group (what ``docker stop`` sends), wait, SIGKILL what is left."""
        for proc, _ in self.running.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes = {}
        for name, (proc, _) in self.running.items():
            try:
                codes[name] = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                codes[name] = None  # did not stop on SIGTERM
        self.running.clear()
        return codes


def wait(predicate: Callable[[], object], *, timeout: float, what: str, procs: Processes | None = None,
          interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        if procs is not None:
            procs.assert_alive()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- HTTP, as through the TLS proxy ----------------------------------------------------------


class Browser:
    """Requests as a browser behind the TLS-terminating proxy sends them: ``X-Forwarded-Proto:
    https``, a same-origin Referer on writes, cookies kept by hand (they are ``Secure``, and the
    hop from the proxy to gunicorn is plain HTTP)."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", "Referer": self.origin + path, **kwargs.pop("headers", {})}
        if "csrftoken" in self.cookies:
            headers.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        response = self.http.request(method, self.base + path, headers=headers, cookies=dict(self.cookies),
                                     allow_redirects=False, timeout=30, **kwargs)
        self.cookies.update({c.name: c.value for c in response.cookies})
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise CheckFailed(f"{what}: {response.request.method} {response.url} answered {response.status_code}, "
                          f"expected {status}: {response.text[:500]}")
    return response
