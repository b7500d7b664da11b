"""A decision names the KPIs it is expected to move (API and log form)."""

import pytest

from decisions.models import Decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(db):
    from kpis.models import KPI

    return {code: KPI.objects.create(code=code, name=name, unit="%", direction="higher", aggregation="average",
                                     category="access", frequency="monthly")
            for code, name in [("ACC-LISTED", "Formulary listings"), ("ACC-TIME", "Days to reimbursement")]}


def test_logging_through_the_api_links_the_kpis(api, holders, price_exception, kpis):
    response = api(holders["manager_de"]).post("/api/v1/decisions/", {
        "title": "Tender price exception", "decision_type": "PRICE_EXC", "org_unit": "DE", "priority": "normal",
        "kpis": ["ACC-LISTED", "ACC-TIME"],
    }, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["kpis"]) == ["ACC-LISTED", "ACC-TIME"]
    decision = Decision.objects.get(pk=response.json()["id"])
    assert sorted(decision.kpis.values_list("code", flat=True)) == ["ACC-LISTED", "ACC-TIME"]
    detail = api(holders["manager_de"]).get(f"/api/v1/decisions/{decision.pk}/").json()
    assert sorted(detail["kpis"]) == ["ACC-LISTED", "ACC-TIME"]


def test_unknown_kpi_is_a_400_and_nothing_is_logged(api, holders, price_exception, kpis):
    response = api(holders["manager_de"]).post("/api/v1/decisions/", {
        "title": "Tender price exception", "decision_type": "PRICE_EXC", "org_unit": "DE", "priority": "normal",
        "kpis": ["NOPE"],
    }, format="json")
    assert response.status_code == 400 and "kpis" in response.json()
    assert not Decision.objects.exists()


def test_log_form_links_kpis_and_the_detail_page_shows_them(client, holders, price_exception, kpis, org):
    client.force_login(holders["manager_de"])
    response = client.post("/decisions/new/", {
        "title": "Listing push", "decision_type": price_exception.pk, "org_unit": org["DE"].pk, "priority": "normal",
        "kpis": [kpis["ACC-LISTED"].pk],
    }, follow=True)
    assert response.status_code == 200
    decision = Decision.objects.get(title="Listing push")
    assert list(decision.kpis.values_list("code", flat=True)) == ["ACC-LISTED"]
    assert "Expected to move" in response.content.decode() and "Formulary listings" in response.content.decode()
