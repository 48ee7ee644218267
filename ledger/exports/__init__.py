"""Report exports: the scoreboard and every town's traced card in one file.

Formats: ``html`` (one self-contained, printable page), ``xlsx`` (a 总表 sheet and
one sheet per town, laid out like the rubric's table), ``csv`` (one row per clause
line, UTF-8 with BOM for Excel) and ``json`` (the contract's scoreboard and cards).

Every town in one export is scored at the same ``known_at``: it is resolved once
(default: the ledger as it stands), so the file is reproducible later.

>>> import ledger, tempfile, pathlib
>>> from ledger.demo import build_demo
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> with ledger.open(build_demo(tmp / "demo.db")) as lg:
...     export(lg, "2017", "csv", tmp / "2017.csv", known_at="2018-12-31").name
'2017.csv'
"""

from __future__ import annotations

import calendar
import os
import secrets
import stat
from datetime import date
from pathlib import Path
from typing import Callable

from attrs import evolve

from ledger.errors import LedgerError
from ledger.projections.card import dumps
from ledger.exports.report import Report, number

FORMATS = ("html", "xlsx", "csv", "json")


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from ``start`` to ``end``, plus ``end`` itself.

    >>> [d.isoformat() for d in month_ends(date(2017, 1, 1), date(2017, 3, 15))]
    ['2017-01-31', '2017-02-28', '2017-03-15']
    """
    days, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        last = date(y, m, calendar.monthrange(y, m)[1])
        days.append(min(last, end))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return days


def gather(lg, period: str, as_of=None, known_at=None, *, trees: bool = True,
           series: bool = False, sources: bool = False, town: str | None = None,
           source: str = "city") -> Report:
    """Score every town at one ``known_at`` (resolved once) and collect what exports show.

    ``trees`` adds each town's explain tree; ``series`` each town's total at every
    month end up to ``as_of`` (one card per month and town); ``sources`` each town's
    self-evaluation total. ``town`` keeps only that town (with its rank among all);
    ``source="self"`` scores the towns' self-evaluations.
    """
    known = lg.resolve_known_at(known_at)
    rubric = lg.scoring_rubric(period, known)
    if town is not None:
        lg.score(town, period, as_of=as_of, known_at=known)  # an unknown town: its error
    board = lg.scoreboard(period, as_of=as_of, known_at=known, source=source)
    if town is not None:
        board = evolve(board, towns=tuple(s for s in board.towns if s.town == town))
    out_trees, out_series = {}, {}
    for s in board.towns:
        if trees:
            out_trees[s.town] = lg.explain(s.town, period, as_of=board.as_of, known_at=known,
                                           source=source)
        if series:
            out_series[s.town] = tuple(
                (day, lg.score(s.town, period, as_of=day, known_at=known, source=source).total)
                for day in month_ends(rubric.valid_from, board.as_of))
    self_totals = {s.town: lg.score(s.town, period, as_of=board.as_of, known_at=known,
                                    source="self").total
                   for s in board.towns} if sources and source == "city" else {}
    return Report(board, rubric, out_trees, out_series, self_totals, source)


def to_json(report: Report) -> str:
    """The contract's scoreboard and every card, as ``scoreboard --json``/``score --json``."""
    return dumps({"scoreboard": report.board.to_dict(),
                  "cards": [c.to_dict() for c in report.cards]}, indent=2) + "\n"


def export(lg, period: str, fmt: str, out_path: str | Path, as_of=None,
           known_at=None, town: str | None = None, source: str = "city") -> Path:
    """Write the period's scoreboard and cards to ``out_path`` as ``fmt``; returns the path.

    ``town`` writes that town's file alone (to hand to the town); ``source="self"``
    the self-evaluations.

    The file is written next to its final name and renamed into place, so a failed
    export leaves no half-written file and the old one intact. It never replaces the
    ledger it reads (or its -wal, -shm or -journal), any other SQLite file, or anything
    but a regular file.
    """
    if fmt not in FORMATS:
        raise LedgerError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    out = Path(out_path)
    check_target(out, getattr(getattr(lg, "store", None), "path", None))
    report = gather(lg, period, as_of, known_at, trees=fmt != "json", series=fmt == "html",
                    sources=fmt in ("html", "xlsx"), town=town,
                    source=source)
    if fmt == "html":
        from ledger.exports.html import render_html
        _write(out, lambda tmp: tmp.write_text(render_html(report), encoding="utf-8"))
    elif fmt == "xlsx":
        from ledger.exports.xlsx import write_xlsx
        _write(out, lambda tmp: write_xlsx(report, tmp))
    elif fmt == "csv":
        from ledger.exports.csvfile import write_csv
        _write(out, lambda tmp: write_csv(report, tmp))
    else:
        _write(out, lambda tmp: tmp.write_text(to_json(report), encoding="utf-8"))
    return out


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_target(out: Path, ledger_path: Path | None = None) -> None:
    """Refuse to replace what an export must never destroy: the ledger being read (and its
    companion files), any SQLite database, or anything that is not a regular file.

    >>> import tempfile, pathlib, sqlite3
    >>> db = pathlib.Path(tempfile.mkdtemp(), "other.db")
    >>> sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.close()
    >>> check_target(db)
    Traceback (most recent call last):
    ...
    ledger.errors.LedgerError: refusing to export over ... it is an SQLite database (perhaps a ledger); choose another -o
    """
    if ledger_path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            mine = Path(str(ledger_path) + suffix)
            try:
                same = mine.exists() and out.exists() and os.path.samefile(out, mine)
            except OSError:
                same = False
            if same or (not out.exists() and out.absolute() == mine.absolute()):
                raise LedgerError(f"refusing to export over {out}: it is the ledger being "
                                  f"read{' (' + suffix[1:] + ' file)' if suffix else ''}; "
                                  f"choose another -o")
    try:
        st = os.stat(out)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise LedgerError(f"refusing to export over {out}: not a regular file; choose another -o")
    try:
        with open(out, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
    if head == SQLITE_MAGIC:
        raise LedgerError(f"refusing to export over {out}: it is an SQLite database (perhaps "
                          f"a ledger); choose another -o")


def _write(out: Path, write: Callable[[Path], object]) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: a fresh file of our own, never someone's file or link of that name
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        write(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["FORMATS", "Report", "check_target", "export", "gather", "month_ends", "number", "to_json"]
