"""A row's code is its natural key: no path changes it once the row exists — the admin (which could
change an org unit's or a function's code before issue 21), the API, the services — and each
refuses with the same sentence, changing nothing (governance.natural_keys owns the rule)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from governance.models import Function, OrgUnit, User
from kpis.models import KPI
from kpis.services.definitions import kpi_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-root")


def test_the_admin_cannot_change_an_org_units_code(client, superuser, org):
    client.force_login(superuser)
    de = org["DE"]
    response = client.post(reverse("admin:governance_orgunit_change", args=[de.pk]), {
        "code": "GERMANY", "name": "Germany", "level": de.level, "parent": de.parent_id, "timezone": de.timezone})
    assert response.status_code == 200  # the form again, with its error
    assert "The code is the org unit&#x27;s natural key and cannot change." in response.content.decode()
    assert OrgUnit.objects.get(pk=de.pk).code == "DE"
    renamed = client.post(reverse("admin:governance_orgunit_change", args=[de.pk]), {
        "code": "DE", "name": "Deutschland", "level": de.level, "parent": de.parent_id, "timezone": de.timezone})
    assert renamed.status_code == 302 and OrgUnit.objects.get(pk=de.pk).name == "Deutschland"


def test_the_admin_cannot_change_a_functions_code(client, superuser, functions):
    client.force_login(superuser)
    sales = functions["SALES"]
    response = client.post(reverse("admin:governance_function_change", args=[sales.pk]),
                           {"code": "REVENUE", "name": "Sales"})
    assert response.status_code == 200
    assert "natural key and cannot change" in response.content.decode()
    assert Function.objects.get(pk=sales.pk).code == "SALES"


def test_the_api_refuses_a_new_code_with_the_models_sentence(admin_user, org, functions):
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.patch(f"/api/v1/org-units/{org['DE'].code}/", {"code": "GERMANY"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == ["The code is the org unit's natural key and cannot change."]
    assert OrgUnit.objects.get(pk=org["DE"].pk).code == "DE"
    KPI.objects.create(code="REV", name="Revenue", unit="EUR", direction="higher", aggregation="sum")
    response = api.patch("/api/v1/kpis/REV/", {"code": "REVENUE"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == [
        "The code is the KPI's natural key and cannot change."]
    assert KPI.objects.filter(code="REV").exists()


def test_services_refuse_it_and_the_same_code_passes(db, functions):
    kpi = KPI.objects.create(code="REV", name="Revenue", unit="EUR", direction="higher", aggregation="sum")
    with pytest.raises(ValidationError) as refused:
        kpi_update(kpi=kpi, code="REVENUE")
    assert refused.value.message_dict == {"code": ["The code is the KPI's natural key and cannot change."]}
    assert KPI.objects.get(pk=kpi.pk).code == "REV"
    assert kpi_update(kpi=KPI.objects.get(pk=kpi.pk), code="REV", name="Net revenue").name == "Net revenue"
    fresh = OrgUnit(code="XX", name="Somewhere", level="market", timezone="UTC")
    fresh.save()
    fresh.code = "YY"  # the instance that created the row holds the rule too
    with pytest.raises(ValidationError):
        fresh.full_clean()
