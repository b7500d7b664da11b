"""The Manage area, people and decision rules: users with role and assignments (invited by
e-mail, deactivated rather than deleted), decision types with an SLA per priority, holidays."""

from __future__ import annotations

from datetime import date

import pytest

from decisions.models import DecisionType, Holiday
from governance.models import Assignment, User
from tests.manage.conftest import signed_in

pytestmark = pytest.mark.django_db


def _user_data(**over):
    data = {"username": "clara.ch", "first_name": "Clara", "last_name": "Keller", "email": "clara@example.com",
            "role": "manager", "timezone": "", "send_invite": "on",
            "assignment-0-function": "SALES", "assignment-0-org_unit": "DE", "assignment-0-title": "Country Manager",
            "assignment-1-function": "", "assignment-1-org_unit": "", "assignment-1-title": ""}
    data.update(over)
    return data


# --- users ---------------------------------------------------------------------------------------


def test_admin_invites_a_user_with_an_assignment_and_the_worker_mails_a_link(
        admin, org, functions, monkeypatch, django_capture_on_commit_callbacks, mailoutbox):
    from governance import tasks

    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", lambda **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        r = admin.post("/manage/users/new/", _user_data())
    assert r.status_code == 302, r.context and r.context["form"].errors
    clara = User.objects.get(username="clara.ch")
    assert not clara.has_usable_password()  # nobody but Clara will know her password
    assert [(a.function.code, a.org_unit.code, a.title) for a in clara.assignments.all()] == [
        ("SALES", "DE", "Country Manager")]
    assert clara.timezone == "Europe/Berlin"  # her unit's
    assert queued == [{"user_id": clara.pk, "domain": "testserver", "use_https": False, "invite": True}]
    assert not mailoutbox  # the request sends nothing itself
    tasks.send_password_reset(**queued[0])  # what the worker runs
    assert mailoutbox[0].to == ["clara@example.com"] and "invited" in mailoutbox[0].subject
    assert "/accounts/reset/" in mailoutbox[0].body


def test_editing_assignments_replaces_them_and_keeps_history(admin, cast, functions):
    manager = cast["manager_de"]
    r = admin.post(f"/manage/users/{manager.pk}/", _user_data(
        username="ignored", **{"assignment-0-remove": "on", "assignment-1-function": "ACCESS",
                               "assignment-1-org_unit": "DACH", "assignment-1-title": "Head of Access DACH"}))
    assert r.status_code == 302
    manager.refresh_from_db()
    assert manager.username == "max.de"  # the username cannot change
    assert [(a.function.code, a.org_unit.code) for a in manager.assignments.all()] == [("ACCESS", "DACH")]
    assert Assignment.history.filter(user_id=manager.pk, history_type="-").count() == 1


@pytest.mark.parametrize("over, field", [
    ({"username": ""}, "username"),
    ({"username": "max.de"}, "username"),  # taken
    ({"email": "not-an-address"}, "email"),
    ({"role": "emperor"}, "role"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"assignment-0-org_unit": "NOPE"}, "__all__"),
    ({"role": "partner"}, "__all__"),  # partner users hold no assignments
])
def test_bad_user_input_is_a_400_with_the_error_and_nothing_saved(admin, cast, over, field):
    before = (User.objects.count(), Assignment.objects.count())
    r = admin.post("/manage/users/new/", _user_data(**over))
    assert r.status_code == 400
    assert field in r.context["form"].errors, r.context["form"].errors
    assert (User.objects.count(), Assignment.objects.count()) == before


def test_deactivating_keeps_the_user_and_nobody_deactivates_themselves(admin, cast):
    manager = cast["manager_de"]
    assert admin.post(f"/manage/users/{manager.pk}/archive/").status_code == 302
    manager.refresh_from_db()
    assert not manager.is_active and manager.assignments.exists()
    table = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "manage-table"}  # the list's htmx refresh
    assert "max.de" not in admin.get("/manage/users/", **table).content.decode()
    assert "max.de" in admin.get("/manage/users/?show=archived", **table).content.decode()
    assert admin.post(f"/manage/users/{cast['admin'].pk}/archive/").status_code == 409
    assert User.objects.get(pk=cast["admin"].pk).is_active
    assert admin.post(f"/manage/users/{manager.pk}/restore/").status_code == 302


def test_users_are_for_admins_only(cast):
    for role in ("leader", "manager_de", "partner"):
        c = signed_in(cast[role])
        assert c.get("/manage/users/").status_code == 404
        assert c.get(f"/manage/users/{cast['manager_de'].pk}/").status_code == 404
        assert c.post("/manage/users/new/", _user_data()).status_code == 404
    assert not User.objects.filter(username="clara.ch").exists()


# --- decision types ------------------------------------------------------------------------------


def _type_data(**over):
    data = {"code": "TENDER", "name": "Tender response", "description": "", "decided_at_level": "market",
            "calendar": "business", "sla_hours": "40", "sla_urgent": "8", "sla_low": "80", "sla_high": "",
            "sla_normal": "", "escalation_enabled": "on"}
    data.update(over)
    return data


def test_admin_creates_a_decision_type_with_an_sla_per_priority(admin, cast):
    r = admin.post("/manage/decision-types/new/", _type_data())
    assert r.status_code == 302, r.context and r.context["form"].errors
    t = DecisionType.objects.get(code="TENDER")
    assert t.sla_hours_by_priority == {"urgent": 8, "low": 80}
    assert t.target_hours("urgent") == 8 and t.target_hours("high") == 40
    form = admin.get("/manage/decision-types/TENDER/").context["form"]
    assert form["sla_urgent"].value() == 8
    r = admin.post("/manage/decision-types/TENDER/", _type_data(sla_urgent="", escalation_enabled=""))
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.sla_hours_by_priority == {"low": 80} and not t.escalation_enabled
    assert t.history.count() == 2


@pytest.mark.parametrize("over, field", [
    ({"sla_hours": "0"}, "sla_hours"),
    ({"sla_hours": "abc"}, "sla_hours"),
    ({"sla_hours": "99999999"}, "sla_hours"),
    ({"sla_urgent": "-3"}, "__all__"),
    ({"sla_urgent": "soon"}, "__all__"),
    ({"calendar": "lunar"}, "calendar"),
    ({"code": "bad code"}, "code"),
])
def test_bad_decision_type_input_is_a_400_and_nothing_saved(admin, cast, over, field):
    r = admin.post("/manage/decision-types/new/", _type_data(**over))
    assert r.status_code == 400
    assert field in r.context["form"].errors, r.context["form"].errors
    assert not DecisionType.objects.filter(code__in=["TENDER", "bad code"]).exists()


def test_retiring_a_decision_type_keeps_it(admin, cast):
    admin.post("/manage/decision-types/new/", _type_data())
    assert admin.post("/manage/decision-types/TENDER/archive/").status_code == 302
    assert not DecisionType.objects.get(code="TENDER").is_active


# --- holidays ------------------------------------------------------------------------------------


def test_admin_adds_edits_and_deletes_a_holiday_and_a_duplicate_day_is_refused(admin, cast, org):
    r = admin.post("/manage/holidays/new/", {"org_unit": "DE", "date": "2026-10-03", "name": "Tag der Einheit"})
    assert r.status_code == 302
    h = Holiday.objects.get(org_unit=org["DE"], date=date(2026, 10, 3))
    r = admin.post("/manage/holidays/new/", {"org_unit": "DE", "date": "2026-10-03", "name": "Again"})
    assert r.status_code == 400 and Holiday.objects.count() == 1
    assert admin.post(f"/manage/holidays/{h.pk}/", {"org_unit": "DE", "date": "2026-10-03",
                                                    "name": "Tag der Deutschen Einheit"}).status_code == 302
    assert admin.post(f"/manage/holidays/{h.pk}/", {"org_unit": "DE", "date": "2026-13-45",
                                                    "name": "x"}).status_code == 400
    assert admin.post(f"/manage/holidays/{h.pk}/delete/").status_code == 302
    assert not Holiday.objects.exists()
    assert [r.history_type for r in Holiday.history.filter(id=h.pk).order_by("history_date")] == ["+", "~", "-"]


def test_a_cluster_holiday_closes_every_market_below_it(cast, org):
    from decisions.clock import holidays_for

    signed_in(cast["admin"]).post("/manage/holidays/new/", {"org_unit": "DACH", "date": "2026-10-05", "name": "X"})
    assert date(2026, 10, 5) in holidays_for(org["DE"]) and date(2026, 10, 5) in holidays_for(org["AT"])
    assert date(2026, 10, 5) not in holidays_for(org["JP"])


# --- forums (issue 18) ---------------------------------------------------------------------------


def _forum_data(**over):
    return {"name": "DACH Commercial Council", "org_unit": "DACH", "chair_function": "SALES",
            "recurrence": "monthly", "weekday": "1", "week_of_month": "1", "time_of_day": "10:00",
            "first_date": "2026-01-01", **over}


def test_admin_configures_a_forum_its_cancelled_meeting_and_binds_a_decision_type(admin, cast, org):
    from decisions.models import Forum, ForumMeetingException

    assert admin.post("/manage/forums/new/", _forum_data(week_of_month="7")).status_code == 400
    assert not Forum.objects.exists()
    assert admin.post("/manage/forums/new/", _forum_data()).status_code == 302
    forum = Forum.objects.get()
    assert (forum.org_unit, forum.chair_function.code, forum.time_of_day.hour) == (org["DACH"], "SALES", 10)
    r = admin.post("/manage/forum-meetings/new/", {"forum": forum.pk, "date": "2026-03-03", "note": "Offsite"})
    assert r.status_code == 302 and ForumMeetingException.objects.get().moved_to is None
    assert admin.post("/manage/decision-types/new/", _type_data(forum=forum.pk)).status_code == 302
    assert DecisionType.objects.get(code="TENDER").forum == forum
    assert "to DACH Commercial Council" in admin.get("/manage/decision-types/").content.decode()
    # Bound to a type, it cannot be archived.
    admin.post(f"/manage/forums/{forum.pk}/archive/")
    assert Forum.objects.get().archived_at is None
    assert [h.history_type for h in Forum.history.filter(id=forum.pk)] == ["+"]
    assert signed_in(cast["manager_de"]).get("/manage/forums/").status_code == 404
