"""Working days by the State Council's official calendar (``chinesecalendar``).

Make-up Saturdays (调休上班) are working days; holidays falling on weekdays are
not. A date the calendar does not cover is an error, never a guess.

>>> from datetime import date
>>> nth_working_day_after(date(2017, 9, 29), 5)   # National Day week in between
datetime.date(2017, 10, 12)
>>> working_days_between(date(2017, 1, 25), date(2017, 2, 6))   # Spring Festival
4
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from ledger.errors import CalendarError


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """True on the official calendar's working days (make-up Saturdays included)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise CalendarError(f"the official working-day calendar does not cover {day}: {exc}") from None


@lru_cache(maxsize=8192)
def nth_working_day_after(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (the start day itself is not counted)."""
    day, seen = start, 0
    while seen < n:
        day += timedelta(days=1)
        if is_working_day(day):
            seen += 1
    return day


@lru_cache(maxsize=65536)
def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open span (start, end]; 0 when end <= start."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
