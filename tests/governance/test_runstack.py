"""``make run`` on PostgreSQL: the web server holds a bounded number of database connections,
not one per client connection left behind after the client has gone."""

from __future__ import annotations

import http.client
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.reliability.support import Proc, free_port, http_status, pytest_db_url, subprocess_env, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _server_connections(application_name: str) -> int:
    """Connections opened by the web server under test (libpq takes the name from PGAPPNAME)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


def test_the_web_server_of_make_run_holds_at_most_one_connection_per_worker(cast, tmp_path):
    from governance.management.commands.runstack import WEB_WORKERS, web_argv
    from governance.tokens import token_issue

    token = token_issue(user=cast["manager_de"])[1]
    port = free_port()
    name = f"accord-web-{uuid.uuid4().hex[:8]}"
    env = subprocess_env(database_url=pytest_db_url(), redis_url=settings.REDIS_URL, PGAPPNAME=name)
    web = Proc("web", web_argv(f"127.0.0.1:{port}"), env, tmp_path)
    try:
        wait_until(lambda: http_status(port, "/accounts/login/") == 200 or not web.alive(), timeout=40, what="web")
        assert web.alive(), web.log()

        def browser():  # a keep-alive client: several requests on one connection, then it goes away
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(3):
                conn.request("GET", "/api/v1/org-units/", headers={"Authorization": f"Token {token}"})
                response = conn.getresponse()
                response.read()
                assert response.status == 200
            conn.close()

        for _round in range(2):
            clients = [threading.Thread(target=browser) for _ in range(12)]
            for c in clients:
                c.start()
            for c in clients:
                c.join(60)
        time.sleep(1)
        held = _server_connections(name)
        assert 0 < held <= WEB_WORKERS, f"{held} connections held after 24 clients came and went"
    finally:
        web.stop()


def test_links_point_at_the_address_the_stack_serves_unless_configured():
    from governance.management.commands.runstack import child_env

    assert child_env("127.0.0.1:8765", {})["ACCORD_BASE_URL"] == "http://127.0.0.1:8765"
    assert child_env("0.0.0.0:8000", {})["ACCORD_BASE_URL"] == "http://127.0.0.1:8000"
    assert child_env("127.0.0.1:8765", {"ACCORD_BASE_URL": "https://accord.example"})["ACCORD_BASE_URL"] == (
        "https://accord.example")
