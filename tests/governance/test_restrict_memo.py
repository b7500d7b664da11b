"""restrict() on a model's whole queryset is built once per user object and handed out as fresh
clones (governance.querysets.ScopedQuerySet._restricted_memo): what a caller sees must be exactly
what a fresh build would give — after a role change, an assignment change, with filters before
restrict(), and when one clone is evaluated or filtered further."""

import pytest

from governance import services
from governance.models import OrgUnit
from partners.models import Partnership

pytestmark = pytest.mark.django_db


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_reused_scope_is_a_fresh_queryset_each_time(cast, org):
    manager = cast["manager_de"]
    first = OrgUnit.objects.restrict(manager, "view")
    assert codes(first) == {"DE"}
    second = OrgUnit.objects.restrict(manager, "view")
    assert second is not first and second.query is not first.query
    assert list(second.filter(code="AT")) == [] and codes(second) == {"DE"}  # the filter stayed on its clone
    assert second.restriction == ("view", manager.pk)
    # a queryset filtered before restrict() is not the whole queryset: its filter is kept
    assert codes(OrgUnit.objects.filter(code="DE").restrict(manager, "view")) == {"DE"}
    assert codes(OrgUnit.objects.filter(code="AT").restrict(manager, "view")) == set()


def test_a_reordered_deferred_or_locking_queryset_is_not_reused_for_plain_callers(cast, org):
    """Found in review: order_by(), only() and select_for_update() before restrict() must neither be
    memoised for later plain callers nor get the memoised plain scope."""
    from django.db import transaction

    leader = cast["leader"]
    assert not OrgUnit.objects.order_by().restrict(leader, "view").query.default_ordering
    assert OrgUnit.objects.restrict(leader, "view").ordered  # Meta.ordering kept
    OrgUnit.objects.only("pk").restrict(leader, "view")
    assert OrgUnit.objects.restrict(leader, "view").query.deferred_loading == (frozenset(), True)
    with transaction.atomic():
        assert OrgUnit.objects.select_for_update().restrict(leader, "view").query.select_for_update
    assert not OrgUnit.objects.restrict(leader, "view").query.select_for_update
    assert codes(OrgUnit.objects.only("code").restrict(leader, "view")) == {"EMEA", "DACH", "DE", "AT"}


def test_assignment_and_role_changes_on_the_same_object_change_its_scope(cast, org, functions):
    manager = cast["manager_de"]
    assert codes(OrgUnit.objects.restrict(manager, "view")) == {"DE"}
    services.assignments_replace(user=manager, assignments=[(functions["SALES"], org["DE"], ""),
                                                            (functions["SALES"], org["JAPAN"], "")])
    assert codes(OrgUnit.objects.restrict(manager, "view")) == {"DE", "JAPAN", "JP"}
    manager.role = "partner"
    assert codes(OrgUnit.objects.restrict(manager, "view")) == set()  # a partner user with no partnership
    manager.is_active = False
    assert codes(OrgUnit.objects.restrict(manager, "view")) == set()


def test_models_sharing_a_queryset_class_do_not_share_a_scope(cast, partner_a):
    from decisions.models import Chase, Escalation

    leader = cast["leader"]
    assert type(Escalation.objects.all()) is type(Chase.objects.all())
    assert Escalation.objects.restrict(leader, "view").model is Escalation
    assert Chase.objects.restrict(leader, "view").model is Chase
    assert set(Partnership.objects.restrict(leader, "view").values_list("name", flat=True)) == {"Partnership A"}
    assert codes(OrgUnit.objects.restrict(leader, "view")) == {"EMEA", "DACH", "DE", "AT"}
    assert set(Partnership.objects.restrict(leader, "view").values_list("name", flat=True)) == {"Partnership A"}


def test_membership_changes_on_the_same_object_change_a_partners_scope(cast, partner_a, partner_b):
    """A partner user's partnerships are read once per user object (member_partnership_ids); adding
    or removing them through the relation, by whichever object, is seen at once."""
    from django.contrib.auth import get_user_model

    partner = cast["partner"]
    names = lambda: set(Partnership.objects.restrict(partner, "view").values_list("name", flat=True))  # noqa: E731
    assert names() == {"Partnership A"}
    assert codes(OrgUnit.objects.restrict(partner, "view")) == {"DE"}
    partner_b.members.add(get_user_model().objects.get(pk=partner.pk))  # another object of the same user
    assert names() == {"Partnership A", "Partnership B"}
    assert codes(OrgUnit.objects.restrict(partner, "view")) == {"DE", "JP"}
    partner_a.members.remove(partner)
    assert names() == {"Partnership B"}
    partner_b.members.clear()
    assert names() == set() and codes(OrgUnit.objects.restrict(partner, "view")) == set()
    assert "SELECT" in str(Partnership.objects.restrict(partner, "view").query)  # still SQL, not EmptyResultSet


def test_a_partners_scope_filters_by_partnership_ids_not_a_membership_join(cast, partner_a):
    """Scoped querysets carry the partner's partnerships as constants: the membership table is read
    once per request (one query), not joined into every scoped query of the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from decisions.models import Decision

    partner = cast["partner"]
    with CaptureQueriesContext(connection) as ctx:
        list(Decision.objects.restrict(partner, "view"))
        list(Partnership.objects.restrict(partner, "view"))
        list(OrgUnit.objects.restrict(partner, "view"))
    membership = [q["sql"] for q in ctx.captured_queries if "partners_partnership_members" in q["sql"]]
    assert len(membership) == 1 and len(ctx.captured_queries) == 4
