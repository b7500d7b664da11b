"""Bad input answers a clear 400 and changes nothing — every class of it, on pages and the API
(governance.bad_input, governance.api.parsers). Each case below answered 500 before."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from decisions.models import Decision, DecisionType
from governance.models import Function
from kpis.models import Measurement

pytestmark = pytest.mark.django_db


def _api(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def page(client, world):
    client.raise_request_exception = False
    client.force_login(world.cast["admin"])
    return client


# --- NUL bytes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/kpis/%00/", "/api/v1/org-units/%00/", "/api/v1/functions/SA%00LES/"])
def test_nul_byte_in_an_api_path_answers_400_json(world, path):
    response = _api(world.cast["admin"]).get(path)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/kpis/units/?q=%00", "/decisions/analytics/?org_unit=%00", "/kpis/kpi/%00/",
                                  "/kpis/dashboard/?unit=D%00E", "/partners/?q=a%00"])
def test_nul_byte_in_a_page_path_or_query_answers_a_400_page(page, path):
    response = page.get(path)
    assert response.status_code == 400
    html = response.content.decode()
    assert "could not be understood" in html and "NUL" in html and "Nothing was changed" in html
    assert "ada.admin" in html  # the product's shell, signed in: not a bare error page


def test_nul_byte_in_a_query_parameter_of_the_api_answers_400(world):
    response = _api(world.cast["manager_de"]).get("/api/v1/decisions/?org_unit=%00")
    assert response.status_code == 400


def test_nul_byte_in_a_json_code_reference_answers_400_and_writes_nothing(world):
    decisions, measurements = Decision.objects.count(), Measurement.objects.count()
    manager = _api(world.cast["manager_de"])
    response = manager.post("/api/v1/decisions/", {"title": "x", "decision_type": "DTA", "org_unit": "D\x00E"},
                            format="json")
    assert response.status_code == 400, response.content
    response = _api(world.cast["admin"]).post(
        "/api/v1/measurements/", {"kpi": "K\x00", "org_unit": "DE", "period": "2026-02", "value": "1"}, format="json")
    assert response.status_code == 400, response.content
    assert (Decision.objects.count(), Measurement.objects.count()) == (decisions, measurements)


def test_nul_byte_in_a_form_field_answers_400_and_writes_nothing(page, world):
    action = world.a["review_action"]
    response = page.post(f"/partners/actions/{action.pk}/status/", {"status": "done", "next": "/\x00"})
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.status != "done"


# --- JSON nested too deep ------------------------------------------------------------------------

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT])
def test_json_nested_a_thousand_levels_answers_400_and_writes_nothing(world, body):
    count = Function.objects.count()
    response = _api(world.cast["admin"]).post("/api/v1/functions/", body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["detail"]
    assert Function.objects.count() == count


def test_deep_json_on_the_anonymous_token_endpoint_answers_400(world):
    response = _api().post("/api/v1/auth/token/", DEEP_ARRAY, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["detail"]


def test_json_nested_beyond_the_bound_but_parseable_is_refused_too(world):
    body = '{"code": "DEEP", "name": "x", "sla_hours_by_priority": ' + '{"a":' * 40 + "1" + "}" * 40 + "}"
    response = _api(world.cast["admin"]).post("/api/v1/decision-types/", body, content_type="application/json")
    assert response.status_code == 400 and "nested deeper than" in response.json()["detail"]
    assert not DecisionType.objects.filter(code="DEEP").exists()


# --- values that do not parse ---------------------------------------------------------------------


def test_an_impossible_date_in_since_answers_400(world):
    response = _api(world.cast["leader"]).get("/api/v1/decision-analytics/?since=2024-02-30T00:00:00")
    assert response.status_code == 400
    assert "day is out of range" in response.json()["detail"]


def test_non_numeric_ids_in_the_routing_preview_answer_400(page):
    response = page.get("/decisions/new/preview/?decision_type=abc&org_unit=xyz", HTTP_HX_REQUEST="true")
    assert response.status_code == 400


def test_a_non_numeric_user_id_in_the_share_form_answers_400_and_changes_nothing(page, world):
    from partners.models import PartnershipUserObjectPermission

    before = PartnershipUserObjectPermission.objects.count()
    response = page.post(f"/partners/partnerships/{world.a['partnership'].pk}/share/", {"unshare": "abc"})
    assert response.status_code == 400
    assert PartnershipUserObjectPermission.objects.count() == before


def test_a_ratio_whose_value_overflows_its_column_answers_400_and_writes_nothing(world):
    admin = _api(world.cast["admin"])
    assert admin.post("/api/v1/kpis/", {
        "code": "RAT", "name": "Ratio", "unit": "%", "aggregation": "ratio", "direction": "higher",
        "category": "adoption", "owners": [{"function": "SALES", "weight": "1"}]}, format="json").status_code == 201
    count = Measurement.objects.count()
    response = admin.post("/api/v1/measurements/", {"kpi": "RAT", "org_unit": "DE", "period": "2026-01",
                                                    "numerator": "99999999999", "denominator": "0.000001"},
                          format="json")
    assert response.status_code == 400, response.content
    assert Measurement.objects.count() == count


# --- decision types --------------------------------------------------------------------------------


def test_a_decision_type_sla_beyond_a_year_is_a_field_error(world):
    admin = _api(world.cast["admin"])
    response = admin.post("/api/v1/decision-types/", {"code": "0", "name": "x", "sla_hours": 2147483646},
                          format="json")
    assert response.status_code == 400 and "sla_hours" in response.json()
    response = admin.post("/api/v1/decision-types/", {"code": "0", "name": "x", "sla_hours": 8,
                                                      "sla_hours_by_priority": {"urgent": 1e300}}, format="json")
    assert response.status_code == 400 and "sla_hours_by_priority" in response.json()
    assert not DecisionType.objects.filter(code="0").exists()


def test_a_code_taken_between_validation_and_insert_answers_400_with_the_field(world, monkeypatch):
    """Two admins create the same code at once: both pass DRF's unique validator, the database
    refuses the second insert (IntegrityError). That is the caller's 400, not a server error."""
    from rest_framework.validators import UniqueValidator

    # The race window: the other request's row lands after both checks ran.
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    monkeypatch.setattr(DecisionType, "validate_unique", lambda self, exclude=None: None)
    response = _api(world.cast["admin"]).post("/api/v1/decision-types/", {"code": "DTA", "name": "Again"},
                                              format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"code": ["Decision type with this Code already exists."]}
    assert DecisionType.objects.filter(code="DTA").count() == 1


# --- CR/LF in a decision title ----------------------------------------------------------------------


def test_line_breaks_in_a_decision_title_become_spaces_and_its_emails_go_out(world, django_capture_on_commit_callbacks,
                                                                               mail_worker):
    manager = _api(world.cast["manager_de"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/api/v1/decisions/", {"title": "Price\r\nBcc: victim@example.com\tcut",
                                                       "decision_type": "DTA", "org_unit": "DE"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Price Bcc: victim@example.com cut"
    subjects = [m.subject for m in mail.outbox]
    assert "[Accord] Price Bcc: victim@example.com cut" in " ".join(subjects) or any(
        "Price Bcc: victim@example.com cut" in s for s in subjects), subjects


def test_an_edited_title_is_one_line_too(world):
    decision = world.a["decision"]
    response = _api(world.cast["manager_de"]).patch(f"/api/v1/decisions/{decision.pk}/",
                                                    {"title": "Revised\r\nprice"}, format="json")
    assert response.status_code == 200, response.content
    decision.refresh_from_db()
    assert decision.title == "Revised price"


def test_a_stored_title_with_a_line_break_still_gets_its_email(world, django_capture_on_commit_callbacks,
                                                               mail_worker):
    """Titles stored before the rule (or written by another path) must not stop the mail either."""
    from governance.notifications import notify

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.cast["manager_de"]], kind="test", title="Old\r\ntitle", dedupe_key="crlf-old")
    assert [m.subject for m in mail.outbox] == ["[Accord] Old title"]


# --- caching ------------------------------------------------------------------------------------------


def test_pages_api_answers_and_downloads_are_never_stored(page, world):
    for response in (page.get("/decisions/queue/"), page.get("/kpis/measurements/export.csv"),
                     _api(world.cast["manager_de"]).get("/api/v1/decisions/"), _api().get("/api/v1/decisions/")):
        assert response.status_code in (200, 401)
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, response["Cache-Control"]
