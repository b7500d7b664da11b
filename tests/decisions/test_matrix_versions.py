"""Publishing matrix versions: optimistic concurrency (409), acknowledged gaps, effective dating,
cancelling a scheduled version, and diffs between versions — through the services and the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from decisions import services
from decisions.models import MatrixVersion
from tests.decisions.conftest import T0

pytestmark = pytest.mark.django_db

TYPE_URL = "/api/v1/decision-types/PRICE_EXC/"
RIGHTS = [{"function": "SALES", "role": "D"}, {"function": "COMPLIANCE", "role": "A"},
          {"function": "ACCESS", "role": "I"}, {"function": "FINANCE", "role": "R"}]


def with_role(function: str, role: str) -> list[dict]:
    return [r for r in RIGHTS if r["function"] != function] + [{"function": function, "role": role}]


def test_a_second_admin_publishing_from_a_stale_version_gets_409_with_the_versions(api, holders, price_exception):
    first, second = api(holders["admin"]), api(holders["admin"])
    read = first.get(TYPE_URL).json()
    assert read["matrix_version"] == 1
    assert first.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1,
                                  "rights_note": "Access recommends"}, format="json").status_code == 200
    stale = second.patch(TYPE_URL, {"rights": with_role("FINANCE", "I"), "base_version": 1}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert (body["base_version"], body["current_version"]) == (1, 2)
    assert [(v["number"], v["published_by"], v["note"]) for v in body["versions"]] == [
        (2, "ada.admin", "Access recommends")]
    assert "has since published v2" in body["detail"]
    assert MatrixVersion.objects.count() == 2  # the stale edit published nothing
    assert second.patch(TYPE_URL, {"rights": with_role("FINANCE", "I"), "base_version": 2},
                        format="json").status_code == 200


def test_concurrent_publish_of_the_whole_matrix_answers_409_for_the_stale_one(api, holders, price_exception):
    cells = [{"decision_type": "PRICE_EXC", **r} for r in RIGHTS]
    admin = api(holders["admin"])
    mine = admin.post("/api/v1/matrix-versions/", {"cells": cells[:-1], "base_version": 1, "note": "no R"},
                      format="json")
    assert mine.status_code == 201 and mine.json()["number"] == 2 and mine.json()["based_on"] == 1
    theirs = admin.post("/api/v1/matrix-versions/", {"cells": cells, "base_version": 1}, format="json")
    assert theirs.status_code == 409 and theirs.json()["current_version"] == 2
    unchanged = admin.post("/api/v1/matrix-versions/", {"cells": cells[:-1], "base_version": 2}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["number"] == 2
    assert api(holders["leader"]).post("/api/v1/matrix-versions/", {"cells": cells, "base_version": 2},
                                       format="json").status_code == 403


def test_two_publishers_racing_from_the_same_base_cannot_both_win(holders, price_exception, functions):
    cells = services.matrix_cells(MatrixVersion.objects.head())
    t = price_exception.pk
    services.matrix_publish(actor=holders["admin"], cells={**cells, (t, functions["ACCESS"].pk): "R"},
                            base_version=1)
    with pytest.raises(services.StaleMatrixVersion) as raised:
        services.matrix_publish(actor=holders["admin"], cells={**cells, (t, functions["FINANCE"].pk): "I"},
                                base_version=1)
    assert raised.value.status == 409 and [v.number for v in raised.value.newer] == [2]


def test_gaps_block_until_acknowledged_and_the_acknowledgement_is_kept_in_the_note(api, holders, price_exception):
    admin = api(holders["admin"])
    holders["compliance_jp"].assignments.all().delete()  # nobody covers Compliance for Japan now
    refused = admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1}, format="json")
    assert refused.status_code == 400
    assert "nobody holds Compliance (A) at Japan or above" in str(refused.json()["rights"])
    assert "acknowledge_gaps" in refused.json()
    published = admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1,
                                       "acknowledge_gaps": True, "rights_note": "Japan hires in Q2"}, format="json")
    assert published.status_code == 200, published.json()
    version = MatrixVersion.objects.get(number=2)
    assert version.note.startswith("Japan hires in Q2\n\nPublished over 1 acknowledged gap:\n- ")
    assert "nobody holds Compliance (A) at Japan or above" in version.note
    assert version.acknowledged_gaps == [{"kind": "gap", "decision_type": "PRICE_EXC", "org_unit": "JP",
                                          "function": "COMPLIANCE", "message": version.acknowledged_gaps[0]["message"]}]


def test_a_conflict_blocks_even_when_gaps_are_acknowledged(api, holders, price_exception):
    response = api(holders["admin"]).patch(TYPE_URL, {"rights": with_role("COMPLIANCE", "D"), "base_version": 1,
                                                      "acknowledge_gaps": True}, format="json")
    assert response.status_code == 400 and "2 deciders (COMPLIANCE, SALES)" in str(response.json())
    assert MatrixVersion.objects.count() == 1


def test_a_future_dated_version_takes_effect_at_its_time(api, holders, price_exception, log_de):
    admin = api(holders["admin"])
    start = timezone.now() + timedelta(days=30)
    scheduled = admin.patch(TYPE_URL, {"rights": with_role("COMPLIANCE", "I"), "base_version": 1,
                                       "effective_at": start.isoformat()}, format="json")
    assert scheduled.status_code == 200
    # The rights shown are the newest version's (the base for the next edit), marked as scheduled.
    assert scheduled.json()["matrix_version"] == 2
    assert MatrixVersion.objects.in_force(timezone.now()).number == 1
    assert MatrixVersion.objects.in_force(start - timedelta(seconds=1)).number == 1
    assert MatrixVersion.objects.in_force(start).number == 2
    before, after = log_de(now=timezone.now()), log_de(now=start + timedelta(hours=1))
    assert (before.matrix_version.number, after.matrix_version.number) == (1, 2)
    assert before.participants.filter(role="A").exists() and not after.participants.filter(role="A").exists()
    versions = admin.get("/api/v1/matrix-versions/").json()["results"]
    assert [(v["number"], v["status"]) for v in versions] == [(2, "scheduled"), (1, "in_force")]


def test_effective_time_is_never_in_the_past_nor_before_the_version_it_follows(api, holders, price_exception):
    admin = api(holders["admin"])
    past = admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1,
                                  "effective_at": "2020-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "in the past" in str(past.json())
    later = timezone.now() + timedelta(days=30)
    admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1,
                           "effective_at": later.isoformat()}, format="json")
    earlier = admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "P"), "base_version": 2}, format="json")
    assert earlier.status_code == 400 and "cannot take effect before it" in str(earlier.json())
    assert MatrixVersion.objects.count() == 2


def test_the_newest_scheduled_version_can_be_cancelled_until_it_takes_effect(api, holders, price_exception):
    admin = api(holders["admin"])
    later = timezone.now() + timedelta(days=30)
    admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1, "effective_at": later.isoformat()},
                format="json")
    assert api(holders["leader"]).post("/api/v1/matrix-versions/2/cancel/").status_code == 403
    assert admin.post("/api/v1/matrix-versions/1/cancel/").status_code == 409  # already in force
    cancelled = admin.post("/api/v1/matrix-versions/2/cancel/")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == ("cancelled", "ada.admin")
    assert MatrixVersion.objects.in_force(later).number == 1
    assert MatrixVersion.objects.head().number == 1  # the next edit starts from v1 again
    # The next version gets a new number; v2 stays listed as cancelled.
    assert admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "P"), "base_version": 1},
                       format="json").status_code == 200
    assert MatrixVersion.objects.head().number == 3
    assert admin.post("/api/v1/matrix-versions/2/cancel/").status_code == 409


def test_diff_between_any_two_versions(api, holders, price_exception):
    admin = api(holders["admin"])
    admin.patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1}, format="json")
    admin.patch(TYPE_URL, {"rights": [r for r in with_role("ACCESS", "R") if r["function"] != "FINANCE"],
                           "base_version": 2}, format="json")
    diff = admin.get("/api/v1/matrix-versions/diff/?from=1&to=3").json()
    assert diff == [{"decision_type": "PRICE_EXC", "function": "ACCESS", "before": "I", "after": "R"},
                    {"decision_type": "PRICE_EXC", "function": "FINANCE", "before": "R", "after": None}]
    assert admin.get("/api/v1/matrix-versions/diff/?from=3&to=1").json()[0]["before"] == "R"
    assert admin.get("/api/v1/matrix-versions/diff/?from=1&to=99").status_code == 404
    assert admin.get("/api/v1/matrix-versions/diff/?from=x&to=1").status_code == 400
    assert api(holders["partner"]).get("/api/v1/matrix-versions/diff/?from=1&to=3").status_code == 404


def test_publishing_without_a_base_version_still_replaces_only_that_types_row(api, holders, price_exception,
                                                                             functions):
    services.decision_type_create(actor=holders["admin"], code="KOL", name="KOL plan", decided_at_level="market",
                                  rights=[(functions["SALES"], "D"), (functions["MKT"], "I")],
                                  now=T0 - timedelta(days=1))
    response = api(holders["admin"]).patch(TYPE_URL, {"rights": with_role("ACCESS", "R")}, format="json")
    assert response.status_code == 200 and MatrixVersion.objects.head().number == 3
    kol = api(holders["admin"]).get("/api/v1/decision-types/KOL/").json()["rights"]
    assert [(r["function"], r["role"]) for r in kol] == [("MKT", "I"), ("SALES", "D")]


def test_the_version_list_says_who_when_and_why(api, holders, price_exception):
    api(holders["admin"]).patch(TYPE_URL, {"rights": with_role("ACCESS", "R"), "base_version": 1,
                                           "rights_note": "Access recommends now"}, format="json")
    v2 = api(holders["leader"]).get("/api/v1/matrix-versions/2/").json()
    assert (v2["published_by"], v2["note"], v2["based_on"], v2["status"]) == (
        "ada.admin", "Access recommends now", 1, "in_force")
    assert datetime.fromisoformat(v2["created_at"]) > datetime(2026, 1, 1, tzinfo=UTC)
