"""Writes cannot create an object outside the writer's scope, nor move one out of it: the
answer is 400/403/404 and nothing is written (admin-only resources need no such check: an
admin's scope is everything)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

REFUSED = (400, 403, 404)


def _refused(response):
    assert response.status_code in REFUSED, (response.status_code, response.content[:300])


def _snapshot(obj, *fields):
    obj.refresh_from_db()
    return {f: (sorted(getattr(obj, f).values_list("pk", flat=True)) if hasattr(getattr(obj, f), "values_list")
                else getattr(obj, f"{f}_id", getattr(obj, f))) for f in fields}


@pytest.mark.parametrize("role", ["manager_de", "leader"])
def test_partners_and_partnerships_cannot_be_placed_or_moved_outside_scope(world, api, role):
    from partners.models import Partner, Partnership

    client, jp = api(world.cast[role]), "JP"
    partners, partnerships = Partner.objects.count(), Partnership.objects.count()
    _refused(client.post("/api/v1/partners/", {"name": "Tokyo Clinic", "kind": "hospital", "org_units": [jp]},
                         format="json"))
    _refused(client.post("/api/v1/partnerships/", {
        "partner": world.a["partner"].pk, "name": "Japan push", "type": "distribution", "org_units": [jp],
        "owner_function": "SALES", "status": "active", "start": "2026-01-01"}, format="json"))
    _refused(client.post("/api/v1/partnerships/", {  # half in scope is still outside it
        "partner": world.a["partner"].pk, "name": "DE+JP", "type": "distribution", "org_units": ["DE", jp],
        "owner_function": "SALES", "status": "active", "start": "2026-01-01"}, format="json"))
    assert (Partner.objects.count(), Partnership.objects.count()) == (partners, partnerships)

    partnership = world.a["partnership"]
    before = _snapshot(partnership, "org_units", "name")
    _refused(client.patch(f"/api/v1/partnerships/{partnership.pk}/", {"org_units": [jp], "name": "moved"},
                          format="json"))
    assert _snapshot(partnership, "org_units", "name") == before
    partner = world.a["partner"]
    partner.org_units.set([world.org["DE"]])
    before = _snapshot(partner, "org_units", "name")
    _refused(client.patch(f"/api/v1/partners/{partner.pk}/", {"org_units": [jp], "name": "moved"}, format="json"))
    assert _snapshot(partner, "org_units", "name") == before


@pytest.mark.parametrize("role", ["manager_de", "partner"])
def test_partnership_children_cannot_be_attached_to_another_partnership(world, api, role):
    from partners.models import BusinessReview, MaturityAssessment, ReviewAction

    client, b = api(world.cast[role]), world.b
    counts = (MaturityAssessment.objects.count(), BusinessReview.objects.count(), ReviewAction.objects.count())
    scores = {f: 3 for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing",
                             "joint_planning", "value_delivery"]}
    _refused(client.post("/api/v1/assessments/", {"partnership": b["partnership"].pk, **scores}, format="json"))
    _refused(client.post("/api/v1/reviews/", {"partnership": b["partnership"].pk, "date": "2026-02-01",
                                              "title": "x"}, format="json"))
    _refused(client.post("/api/v1/review-actions/", {"review": b["review"].pk, "title": "x",
                                                     "due_date": "2026-03-01"}, format="json"))
    assert (MaturityAssessment.objects.count(), BusinessReview.objects.count(),
            ReviewAction.objects.count()) == counts

    a = world.a
    moves = [("assessments", a["assessment"], "partnership", b["partnership"].pk),
             ("reviews", a["review"], "partnership", b["partnership"].pk),
             ("review-actions", a["review_action"], "review", b["review"].pk)]
    for resource, obj, field, target in moves:
        before = _snapshot(obj, field)
        response = client.patch(f"/api/v1/{resource}/{obj.pk}/", {field: target}, format="json")
        # Either refused, or the field is not writable on update and was ignored.
        assert response.status_code in (*REFUSED, 200), (resource, response.status_code)
        assert _snapshot(obj, field) == before, f"{resource} {obj.pk} moved to {field}={target}"


def test_measurements_cannot_be_recorded_outside_scope_single_bulk_or_csv(world, api):
    import io

    from kpis.models import Measurement

    count = Measurement.objects.count()
    manager, partner_user = api(world.cast["manager_de"]), api(world.cast["partner"])
    pa, pb = world.a["partnership"].pk, world.b["partnership"].pk
    _refused(manager.post("/api/v1/measurements/", {"kpi": "KA", "org_unit": "JP", "period": "2026-02",
                                                    "value": "1"}, format="json"))
    _refused(manager.post("/api/v1/measurements/", [
        {"kpi": "KA", "org_unit": "DE", "period": "2026-02", "value": "1"},  # fine on its own...
        {"kpi": "KA", "org_unit": "JP", "period": "2026-02", "value": "1"},  # ...but all or nothing
    ], format="json"))
    _refused(partner_user.post("/api/v1/measurements/", {"kpi": "KB", "org_unit": "JP", "partnership": pb,
                                                         "period": "2026-02", "value": "1"}, format="json"))
    _refused(partner_user.post("/api/v1/measurements/", {"kpi": "KA", "org_unit": "DE", "period": "2026-02",
                                                         "value": "1"}, format="json"))  # no partnership
    _refused(partner_user.post("/api/v1/measurements/", {"kpi": "KA", "org_unit": "JP", "partnership": pa,
                                                         "period": "2026-02", "value": "1"}, format="json"))
    upload = io.BytesIO(b"kpi,org_unit,partnership,period,value,numerator,denominator\n"
                        b"KA,DE,,2026-02,1,,\nKA,JP,,2026-02,1,,\n")
    upload.name = "m.csv"
    _refused(manager.post("/api/v1/measurements/import/", {"file": upload}, format="multipart"))
    assert Measurement.objects.count() == count


def test_decisions_cannot_be_logged_outside_scope(world, api):
    from decisions.models import Decision

    count = Decision.objects.count()
    manager = api(world.cast["manager_de"])
    _refused(manager.post("/api/v1/decisions/", {"title": "x", "decision_type": "DTA", "org_unit": "JP",
                                                 "priority": "normal"}, format="json"))
    _refused(manager.post("/api/v1/decisions/", {"title": "x", "decision_type": "DTA", "org_unit": "DE",
                                                 "partnership": world.b["partnership"].pk, "priority": "normal"},
                          format="json"))
    _refused(api(world.cast["partner"]).post("/api/v1/decisions/", {
        "title": "x", "decision_type": "DTA", "org_unit": "DE", "partnership": world.a["partnership"].pk,
        "priority": "normal"}, format="json"))
    assert Decision.objects.count() == count


def test_sharing_cannot_reach_a_partnership_outside_scope(world, api):
    from partners.models import PartnershipUserObjectPermission

    response = api(world.cast["manager_de"]).post(f"/api/v1/partnerships/{world.b['partnership'].pk}/share/",
                                                  {"user": world.cast["manager_de"].pk}, format="json")
    assert response.status_code == 404
    response = api(world.cast["manager_de"]).post(f"/api/v1/partnerships/{world.a['partnership'].pk}/share/",
                                                  {"user": world.cast["partner"].pk}, format="json")
    assert response.status_code == 400  # partner users join as members, never through a share
    assert not PartnershipUserObjectPermission.objects.exists()


def test_the_api_rechecks_the_saved_object_against_scope_even_if_a_service_forgets(world, api, monkeypatch):
    """The safety net in ScopedViewSetMixin: with the serializer's and the service's own scope
    checks switched off, a write that would land outside the writer's scope still answers 403 and
    writes nothing."""
    from partners.api.serializers import CodeField
    from partners.models import Partner, Partnership
    from partners.services import partnerships

    monkeypatch.setattr(CodeField, "get_queryset", lambda self: self.model._default_manager.all())
    monkeypatch.setattr(partnerships, "require_units_in_scope", lambda *args, **kwargs: None)
    monkeypatch.setattr(partnerships, "require", lambda *args, **kwargs: None)
    client = api(world.cast["manager_de"])
    count = Partner.objects.count()
    response = client.post("/api/v1/partners/", {"name": "Osaka Clinic", "kind": "hospital", "org_units": ["JP"]},
                           format="json")
    assert response.status_code == 403 and Partner.objects.count() == count
    partnership = world.a["partnership"]
    response = client.patch(f"/api/v1/partnerships/{partnership.pk}/", {"org_units": ["JP"]}, format="json")
    assert response.status_code == 403
    assert list(Partnership.objects.get(pk=partnership.pk).org_units.values_list("code", flat=True)) == ["DE"]
