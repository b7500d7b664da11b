"""Per-object sharing through django-guardian: one partnership, one internal user outside its scope."""

import pytest
from django.contrib.auth.models import Group, Permission
from guardian.shortcuts import assign_perm

from partners import services
from partners.models import Partnership, PartnershipUserObjectPermission

pytestmark = pytest.mark.django_db


def test_shared_partnership_is_visible_to_the_outsider_and_nothing_else(client, api, cast, partner_a, partner_b,
                                                                         review_a):
    jp = cast["manager_jp"]
    assert list(Partnership.objects.restrict(jp, "view")) == [partner_b]
    services.partnership_share(actor=cast["manager_de"], partnership=partner_a, user=jp)

    assert set(Partnership.objects.restrict(jp, "view")) == {partner_a, partner_b}
    client.force_login(jp)
    assert client.get(f"/partners/partnerships/{partner_a.pk}/").status_code == 200
    assert client.get(f"/partners/reviews/{review_a.pk}/").status_code == 200
    rest = api(jp)
    assert sorted(p["id"] for p in rest.get("/api/v1/partnerships/").json()["results"]) == sorted(
        [partner_a.pk, partner_b.pk])
    # Read-only: the share grants no write.
    assert rest.patch(f"/api/v1/partnerships/{partner_a.pk}/", {"name": "Hijacked"}, format="json").status_code == 403
    assert client.get(f"/partners/partnerships/{partner_a.pk}/reviews/new/").status_code == 403
    partner_a.refresh_from_db()
    assert partner_a.name == "Partnership A"

    services.partnership_unshare(actor=cast["admin"], partnership=partner_a, user=jp)
    assert list(Partnership.objects.restrict(jp, "view")) == [partner_b]
    assert client.get(f"/partners/partnerships/{partner_a.pk}/").status_code == 404


def test_sharing_uses_the_direct_fk_table(cast, partner_a):
    services.partnership_share(actor=cast["admin"], partnership=partner_a, user=cast["manager_jp"])
    row = PartnershipUserObjectPermission.objects.get()
    assert row.content_object == partner_a and row.user == cast["manager_jp"]
    assert cast["manager_jp"].has_perm("partners.view_partnership", partner_a)


def test_group_share_counts_too(cast, partner_a):
    group = Group.objects.create(name="Global finance")
    cast["manager_jp"].groups.add(group)
    assign_perm("view_partnership", group, partner_a)
    assert partner_a in Partnership.objects.restrict(cast["manager_jp"], "view")


def test_guardian_grant_never_widens_a_partner_users_scope(client, cast, partner_a, partner_b):
    assign_perm("view_partnership", cast["partner"], partner_b)  # even if someone grants it directly
    assert list(Partnership.objects.restrict(cast["partner"], "view")) == [partner_a]
    client.force_login(cast["partner"])
    assert client.get(f"/partners/partnerships/{partner_b.pk}/").status_code == 404


def test_partner_users_cannot_be_shared_with(cast, partner_b):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.partnership_share(actor=cast["admin"], partnership=partner_b, user=cast["partner"])


def test_global_permission_grants_nothing(cast, partner_a):
    jp = cast["manager_jp"]
    jp.user_permissions.add(Permission.objects.get(codename="view_partnership"))
    assert partner_a not in Partnership.objects.restrict(jp, "view")


def test_only_editors_of_a_partnership_may_share_it(client, cast, partner_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.partnership_share(actor=cast["manager_jp"], partnership=partner_a, user=cast["manager_jp"])
    client.force_login(cast["manager_de"])
    response = client.post(f"/partners/partnerships/{partner_a.pk}/share/", {"username": "yuki.jp"})
    assert response.status_code == 302
    assert partner_a in Partnership.objects.restrict(cast["manager_jp"], "view")


def test_share_api(api, cast, partner_a):
    rest = api(cast["manager_de"])
    assert rest.post(f"/api/v1/partnerships/{partner_a.pk}/share/", {"user": cast["manager_jp"].pk},
                     format="json").status_code == 204
    assert partner_a in Partnership.objects.restrict(cast["manager_jp"], "view")
    assert api(cast["manager_jp"]).post(f"/api/v1/partnerships/{partner_a.pk}/unshare/",
                                        {"user": cast["manager_jp"].pk}, format="json").status_code == 403
    assert rest.post(f"/api/v1/partnerships/{partner_a.pk}/unshare/", {"user": cast["manager_jp"].pk},
                     format="json").status_code == 204
    assert partner_a not in Partnership.objects.restrict(cast["manager_jp"], "view")


def test_a_share_does_not_let_the_outsider_edit_the_partner(api, cast, partner_a):
    services.partnership_share(actor=cast["admin"], partnership=partner_a, user=cast["manager_jp"])
    rest = api(cast["manager_jp"])
    assert rest.get(f"/api/v1/partners/{partner_a.partner_id}/").status_code == 200
    assert rest.patch(f"/api/v1/partners/{partner_a.partner_id}/", {"name": "Renamed"},
                      format="json").status_code == 403
    partner_a.partner.refresh_from_db()
    assert partner_a.partner.name == "MedDistrib GmbH"


def test_action_owners_must_see_the_partnership_and_may_close_their_own(api, cast, partner_a, review_a):
    rest = api(cast["manager_de"])
    payload = {"review": review_a.pk, "title": "Japan input", "owner": cast["manager_jp"].pk, "due_date": "2026-05-01"}
    response = rest.post("/api/v1/review-actions/", payload, format="json")
    assert response.status_code == 400 and "share it with them first" in response.json()["owner"][0]
    services.partnership_share(actor=cast["manager_de"], partnership=partner_a, user=cast["manager_jp"])
    created = rest.post("/api/v1/review-actions/", payload, format="json")
    assert created.status_code == 201
    jp = api(cast["manager_jp"])
    pk = created.json()["id"]
    assert jp.patch(f"/api/v1/review-actions/{pk}/", {"due_date": "2027-01-01"}, format="json").status_code == 403
    assert jp.patch(f"/api/v1/review-actions/{pk}/", {"status": "done"}, format="json").status_code == 200
