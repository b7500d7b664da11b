"""The audit trail: every write path of the API leaves a history row that says who, when, and
before/after — single writes, bulk JSON and CSV imports alike — and every model that keeps
history can be opened on the per-object history page."""

from __future__ import annotations

import io

import pytest
from django.apps import apps

from governance.audit import AUDITED_ELSEWHERE, AUDITED_MODELS

pytestmark = pytest.mark.django_db


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def assert_audited(model, pk, user, kind="~"):
    """The newest history row of the object is a ``kind`` change by ``user`` (for a creation: the
    "+" row; setting many-to-many fields right after adds "~" rows, also by ``user``)."""
    if kind == "+":
        rows = list(model.history.filter(id=pk))
        assert rows and all(r.history_user_id == user.pk for r in rows), f"{model.__name__} {pk}: {rows}"
        assert [r.history_type for r in rows].count("+") == 1
    record = latest(model, pk)
    if kind == "+":
        return record
    assert record is not None, f"no history for {model.__name__} {pk}"
    assert (record.history_type, record.history_user_id) == (kind, user.pk), (
        f"{model.__name__} {pk}: expected {kind} by {user}, got {record.history_type} by {record.history_user}")
    return record


def changed(record) -> dict:
    previous = record.prev_record
    return {c.field: (c.old, c.new) for c in record.diff_against(previous).changes} if previous else {}


# --- completeness --------------------------------------------------------------------------------


def test_every_model_with_history_is_audited_somewhere():
    with_history = {m._meta.label for m in apps.get_models()
                    if hasattr(m, "history") and not m.__name__.startswith("Historical")}
    registered = set(AUDITED_MODELS.values()) | AUDITED_ELSEWHERE
    assert with_history - registered == set(), "Add these to governance.audit.AUDITED_MODELS"
    assert registered - with_history == set(), "These keep no history"


def test_every_audited_model_has_a_working_history_page(world, client, api):
    client.force_login(world.cast["admin"])
    for slug, label in AUDITED_MODELS.items():
        model = apps.get_model(label)
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue  # e.g. no holiday in the world; the slug still resolves below
        assert client.get(f"/history/{slug}/{obj.pk}/").status_code == 200, slug
        body = api(world.cast["admin"]).get(f"/api/v1/history/{slug}/{obj.pk}/").json()
        assert body and body[-1]["kind"] == "created", slug


# --- governance ----------------------------------------------------------------------------------


def test_org_unit_create_and_rename_record_the_admin(world, api):
    from governance.models import OrgUnit

    admin = world.cast["admin"]
    client = api(admin)
    assert client.post("/api/v1/org-units/", {"code": "CH", "name": "Switzerland", "level": "market",
                                              "parent": "DACH", "timezone": "Europe/Zurich"},
                       format="json").status_code == 201
    unit = OrgUnit.objects.get(code="CH")
    assert_audited(OrgUnit, unit.pk, admin, "+")
    assert client.patch("/api/v1/org-units/CH/", {"name": "Schweiz"}, format="json").status_code == 200
    assert changed(assert_audited(OrgUnit, unit.pk, admin)) == {"name": ("Switzerland", "Schweiz")}


def test_function_and_user_and_assignment_writes_record_the_admin(world, api):
    from governance.models import Assignment, Function, User

    admin = world.cast["admin"]
    client = api(admin)
    assert client.post("/api/v1/functions/", {"code": "MEDICAL", "name": "Medical Affairs"},
                       format="json").status_code == 201
    assert_audited(Function, Function.objects.get(code="MEDICAL").pk, admin, "+")
    response = client.post("/api/v1/users/", {
        "username": "new.person", "password": "a-Long-unusual-pw-771", "role": "manager",
        "assignments": [{"function": "SALES", "org_unit": "AT"}]}, format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="new.person")
    assert_audited(User, user.pk, admin, "+")
    assert_audited(Assignment, user.assignments.get().pk, admin, "+")
    response = client.patch(f"/api/v1/users/{user.pk}/", {"assignments": [{"function": "SALES", "org_unit": "DE"}],
                                                           "role": "leader"}, format="json")
    assert response.status_code == 200, response.content
    # Moving from Austria to Germany, the user (on their unit's zone) follows it: a second row.
    follow = assert_audited(User, user.pk, admin)
    assert changed(follow) == {"timezone": ("Europe/Vienna", "Europe/Berlin")}
    assert changed(follow.prev_record) == {"role": ("manager", "leader")}
    assert follow.prev_record.history_user == admin
    assert_audited(Assignment, user.assignments.get().pk, admin, "+")
    removed = Assignment.history.filter(user_id=user.pk, org_unit_id=world.org["AT"].pk, history_type="-").get()
    assert removed.history_user == admin


# --- partners ------------------------------------------------------------------------------------


def test_partner_and_partnership_writes_record_the_manager(world, api):
    from partners.models import Partner, Partnership

    manager = world.cast["manager_de"]
    client = api(manager)
    response = client.post("/api/v1/partners/", {"name": "Klinikum Nord", "kind": "hospital",
                                                 "org_units": ["DE"]}, format="json")
    assert response.status_code == 201, response.content
    partner_id = response.json()["id"]
    assert_audited(Partner, partner_id, manager, "+")
    response = client.post("/api/v1/partnerships/", {
        "partner": partner_id, "name": "Klinikum Nord pilot", "type": "co_promotion", "org_units": ["DE"],
        "owner_function": "SALES", "functions": [], "status": "active", "start": "2026-01-01"}, format="json")
    assert response.status_code == 201, response.content
    partnership_id = response.json()["id"]
    assert_audited(Partnership, partnership_id, manager, "+")
    assert client.patch(f"/api/v1/partnerships/{partnership_id}/", {"name": "Klinikum Nord programme"},
                        format="json").status_code == 200
    assert changed(assert_audited(Partnership, partnership_id, manager))["name"] == (
        "Klinikum Nord pilot", "Klinikum Nord programme")
    assert client.patch(f"/api/v1/partners/{partner_id}/", {"status": "on_hold"}, format="json").status_code == 200
    assert_audited(Partner, partner_id, manager)
    assert client.delete(f"/api/v1/partnerships/{partnership_id}/").status_code == 204
    assert_audited(Partnership, partnership_id, manager, "-")


def test_assessment_review_and_action_writes_record_who(world, api):
    from partners.models import BusinessReview, MaturityAssessment, ReviewAction

    manager, partner_user = world.cast["manager_de"], world.cast["partner"]
    partnership = world.a["partnership"]
    scores = {f: 4 for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing",
                             "joint_planning", "value_delivery"]}
    response = api(partner_user).post("/api/v1/assessments/", {"partnership": partnership.pk, **scores},
                                      format="json")
    assert response.status_code == 201, response.content
    assessment_id = response.json()["id"]
    assert_audited(MaturityAssessment, assessment_id, partner_user, "+")
    assert api(partner_user).patch(f"/api/v1/assessments/{assessment_id}/", {"data_sharing": 2},
                                   format="json").status_code == 200
    assert changed(assert_audited(MaturityAssessment, assessment_id, partner_user))["data_sharing"] == (4, 2)

    client = api(manager)
    response = client.post("/api/v1/reviews/", {"partnership": partnership.pk, "date": "2026-02-10",
                                                "title": "Joint plan"}, format="json")
    assert response.status_code == 201, response.content
    review_id = response.json()["id"]
    assert_audited(BusinessReview, review_id, manager, "+")
    assert client.patch(f"/api/v1/reviews/{review_id}/", {"notes": "Agreed the plan."},
                        format="json").status_code == 200
    assert_audited(BusinessReview, review_id, manager)
    response = client.post("/api/v1/review-actions/", {"review": review_id, "title": "Share forecast",
                                                       "owner": partner_user.pk, "due_date": "2026-03-01"},
                           format="json")
    assert response.status_code == 201, response.content
    action_id = response.json()["id"]
    assert_audited(ReviewAction, action_id, manager, "+")
    assert api(partner_user).patch(f"/api/v1/review-actions/{action_id}/", {"status": "done"},
                                   format="json").status_code == 200
    assert changed(assert_audited(ReviewAction, action_id, partner_user))["status"] == ("open", "done")
    assert client.delete(f"/api/v1/review-actions/{action_id}/").status_code == 204
    assert_audited(ReviewAction, action_id, manager, "-")


# --- decisions -----------------------------------------------------------------------------------


def test_decision_type_and_matrix_writes_record_the_admin(world, api):
    from decisions.models import DecisionType, MatrixVersion

    admin = world.cast["admin"]
    client = api(admin)
    response = client.post("/api/v1/decision-types/", {
        "code": "KOL", "name": "KOL engagement plan", "decided_at_level": "market", "sla_hours": 48,
        "calendar": "24x7", "rights": [{"function": "SALES", "role": "D"}]}, format="json")
    assert response.status_code == 201, response.content
    decision_type = DecisionType.objects.get(code="KOL")
    assert_audited(DecisionType, decision_type.pk, admin, "+")
    newest = MatrixVersion.objects.order_by("-number").first()
    assert newest.published_by == admin
    assert_audited(MatrixVersion, newest.pk, admin, "+")
    assert client.patch("/api/v1/decision-types/KOL/", {"sla_hours": 24}, format="json").status_code == 200
    assert changed(assert_audited(DecisionType, decision_type.pk, admin))["sla_hours"] == (48, 24)
    assert client.delete("/api/v1/decision-types/KOL/").status_code == 204  # retired, not deleted
    assert changed(assert_audited(DecisionType, decision_type.pk, admin))["is_active"] == (True, False)


def test_decision_workflow_keeps_an_append_only_timeline_with_the_actor(world, api):
    manager = world.cast["manager_de"]
    client = api(manager)
    response = client.post("/api/v1/decisions/", {"title": "Tender price", "decision_type": "DTA",
                                                  "org_unit": "DE", "priority": "normal"}, format="json")
    assert response.status_code == 201, response.content
    decision_id = response.json()["id"]
    assert client.post(f"/api/v1/decisions/{decision_id}/decide/", {"outcome": "Approved", "rationale": "Margin ok"},
                       format="json").status_code == 200
    events = client.get(f"/api/v1/decisions/{decision_id}/events/").json()["results"]
    assert [(e["kind"], e["actor"]) for e in events] == [("logged", manager.pk), ("decided", manager.pk)]


# --- kpis ----------------------------------------------------------------------------------------


def test_kpi_target_and_objective_writes_record_the_admin(world, api):
    from kpis.models import KPI, StrategicObjective, Target

    admin = world.cast["admin"]
    client = api(admin)
    response = client.post("/api/v1/kpis/", {"code": "ADOPT", "name": "Adoption", "unit": "%", "direction": "higher",
                                             "aggregation": "average", "category": "adoption",
                                             "owners": [{"function": "SALES", "weight": 1}]}, format="json")
    assert response.status_code == 201, response.content
    kpi = KPI.objects.get(code="ADOPT")
    assert_audited(KPI, kpi.pk, admin, "+")
    assert client.patch("/api/v1/kpis/ADOPT/", {"name": "Adoption rate"}, format="json").status_code == 200
    assert changed(assert_audited(KPI, kpi.pk, admin))["name"] == ("Adoption", "Adoption rate")
    response = client.post("/api/v1/targets/", {"kpi": "ADOPT", "org_unit": "DE", "period": "2026-02",
                                                "value": "0.5"}, format="json")
    assert response.status_code == 201, response.content
    target_id = response.json()["id"]
    assert_audited(Target, target_id, admin, "+")
    assert client.patch(f"/api/v1/targets/{target_id}/", {"value": "0.55"}, format="json").status_code == 200
    assert_audited(Target, target_id, admin)
    assert client.delete(f"/api/v1/targets/{target_id}/").status_code == 204
    assert_audited(Target, target_id, admin, "-")
    response = client.post("/api/v1/objectives/", {"code": "GROW", "title": "Grow adoption", "kpis": ["ADOPT"]},
                           format="json")
    assert response.status_code == 201, response.content
    assert_audited(StrategicObjective, StrategicObjective.objects.get(code="GROW").pk, admin, "+")


def test_single_measurement_and_its_correction_record_who_and_before_after(world, api):
    from kpis.models import Measurement

    manager = world.cast["manager_de"]
    row = {"kpi": "KA", "org_unit": "DE", "period": "2026-02", "value": "10"}
    response = api(manager).post("/api/v1/measurements/", row, format="json")
    assert response.status_code == 201, response.content
    measurement_id = response.json()["id"]
    assert_audited(Measurement, measurement_id, manager, "+")
    response = api(world.cast["leader"]).post("/api/v1/measurements/", {**row, "value": "12"}, format="json")
    assert response.status_code == 201, response.content
    record = assert_audited(Measurement, measurement_id, world.cast["leader"])
    old, new = changed(record)["value"]
    assert (float(old), float(new)) == (10, 12)


def test_bulk_json_measurements_record_the_user_on_every_row(world, api):
    from kpis.models import Measurement

    partner_user = world.cast["partner"]
    rows = [{"kpi": "KA", "org_unit": "DE", "partnership": world.a["partnership"].pk, "period": f"2025-{m:02d}",
             "value": str(m)} for m in range(1, 7)]
    response = api(partner_user).post("/api/v1/measurements/", rows, format="json")
    assert response.status_code == 201, response.content
    created = Measurement.objects.filter(kpi__code="KA", period__year=2025)
    assert created.count() == 6
    for measurement in created:
        assert_audited(Measurement, measurement.pk, partner_user, "+")


def test_csv_import_records_the_user_on_every_row_including_corrections(world, api):
    from kpis.models import Measurement

    manager = world.cast["manager_de"]
    existing = world.a["measurement"]  # KA, DE, partnership A, 2026-01 = 90
    csv = ("kpi,org_unit,partnership,period,value,numerator,denominator\n"
           f"KA,DE,{world.a['partnership'].pk},2026-01,95,,\n"
           "KA,DE,,2025-11,7,,\n")
    upload = io.BytesIO(csv.encode())
    upload.name = "measurements.csv"
    response = api(manager).post("/api/v1/measurements/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 1, "updated": 1}
    old, new = changed(assert_audited(Measurement, existing.pk, manager))["value"]
    assert (float(old), float(new)) == (90, 95)
    added = Measurement.objects.get(kpi__code="KA", period__year=2025, period__month=11)
    assert_audited(Measurement, added.pk, manager, "+")
