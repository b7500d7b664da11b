"""``governance.prepared``: reads compiled once per process and run again with other keys."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef

from governance.models import Assignment, OrgUnit
from governance.prepared import PreparedRows, attach_children

pytestmark = pytest.mark.django_db


def _units_with_parent(pk):
    return (OrgUnit.objects.filter(parent_id=pk).select_related("parent")
            .annotate(staffed=Exists(Assignment.objects.filter(org_unit=OuterRef("pk")))).order_by("code"))


def test_prepared_rows_are_the_orms_rows_for_every_key(org, cast, django_assert_num_queries):
    """Compiled once, run with each key: the same instances the ORM builds (fields, the
    ``select_related`` row, annotations — Django binds the ``EXISTS`` subquery's constant as a
    parameter, which stays), one query per run and no query for the related row."""
    built = []
    prepared = PreparedRows(lambda pk: built.append(pk) or _units_with_parent(pk))
    for parent in OrgUnit.objects.all():
        orm = list(_units_with_parent(parent.pk))
        with django_assert_num_queries(1):
            rows = prepared.fetch(parent.pk)
            assert [(u.pk, u.code, u.parent.code, u.staffed) for u in rows] == [
                (u.pk, u.code, u.parent.code, u.staffed) for u in orm]
    assert len(built) == 1  # compiled once
    children = prepared.fetch(org["DACH"].pk)
    assert [u.code for u in children] == ["AT", "DE"]
    assert [u.staffed for u in children] == [False, True]  # manager.de holds an assignment in DE
    assert prepared.fetch(2**40) == []


def test_prepared_rows_take_whole_number_keys_only(org):
    """A key is bound as a parameter, never written into the statement, and must be an ``int``:
    text (an injection attempt, a digit string) and the wrong number of keys are refused."""
    prepared = PreparedRows(lambda pk: OrgUnit.objects.filter(pk=pk))
    for bad in (("1 OR 1=1",), ("1",), (1.0,), (None,), (1, 2), ()):
        with pytest.raises(TypeError):
            prepared.fetch(*bad)
    assert [u.code for u in prepared.fetch(org["DE"].pk)] == ["DE"]


def test_a_key_the_statement_does_not_bind_is_refused(org):
    """``build`` must use each key: a statement that ignores one would run the same for every
    value (a read of everything), so it is refused when first compiled."""
    with pytest.raises(ImproperlyConfigured):
        PreparedRows(lambda pk: OrgUnit.objects.filter(code="DE")).fetch(org["DE"].pk)
    with pytest.raises(ImproperlyConfigured):
        PreparedRows(lambda pk, other: OrgUnit.objects.filter(pk=pk), keys=2).fetch(1, 2)
    with pytest.raises(ImproperlyConfigured):
        PreparedRows(lambda pk: OrgUnit.objects.filter(pk=pk).prefetch_related("children")).fetch(1)


def test_attached_children_answer_like_a_prefetch(org, cast, django_assert_num_queries):
    """``attach_children``: ``parent.<name>.all()`` answers without a query, each child's key to
    the parent is the parent object, and a later ``filter()`` reads the table again."""
    dach = OrgUnit.objects.get(pk=org["DACH"].pk)
    children = list(OrgUnit.objects.filter(parent=dach))
    with django_assert_num_queries(0):
        attach_children(dach, "children", children)
        assert list(dach.children.all()) == children and dach.children.count() == len(children)
        assert all(child.parent is dach for child in dach.children.all())
    with django_assert_num_queries(1):
        assert list(dach.children.filter(code="DE")) == [org["DE"]]


def test_a_prepared_read_keeps_no_connection_of_the_thread_that_compiled_it(org):
    """The statement is compiled once, by whichever thread reads first; each run binds its own
    thread's connection, and the compiled statement keeps none (a thread's connection would
    otherwise stay open after the thread ended)."""
    import threading

    from django.db import connections

    prepared = PreparedRows(lambda pk: OrgUnit.objects.filter(pk=pk))
    seen = []
    thread = threading.Thread(target=lambda: (seen.append(prepared.fetch(org["DE"].pk)), connections.close_all()))
    thread.start()
    thread.join()
    assert seen == [[]]  # compiled and run there (the test's rows are not committed for its connection)
    assert prepared._compiled is not None and prepared._compiled[1].connection is None
    assert [u.code for u in prepared.fetch(org["AT"].pk)] == ["AT"]
