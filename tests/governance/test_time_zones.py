"""Times in the reader's time zone: every user has one (default: their unit's); pages and e-mails
show every timestamp in it with its label; the API stays ISO 8601 in UTC."""

from datetime import UTC, datetime

import pytest

from governance import services
from governance.models import Notification
from governance.timezones import format_instant, zone
from tests.decisions.conftest import T0

pytestmark = pytest.mark.django_db


def test_every_user_reads_times_in_their_units_zone_by_default(cast):
    assert cast["manager_de"].timezone == "Europe/Berlin"
    assert cast["manager_jp"].timezone == "Asia/Tokyo"
    assert cast["leader"].timezone == "Europe/London"  # EMEA
    assert cast["partner"].timezone == "Europe/Berlin"  # partnership A works in Germany
    assert cast["admin"].timezone == "UTC"  # no unit: the site default


def test_a_user_on_their_units_zone_follows_a_move_and_a_chosen_zone_stays(cast, org, functions):
    manager = cast["manager_de"]
    services.assignments_replace(user=manager, assignments=[(functions["SALES"], org["JP"], "Moved to Japan")])
    manager.refresh_from_db()
    assert manager.timezone == "Asia/Tokyo"
    services.user_set_timezone(user=manager, timezone="America/New_York")
    services.assignments_replace(user=manager, assignments=[(functions["SALES"], org["DE"], "Back in Germany")])
    manager.refresh_from_db()
    assert manager.timezone == "America/New_York"
    services.user_set_timezone(user=manager, timezone="")  # back to "my unit's"
    assert manager.timezone == "Europe/Berlin"


def test_the_label_follows_the_zone_and_its_summer_time():
    winter, summer = datetime(2026, 3, 2, 8, 0, tzinfo=UTC), datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert format_instant(winter, zone("Europe/Berlin")) == "02 Mar 2026 09:00 CET"
    assert format_instant(summer, zone("Europe/Berlin")) == "01 Jul 2026 10:00 CEST"
    assert format_instant(winter, zone("Asia/Tokyo"), "short") == "02 Mar 17:00 JST"
    assert format_instant(winter, zone("UTC"), "seconds") == "2026-03-02 08:00:00 UTC"


def test_a_decision_page_shows_its_times_in_each_readers_zone(client, holders, log_de):
    decision = log_de()  # logged at T0 = Monday 2 March 2026, 08:00 UTC
    client.force_login(holders["manager_de"])
    berlin = client.get(f"/decisions/{decision.pk}/").content.decode()
    assert "02 Mar 2026 09:00 CET" in berlin and "08:00 UTC" not in berlin
    client.force_login(holders["leader"])
    assert "02 Mar 2026 08:00 GMT" in client.get(f"/decisions/{decision.pk}/").content.decode()
    services.user_set_timezone(user=holders["admin"], timezone="Asia/Tokyo")
    client.force_login(holders["admin"])
    assert "02 Mar 2026 17:00 JST" in client.get(f"/decisions/{decision.pk}/").content.decode()


def test_the_api_answers_in_utc_whoever_asks_and_however_they_sign_in(client, api, holders, log_de):
    decision = log_de()
    client.force_login(holders["manager_de"])  # a session, as the browser's
    assert client.get(f"/api/v1/decisions/{decision.pk}/").json()["requested_at"] == "2026-03-02T08:00:00Z"
    listed = api(holders["manager_de"]).get("/api/v1/decisions/").json()["results"][0]
    assert listed["requested_at"] == "2026-03-02T08:00:00Z"


def test_notification_emails_give_each_recipient_the_deadline_in_their_zone(log_de, holders, mailoutbox,
                                                                             django_capture_on_commit_callbacks,
                                                                             mail_worker):
    services.user_set_timezone(user=holders["manager_de"], timezone="America/New_York")
    with django_capture_on_commit_callbacks(execute=True):
        log_de()  # 24-hour SLA: due Tuesday 3 March, 08:00 UTC
    mail = next(m for m in mailoutbox if m.to == ["max.de@example.com"])
    assert "Due 03 Mar 03:00 EST." in mail.body
    note = Notification.objects.get(recipient=holders["manager_de"], kind="decision.decide")
    assert "Due 03 Mar 03:00 EST." in note.body
    assert T0.hour == 8


def test_a_user_chooses_their_zone_and_a_bad_one_is_refused(client, holders):
    client.force_login(holders["manager_de"])
    page = client.get("/accounts/time-zone/")
    assert page.status_code == 200 and "My unit's zone — Europe/Berlin" in page.content.decode()
    assert client.post("/accounts/time-zone/", {"timezone": "Mars/Olympus"}).status_code == 400
    holders["manager_de"].refresh_from_db()
    assert holders["manager_de"].timezone == "Europe/Berlin"
    done = client.post("/accounts/time-zone/", {"timezone": "Asia/Tokyo", "next": "/decisions/"})
    assert done.status_code == 302 and done.url == "/decisions/"
    holders["manager_de"].refresh_from_db()
    assert holders["manager_de"].timezone == "Asia/Tokyo"
    assert client.post("/accounts/time-zone/", {"timezone": "UTC", "next": "https://evil.example/"}).url == (
        "/accounts/time-zone/")


def test_format_instant_writes_what_dateformat_writes_for_every_style_and_zone():
    """format_instant spells its formats out for speed; Django's dateformat is the reference."""
    import random
    from datetime import UTC, datetime, timedelta

    from django.utils import dateformat

    from governance.timezones import FORMATS, format_instant, zone

    rng = random.Random(7)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Asia/Singapore"]
    start = datetime(1999, 1, 1, tzinfo=UTC)
    for _ in range(400):
        value = start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86400))
        tz = zone(rng.choice(zones))
        for style, fmt in FORMATS.items():
            assert format_instant(value, tz, style) == dateformat.format(value.astimezone(tz), f"{fmt} T")
