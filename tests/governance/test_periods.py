"""Month arithmetic lives once, in governance.periods (issue 21): quarters and parsing a month."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.periods import FIRST_YEAR, LAST_YEAR, month_shift, parse_period, quarter_label, quarter_start


@given(st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31)))
def test_a_quarter_starts_at_its_first_month_and_holds_three(day):
    start = quarter_start(day)
    assert start.day == 1 and start.month in (1, 4, 7, 10) and start.year == day.year
    assert start <= day < month_shift(start, 3)
    assert quarter_label(day) == f"Q{(start.month + 2) // 3} {day.year}"


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03", date(2026, 3, 1)), (" 2026-12-01 ", date(2026, 12, 1)), (date(2026, 2, 1), date(2026, 2, 1)),
    (datetime(2026, 5, 1, 12), date(2026, 5, 1)),
])
def test_a_month_is_read_as_people_write_it(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("2026-13", "Not a month between 2000-01 and 2100-12."), ("1999-12", "Not a month between 2000-01 and 2100-12."),
    ("March 2026", "Use YYYY-MM, e.g. 2025-03."), ("", "Use YYYY-MM, e.g. 2025-03."),
    (date(2026, 3, 15), "Use the first day of the month (or YYYY-MM)."),
])
def test_anything_else_says_what_to_write(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_period(text)
