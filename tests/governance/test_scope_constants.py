"""A leader's or manager's scope is written into the SQL as constants (``governance.querysets.
InConstants``), not bound as parameters: with prepared statements, one statement text shared by a
market manager and the global leader got one plan for both, made for an average unit's handful of
descendants (at 1M decisions the global leader's decision list, due first, 0.24 s -> 1.2 s)."""

import pytest
from django.db.models import F

from decisions.models import Decision
from governance.models import OrgUnitClosure
from governance.querysets import InArray, InConstants, visible_org_unit_ids

pytestmark = pytest.mark.django_db


def test_each_scope_is_its_own_statement_with_its_units_written_in(cast, org):
    leader, manager = cast["leader"], cast["manager_de"]
    statements = {}
    for user in (leader, manager):
        sql, params = visible_org_unit_ids(user).query.sql_with_params()
        assert params == ()  # nothing for a prepared statement's generic plan to guess
        statements[user.username] = sql
    assert f"IN ({org['EMEA'].pk})" in statements[leader.username]
    assert f"IN ({org['DE'].pk})" in statements[manager.username]
    assert statements[leader.username] != statements[manager.username]
    # The scoped read is what it was: the leader's decisions include the manager's units', not the reverse.
    de_units = set(OrgUnitClosure.objects.filter(ancestor=org["DE"]).values_list("descendant_id", flat=True))
    assert set(visible_org_unit_ids(manager).values_list("descendant_id", flat=True)) == de_units
    assert de_units < set(visible_org_unit_ids(leader).values_list("descendant_id", flat=True))
    assert "IN (" in str(Decision.objects.restrict(leader, "view").query)


def test_only_whole_numbers_are_written_into_the_statement():
    closure = OrgUnitClosure.objects.all()
    assert "IN (1, 2)" in str(closure.filter(InConstants(F("ancestor_id"), [2, 1, 2])).query)
    for wrong in (["1) OR (1=1"], [1.5], [True]):
        with pytest.raises(TypeError):
            str(closure.filter(InConstants(F("ancestor_id"), wrong)).query)


def test_a_page_of_ids_is_one_array_parameter_with_the_rows_of_in(org):
    """``InArray``: the rows ``__in`` gives, from one statement text whatever the page's length."""
    closure = OrgUnitClosure.objects.all()
    ids = sorted(closure.values_list("ancestor_id", flat=True).distinct())[:3]
    for some in (ids, ids[:1], []):
        by_array = closure.filter(InArray(F("ancestor_id"), some))
        assert sorted(by_array.values_list("pk", flat=True)) == sorted(
            closure.filter(ancestor_id__in=some).values_list("pk", flat=True))
    sql_three, params = closure.filter(InArray(F("ancestor_id"), ids)).query.sql_with_params()
    sql_one, _ = closure.filter(InArray(F("ancestor_id"), ids[:1])).query.sql_with_params()
    assert sql_three == sql_one and params == (ids,)
    for wrong in (["1) OR (1=1"], [1.5], [True]):
        with pytest.raises(TypeError):
            list(closure.filter(InArray(F("ancestor_id"), wrong)))
