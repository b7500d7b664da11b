"""The Manage area, organisation and partners: an admin creates, edits, moves and archives org
units, functions, partners and partnerships in the product; bad input is a 4xx with field errors
and changes nothing; who may see and do what follows the access model."""

from __future__ import annotations

from datetime import date

import pytest

from governance.models import Function, OrgUnit, OrgUnitClosure
from partners.models import Partner, Partnership
from tests.manage.conftest import signed_in

pytestmark = pytest.mark.django_db


def _history_count(obj) -> int:
    return obj.history.count()


# --- org units -----------------------------------------------------------------------------------


def test_admin_creates_an_org_unit_in_the_tree_with_its_closure_and_history(admin, org):
    r = admin.post("/manage/org-units/new/", {"code": "CH", "name": "Switzerland", "level": "market",
                                               "parent": "DACH", "timezone": "Europe/Zurich"})
    assert r.status_code == 302, r.content.decode()[:2000]
    ch = OrgUnit.objects.get(code="CH")
    assert ch.parent == org["DACH"]
    assert set(OrgUnitClosure.objects.filter(descendant=ch).values_list("ancestor__code", flat=True)) == {
        "CH", "DACH", "EMEA", "GLOBAL"}
    assert ch.history.first().history_user.username == "ada.admin"
    page = admin.get("/manage/org-units/")
    assert "Switzerland" in page.content.decode()


def test_moving_a_unit_relinks_its_subtree_and_a_cycle_is_refused(admin, org):
    r = admin.post("/manage/org-units/DACH/", {"name": "DACH", "level": "cluster", "parent": "APAC",
                                                "timezone": "Europe/Berlin"})
    assert r.status_code == 302
    assert OrgUnit.objects.filter(ancestor_links__ancestor=org["APAC"], code="DE").exists()
    assert not OrgUnit.objects.filter(ancestor_links__ancestor=org["EMEA"], code="DE").exists()
    # Under its own child: refused, field error, nothing changed.
    r = admin.post("/manage/org-units/EMEA/", {"name": "EMEA", "level": "region", "parent": "DACH",
                                                "timezone": "Europe/London"})
    assert r.status_code == 400
    org["EMEA"].refresh_from_db()
    assert org["EMEA"].parent == org["GLOBAL"]
    assert "parent" in r.context["form"].errors


def test_a_cycle_through_a_deeper_descendant_is_refused(admin, org):
    r = admin.post("/manage/org-units/EMEA/", {"name": "EMEA", "level": "region", "parent": "DE",
                                                "timezone": "Europe/London"})
    assert r.status_code == 400
    assert "parent" in r.context["form"].errors
    org["EMEA"].refresh_from_db()
    assert org["EMEA"].parent == org["GLOBAL"]


@pytest.mark.parametrize("data, field", [
    ({"code": "", "name": "X", "level": "market", "parent": "DACH", "timezone": "UTC"}, "code"),
    ({"code": "lower", "name": "X", "level": "market", "parent": "DACH", "timezone": "UTC"}, "code"),
    ({"code": "DE", "name": "X", "level": "market", "parent": "DACH", "timezone": "UTC"}, "code"),
    ({"code": "XX", "name": "", "level": "market", "parent": "DACH", "timezone": "UTC"}, "name"),
    ({"code": "XX", "name": "X", "level": "planet", "parent": "DACH", "timezone": "UTC"}, "level"),
    ({"code": "XX", "name": "X", "level": "market", "parent": "EMEA", "timezone": "UTC"}, "parent"),
    ({"code": "XX", "name": "X", "level": "market", "parent": "NOPE", "timezone": "UTC"}, "parent"),
    ({"code": "XX", "name": "X", "level": "market", "parent": "DACH", "timezone": "Mars/Olympus"}, "timezone"),
    ({"code": "XX", "name": "X" * 500, "level": "market", "parent": "DACH", "timezone": "UTC"}, "name"),
])
def test_bad_org_unit_input_is_a_400_with_the_field_error_and_nothing_saved(admin, org, data, field):
    before = OrgUnit.objects.count()
    r = admin.post("/manage/org-units/new/", data)
    assert r.status_code == 400
    assert field in r.context["form"].errors, r.context["form"].errors
    assert OrgUnit.objects.count() == before
    assert "is-invalid" in r.content.decode()


def test_archiving_keeps_the_unit_hides_it_from_pickers_and_refuses_new_children(admin, org):
    r = admin.post("/manage/org-units/DACH/archive/")
    assert r.status_code == 409  # children still active
    assert "child units" in r.content.decode()
    for code in ("DE", "AT"):
        assert admin.post(f"/manage/org-units/{code}/archive/").status_code == 302
    assert admin.post("/manage/org-units/DACH/archive/").status_code == 302
    dach = OrgUnit.objects.get(code="DACH")
    assert dach.archived_at is not None and dach.history.first().archived_at is not None
    form = admin.get("/manage/org-units/new/").context["form"]
    assert "DACH" not in {u.code for u in form.fields["parent"].queryset}
    r = admin.post("/manage/org-units/new/", {"code": "CH", "name": "Switzerland", "level": "market",
                                               "parent": "DACH", "timezone": "UTC"})
    assert r.status_code == 400 and "parent" in r.context["form"].errors
    assert not OrgUnit.objects.filter(code="CH").exists()
    # The list hides it unless asked; restoring needs the parent restored first.
    assert "DACH" not in admin.get("/manage/org-units/").content.decode()
    assert "DACH" in admin.get("/manage/org-units/?show=archived").content.decode()
    assert admin.post("/manage/org-units/DE/restore/").status_code == 409
    assert admin.post("/manage/org-units/DACH/restore/").status_code == 302
    assert OrgUnit.objects.get(code="DACH").archived_at is None


# --- functions -----------------------------------------------------------------------------------


def test_admin_creates_renames_and_archives_a_function(admin, functions):
    assert admin.post("/manage/functions/new/", {"code": "MEDICAL", "name": "Medical"}).status_code == 302
    r = admin.post("/manage/functions/MEDICAL/", {"name": "Medical Affairs"})
    assert r.status_code == 302
    medical = Function.objects.get(code="MEDICAL")
    assert medical.name == "Medical Affairs" and _history_count(medical) == 2
    assert admin.post("/manage/functions/new/", {"code": "SALES", "name": "Dup"}).status_code == 400
    assert admin.post("/manage/functions/MEDICAL/archive/").status_code == 302
    assert Function.objects.get(code="MEDICAL").archived_at is not None


# --- partners and partnerships -------------------------------------------------------------------


def _partnership_data(partner_obj, **over):
    data = {"partner": partner_obj.pk, "name": "Vienna Homecare", "type": "distribution", "status": "active",
            "start": "2026-01-01", "end": "", "review_cadence": "quarterly", "org_units": ["AT", "DE"],
            "owner_function": "SALES", "functions": ["ACCESS", "MKT"], "owner": ""}
    data.update(over)
    return data


def test_admin_creates_a_partner_and_a_partnership_with_units_functions_and_members(admin, cast, partner_a):
    r = admin.post("/manage/partners/new/", {"name": "Alpenmed AG", "kind": "distributor", "status": "active",
                                              "org_units": ["AT"]})
    assert r.status_code == 302
    partner = Partner.objects.get(name="Alpenmed AG")
    r = admin.post("/manage/partnerships/new/", _partnership_data(partner, members=[cast["partner"].pk]))
    assert r.status_code == 302, r.context["form"].errors
    p = Partnership.objects.get(name="Vienna Homecare")
    assert {u.code for u in p.org_units.all()} == {"AT", "DE"}
    assert {f.code for f in p.functions.all()} == {"ACCESS", "MKT"}
    assert list(p.members.all()) == [cast["partner"]]
    assert p.next_review_due == date(2026, 4, 1)
    assert p.history.first().history_user == cast["admin"]
    # Editing with no function ticked clears them; members stay when the form sends them again.
    r = admin.post(f"/manage/partnerships/{p.pk}/", _partnership_data(partner, functions=[],
                                                                    members=[cast["partner"].pk]))
    assert r.status_code == 302
    assert not p.functions.exists() and p.members.count() == 1


@pytest.mark.parametrize("over, field", [
    ({"name": ""}, "name"),
    ({"start": "not-a-date"}, "start"),
    ({"start": "2026-02-30"}, "start"),
    ({"end": "2025-01-01"}, "end"),
    ({"org_units": []}, "org_units"),
    ({"org_units": ["NOPE"]}, "org_units"),
    ({"owner_function": "NOPE"}, "owner_function"),
    ({"type": "marriage"}, "type"),
    ({"partner": "abc"}, "partner"),
    ({"partner": "987654"}, "partner"),
])
def test_bad_partnership_input_is_a_400_with_the_field_error_and_nothing_saved(admin, cast, partner_a, over, field):
    before = Partnership.objects.count()
    r = admin.post("/manage/partnerships/new/", _partnership_data(partner_a.partner, **over))
    assert r.status_code == 400
    assert field in r.context["form"].errors, r.context["form"].errors
    assert Partnership.objects.count() == before


def test_a_members_that_is_not_a_partner_user_is_refused(admin, cast, partner_a):
    r = admin.post(f"/manage/partnerships/{partner_a.pk}/", _partnership_data(
        partner_a.partner, name="Partnership A", org_units=["DE"], members=[cast["manager_de"].pk]))
    assert r.status_code == 400 and "members" in r.context["form"].errors
    assert list(partner_a.members.all()) == [cast["partner"]]


def test_archiving_a_partnership_keeps_it_and_its_partner_waits_for_it(admin, partner_a):
    partner = partner_a.partner
    assert admin.post(f"/manage/partners/{partner.pk}/archive/").status_code == 409
    assert admin.post(f"/manage/partnerships/{partner_a.pk}/archive/").status_code == 302
    assert admin.post(f"/manage/partners/{partner.pk}/archive/").status_code == 302
    partner_a.refresh_from_db()
    assert partner_a.archived_at is not None and Partnership.objects.filter(pk=partner_a.pk).exists()
    # An archived partner is not offered, and a new partnership with it is refused.
    form = admin.get("/manage/partnerships/new/").context["form"]
    assert partner not in form.fields["partner"].queryset
    r = admin.post("/manage/partnerships/new/", _partnership_data(partner))
    assert r.status_code == 400 and "partner" in r.context["form"].errors


# --- who may see and do what ---------------------------------------------------------------------


def test_a_manager_of_one_unit_cannot_edit_a_two_unit_partnership(cast, org, partner_a):
    partner_a.org_units.add(org["JP"])
    manager = signed_in(cast["manager_de"])
    assert manager.get(f"/manage/partnerships/{partner_a.pk}/").status_code == 403
    r = manager.post(f"/manage/partnerships/{partner_a.pk}/", _partnership_data(
        partner_a.partner, name="Hijacked", org_units=["DE"]))
    assert r.status_code == 403
    partner_a.refresh_from_db()
    assert partner_a.name == "Partnership A"
    assert manager.post(f"/manage/partnerships/{partner_a.pk}/archive/").status_code == 403
    # Listed (they can see it) but not editable.
    page = manager.get("/manage/partnerships/").content.decode()
    assert "Partnership A" in page and "view only" in page


def test_a_manager_edits_a_partnership_inside_their_scope_but_may_not_add_units_outside(cast, partner_a):
    manager = signed_in(cast["manager_de"])
    form = manager.get(f"/manage/partnerships/{partner_a.pk}/").context["form"]
    assert "members" not in form.fields  # admins decide who from the partner signs in
    assert {u.code for u in form.fields["org_units"].queryset} == {"DE"}
    r = manager.post(f"/manage/partnerships/{partner_a.pk}/", _partnership_data(
        partner_a.partner, name="Partnership A (renewed)", org_units=["DE"]))
    assert r.status_code == 302
    r = manager.post(f"/manage/partnerships/{partner_a.pk}/", _partnership_data(
        partner_a.partner, name="Partnership A", org_units=["DE", "JP"]))
    assert r.status_code == 400 and "org_units" in r.context["form"].errors
    partner_a.refresh_from_db()
    assert partner_a.name == "Partnership A (renewed)" and partner_a.org_units.count() == 1
    assert list(partner_a.members.all()) == [cast["partner"]]  # untouched by a manager's edit


def test_partner_users_get_404_everywhere_and_managers_404_on_admin_sections(cast, partner_a, org):
    partner = signed_in(cast["partner"])
    for url in ("/manage/", "/manage/partnerships/", f"/manage/partnerships/{partner_a.pk}/",
                "/manage/partnerships/new/", "/manage/org-units/", "/manage/org-units/DE/"):
        assert partner.get(url).status_code == 404, url
    assert partner.post(f"/manage/partnerships/{partner_a.pk}/archive/").status_code == 404
    manager = signed_in(cast["manager_jp"])
    for url in ("/manage/org-units/", "/manage/org-units/JP/", "/manage/functions/", "/manage/functions/SALES/"):
        assert manager.get(url).status_code == 404, url
    assert manager.get(f"/manage/partnerships/{partner_a.pk}/").status_code == 404  # out of scope
    assert "Partnership A" not in manager.get("/manage/partnerships/").content.decode()


def test_only_admins_see_the_manage_entry_and_only_superusers_the_django_admin(cast, admin):
    assert 'href="/manage/"' in admin.get("/manage/").content.decode()
    assert 'href="/admin/"' not in admin.get("/manage/").content.decode()
    assert admin.get("/admin/").status_code == 302  # a business admin is not a superuser
    assert 'href="/manage/"' not in signed_in(cast["leader"]).get("/org/").content.decode()
    root = type(cast["admin"]).objects.create_superuser("root", "root@example.com", "pw-root")
    assert signed_in(root).get("/admin/").status_code == 200


def test_the_list_pages_query_count_does_not_grow_with_rows(admin, cast, partner_a, partner_b,
                                                            django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert admin.get("/manage/partnerships/").status_code == 200
    for i in range(5):
        Partnership.objects.create(partner=partner_a.partner, name=f"Extra {i}", type="distribution",
                                   owner_function=partner_a.owner_function, start=date(2026, 1, 1))
    with django_assert_max_num_queries(12):
        assert admin.get("/manage/partnerships/").status_code == 200
