"""Adding, editing and archiving enablement items (issue 19): one service for the partnership page's
htmx forms and the API. Who may: internal users who may change the partnership. Attackers: a
one-market manager on a two-market partnership, a partner user, a leader of another region; bad
input answers 4xx and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from partners.enablement.models import EnablementItem
from partners.enablement.services import enablement_create

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def leader_apac(org, functions):
    from governance import services

    return services.user_create(username="mei.apac", password="pw-mei", role="leader", email="mei@example.com",
                                assignments=[(functions["SALES"], org["APAC"], "Commercial Lead APAC")])


@pytest.fixture
def item(cast, partner_a):
    return enablement_create(actor=cast["admin"], partnership=partner_a, kind="training", title="Product training",
                             owner=cast["partner"], due_date=date(2026, 3, 1))


def snapshot():
    return list(EnablementItem.objects.order_by("pk").values("pk", "kind", "title", "owner", "due_date", "done_at",
                                                             "archived_at"))


# --- API -----------------------------------------------------------------------------------------


def test_a_manager_adds_edits_and_archives_an_item_through_the_api(api, cast, partner_a):
    client = api(cast["manager_de"])
    url = f"/api/v1/partnerships/{partner_a.pk}/enablement-items/"
    r = client.post(url, {"kind": "certification", "title": "Service certification", "owner": cast["partner"].pk,
                          "due_date": "2026-05-31"}, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["partnership"] == partner_a.pk and r.json()["done"] is False
    r = client.patch(f"/api/v1/enablement-items/{pk}/", {"title": "Service certification L2",
                                                          "due_date": "2026-06-30"}, format="json")
    assert r.status_code == 200 and r.json()["due_date"] == "2026-06-30"
    assert client.post(f"/api/v1/enablement-items/{pk}/archive/").json()["archived_at"] is not None
    assert [i["id"] for i in client.get(url).json()] == []
    assert [i["id"] for i in client.get(url + "?archived=true").json()] == [pk]
    assert client.post(f"/api/v1/enablement-items/{pk}/restore/").json()["archived_at"] is None
    item = EnablementItem.objects.get(pk=pk)
    kinds = [h.history_type for h in item.history.order_by("history_date")]
    assert kinds == ["+", "~", "~", "~"] and {h.history_user for h in item.history.all()} == {cast["manager_de"]}


def test_bad_input_is_400_and_writes_nothing(api, cast, partner_a, partner_b, item):
    client = api(cast["manager_de"])
    url = f"/api/v1/partnerships/{partner_a.pk}/enablement-items/"
    before = snapshot()
    base = {"kind": "training", "title": "T", "owner": cast["manager_de"].pk, "due_date": "2026-05-31"}
    for bad in ({"due_date": None}, {"due_date": ""}, {"due_date": "31.05.2026"}, {"kind": "party"},
                {"title": "  "}, {"owner": cast["manager_jp"].pk},  # someone they cannot see
                {"owner": 987654321}):
        r = client.post(url, {**base, **bad}, format="json")
        assert r.status_code == 400, (bad, r.content)
    r = client.post(url, {k: v for k, v in base.items() if k != "due_date"}, format="json")
    assert r.status_code == 400 and "due_date" in r.json()
    # the owner of partnership B's... a partner user of another partnership may not own an item here
    from governance import services

    other_partner = services.user_create(username="pb.user", password="pw-pb", role="partner",
                                         email="pb@example.com", partnerships=[partner_b])
    r = api(cast["admin"]).post(url, {**base, "owner": other_partner.pk}, format="json")
    assert r.status_code == 400 and "owner" in r.json()
    assert client.patch(f"/api/v1/enablement-items/{item.pk}/", {"due_date": None}, format="json").status_code == 400
    assert client.patch(f"/api/v1/enablement-items/{item.pk}/", {"partnership": partner_b.pk},
                        format="json").json()["partnership"] == partner_a.pk  # read-only: ignored
    assert snapshot() == before


def test_attackers_may_not_add_edit_or_archive(api, cast, partner_a, dach_partnership, item, leader_apac):
    before = snapshot()
    body = {"kind": "training", "title": "Sneaky", "owner": cast["manager_de"].pk, "due_date": "2026-05-31"}
    # the DE manager sees the DE+AT partnership but may not change it
    dach = dach_partnership
    r = api(cast["manager_de"]).post(f"/api/v1/partnerships/{dach.pk}/enablement-items/", body, format="json")
    assert r.status_code == 403
    dach_item = enablement_create(actor=cast["leader"], partnership=dach, kind="training", title="Alpen onboarding",
                                  owner=cast["manager_de"], due_date=date(2026, 4, 1))
    before = snapshot()
    client = api(cast["manager_de"])
    assert client.patch(f"/api/v1/enablement-items/{dach_item.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/enablement-items/{dach_item.pk}/archive/").status_code == 403
    # ... though as its owner they may mark it done
    assert client.patch(f"/api/v1/enablement-items/{dach_item.pk}/", {"done": True}, format="json").status_code == 200
    assert EnablementItem.objects.get(pk=dach_item.pk).done_at is not None
    before = snapshot()
    # the partner user owns item a: done yes, anything else no; and they never add items
    partner = api(cast["partner"])
    assert partner.post(f"/api/v1/partnerships/{partner_a.pk}/enablement-items/", body,
                        format="json").status_code == 403
    assert partner.patch(f"/api/v1/enablement-items/{item.pk}/", {"title": "x"}, format="json").status_code == 403
    assert partner.post(f"/api/v1/enablement-items/{item.pk}/archive/").status_code == 403
    # a leader of another region: the items do not exist for them
    apac = api(leader_apac)
    assert apac.get(f"/api/v1/enablement-items/{item.pk}/").status_code == 404
    assert apac.patch(f"/api/v1/enablement-items/{item.pk}/", {"title": "x"}, format="json").status_code == 404
    assert apac.post(f"/api/v1/enablement-items/{item.pk}/archive/").status_code == 404
    assert apac.post(f"/api/v1/partnerships/{partner_a.pk}/enablement-items/", body, format="json").status_code == 404
    assert apac.get("/api/v1/enablement-items/").json()["results"] == []
    assert snapshot() == before


def test_partner_users_never_see_an_archived_item_and_lists_show_the_plan(api, cast, partner_a, item):
    """Archiving drops an item from the plan: the partner no longer reads it anywhere (list with
    ?archived=true, the flat list, the detail: 404), and every list shows the plan unless asked."""
    manager, partner = api(cast["manager_de"]), api(cast["partner"])
    manager.patch(f"/api/v1/enablement-items/{item.pk}/", {"title": "Withdrawn: internal reasons"}, format="json")
    assert manager.post(f"/api/v1/enablement-items/{item.pk}/archive/").status_code == 200
    nested = f"/api/v1/partnerships/{partner_a.pk}/enablement-items/"
    flat_url = "/api/v1/enablement-items/"
    for url in (nested, nested + "?archived=true", flat_url, flat_url + "?archived=true"):
        assert "Withdrawn" not in partner.get(url).content.decode(), url
    assert partner.get(f"/api/v1/enablement-items/{item.pk}/").status_code == 404
    assert partner.patch(f"/api/v1/enablement-items/{item.pk}/", {"done": True}, format="json").status_code == 404
    flat = manager.get("/api/v1/enablement-items/").json()
    assert item.pk not in [i["id"] for i in flat.get("results", flat)]
    archived = manager.get("/api/v1/enablement-items/?archived=true").json()
    assert [i["id"] for i in archived.get("results", archived)] == [item.pk]


def test_archived_items_leave_the_plan_and_the_kpi(cast, partner_a, item):
    from kpis.services.enablement import enablement_shares
    from partners.enablement.services import enablement_archive

    assert enablement_shares(date(2026, 3, 1)) == {partner_a.pk: (0, 1)}
    assert enablement_archive(actor=cast["leader"], item=item) is True
    assert enablement_shares(date(2026, 3, 1)) == {}


# --- the partnership page (htmx) -----------------------------------------------------------------


def test_the_page_adds_an_item_with_htmx_and_shows_errors_with_400(client, cast, partner_a):
    client.force_login(cast["manager_de"])
    page = client.get(reverse("partners:partnership", args=[partner_a.pk])).content.decode()
    assert 'id="enablement-add"' in page
    form = client.get(reverse("partners:enablement-new", args=[partner_a.pk]), **HTMX)
    assert form.status_code == 200 and "<form" in form.content.decode() and "<html" not in form.content.decode()
    bad = client.post(reverse("partners:enablement-new", args=[partner_a.pk]),
                      {"kind": "training", "title": "Launch training", "owner": cast["partner"].pk, "due_date": ""},
                      **HTMX)
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    assert not EnablementItem.objects.exists()
    ok = client.post(reverse("partners:enablement-new", args=[partner_a.pk]),
                     {"kind": "training", "title": "Launch training", "owner": cast["partner"].pk,
                      "due_date": "2026-06-01"}, **HTMX)
    assert ok.status_code == 200 and 'id="enablement"' in ok.content.decode()
    assert "Launch training" in ok.content.decode()
    item = EnablementItem.objects.get()
    edited = client.post(reverse("partners:enablement-edit", args=[item.pk]),
                         {"kind": "onboarding", "title": "Launch onboarding", "owner": cast["partner"].pk,
                          "due_date": "2026-06-15"}, **HTMX)
    assert edited.status_code == 200 and "Launch onboarding" in edited.content.decode()
    archived = client.post(reverse("partners:enablement-archive", args=[item.pk]), {"archived": "1"}, **HTMX)
    assert archived.status_code == 200 and "1 archived" in archived.content.decode()
    item.refresh_from_db()
    assert item.archived_at is not None and item.kind == "onboarding" and item.due_date == date(2026, 6, 15)
    assert client.post(reverse("partners:enablement-archive", args=[item.pk]), {"archived": "x"}).status_code == 400
    # without htmx: the full page form, and a redirect back to the list after saving
    assert "<html" in client.get(reverse("partners:enablement-new", args=[partner_a.pk])).content.decode()


def test_the_page_offers_owners_only_among_people_who_see_the_partnership(client, cast, partner_a):
    client.force_login(cast["leader"])
    html = client.get(reverse("partners:enablement-new", args=[partner_a.pk])).content.decode()
    assert "pat.partner" in html and "max.de" in html and "yuki.jp" not in html
    r = client.post(reverse("partners:enablement-new", args=[partner_a.pk]),
                    {"kind": "training", "title": "T", "owner": cast["manager_jp"].pk, "due_date": "2026-06-01"})
    assert r.status_code == 400 and not EnablementItem.objects.exists()


def test_the_page_refuses_attackers(client, cast, partner_a, dach_partnership, item, leader_apac):
    before = snapshot()
    client.force_login(cast["partner"])
    page = client.get(reverse("partners:partnership", args=[partner_a.pk])).content.decode()
    assert 'id="enablement-add"' not in page and "Archive" not in page
    assert client.get(reverse("partners:enablement-new", args=[partner_a.pk])).status_code == 403
    assert client.post(reverse("partners:enablement-edit", args=[item.pk]), {"title": "x"}).status_code == 403
    assert client.post(reverse("partners:enablement-archive", args=[item.pk]), {"archived": "1"}).status_code == 403
    client.force_login(cast["manager_de"])
    dach = dach_partnership
    assert client.get(reverse("partners:enablement-new", args=[dach.pk])).status_code == 403
    assert 'id="enablement-add"' not in client.get(reverse("partners:partnership", args=[dach.pk])).content.decode()
    client.force_login(leader_apac)
    assert client.get(reverse("partners:enablement-new", args=[partner_a.pk])).status_code == 404
    assert client.post(reverse("partners:enablement-archive", args=[item.pk]), {"archived": "1"}).status_code == 404
    assert snapshot() == before
