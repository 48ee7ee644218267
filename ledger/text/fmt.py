"""Plain-text tables that line up with Chinese text (wide characters take 2 columns).

>>> print(table(["镇", "总分"], [["沙溪镇", "93.7"], ["port", "100"]]))
镇      总分
------  ----
沙溪镇  93.7
port     100
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from ledger.events.codec import decimal_text
from ledger.text.escape import escaped


def width(text: str) -> int:
    """Display columns: East Asian wide/fullwidth characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int, right: bool = False) -> str:
    gap = " " * max(0, cols - width(text))
    return gap + text if right else text + gap


def beijing(stamp: str | None, up: bool = False) -> str:
    """A ledger timestamp (UTC text) as people in China read it: Beijing time to the
    second (``up=True`` rounds a fraction up). JSON output, and a publication receipt,
    keep the exact UTC text, which is what reproduces a card.

    >>> beijing("2017-05-08T02:00:00.000005Z"), beijing("2017-05-08T02:00:00.5Z", up=True)
    ('2017-05-08 10:00:00', '2017-05-08 10:00:01')
    """
    if not stamp:
        return ""
    from datetime import datetime, timedelta, timezone
    try:
        t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    t = t.astimezone(timezone(timedelta(hours=8)))
    if up and t.microsecond:
        t += timedelta(seconds=1)
    return t.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")


def plural(n: int, word: str, lang: str = "en") -> str:
    """``1 working day``, ``2 working days``; Chinese has one form (``2 个工作日``).

    >>> plural(1, "working day"), plural(4, "working day"), plural(4, "working day", "zh")
    ('1 working day', '4 working days', '4 个工作日')
    """
    if lang == "zh":
        return f"{n} " + {"working day": "个工作日", "event": "条事件"}.get(word, word)
    return f"{n} {word}" + ("" if n == 1 else "s")


def num(d: Decimal | int | None) -> str:
    """A number as people write it: exact, no exponent, no trailing zeros (one rule for
    every terminal text, rubric trees included).

    >>> num(Decimal("100.0")), num(Decimal("0.50")), num(None)
    ('100', '0.5', '')
    """
    return "" if d is None else decimal_text(Decimal(d))


def _numeric(cell: str) -> bool:
    try:
        Decimal(cell.lstrip("+-"))
        return True
    except Exception:
        return False


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Left-aligned text, right-aligned numbers, two spaces between columns.

    Cells are shown :func:`~ledger.text.escape.escaped`: a newline in a name cannot forge a row.

    >>> print(table(["town"], [["a\\nb"]]).splitlines()[-1])
    a\\nb
    """
    headers = [escaped(h) for h in headers]
    rows = [[escaped(c) for c in r] for r in rows]
    cols = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    right = [bool(rows) and all(_numeric(r[i]) or r[i] == "" for r in rows)
             for i in range(len(headers))]
    lines = ["  ".join(pad(h, cols[i], right[i]) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * c for c in cols)]
    for r in rows:
        lines.append("  ".join(pad(c, cols[i], right[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)
