"""With no DATABASE_URL, Accord runs on a private PostgreSQL from pip (governance/embedded_pg):
started on first connection in its own folder, shared by later processes, stopped on request."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from governance import embedded_pg

pytestmark = pytest.mark.integration  # starts PostgreSQL servers and manage.py processes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def var_dir():
    """A var/ folder of the test's own, inside the checkout's var/: not under pytest's temp root,
    which every pytest session on the machine resets to mode 0700 — as root the server runs as
    another user (``pgserver``) that must be able to reach its data folder."""
    (ROOT / "var").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="test-embedded-", dir=ROOT / "var"))
    yield path
    embedded_pg.stop(path / "postgres")
    shutil.rmtree(path, ignore_errors=True)


def test_embedded_server_starts_in_its_folder_serves_the_accord_database_and_stops(var_dir):
    data_dir = var_dir / "postgres"
    endpoint, started = embedded_pg.ensure_running(data_dir)
    try:
        assert started and embedded_pg.is_running(data_dir)
        with psycopg.connect(host=endpoint.host, port=endpoint.port, user="postgres",
                             dbname=embedded_pg.DATABASE) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()[0]
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
        assert int(version) >= 180000
        again, started_again = embedded_pg.ensure_running(data_dir)
        assert again == endpoint and not started_again  # a second caller reuses the running server
    finally:
        assert embedded_pg.stop(data_dir)
    assert not embedded_pg.is_running(data_dir)
    assert not embedded_pg.stop(data_dir)  # nothing left to stop


def test_without_database_url_manage_py_runs_on_the_embedded_server(var_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_DEBUG="1", ACCORD_VAR_DIR=str(var_dir), REDIS_URL="")

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    probe = manage("shell", "-c", "from django.db import connection; "
                   "print(connection.vendor, connection.cursor().connection.info.host)")
    try:
        assert probe.returncode == 0, probe.stderr
        vendor, host = probe.stdout.split()[-2:]
        assert vendor == "postgresql" and host.startswith(str(var_dir))  # a Unix socket in var/postgres
        assert embedded_pg.is_running(var_dir / "postgres")  # it outlived the process that started it
    finally:
        stopped = manage("embedded_db", "stop")
    assert stopped.stdout.strip() == "stopped", stopped.stderr
    assert not embedded_pg.is_running(var_dir / "postgres")


def test_database_url_hands_a_socket_or_tcp_database_to_another_process():
    socket = {"USER": "postgres", "PASSWORD": "", "HOST": "/srv/accord var/postgres", "PORT": "5432",
              "NAME": "test_accord"}
    assert embedded_pg.database_url(socket) == \
        "postgres://postgres@/test_accord?host=/srv/accord%20var/postgres&port=5432"
    tcp = {"USER": "accord", "PASSWORD": "p@ss", "HOST": "db", "PORT": "", "NAME": "accord"}
    assert embedded_pg.database_url(tcp) == "postgres://accord:p%40ss@db:5432/accord"
