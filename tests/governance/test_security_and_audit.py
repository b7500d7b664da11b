"""Security events, request-size limits and the per-object audit trail."""

import pytest

from governance import services
from governance.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_login_and_failed_login_are_recorded_with_ip(client, manager_de):
    client.post("/accounts/login/", {"username": "max.de", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    client.post("/accounts/login/", {"username": "max.de", "password": "pw-max.de"}, REMOTE_ADDR="203.0.113.7")
    events = list(SecurityEvent.objects.order_by("created_at").values_list("kind", "username", "ip_address"))
    assert events == [("login_failed", "max.de", "203.0.113.7"), ("login", "max.de", "203.0.113.7")]


def test_api_permission_denied_is_recorded(api, cast):
    response = api(cast["manager_de"]).post("/api/v1/functions/", {"code": "X", "name": "X"}, format="json")
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind="permission_denied")
    assert event.user == cast["manager_de"] and event.path == "/api/v1/functions/"


def test_oversized_json_body_gets_413_json(api, cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(cast["admin"]).post("/api/v1/functions/", {"code": "BIG", "name": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not services.Function.objects.filter(code="BIG").exists()


def test_history_shows_who_changed_what(client, api, cast, org):
    admin = api(cast["admin"])
    assert admin.patch("/api/v1/org-units/DE/", {"name": "Deutschland"}, format="json").status_code == 200
    client.force_login(cast["leader"])
    html = client.get(f"/history/org-unit/{org['DE'].pk}/").content.decode()
    assert "Deutschland" in html and "Germany" in html
    entries = api(cast["leader"]).get(f"/api/v1/history/org-unit/{org['DE'].pk}/").json()
    assert entries[0]["kind"] == "changed"
    assert entries[0]["changes"] == [{"field": "name", "old": "Germany", "new": "Deutschland"}]
    assert entries[-1]["kind"] == "created"


def test_history_out_of_scope_or_wrong_role_is_404(client, api, cast, org):
    assert api(cast["leader"]).get(f"/api/v1/history/org-unit/{org['JP'].pk}/").status_code == 404
    assert api(cast["manager_de"]).get(f"/api/v1/history/org-unit/{org['DE'].pk}/").status_code == 404
    assert api(cast["partner"]).get(f"/api/v1/history/org-unit/{org['DE'].pk}/").status_code == 404
    assert api(cast["admin"]).get(f"/api/v1/history/no-such-model/{org['DE'].pk}/").status_code == 404
    client.force_login(cast["manager_jp"])
    assert client.get(f"/history/org-unit/{org['DE'].pk}/").status_code == 404


def test_assignment_changes_keep_history(cast, org, functions):
    user = cast["manager_de"]
    services.user_update(user=user, assignments=[(functions["ACCESS"], org["AT"], "Access Austria")])
    history = user.assignments.model.history.filter(user_id=user.pk).order_by("history_date")
    assert [(h.history_type, h.org_unit_id) for h in history] == [
        ("+", org["DE"].pk), ("-", org["DE"].pk), ("+", org["AT"].pk)]
