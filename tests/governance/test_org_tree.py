import pytest
from django.core.exceptions import ValidationError

from governance import services
from governance.models import OrgUnit, OrgUnitClosure

pytestmark = pytest.mark.django_db


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_subtree_of_emea_is_one_query_and_complete(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert codes(OrgUnit.objects.subtree_of(org["EMEA"])) == ["AT", "DACH", "DE", "EMEA"]


def test_ancestors_of_germany_nearest_first(org):
    assert list(OrgUnit.objects.ancestors_of(org["DE"]).values_list("code", flat=True)) == [
        "DE", "DACH", "EMEA", "GLOBAL"]


def test_moving_a_cluster_relinks_its_whole_subtree(org):
    services.org_unit_update(unit=org["DACH"], parent=org["APAC"])
    assert codes(OrgUnit.objects.subtree_of(org["APAC"])) == ["APAC", "AT", "DACH", "DE", "JAPAN", "JP"]
    assert codes(OrgUnit.objects.subtree_of(org["EMEA"])) == ["EMEA"]
    assert OrgUnitClosure.objects.get(ancestor=org["GLOBAL"], descendant=org["DE"]).depth == 3


def test_a_unit_cannot_move_under_its_own_subtree(org):
    market_level_cluster = org["DACH"]
    with pytest.raises(ValidationError):
        services.org_unit_update(unit=org["EMEA"], parent=market_level_cluster)
    assert OrgUnit.objects.get(code="EMEA").parent.code == "GLOBAL"


def test_levels_must_follow_the_tree(org):
    with pytest.raises(ValidationError) as err:
        services.org_unit_create(code="XX", name="Bad market", level="market", parent=org["EMEA"])
    assert "sits under a cluster" in str(err.value)
    assert not OrgUnit.objects.filter(code="XX").exists()


def test_timezone_is_validated(org):
    with pytest.raises(ValidationError):
        services.org_unit_create(code="FR", name="France", level="market", parent=org["DACH"], timezone="Mars/Olympus")


def test_org_changes_keep_history(org):
    services.org_unit_update(unit=org["DE"], name="Deutschland")
    history = org["DE"].history.order_by("history_date")
    assert [h.name for h in history] == ["Germany", "Deutschland"]
