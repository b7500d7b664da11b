"""Forum-aware deadlines (issue 18): a forum-bound decision that lapses, or is flagged "needs the
forum", goes on the agenda of the forum's next meeting instead of escalating by the hour.

The known calendar: the DACH Commercial Council meets on the first Tuesday of every month at 10:00
Berlin time — Tue 3 Mar 2026 10:00 CET (09:00 UTC), Tue 7 Apr 2026 10:00 CEST (08:00 UTC, after the
switch to summer time), Tue 5 May 2026. ``price_exception`` is 24 hours on a 24×7 clock, so a
decision logged at T0 (Mon 2 Mar 08:00 UTC) lapses Tue 3 Mar 08:00 UTC, an hour before the meeting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from decisions import services
from decisions.forums import next_meeting
from decisions.models import (
    AgendaItem,
    Decision,
    DecisionEvent,
    Escalation,
    Forum,
    ForumMeetingException,
)
from governance.errors import ApplicationError
from governance.models import OrgUnit
from tests.decisions.conftest import T0
from tests.decisions.racing import race
from tests.reports.conftest import pdf_text

H = timedelta(hours=1)
MAR_3 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 CET
APR_7 = datetime(2026, 4, 7, 8, 0, tzinfo=UTC)  # 10:00 CEST
MAY_5 = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)


def council(**overrides) -> Forum:
    """An unsaved forum for the pure rule (no database)."""
    fields = {"name": "DACH Commercial Council", "org_unit": OrgUnit(code="DACH", timezone="Europe/Berlin"),
              "recurrence": "monthly", "weekday": 1, "week_of_month": 1, "time_of_day": time(10, 0),
              "first_date": date(2026, 1, 1), **overrides}
    return Forum(**fields)


def test_next_meeting_follows_the_recurrence_in_the_units_time_zone():
    forum = council()
    assert next_meeting(forum, T0, []) == MAR_3
    assert next_meeting(forum, MAR_3, []) == APR_7  # strictly after; summer time in between
    last_friday = council(weekday=4, week_of_month=-1)
    assert next_meeting(last_friday, T0, []) == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    biweekly = council(recurrence="biweekly", weekday=0, first_date=date(2026, 2, 23))  # Mondays 23 Feb, 9 Mar, …
    assert next_meeting(biweekly, T0, []) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    weekly = council(recurrence="weekly", weekday=0, first_date=date(2026, 3, 5))  # nothing before 5 Mar
    assert next_meeting(weekly, T0, []) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert [council().schedule, last_friday.schedule, biweekly.schedule] == [
        "First Tuesday of every month at 10:00", "Last Friday of every month at 10:00", "Every other Monday at 10:00"]


def test_a_cancelled_meeting_is_skipped_and_a_moved_one_counts_on_its_new_date():
    forum = council()
    cancelled = ForumMeetingException(forum=forum, date=date(2026, 3, 3))
    assert next_meeting(forum, T0, [cancelled]) == APR_7
    moved = ForumMeetingException(forum=forum, date=date(2026, 4, 7), moved_to=datetime(2026, 4, 9, 12, 0, tzinfo=UTC))
    assert next_meeting(forum, T0, [cancelled, moved]) == datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
    pulled_forward = ForumMeetingException(forum=forum, date=date(2026, 3, 3),
                                           moved_to=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    assert next_meeting(forum, T0, [pulled_forward]) == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def forum(dach_council):
    return dach_council


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_decision_is_queued_on_the_next_meeting_exactly_once_with_two_sweeps_racing(
        log_de, holders, forum):
    decisions = [log_de(title=f"Race {i}") for i in range(6)]
    results = race(lambda: services.escalate_overdue(now=T0 + 24 * H))
    assert sum(r["queued"] for r in results) == 6, results
    assert sum(r["escalated"] for r in results) == 0
    items = AgendaItem.objects.filter(forum=forum)
    assert sorted(items.values_list("decision_id", flat=True)) == sorted(d.pk for d in decisions)
    assert set(items.values_list("meeting_at", "reason")) == {(MAR_3, "lapsed")}
    assert DecisionEvent.objects.filter(kind="forum_queued").count() == 6
    # Queued, it does not climb the hourly ladder.
    assert services.escalate_overdue(now=T0 + 200 * H)["escalated"] == 0
    assert not Escalation.objects.exists()
    assert set(Decision.objects.values_list("escalation_level", "next_deadline_at")) == {(0, None)}
    # The meeting passes (end of its day in Berlin) with the decisions still open: they roll, once.
    results = race(lambda: {"rolled": services.roll_agenda(now=datetime(2026, 3, 3, 23, 0, tzinfo=UTC))})
    assert sum(r["rolled"] for r in results) == 6
    assert set(items.values_list("meeting_at", "rolls")) == {(APR_7, 1)}
    assert DecisionEvent.objects.filter(kind="forum_rolled").count() == 6


@pytest.mark.django_db
def test_a_cancelled_meeting_sends_the_lapsed_decision_to_the_one_after(log_de, forum):
    services.meeting_exception_create(forum=forum, date=date(2026, 3, 3), note="Offsite")
    decision = log_de()
    assert services.escalate_overdue(now=T0 + 24 * H)["queued"] == 1
    assert AgendaItem.objects.get(decision=decision).meeting_at == APR_7
    event = DecisionEvent.objects.get(decision=decision, kind="forum_queued")
    assert "DACH Commercial Council" in event.message and event.data["meeting_at"] == APR_7.isoformat()


@pytest.mark.django_db
def test_a_type_without_a_forum_still_escalates(log_de, holders, price_exception):
    log_de()
    assert services.escalate_overdue(now=T0 + 24 * H)["escalated"] == 1
    assert not AgendaItem.objects.exists()


@pytest.mark.django_db
def test_flagging_needs_the_forum_queues_at_once_and_shows_in_the_events_api(api, log_de, holders, forum):
    decision = log_de()
    with pytest.raises(ApplicationError) as refused:  # a participant, not the requester or decider
        services.decision_flag_forum(decision=decision, actor=holders["compliance_de"], now=T0 + H)
    assert refused.value.status == 403
    item = services.decision_flag_forum(decision=decision, actor=holders["manager_de"], note="Board-level price",
                                        now=T0 + H)
    assert (item.meeting_at, item.reason, item.queued_by) == (MAR_3, "flagged", holders["manager_de"])
    assert Decision.objects.get(pk=decision.pk).next_deadline_at is None
    with pytest.raises(ApplicationError) as twice:
        services.decision_flag_forum(decision=decision, actor=holders["manager_de"], now=T0 + 2 * H)
    assert twice.value.status == 409
    assert services.escalate_overdue(now=T0 + 30 * H) == {"escalated": 0, "warned": 0, "exhausted": 0, "queued": 0}
    events = api(holders["manager_de"]).get(f"/api/v1/decisions/{decision.pk}/events/").json()["results"]
    queued = [e for e in events if e["kind"] == "forum_queued"]
    assert len(queued) == 1 and "Needs the forum" in queued[0]["message"]
    # Deciding takes it off the agenda.
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + 3 * H)
    services.decision_decide(decision=decision, actor=holders["manager_de"], outcome="Approved", now=T0 + 4 * H)
    assert AgendaItem.objects.get(decision=decision).closed_at == T0 + 4 * H


@pytest.mark.django_db
def test_the_flag_on_the_page_queues_and_a_type_without_forum_is_refused(client, log_de, holders, forum,
                                                                         price_exception):
    decision = log_de()
    client.force_login(holders["manager_de"])
    assert b'data-testid="forum-flag"' in client.get(f"/decisions/{decision.pk}/").content
    client.post(f"/decisions/{decision.pk}/forum/", {"note": "Needs the council"})
    assert AgendaItem.objects.filter(decision=decision, reason="flagged").count() == 1
    page = client.get(f"/decisions/{decision.pk}/").content
    assert b'data-testid="forum-queued"' in page and b'data-testid="forum-flag"' not in page
    services.decision_type_update(decision_type=price_exception, forum=None)
    other = log_de(title="Not for the council")
    with pytest.raises(ValidationError, match="not decided by a forum"):
        services.decision_flag_forum(decision=other, actor=holders["manager_de"])
    assert not AgendaItem.objects.filter(decision=other).exists()


@pytest.fixture
def queued(log_de, holders, forum):
    """One decision on the March agenda: Compliance agreed after 5 hours, then it lapsed."""
    decision = log_de(title="Special net price for Helios")
    services.decision_agree(decision=decision, actor=holders["compliance_de"], agree=True, now=T0 + 5 * H)
    services.escalate_overdue(now=T0 + 24 * H)
    return decision


@pytest.mark.django_db
def test_the_agenda_lists_the_queue_with_waiting_time_by_party(queued, holders, forum):
    from decisions.selectors import forum_agenda

    agenda = forum_agenda(user=holders["sales_dach"], pk=forum.pk, now=T0 + 30 * H)
    assert agenda["upcoming"][:2] == [APR_7, MAY_5]
    [(meeting_at, rows)] = agenda["meetings"]
    assert meeting_at == MAR_3 and [r["decision"].pk for r in rows] == [queued.pk]
    assert dict(rows[0]["parties"]) == {"Compliance, Germany": 5 * 3600, "Sales, Germany": 25 * 3600,
                                        "Market Access, Germany": 30 * 3600, "Finance, Germany": 30 * 3600}


@pytest.mark.django_db
def test_the_agenda_page_is_for_who_sees_the_forums_unit(client, queued, holders, forum):
    client.force_login(holders["sales_dach"])
    page = client.get(f"/decisions/forums/{forum.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Special net price for Helios" in text and "Compliance, Germany · 5 h" in text
    assert "DACH Commercial Council" in client.get("/decisions/forums/").content.decode()
    for who in ("manager_jp", "manager_de", "partner"):  # Japan; below DACH; the partner
        client.force_login(holders[who])
        assert client.get(f"/decisions/forums/{forum.pk}/").status_code == 404, who
        assert client.get(f"/reports/decisions/forums/{forum.pk}/agenda.pdf").status_code == 404, who


@pytest.mark.django_db
def test_the_agenda_pdf_lists_the_queued_decision_and_its_parties(client, queued, holders, forum):
    client.force_login(holders["sales_dach"])
    response = client.get(f"/reports/decisions/forums/{forum.pk}/agenda.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "DACH Commercial Council" in text and "Special net price for Helios" in text
    assert "Compliance, Germany 5.0 h" in " ".join(text.split())


def test_a_first_date_at_the_end_of_the_calendar_is_refused_and_an_old_one_breaks_nothing(
        client, holders, org, price_exception, log_de):
    """A typo (9999-12-31) is a 400 in the Manage area; a forum saved with one before that rule
    has no next meeting: its list and agenda still open and the sweep still escalates the rest."""
    client.force_login(holders["admin"])
    form = {"name": "Far", "org_unit": "DACH", "recurrence": "weekly", "weekday": "0", "week_of_month": "1",
            "time_of_day": "10:00", "first_date": "9999-12-31"}
    refused = client.post("/manage/forums/new/", form)
    assert refused.status_code == 400 and "between 2000 and 2100" in refused.content.decode()
    assert not Forum.objects.filter(name="Far").exists()

    far = Forum.objects.create(name="Far", org_unit=org["DACH"], recurrence="weekly", weekday=0,
                               time_of_day=time(10), first_date=date(9999, 12, 31))
    assert next_meeting(far, T0) is None
    services.decision_type_update(decision_type=price_exception, forum=far)
    lapsed = log_de(now=T0)
    services.escalate_overdue(now=T0 + 25 * H)  # no meeting ahead: it escalates as if it had no forum
    assert Escalation.objects.filter(decision=lapsed).count() == 1
    client.force_login(holders["leader"])
    assert client.get("/decisions/forums/").status_code == 200
    assert client.get(f"/decisions/forums/{far.pk}/").status_code == 200


def test_the_forum_list_counts_only_the_queued_decisions_the_reader_may_see(client, holders, org, functions,
                                                                           dach_council, log_de):
    jp_type = services.decision_type_create(
        actor=holders["admin"], code="JP_DEAL", name="JP deal", decided_at_level="market", sla_hours=24,
        calendar="24x7", rights=[(functions["SALES"], "D")], now=T0)
    services.decision_type_update(decision_type=jp_type, forum=dach_council)
    japan = services.decision_log(actor=holders["manager_jp"], decision_type=jp_type, org_unit=org["JP"],
                                  title="Japan on the DACH agenda", now=T0)
    services.decision_flag_forum(decision=japan, actor=holders["manager_jp"], now=T0)
    germany = log_de(now=T0)
    services.decision_flag_forum(decision=germany, actor=holders["manager_de"], now=T0)
    from decisions.selectors import forum_list

    (row,) = [r for r in forum_list(user=holders["leader"], now=T0) if r["forum"] == dach_council]
    assert row["queued"] == 1  # Germany's; Japan's is not the EMEA leader's to see
    assert [r["queued"] for r in forum_list(user=holders["admin"], now=T0) if r["forum"] == dach_council] == [2]


def test_a_note_longer_than_a_note_is_a_400_and_queues_nothing(client, holders, dach_council, log_de):
    decision = log_de(now=T0)
    with pytest.raises(ValidationError) as refused:
        services.decision_flag_forum(decision=decision, actor=holders["manager_de"], note="x" * 2001, now=T0)
    assert "At most 2000 characters" in str(refused.value)
    client.force_login(holders["manager_de"])
    client.post(f"/decisions/{decision.pk}/forum/", {"note": "☃" * 200_000})
    assert not AgendaItem.objects.filter(decision=decision).exists()
    assert not DecisionEvent.objects.filter(decision=decision, kind="forum_queued").exists()
