"""Working days by the State Council's official calendar (``chinesecalendar``).

Make-up Saturdays (调休上班) are working days; holidays falling on weekdays are
not. A date the calendar does not cover is an error, never a guess.

>>> from datetime import date
>>> nth_working_day_after(date(2017, 9, 29), 5)   # National Day week in between
datetime.date(2017, 10, 12)
>>> working_days_between(date(2017, 1, 25), date(2017, 2, 6))   # Spring Festival
4
>>> working_day_on_or_after(date(2017, 3, 12))   # a Sunday moves to Monday
datetime.date(2017, 3, 13)
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


# Why a due date on a rest day moves: the Civil Code's rule for the last day of a period.
DUE_MOVES_RULE = "民法典 第二百零三条"
DUE_MOVES_TEXT = "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"


@lru_cache(maxsize=8192)
def working_day_on_or_after(day: date) -> date:
    """``day`` if it is a working day, else the next working day (民法典 第二百零三条)."""
    while not is_working_day(day):
        day += timedelta(days=1)
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
