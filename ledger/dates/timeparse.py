"""Parsing the contract's dates and timestamps.

``as_of`` is a date (the end of that day). ``known_at`` is ISO 8601; without an
offset it means Asia/Shanghai local time, and a bare date means the end of that
day in Asia/Shanghai.

>>> parse_known_at("2017-06-30").isoformat()
'2017-06-30T23:59:59.999999+08:00'
>>> parse_known_at("2017-06-30T10:00:00Z").isoformat()
'2017-06-30T10:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from ledger.errors import LedgerError

# China has kept UTC+8 without daylight saving since 1991: a fixed offset is exact
# for every date a ledger can hold, and needs no tz database on the machine.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_as_of(value: date | str) -> date:
    if isinstance(value, datetime):
        raise LedgerError(f"as_of must be a date, not a timestamp ({value})")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise LedgerError(f"as_of {value!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LedgerError(f"as_of {value!r} is not a valid date") from None


def parse_known_at(value: datetime | date | str) -> datetime:
    """``known_at`` as an aware datetime; one that UTC or Beijing time cannot hold (years
    1 to 9999) is an error, not an ``OverflowError``.

    >>> parse_known_at("9999-12-31T23:59:59-01:00")
    Traceback (most recent call last):
    ...
    ledger.errors.LedgerError: known_at '9999-12-31T23:59:59-01:00' lies outside the years 0001 to 9999 in UTC or Beijing time
    """
    dt = _known_at(value)
    try:
        dt.astimezone(timezone.utc), dt.astimezone(SHANGHAI)
    except (OverflowError, ValueError):
        raise LedgerError(f"known_at {str(value)[:60]!r} lies outside the years 0001 to 9999 "
                          f"in UTC or Beijing time") from None
    return dt


def _known_at(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time.max, SHANGHAI)
    if not isinstance(value, str):
        raise LedgerError(f"known_at {value!r} is not a timestamp")
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            return datetime.combine(date.fromisoformat(text), time.max, SHANGHAI)
        except ValueError:
            raise LedgerError(f"known_at {value!r} is not a valid date") from None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise LedgerError(f"known_at {value!r} is not an ISO 8601 timestamp "
                          f"(e.g. 2017-06-30T12:00:00+08:00, or a date)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
