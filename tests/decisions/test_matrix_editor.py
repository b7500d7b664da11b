"""The matrix editor page: drafts that survive a failed publish, lint beside the cells, Publish
disabled while it cannot succeed, acknowledged gaps, the three-way merge after someone else
published, effective dating in the admin's zone, and the version list with its diffs."""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from decisions.models import MatrixDraft, MatrixVersion
from tests.decisions.conftest import _user

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(price_exception, functions):
    """The published price-exception row as the editor posts it, started from v1."""
    t, f = price_exception.pk, functions

    def make(**roles):
        cells = {"SALES": "D", "COMPLIANCE": "A", "ACCESS": "I", "FINANCE": "R", **roles}
        return {"base_version": "1", **{f"cell-{t}-{f[code].pk}": role for code, role in cells.items() if role}}

    return make


@pytest.fixture
def admin(client, holders):
    client.force_login(holders["admin"])
    return client


def publish_button(html: str) -> str:
    return re.search(r'<button[^>]*id="publish-button"[^>]*>', html).group(0)


def test_a_failed_publish_keeps_the_draft_and_shows_the_conflict_beside_the_cells(admin, holders, grid,
                                                                                  price_exception, functions):
    t = price_exception.pk
    refused = admin.post("/decisions/matrix/publish/", {**grid(COMPLIANCE="D"), "note": "two deciders?"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Not published — your draft is kept" in html
    assert 'data-testid="conflict-mark"' in html and "2 deciders (COMPLIANCE, SALES)" in html
    for code in ("SALES", "COMPLIANCE"):  # both D cells are marked
        mark = re.search(rf'<span class="cell-mark" id="mark-{t}-{functions[code].pk}">(.*?)</span>', html).group(1)
        assert "More than one D" in mark
    assert "disabled" in publish_button(html)
    assert MatrixVersion.objects.count() == 1
    draft = MatrixDraft.objects.get(user=holders["admin"])
    assert [t, functions["COMPLIANCE"].pk, "D"] in draft.cells and draft.note == "two deciders?"
    # Coming back later: the editor opens the draft, not the published matrix.
    again = admin.get("/decisions/matrix/").content.decode()
    assert 'data-testid="draft-banner"' in again and "two deciders?" in again
    assert re.search(rf'id="cell-{t}-{functions["COMPLIANCE"].pk}"[^>]*>.*?<option value="D" selected>', again, re.S)


def test_every_change_saves_the_draft_and_marks_gaps_beside_their_cell(admin, holders, grid, price_exception,
                                                                       functions):
    t = price_exception.pk
    check = admin.post("/decisions/matrix/check/", grid(MKT="A"), HTTP_HX_REQUEST="true")
    assert check["HX-Trigger"] == '{"matrix-lint": {"blocking": false, "gaps": 3}}'  # nobody holds Marketing
    mark = re.search(rf'<span class="cell-mark" id="mark-{t}-{functions["MKT"].pk}" hx-swap-oob="true">(.*?)</span>',
                     check.content.decode()).group(1)
    assert "Nobody holds Marketing at or above: AT, DE, JP" in mark and "Changed from —" in mark
    assert [t, functions["MKT"].pk, "A"] in MatrixDraft.objects.get(user=holders["admin"]).cells


def test_gaps_need_the_acknowledgement_which_the_version_note_keeps(admin, grid):
    page = admin.post("/decisions/matrix/publish/", grid(MKT="A"))
    assert page.status_code == 400 and "acknowledge_gaps" not in page.content.decode().split("publish-error")[0]
    assert "disabled" in publish_button(page.content.decode())
    published = admin.post("/decisions/matrix/publish/", {**grid(MKT="A"), "acknowledge_gaps": "on",
                                                           "note": "Marketing hires in Q3"}, follow=True)
    assert b"Published matrix v2" in published.content
    note = MatrixVersion.objects.get(number=2).note
    assert note.startswith("Marketing hires in Q3\n\nPublished over 3 acknowledged gaps:")
    assert "nobody holds Marketing (A) at Japan or above" in note
    assert not MatrixDraft.objects.exists()  # a successful publish clears the draft


def test_drafts_are_per_admin_and_can_be_discarded(client, admin, holders, grid, org):
    admin.post("/decisions/matrix/check/", {**grid(ACCESS="R"), "note": "mine"}, HTTP_HX_REQUEST="true")
    other = _user("otto.admin", "admin", [])
    client.force_login(other)
    assert 'data-testid="draft-banner"' not in client.get("/decisions/matrix/").content.decode()
    client.force_login(holders["admin"])
    assert 'data-testid="draft-banner"' in client.get("/decisions/matrix/").content.decode()
    client.post("/decisions/matrix/draft/discard/")
    assert not MatrixDraft.objects.filter(user=holders["admin"]).exists()
    assert 'data-testid="draft-banner"' not in client.get("/decisions/matrix/").content.decode()


def test_a_stale_publish_shows_theirs_mine_and_the_base_and_overwrites_nothing(client, admin, holders, grid,
                                                                               price_exception, functions):
    other = _user("otto.admin", "admin", [])
    admin.post("/decisions/matrix/check/", grid(ACCESS="R", FINANCE="I"), HTTP_HX_REQUEST="true")  # my draft
    client.force_login(other)
    assert client.post("/decisions/matrix/publish/", {**grid(ACCESS="P"), "note": "Access performs"}).status_code == 302
    client.force_login(holders["admin"])
    editor = client.get("/decisions/matrix/").content.decode()
    assert "v2 has been published since" in editor
    stale = client.post("/decisions/matrix/publish/", grid(ACCESS="R", FINANCE="I"))
    assert stale.status_code == 409 and MatrixVersion.objects.count() == 2
    html = stale.content.decode()
    assert "otto.admin has since published v2" in html and "Access performs" in html
    table = re.search(r'data-testid="three-way">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    cells = [re.findall(r">([RAPID·])</span>", r) + (["conflict"] if "keep mine" in r else []) for r in rows]
    assert cells == [["I", "P", "R", "conflict"], ["R", "R", "I"]]  # ACCESS: base, theirs, mine; FINANCE
    t, access, finance = price_exception.pk, functions["ACCESS"].pk, functions["FINANCE"].pk
    assert client.post("/decisions/matrix/merge/", {}).status_code == 400  # the conflict needs a choice
    merged = client.post("/decisions/matrix/merge/", {f"choice-{t}-{access}": "theirs"})
    assert merged.status_code == 302
    draft = MatrixDraft.objects.get(user=holders["admin"])
    assert draft.base_number == 2
    assert {(c[1], c[2]) for c in draft.cells if c[0] == t} >= {(access, "P"), (finance, "I")}
    published = client.post("/decisions/matrix/publish/", {**grid(ACCESS="P", FINANCE="I"), "base_version": "2"})
    assert published.status_code == 302 and MatrixVersion.objects.head().number == 3


def test_publishing_from_a_future_date_in_the_admins_zone_schedules_the_version(admin, holders, grid):
    from governance.services import user_set_timezone

    user_set_timezone(user=holders["admin"], timezone="Europe/Berlin")
    local = (timezone.now() + timedelta(days=10)).astimezone(timezone.get_fixed_timezone(60)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    response = admin.post("/decisions/matrix/publish/", {**grid(ACCESS="R"), "when": "later",
                                                         "effective_at": local.strftime("%Y-%m-%dT%H:%M")},
                          follow=True)
    version = MatrixVersion.objects.get(number=2)
    assert version.effective_at.astimezone(UTC).hour in (7, 8)  # 09:00 Berlin (CEST or CET)
    assert "takes effect" in response.content.decode() and "Until then v1 stays in force" in response.content.decode()
    assert MatrixVersion.objects.in_force(timezone.now()).number == 1
    page = admin.get("/decisions/matrix/").content.decode()
    assert "Scheduled: <strong>v2</strong>" in page
    bad = admin.post("/decisions/matrix/publish/", {**grid(ACCESS="P"), "base_version": "2", "when": "later",
                                                    "effective_at": "not a date"})
    assert bad.status_code == 400 and "Give the date and time" in bad.content.decode()


def test_the_version_list_shows_status_who_when_why_and_diffs_any_two(admin, holders, grid):
    admin.post("/decisions/matrix/publish/", {**grid(ACCESS="R"), "note": "Access recommends"})
    later = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    admin.post("/decisions/matrix/publish/", {**grid(ACCESS="R", FINANCE=""), "base_version": "2", "when": "later",
                                              "effective_at": later, "note": "Finance steps back"})
    page = admin.get("/decisions/matrix/versions/").content.decode()
    statuses = re.findall(r'<span class="badge [^"]*">(in force|scheduled|superseded|cancelled)</span>', page)
    assert statuses == ["scheduled", "in force", "superseded"]
    assert "Access recommends" in page and "Finance steps back" in page and "ada.admin" in page
    diff = admin.get("/decisions/matrix/diff/?from=1&to=3").content.decode()
    table = re.search(r'data-testid="diff">(.*?)</table>', diff, re.S).group(1)
    assert re.findall(r"<td>(\w+)</td><td>(\w+)</td>", table) == [("PRICE_EXC", "ACCESS"), ("PRICE_EXC", "FINANCE")]
    assert admin.get("/decisions/matrix/diff/?from=1&to=x").status_code == 400
    assert admin.get("/decisions/matrix/diff/?from=1&to=77").status_code == 404
    admin.post("/decisions/matrix/versions/3/cancel/")
    assert MatrixVersion.objects.get(number=3).cancelled_at is not None
    assert admin.get("/decisions/matrix/versions/3/").status_code == 200


def test_copying_an_old_version_into_the_draft_restores_it_on_publish(admin, holders, grid, price_exception,
                                                                       functions):
    admin.post("/decisions/matrix/publish/", grid(ACCESS="R"))
    admin.post("/decisions/matrix/versions/1/copy/")
    draft = MatrixDraft.objects.get(user=holders["admin"])
    assert draft.base_number == 2 and [price_exception.pk, functions["ACCESS"].pk, "I"] in draft.cells
    assert MatrixVersion.objects.count() == 2  # a copy is a draft: nothing is published yet
