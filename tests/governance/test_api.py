"""The org, function, user and token API: the trio (401 / 403 / 404) and scoped lists."""

import pytest
from rest_framework import serializers

from governance.api.serializers import FunctionSerializer, OrgUnitSerializer
from governance.models import OrgUnit, User

pytestmark = pytest.mark.django_db


def result_codes(response, key="code"):
    return sorted(item[key] for item in response.json()["results"])


def test_anonymous_gets_401_everywhere(api, org):
    client = api()
    for url in ["/api/v1/org-units/", "/api/v1/functions/", "/api/v1/users/", "/api/v1/org-units/DE/"]:
        assert client.get(url).status_code == 401, url
    assert client.post("/api/v1/org-units/", {}, format="json").status_code == 401


def test_token_login_and_use(api, manager_de):
    client = api()
    response = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    assert result_codes(client.get("/api/v1/org-units/")) == ["DE"]
    bad = api().post("/api/v1/auth/token/", {"username": "max.de", "password": "wrong"}, format="json")
    assert bad.status_code == 400


def test_org_unit_list_is_scoped_and_out_of_scope_is_404(api, cast):
    leader = api(cast["leader"])
    assert result_codes(leader.get("/api/v1/org-units/")) == ["AT", "DACH", "DE", "EMEA"]
    assert leader.get("/api/v1/org-units/DE/").json()["parent"] == "DACH"
    assert leader.get("/api/v1/org-units/JP/").status_code == 404
    assert api(cast["manager_jp"]).get("/api/v1/org-units/DE/").status_code == 404


def test_non_admin_writes_are_403_and_change_nothing(api, cast):
    payload = {"code": "CH", "name": "Switzerland", "level": "market", "parent": "DACH", "timezone": "Europe/Zurich"}
    for who in ["leader", "manager_de", "partner"]:
        assert api(cast[who]).post("/api/v1/org-units/", payload, format="json").status_code == 403
        assert api(cast[who]).patch("/api/v1/org-units/DE/", {"name": "X"}, format="json").status_code == 403
        assert api(cast[who]).post("/api/v1/functions/", {"code": "X", "name": "X"}, format="json").status_code == 403
    assert not OrgUnit.objects.filter(code="CH").exists()
    assert OrgUnit.objects.get(code="DE").name == "Germany"


def test_admin_creates_and_moves_org_units(api, cast):
    admin = api(cast["admin"])
    payload = {"code": "CH", "name": "Switzerland", "level": "market", "parent": "DACH", "timezone": "Europe/Zurich"}
    assert admin.post("/api/v1/org-units/", payload, format="json").status_code == 201
    assert "CH" in result_codes(api(cast["leader"]).get("/api/v1/org-units/"))
    assert admin.patch("/api/v1/org-units/CH/", {"parent": "JAPAN"}, format="json").status_code == 200
    assert "CH" not in result_codes(api(cast["leader"]).get("/api/v1/org-units/"))


def test_bad_org_unit_input_is_400_with_field_errors(api, cast):
    admin = api(cast["admin"])
    response = admin.post("/api/v1/org-units/", {"code": "ch", "name": "x", "level": "market", "parent": "EMEA",
                                                 "timezone": "Nowhere/Land"}, format="json")
    assert response.status_code == 400
    assert {"code", "timezone"} <= set(response.json())
    response = admin.post("/api/v1/org-units/", {"code": "CH", "name": "x", "level": "market", "parent": "EMEA"},
                          format="json")
    assert response.status_code == 400 and "parent" in response.json()
    assert not OrgUnit.objects.filter(code__iexact="ch").exists()


def test_admin_creates_user_with_assignments(api, cast):
    admin = api(cast["admin"])
    response = admin.post("/api/v1/users/", {
        "username": "sofia", "password": "a-long-unusual-passphrase", "email": "sofia@example.com",
        "role": "manager", "assignments": [{"function": "COMPLIANCE", "org_unit": "DACH"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    sofia = User.objects.get(username="sofia")
    assert sofia.check_password("a-long-unusual-passphrase")
    assert sorted(OrgUnit.objects.restrict(sofia, "view").values_list("code", flat=True)) == ["AT", "DACH", "DE"]


def test_user_creation_rejects_weak_passwords_and_mixed_roles(api, cast, partner_a, org):
    admin = api(cast["admin"])
    weak = admin.post("/api/v1/users/", {"username": "weak", "password": "123", "role": "manager"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()
    mixed = admin.post("/api/v1/users/", {"username": "mixed", "password": "a-long-unusual-passphrase",
                                          "role": "manager", "partnerships": [partner_a.pk]}, format="json")
    assert mixed.status_code == 400 and "partnerships" in mixed.json()
    assert not User.objects.filter(username__in=["weak", "mixed"]).exists()


def test_users_list_is_scoped(api, cast):
    names = result_codes(api(cast["leader"]).get("/api/v1/users/"), key="username")
    assert names == ["lena.leader", "max.de", "pat.partner"]  # pat: a partner user of partnership A, in scope
    assert api(cast["leader"]).get(f"/api/v1/users/{cast['manager_jp'].pk}/").status_code == 404
    assert result_codes(api(cast["partner"]).get("/api/v1/users/"), key="username") == ["pat.partner"]
    escalate = api(cast["partner"]).post("/api/v1/users/", {"username": "x", "role": "admin"}, format="json")
    assert escalate.status_code == 403


def test_functions_are_readable_by_everyone_signed_in(api, cast):
    assert "SALES" in result_codes(api(cast["partner"]).get("/api/v1/functions/"))


def test_page_size_is_capped(api, cast):
    response = api(cast["admin"]).get("/api/v1/org-units/?page_size=10000")
    assert response.status_code == 200 and response.json()["count"] == 8


def test_openapi_schema_is_served_and_valid(api, cast):
    from drf_spectacular.validation import validate_schema

    response = api(cast["admin"]).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/v1/org-units/{code}/" in schema["paths"]
    docs = api(cast["admin"]).get("/api/v1/docs/")
    assert docs.status_code == 200 and b"drf_spectacular_sidecar" in docs.content  # local assets, no CDN


@pytest.mark.parametrize(("query", "count", "rows", "has_next", "queries"), [
    ("", 8, 8, False, 1),  # fits the page: its rows are the count, no COUNT(*)
    ("?page_size=8", 8, 8, False, 2),  # exactly a page: counted
    ("?page_size=3", 8, 3, True, 2),  # first of three pages: counted, rows read once
    ("?page_size=3&page=3", 8, 2, False, 2),  # a later page: as Django pages it
    ("?page_size=3&page=last", 8, 2, False, 2),
])
def test_list_pages_count_and_link_as_before_with_a_count_only_when_needed(api, cast, query, count, rows, has_next,
                                                                          queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(cast["admin"])
    client.get("/api/v1/org-units/")  # the token's and user's reads, once
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"/api/v1/org-units/{query}").json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (count, rows, has_next)
    org_unit_queries = [q for q in ctx.captured_queries if '"governance_orgunit"' in q["sql"].split("WHERE")[0]]
    assert len(org_unit_queries) == queries


def test_an_empty_list_is_one_empty_page(api, cast):
    body = api(cast["partner"]).get("/api/v1/org-units/?search=nothing-matches-this").json()
    assert body["count"] == 0 and body["results"] == [] and body["next"] is None
    assert api(cast["partner"]).get("/api/v1/org-units/?page=2").status_code == 404


@pytest.mark.parametrize("serializer_class", [OrgUnitSerializer, FunctionSerializer])
def test_fields_built_once_per_class_are_drfs_own_and_each_serializers_own(serializer_class):
    """``ClassFieldsMixin``: the fields are the ones DRF builds (same kinds, arguments, validators),
    and each serializer gets its own objects (DRF binds them to their serializer)."""
    first, second = serializer_class(), serializer_class()
    drfs = serializers.ModelSerializer.get_fields(first)  # DRF's own, built from the model now
    assert {name: repr(field) for name, field in first.fields.items()} == {
        name: repr(field) for name, field in drfs.items()}
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert all(field.parent is first for field in first.fields.values())
