"""The decision-rights matrix: lint (gaps and conflicts), publishing versions, the editor page."""

from datetime import UTC, datetime

import pytest

from decisions import services
from decisions.models import DecisionType, MatrixVersion

pytestmark = pytest.mark.django_db

RIGHTS = [{"function": "SALES", "role": "D"}, {"function": "COMPLIANCE", "role": "A"},
          {"function": "ACCESS", "role": "I"}]


def test_lint_reports_missing_and_double_deciders_and_holder_gaps_by_org_unit(holders, functions):
    kol = DecisionType.objects.create(code="KOL", name="KOL engagement plan", decided_at_level="market")
    promo = DecisionType.objects.create(code="PROMO", name="Promotional material", decided_at_level="market")
    f = functions
    cells = {(kol.pk, f["SALES"].pk): "R", (kol.pk, f["ACCESS"].pk): "I",  # no D at all
             (promo.pk, f["SALES"].pk): "D", (promo.pk, f["MKT"].pk): "D",  # two Ds, and nobody holds MKT
             (promo.pk, f["COMPLIANCE"].pk): "A"}
    report = services.matrix_lint(cells=cells)
    conflicts = [(i.decision_type, i.message) for i in report.issues if i.kind == "conflict"]
    assert [c[0] for c in conflicts] == ["KOL", "PROMO"]
    assert "no decider" in conflicts[0][1] and "2 deciders (MKT, SALES)" in conflicts[1][1]
    gaps = {(i.decision_type, i.org_unit, i.function) for i in report.issues if i.kind == "gap"}
    assert gaps == {("PROMO", "DE", "MKT"), ("PROMO", "AT", "MKT"), ("PROMO", "JP", "MKT")}
    assert not report.ok


def test_admin_creates_a_type_with_rights_and_each_change_publishes_a_version(api, holders):
    admin = api(holders["admin"])
    body = {"code": "PRICE_EXC", "name": "Distributor price exception", "decided_at_level": "market",
            "sla_hours": 24, "sla_hours_by_priority": {"urgent": 8}, "calendar": "24x7", "rights": RIGHTS}
    created = admin.post("/api/v1/decision-types/", body, format="json")
    assert created.status_code == 201, created.json()
    assert sorted(r["function"] + r["role"] for r in created.json()["rights"]) == ["ACCESSI", "COMPLIANCEA", "SALESD"]
    assert MatrixVersion.objects.count() == 1

    changed = admin.patch("/api/v1/decision-types/PRICE_EXC/", {"rights": [
        {"function": "SALES", "role": "D"}, {"function": "COMPLIANCE", "role": "A"},
        {"function": "FINANCE", "role": "R"}]}, format="json")
    assert changed.status_code == 200
    versions = admin.get("/api/v1/decision-types/PRICE_EXC/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert {r["function"] for r in versions[0]["rights"]} == {"SALES", "COMPLIANCE", "FINANCE"}
    assert {r["function"] for r in versions[1]["rights"]} == {"SALES", "COMPLIANCE", "ACCESS"}
    assert versions[0]["published_by"] == "ada.admin"
    # Unchanged rights publish nothing; the type's own history records the SLA change.
    admin.patch("/api/v1/decision-types/PRICE_EXC/", {"sla_hours": 30, "rights": changed.json()["rights"]},
                format="json")
    assert MatrixVersion.objects.count() == 2
    assert DecisionType.history.filter(code="PRICE_EXC").count() == 3


def test_invalid_rights_are_400_with_the_lint_message_and_publish_nothing(api, holders, price_exception):
    admin = api(holders["admin"])
    two_deciders = [{"function": "SALES", "role": "D"}, {"function": "COMPLIANCE", "role": "D"}]
    response = admin.patch("/api/v1/decision-types/PRICE_EXC/", {"rights": two_deciders}, format="json")
    assert response.status_code == 400
    assert "2 deciders" in str(response.json()["rights"])
    no_holder = [{"function": "SALES", "role": "D"}, {"function": "MKT", "role": "A"}]
    response = admin.patch("/api/v1/decision-types/PRICE_EXC/", {"rights": no_holder}, format="json")
    assert response.status_code == 400 and "nobody holds Marketing (A) at Germany" in str(response.json())
    assert MatrixVersion.objects.count() == 1


def test_decision_types_api_trio(api, holders, price_exception):
    assert api().get("/api/v1/decision-types/").status_code == 401
    body = {"code": "X", "name": "X", "decided_at_level": "market"}
    for who in ["leader", "manager_de", "partner"]:
        assert api(holders[who]).post("/api/v1/decision-types/", body, format="json").status_code == 403
        assert api(holders[who]).patch("/api/v1/decision-types/PRICE_EXC/", {"rights": RIGHTS},
                                       format="json").status_code == 403
    assert api(holders["manager_jp"]).get("/api/v1/decision-types/PRICE_EXC/").json()["rights"]
    assert api(holders["partner"]).get("/api/v1/decision-types/PRICE_EXC/versions/").status_code == 403
    assert api(holders["partner"]).get("/api/v1/matrix-versions/").json()["results"] == []


def test_a_decision_keeps_the_matrix_version_in_force_when_it_was_logged(log_de, price_exception, functions, holders):
    before = log_de(now=datetime(2026, 3, 2, 8, tzinfo=UTC))
    services.decision_type_set_rights(actor=holders["admin"], decision_type=price_exception, now=datetime(
        2026, 3, 3, tzinfo=UTC), rights=[(functions["SALES"], "D"), (functions["COMPLIANCE"], "I")])
    after = log_de(now=datetime(2026, 3, 4, 8, tzinfo=UTC))
    before.refresh_from_db()
    assert (before.matrix_version.number, after.matrix_version.number) == (1, 2)
    assert {p.user.username for p in before.participants.filter(role="A")} == {"carla.compliance"}
    assert not after.participants.filter(role="A").exists()
    assert {p.user.username for p in after.participants.filter(role="I")} == {"carla.compliance"}


def test_a_version_effective_in_the_future_is_not_used_yet(log_de, price_exception, functions, holders):
    cells = services.matrix_cells(MatrixVersion.objects.get())
    cells[(price_exception.pk, functions["ACCESS"].pk)] = "R"
    services.matrix_publish(actor=holders["admin"], cells=cells, effective_at=datetime(2027, 1, 1, tzinfo=UTC),
                            now=datetime(2026, 2, 1, tzinfo=UTC))
    assert log_de().matrix_version.number == 1


def test_lint_endpoint_reports_on_the_published_matrix(api, holders, price_exception):
    report = api(holders["leader"]).get("/api/v1/matrix-versions/lint/").json()
    assert report == {"ok": True, "conflicts": 0, "gaps": 0, "issues": []}
    holders["compliance_jp"].assignments.all().delete()
    report = api(holders["leader"]).get("/api/v1/matrix-versions/lint/").json()
    assert report["gaps"] == 1 and report["issues"][0]["org_unit"] == "JP"
    assert api(holders["leader"]).post("/api/v1/matrix-versions/lint/", {"cells": []},
                                       format="json").status_code == 403
    proposed = api(holders["admin"]).post("/api/v1/matrix-versions/lint/", {"cells": [
        {"decision_type": "PRICE_EXC", "function": "SALES", "role": "A"}]}, format="json").json()
    assert proposed["conflicts"] == 1


def test_matrix_editor_shows_live_lint_and_diff_then_publishes(client, holders, price_exception, functions):
    client.force_login(holders["admin"])
    page = client.get("/decisions/matrix/")
    assert page.status_code == 200 and b"Distributor price exception" in page.content
    assert b"Valid: one decider per type" in page.content
    t, f = price_exception.pk, functions
    grid = {f"cell-{t}-{f['SALES'].pk}": "D", f"cell-{t}-{f['COMPLIANCE'].pk}": "D",
            f"cell-{t}-{f['ACCESS'].pk}": "I", "base_version": "1"}
    check = client.post("/decisions/matrix/check/", grid, HTTP_HX_REQUEST="true")
    assert b"2 deciders" in check.content
    assert b"COMPLIANCE: <span class=\"text-decoration-line-through text-body-secondary\">A</span>" in check.content
    assert check["HX-Trigger"] == '{"matrix-lint": {"blocking": true, "gaps": 0}}'
    refused = client.post("/decisions/matrix/publish/", grid)
    assert refused.status_code == 400 and b"Not published" in refused.content and MatrixVersion.objects.count() == 1
    grid[f"cell-{t}-{f['COMPLIANCE'].pk}"] = "A"
    grid[f"cell-{t}-{f['ACCESS'].pk}"] = "R"
    published = client.post("/decisions/matrix/publish/", {**grid, "note": "Access recommends"}, follow=True)
    assert b"Published matrix v2" in published.content
    assert MatrixVersion.objects.get(number=2).note == "Access recommends"


def test_matrix_editor_is_for_admins_only(client, holders, price_exception):
    for who in ["leader", "manager_de", "partner"]:
        client.force_login(holders[who])
        for url in ["/decisions/matrix/", "/decisions/matrix/versions/", "/decisions/matrix/versions/1/",
                    "/decisions/matrix/merge/", "/decisions/matrix/diff/?from=1&to=1"]:
            assert client.get(url).status_code == 404, url
        for url in ["/decisions/matrix/publish/", "/decisions/matrix/check/", "/decisions/matrix/draft/discard/",
                    "/decisions/matrix/versions/1/copy/", "/decisions/matrix/versions/1/cancel/"]:
            assert client.post(url, {}).status_code == 404, url
