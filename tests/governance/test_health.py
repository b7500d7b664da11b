"""/healthz: what the image's HEALTHCHECK and a load balancer probe — up only while the database answers."""

import pytest
from django.db import OperationalError
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_health_is_ok_while_the_database_answers_and_carries_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store" and not response.cookies


@override_settings(ALLOWED_HOSTS=["accord.example.com"], SECURE_SSL_REDIRECT=True)
def test_health_answers_a_probe_over_plain_http_with_any_host(client):
    """The container probes 127.0.0.1:8000 over HTTP; users on that host/scheme get 400 / a redirect."""
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="accord.example.com").status_code == 301


def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("governance.health.connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503 and response.content == b"database unavailable\n"


def test_only_get_and_head_are_health_checks(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 404
