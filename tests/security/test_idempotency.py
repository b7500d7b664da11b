"""Creating is idempotent: the API's Idempotency-Key header and the log-decision form's submission
token (governance.idempotency). Repeated agrees: tests/decisions/test_repeated_agrees.py."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from decisions.models import Decision, DecisionEvent
from governance.models import IdempotencyKey
from kpis.models import Measurement

BODY = {"title": "Price exception for MedDistrib", "decision_type": "DTA", "org_unit": "DE"}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_the_same_key_replays_the_first_answer_and_creates_one_decision(world):
    manager = _client(world.cast["manager_de"])
    before = Decision.objects.count()
    first = manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="log-42")
    again = manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="log-42")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Decision.objects.count() == before + 1
    assert DecisionEvent.objects.filter(decision_id=first.json()["id"]).count() == 1
    # Without a key, or with another one, a POST creates again.
    assert manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="log-43").status_code == 201
    assert Decision.objects.count() == before + 2


@pytest.mark.django_db
def test_a_key_reused_for_a_different_request_answers_422_and_writes_nothing(world):
    manager = _client(world.cast["manager_de"])
    assert manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    count = Decision.objects.count()
    other = manager.post("/api/v1/decisions/", {**BODY, "title": "Something else"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    elsewhere = manager.post("/api/v1/measurements/", {"kpi": "KA", "org_unit": "DE", "period": "2026-02",
                                                      "value": "5"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert elsewhere.status_code == 422
    assert Decision.objects.count() == count


@pytest.mark.django_db
def test_keys_belong_to_their_user(world):
    assert _client(world.cast["manager_de"]).post("/api/v1/decisions/", BODY, format="json",
                                                  HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    theirs = _client(world.cast["leader"]).post("/api/v1/decisions/", BODY, format="json",
                                                HTTP_IDEMPOTENCY_KEY="same")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Decision.objects.filter(title=BODY["title"]).count() == 2


@pytest.mark.django_db
def test_a_refused_request_leaves_its_key_free_for_the_corrected_retry(world):
    manager = _client(world.cast["manager_de"])
    bad = manager.post("/api/v1/decisions/", {**BODY, "org_unit": "JP"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good


@pytest.mark.django_db
def test_bulk_measurements_with_a_key_are_written_once(world):
    admin = _client(world.cast["admin"])
    rows = [{"kpi": "KA", "org_unit": "DE", "period": f"2025-{m:02d}", "value": str(m)} for m in range(1, 4)]
    before = Measurement.history.count()
    for _ in range(2):
        response = admin.post("/api/v1/measurements/", rows, format="json", HTTP_IDEMPOTENCY_KEY="import-2025")
        assert response.status_code == 201
    assert Measurement.history.count() == before + 3  # a correction would have written 3 more history rows


@pytest.mark.django_db
def test_an_invalid_key_is_a_400(world):
    response = _client(world.cast["manager_de"]).post("/api/v1/decisions/", BODY, format="json",
                                                      HTTP_IDEMPOTENCY_KEY="has spaces")
    assert response.status_code == 400
    assert not Decision.objects.filter(title=BODY["title"]).exists()


@pytest.mark.django_db
def test_keys_expire_and_are_swept(world, settings):
    from governance.tasks import delete_expired_idempotency_keys

    manager = _client(world.cast["manager_de"])
    manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.ACCORD_IDEMPOTENCY_HOURS + 1))
    again = manager.post("/api/v1/decisions/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again  # a forgotten key runs anew
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.ACCORD_IDEMPOTENCY_HOURS + 1))
    delete_expired_idempotency_keys()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_create_one_decision(world, monkeypatch):
    """The second request waits on the first one's uncommitted key row, then replays its answer."""
    from decisions import services

    real_log = services.decision_log
    started = threading.Event()

    def slow_log(**kwargs):
        started.set()
        time.sleep(0.5)  # the second request arrives while this one is still writing
        return real_log(**kwargs)

    monkeypatch.setattr(services, "decision_log", slow_log)
    user = world.cast["manager_de"]
    responses = {}

    def post(name):
        try:
            responses[name] = _client(user).post("/api/v1/decisions/", BODY, format="json",
                                                 HTTP_IDEMPOTENCY_KEY="simultaneous")
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert responses["first"].status_code == responses["second"].status_code == 201
    assert responses["first"].content == responses["second"].content
    assert Decision.objects.filter(title=BODY["title"]).count() == 1


@pytest.mark.django_db
def test_a_double_submitted_log_decision_form_creates_one_decision(client, world):
    client.force_login(world.cast["manager_de"])
    form = client.get("/decisions/new/").content.decode()
    import re

    token = re.search(r'name="submission_token" value="([0-9a-f]{32})"', form).group(1)
    data = {"submission_token": token, "title": "Double click", "decision_type": world.a["decision_type"].pk,
            "org_unit": world.org["DE"].pk, "priority": "normal"}
    first, second = client.post("/decisions/new/", data), client.post("/decisions/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Decision.objects.filter(title="Double click").count() == 1
    # A new form (a new token) logs another decision.
    fresh = re.search(r'name="submission_token" value="([0-9a-f]{32})"',
                      client.get("/decisions/new/").content.decode()).group(1)
    assert fresh != token
    assert client.post("/decisions/new/", {**data, "submission_token": fresh}).status_code == 302
    assert Decision.objects.filter(title="Double click").count() == 2


@pytest.mark.django_db
def test_an_invalid_log_form_keeps_its_token_and_the_corrected_submit_logs_once(client, world):
    client.force_login(world.cast["manager_de"])
    token = "ab" * 16
    data = {"submission_token": token, "title": "", "decision_type": world.a["decision_type"].pk,
            "org_unit": world.org["DE"].pk, "priority": "normal"}
    invalid = client.post("/decisions/new/", data)
    assert invalid.status_code == 200 and f'value="{token}"' in invalid.content.decode()
    for _ in range(2):
        assert client.post("/decisions/new/", {**data, "title": "Fixed"}).status_code == 302
    assert Decision.objects.filter(title="Fixed").count() == 1


@pytest.mark.django_db
def test_a_csv_import_with_a_key_is_imported_once(world):
    import io

    def upload():
        f = io.BytesIO(b"kpi,org_unit,partnership,period,value,numerator,denominator\nKA,DE,,2025-05,7,,\n")
        f.name = "actuals.csv"
        return f

    admin = _client(world.cast["admin"])
    before = Measurement.history.count()
    first = admin.post("/api/v1/measurements/import/", {"file": upload()}, format="multipart",
                       HTTP_IDEMPOTENCY_KEY="csv-may")
    again = admin.post("/api/v1/measurements/import/", {"file": upload()}, format="multipart",
                       HTTP_IDEMPOTENCY_KEY="csv-may")
    assert first.status_code in (200, 201), first.content
    assert again.status_code == first.status_code and again["Idempotent-Replayed"] == "true"
    assert Measurement.history.count() == before + 1
