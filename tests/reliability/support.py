"""Real processes for the fault and load tests: Celery workers and beats, gunicorn, a private
redis-server and a private PostgreSQL cluster — each logging to a file that a failing test prints.

Everything binds to 127.0.0.1. Processes run in their own session so a test can kill the whole
group (``kill -9`` a worker with its pool children) and nothing outlives the test.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("ACCORD_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2, what: str = "") -> object:
    """Poll ``predicate`` until it returns something truthy; raise AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(interval)


def pytest_db_url() -> str:
    """The pytest-django test database, for subprocesses (TCP or the embedded server's socket)."""
    from django.db import connection

    from governance.embedded_pg import database_url

    connection.ensure_connection()  # the embedded server's socket is known once connected
    return database_url(connection.settings_dict)


# The Celery queue of this test run: workers, beat and clients started by the tests use it, so two
# runs on one Redis (two checkouts, or CI beside a developer) never take each other's tasks.
RUN_QUEUE = f"accord-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def shared_redis_url(db_number: int) -> str:
    """The shared Redis with a db number of the test module's own. Nothing is flushed: the run's
    own queue name (``RUN_QUEUE``) keeps it apart from other runs on the same server.
    ``""`` where this run has no Redis: workers then use Celery's filesystem broker under var/."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return ""
    return settings.REDIS_URL.rsplit("/", 1)[0] + f"/{db_number}"


def needs_redis(why: str):
    """Skip a test whose subject is Redis itself when this run has none (the filesystem broker
    stands in for every other Celery test)."""
    import pytest
    from django.conf import settings

    return pytest.mark.skipif(not settings.REDIS_URL, reason=f"no Redis on this machine: {why}")


def subprocess_env(*, database_url: str, redis_url: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "governance.settings_test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
        "ACCORD_CELERY_QUEUE": RUN_QUEUE,
        "ACCORD_HEARTBEAT_SECONDS": "3600",  # quiet unless a test asks for it
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Proc:
    """A subprocess in its own process group, logging to ``<log_dir>/<name>.log``."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def kill9(self) -> None:
        """``kill -9`` the whole group (main process and pool children): no cleanup, no ack."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # stray pool children
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()


CELERY = [sys.executable, "-m", "celery", "-A", "governance"]


def start_worker(name: str, env: dict, log_dir: Path, *, concurrency: int = 1, pool: str = "prefork") -> Proc:
    return Proc(name, [*CELERY, "worker", f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO",
                       "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                env, log_dir)


def start_beat(name: str, env: dict, log_dir: Path) -> Proc:
    return Proc(name, [*CELERY, "beat", "--loglevel=INFO", "-s", str(Path(log_dir) / f"{name}-schedule")],
                env, log_dir)


def start_gunicorn(name: str, env: dict, log_dir: Path, *, port: int, workers: int = 2, threads: int = 1) -> Proc:
    proc = Proc(name, [sys.executable, "-m", "gunicorn", "governance.wsgi:application", "--bind", f"127.0.0.1:{port}",
                       "--workers", str(workers), "--threads", str(threads), "--no-control-socket",
                       "--timeout", "60", "--access-logfile", "-"], env, log_dir)
    wait_until(lambda: http_status(port, "/accounts/login/") == 200 or not proc.alive(), timeout=40,
               what=f"gunicorn on {port}")
    assert proc.alive(), proc.log()
    return proc


def wait_worker_ready(worker: Proc, timeout: float = 40) -> None:
    wait_until(lambda: "ready." in worker.log(100_000) or not worker.alive(), timeout=timeout,
               what=f"{worker.name} ready")
    assert worker.alive(), worker.log()


def celery_client(redis_url: str):
    """A Celery app that only sends, to the test's own broker (never the shared default db), or
    to the filesystem broker the workers share with us when ``redis_url`` is ``""``."""
    from celery import Celery
    from django.conf import settings

    if redis_url:
        app = Celery("accord-test-client", broker=redis_url, set_as_current=False)
    else:
        app = Celery("accord-test-client", broker="filesystem://", set_as_current=False)
        app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    app.conf.task_default_queue = RUN_QUEUE
    return app


# --- HTTP ------------------------------------------------------------------------------------


def http_status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def api(port: int, method: str, path: str, *, token: str | None = None, body=None,
        timeout: float = 30) -> tuple[int, object]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw[:300]
        return resp.status, data
    finally:
        conn.close()


# --- A private redis-server (never the shared 6379 one) ---------------------------------------


class PrivateRedis:
    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = Path(workdir)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "redis.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until(self.ping, timeout=10, what=f"redis on {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None


# --- A private PostgreSQL cluster (never restart the shared one) -----------------------------


class PrivatePostgres:
    """initdb + pg_ctl as the ``postgres`` OS user (we may be root) in a temporary directory."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = Path(workdir)
        self.datadir = self.workdir / "data"
        self.logfile = self.workdir / "postgres.log"

    def _as_postgres(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
        if done.returncode:
            raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return done

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/accord"

    def init(self) -> None:
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--no-sync"])
        self.start()
        self._as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                           "accord"])

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.workdir}"
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), "-w",
                           "-t", "30", "-o", opts, action, *extra])

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._ctl("stop", "-m", "immediate")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
