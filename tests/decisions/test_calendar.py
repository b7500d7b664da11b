"""Business-hours SLA clocks: weekends and holidays skipped, in the org unit's time zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from decisions.calendar import BUSINESS_DAY_END, BUSINESS_DAY_START, add_business_hours, business_hours_between

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def test_friday_afternoon_plus_eight_business_hours_is_due_monday_afternoon():
    due = add_business_hours(berlin(2026, 3, 6, 16, 0), 8, "Europe/Berlin")
    assert due.astimezone(BERLIN) == berlin(2026, 3, 9, 15, 0)
    assert due.tzinfo == UTC


def test_a_holiday_monday_pushes_the_deadline_to_tuesday():
    due = add_business_hours(berlin(2026, 3, 6, 16, 0), 8, "Europe/Berlin", holidays={date(2026, 3, 9)})
    assert due.astimezone(BERLIN) == berlin(2026, 3, 10, 15, 0)


def test_a_clock_started_on_saturday_starts_monday_at_opening():
    due = add_business_hours(berlin(2026, 3, 7, 11, 0), 2, "Europe/Berlin")
    assert due.astimezone(BERLIN) == berlin(2026, 3, 9, 11, 0)


def test_time_zone_is_the_org_units_not_utc():
    tokyo = ZoneInfo("Asia/Tokyo")
    due = add_business_hours(datetime(2026, 3, 6, 16, 0, tzinfo=tokyo), 8, "Asia/Tokyo")
    assert due.astimezone(tokyo) == datetime(2026, 3, 9, 15, 0, tzinfo=tokyo)


def test_across_the_spring_dst_switch_the_wall_clock_window_holds():
    # Europe switches on Sunday 29 March 2026; Friday 27 16:00 + 8h is still Monday 15:00 local.
    due = add_business_hours(berlin(2026, 3, 27, 16, 0), 8, "Europe/Berlin")
    assert due.astimezone(BERLIN) == berlin(2026, 3, 30, 15, 0)


starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
holiday_sets = st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 3, 31)), max_size=40)
zones = st.sampled_from(["Europe/Berlin", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "UTC"])


@settings(max_examples=150, deadline=None)
@given(start=starts, hours=st.floats(min_value=0.25, max_value=200), holidays=holiday_sets, tz=zones)
def test_deadline_is_inside_business_hours_and_exactly_that_much_business_time_later(start, hours, holidays, tz):
    zone = ZoneInfo(tz)
    due = add_business_hours(start, hours, tz, holidays)
    local = due.astimezone(zone)
    assert due > start
    assert local.weekday() < 5 and local.date() not in holidays
    assert BUSINESS_DAY_START < local.time() <= BUSINESS_DAY_END
    assert abs(business_hours_between(start, due, tz, holidays) - hours) < 1e-6


@settings(max_examples=80, deadline=None)
@given(start=starts, a=st.floats(min_value=0.5, max_value=60), b=st.floats(min_value=0.5, max_value=60), tz=zones)
def test_adding_hours_in_two_steps_equals_adding_them_at_once(start, a, b, tz):
    once = add_business_hours(start, a + b, tz)
    twice = add_business_hours(add_business_hours(start, a, tz), b, tz)
    assert abs(once - twice) < timedelta(microseconds=10)
