"""Partner enablement items (issue 19): who sees them, who marks them done, and the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from partners.enablement.models import EnablementItem
from partners.enablement.services import enablement_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(cast, partner_a, partner_b):
    admin = cast["admin"]
    return {
        "partner_owned": enablement_create(actor=admin, partnership=partner_a, kind="training",
                                           title="Product training", owner=cast["partner"], due_date=date(2026, 3, 1)),
        "internal_owned": enablement_create(actor=admin, partnership=partner_a, kind="onboarding",
                                            title="Portal onboarding", owner=cast["manager_de"],
                                            due_date=date(2026, 3, 15)),
        "other": enablement_create(actor=admin, partnership=partner_b, kind="certification",
                                   title="Nihon certification", owner=cast["manager_jp"], due_date=date(2026, 3, 1)),
    }


def done(client, item, value="1"):
    return client.post(reverse("partners:enablement-done", args=[item.pk]), {"done": value})


def test_the_owner_marks_their_item_done_and_reopens_it_with_history(client, cast, items):
    item = items["partner_owned"]
    client.force_login(cast["partner"])
    assert done(client, item).status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None
    first = item.done_at
    done(client, item)  # again: the first completion time stays
    item.refresh_from_db()
    assert item.done_at == first
    assert done(client, item, "0").status_code == 302
    item.refresh_from_db()
    assert item.done_at is None
    assert [h.done_at is None for h in item.history.order_by("history_date")] == [True, False, True]


def test_a_partner_user_may_not_mark_an_item_someone_else_owns(client, cast, items):
    client.force_login(cast["partner"])
    assert done(client, items["internal_owned"]).status_code == 403
    assert done(client, items["other"]).status_code == 404  # another partnership's: not even there
    assert not EnablementItem.objects.filter(done_at__isnull=False).exists()


def test_an_internal_user_who_may_log_marks_any_item_of_the_partnership(client, cast, items):
    client.force_login(cast["manager_de"])
    assert done(client, items["partner_owned"]).status_code == 302
    assert done(client, items["other"]).status_code == 404
    assert list(EnablementItem.objects.filter(done_at__isnull=False)) == [items["partner_owned"]]


def test_bad_input_is_refused(client, cast, items):
    client.force_login(cast["partner"])
    assert done(client, items["partner_owned"], "yes").status_code == 400
    assert client.get(reverse("partners:enablement-done", args=[items["partner_owned"].pk])).status_code == 405
    assert not EnablementItem.objects.filter(done_at__isnull=False).exists()


def test_the_partnership_page_lists_its_items_and_offers_mark_done_to_who_may(client, cast, items, partner_a):
    client.force_login(cast["partner"])
    html = client.get(reverse("partners:partnership", args=[partner_a.pk])).content.decode()
    assert "Product training" in html and "Portal onboarding" in html and "Nihon certification" not in html
    marks = reverse("partners:enablement-done", args=[items["partner_owned"].pk])
    assert marks in html
    assert reverse("partners:enablement-done", args=[items["internal_owned"].pk]) not in html
    assert "0/2 done" in html
    assert '<a href="#enablement" id="maturity-enablement">Enablement 0/2 done</a>' in html  # from the maturity card


def test_an_owner_must_be_able_to_open_the_partnership(cast, partner_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        enablement_create(actor=cast["admin"], partnership=partner_a, kind="training", title="x",
                          owner=cast["manager_jp"], due_date=date(2026, 3, 1))
