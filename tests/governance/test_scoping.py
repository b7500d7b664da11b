"""Who sees what: assignments define scope; everything else answers 404."""

import pytest

from governance.models import Assignment, OrgUnit, User

pytestmark = pytest.mark.django_db


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_leader_assigned_to_emea_sees_emea_subtree_not_apac(cast):
    assert codes(OrgUnit.objects.restrict(cast["leader"], "view")) == ["AT", "DACH", "DE", "EMEA"]


def test_manager_germany_sees_only_germany(cast):
    assert codes(OrgUnit.objects.restrict(cast["manager_de"], "view")) == ["DE"]


def test_admin_sees_everything(cast):
    assert OrgUnit.objects.restrict(cast["admin"], "view").count() == OrgUnit.objects.count() == 8


def test_partner_user_sees_only_their_partnerships_org_units(cast):
    assert codes(OrgUnit.objects.restrict(cast["partner"], "view")) == ["DE"]


def test_anonymous_and_inactive_users_see_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    assert not OrgUnit.objects.restrict(AnonymousUser(), "view").exists()
    cast["leader"].is_active = False
    assert not OrgUnit.objects.restrict(cast["leader"], "view").exists()


def test_assignments_are_scoped(cast):
    visible = Assignment.objects.restrict(cast["leader"], "view")
    assert sorted(a.user.username for a in visible) == ["lena.leader", "max.de"]


def test_users_are_scoped(cast):
    assert sorted(User.objects.restrict(cast["manager_jp"], "view").values_list("username", flat=True)) == ["yuki.jp"]
    assert list(User.objects.restrict(cast["partner"], "view").values_list("username", flat=True)) == ["pat.partner"]
    assert "max.de" in User.objects.restrict(cast["leader"], "view").values_list("username", flat=True)


def test_multiple_assignments_union_their_subtrees(cast, org, functions):
    Assignment.objects.create(user=cast["manager_de"], function=functions["SALES"], org_unit=org["JAPAN"])
    assert codes(OrgUnit.objects.restrict(cast["manager_de"], "view")) == ["DE", "JAPAN", "JP"]


def test_scope_is_read_once_per_user_object_and_follows_assignment_writes(cast, org, functions,
                                                                          django_assert_num_queries):
    user = cast["manager_de"]
    assert codes(OrgUnit.objects.restrict(user, "view")) == ["DE"]
    with django_assert_num_queries(1):  # the assignment units are cached on the object
        assert codes(OrgUnit.objects.restrict(user, "view")) == ["DE"]
    # written through another object of the same user: the cached units are dropped all the same
    extra = Assignment.objects.create(user=User.objects.get(pk=user.pk), function=functions["SALES"],
                                      org_unit=org["JAPAN"])
    assert codes(OrgUnit.objects.restrict(user, "view")) == ["DE", "JAPAN", "JP"]
    Assignment.objects.filter(pk=extra.pk).delete()
    assert codes(OrgUnit.objects.restrict(user, "view")) == ["DE"]
    user.assignments.all().delete()
    assert codes(OrgUnit.objects.restrict(user, "view")) == []


def test_the_scope_inputs_statement_is_the_orms_compiled_once(cast, org, functions):
    """``assignment_unit_ids`` runs the ORM's statement, compiled on first use (not per request),
    and gives each unit once however many functions the user holds there."""
    from governance.querysets import _assignment_units_sql, assignment_unit_ids

    user = User.objects.get(pk=cast["manager_de"].pk)
    Assignment.objects.create(user=user, function=functions["MKT"], org_unit=org["DE"])
    Assignment.objects.create(user=user, function=functions["SALES"], org_unit=org["JAPAN"])
    orm = Assignment.objects.filter(user_id=user.pk).order_by().values_list("org_unit_id", flat=True)
    sql, params = orm.query.sql_with_params()
    assert _assignment_units_sql() == sql and params == (user.pk,)
    assert assignment_unit_ids(User.objects.get(pk=user.pk)) == sorted(set(orm)) == sorted([org["DE"].pk,
                                                                                         org["JAPAN"].pk])


def test_a_compiled_statement_refuses_parameters_it_was_not_told_of(cast):
    """``compiled_statement`` returns the ORM's SQL for the parameters named, and refuses a
    statement with others (its callers would bind the wrong values)."""
    from django.core.exceptions import ImproperlyConfigured

    from governance.querysets import compiled_statement

    units = Assignment.objects.filter(user_id=0).order_by().values_list("org_unit_id", flat=True)
    assert compiled_statement(units, (0,)) == units.query.sql_with_params()[0]
    with pytest.raises(ImproperlyConfigured):
        compiled_statement(units.filter(org_unit_id=5), (0,))
