"""Shared builders for the hand-computed scoring tests (independent tester's files).

Nothing here computes an expected score: expectations are written by hand in the
tests, from the seed (太政民〔2017〕72号), spec/clause-ids.md and spec/interchange.md.
These helpers only build ledgers and records.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import ledger

D = Decimal
UTC = timezone.utc
REPO = Path(__file__).resolve().parents[2]
BUNDLED_FILE = REPO / "rubrics" / "taicang" / "2017.toml"
REVISED = REPO / "tests" / "support" / "fixtures" / "rubrics" / "taicang-2017-revised.toml"
TOWN = "沙溪镇"
PERIOD = "2017"

needs_revised = pytest.mark.skipif(
    not REVISED.is_file(),
    reason=f"fixture rubric {REVISED} (taicang-2017-revised) does not exist yet")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# An injected clock: returns a settable aware datetime, so recorded_at is exact.
# ---------------------------------------------------------------------------------------------
def ts(text: str) -> datetime:
    """'2017-03-01T15:59:59Z' -> aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime | str = "2017-01-02T00:00:00Z"):
        self.now = ts(now) if isinstance(now, str) else now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime | str) -> None:
        self.now = ts(when) if isinstance(when, str) else when

    def advance(self, **kw) -> None:
        self.now = self.now + timedelta(**kw)


# ---------------------------------------------------------------------------------------------
# Record builders (interchange dicts).
# ---------------------------------------------------------------------------------------------
_ids = itertools.count(1)


def fresh_id(prefix: str = "e") -> str:
    return f"{prefix}-{next(_ids):05d}"


def adopt(rubric: str | Path = "taicang-2017", id: str | None = None, period: str = PERIOD) -> dict:
    return {"type": "adopt", "id": id or fresh_id("a"), "period": period, "rubric": str(rubric)}


def town(name: str = TOWN, id: str | None = None) -> dict:
    return {"type": "town", "id": id or fresh_id("t"), "name": name}


def finding(clause: str, occurred_on: str = "2017-03-01", id: str | None = None,
            town: str = TOWN, period: str = PERIOD, **extra) -> dict:
    rec = {"type": "finding", "id": id or fresh_id("f"), "town": town, "period": period,
           "clause": clause, "occurred_on": occurred_on}
    rec.update(extra)
    return rec


def payment(case: str, approved_on: str, paid_on: str | None = None, id: str | None = None,
            town: str = TOWN, period: str = PERIOD) -> dict:
    rec = {"type": "payment", "id": id or fresh_id("p"), "town": town, "period": period,
           "case": case, "approved_on": approved_on}
    if paid_on is not None:
        rec["paid_on"] = paid_on
    return rec


def report(name: str, due_on: str, submitted_on: str | None = None, id: str | None = None,
           town: str = TOWN, period: str = PERIOD) -> dict:
    rec = {"type": "report", "id": id or fresh_id("r"), "town": town, "period": period,
           "report": name, "due_on": due_on}
    if submitted_on is not None:
        rec["submitted_on"] = submitted_on
    return rec


def retraction(target: str, id: str | None = None, reason: str = "wrong") -> dict:
    return {"type": "retraction", "id": id or fresh_id("x"), "finding": target, "reason": reason}


def amendment(target: str, id: str | None = None, reason: str = "recount", **kw) -> dict:
    rec = {"type": "amendment", "id": id or fresh_id("m"), "finding": target, "reason": reason}
    rec.update(kw)
    return rec


# 0.1-per-unit clauses and how many units fit in their indicator (points / 0.1), from
# clause-ids.md; used to build a town with an exact hand-chosen deduction.
TENTH_CLAUSES = [("A03.2", 50), ("A05.2", 40), ("A08.1", 50), ("A09.2", 30), ("A11.1", 40),
                 ("B02.1", 50), ("B03.1", 40), ("B05.1", 40), ("B06.1", 50), ("B08.1", 40),
                 ("B10.1", 40)]


def deduction_findings(tenths: int, town: str = TOWN) -> list[dict]:
    """Findings deducting exactly ``tenths`` × 0.1 points, no indicator over its points."""
    out, left = [], tenths
    for clause, room in TENTH_CLAUSES:
        if left <= 0:
            break
        n = min(left, room)
        out.append(finding(clause, quantity=n, town=town))
        left -= n
    assert left == 0, "more than 47 points cannot be deducted with these clauses"
    return out


# ---------------------------------------------------------------------------------------------
# A ledger in tmp_path with an injected clock.
# ---------------------------------------------------------------------------------------------
class Env:
    """A real ledger file; appends move the injected clock forward, one hour by default."""

    def __init__(self, path: Path, rubric: str | Path = "taicang-2017",
                 towns=(TOWN,), start: str = "2017-01-02T00:00:00Z"):
        self.path = path
        self.clock = Clock(start)
        self.lg = ledger.open(path, clock=self.clock)
        setup = ([adopt(rubric)] if rubric is not None else []) + [town(t) for t in towns]
        if setup:
            self.lg.append(setup)
        self.clock.advance(hours=1)

    def append(self, records, at: str | None = None) -> int:
        if at is not None:
            self.clock.set(at)
        n = self.lg.append(list(records))
        # so that the default known_at ("now" by the injected clock) sees what was appended
        self.clock.advance(hours=1)
        return n

    def import_file(self, path, at: str | None = None) -> int:
        if at is not None:
            self.clock.set(at)
        n = self.lg.import_file(path)
        self.clock.advance(hours=1)
        return n

    def score(self, town: str = TOWN, period: str = PERIOD, **kw):
        return self.lg.score(town, period, **kw)

    def head(self):
        h = self.lg.head()
        return None if h is None else str(h)

    def close(self):
        self.lg.close()


@pytest.fixture
def env(ledger_url):
    """A ledger with the bundled rubric and one town, on each backend in turn."""
    e = Env(ledger_url)
    yield e
    e.close()


def _plain(o):
    if isinstance(o, Decimal):   # written as the same JSON number text (checked exact)
        f = float(o)
        assert Decimal(repr(f)) == o, f"{o} has no exact short float form"
        return f
    raise TypeError(type(o).__name__)


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False, default=_plain) + "\n"
                            for r in records), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The CLI as a subprocess.
# ---------------------------------------------------------------------------------------------
def run_cli(*args, cwd: Path | None = None, timeout: float = 120,
            english: bool = False) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess; ``english`` sets LEDGER_LANG=en (messages are Chinese
    by default) for tests that read English words."""
    envvars = dict(os.environ)
    envvars.pop("PYTHONIOENCODING", None)
    if english:
        envvars["LEDGER_LANG"] = "en"
    proc = subprocess.run([sys.executable, "-m", "ledger", *map(str, args)], cwd=cwd or REPO,
                          capture_output=True, timeout=timeout, env=envvars)
    proc.stdout_text = proc.stdout.decode("utf-8")
    proc.stderr_text = proc.stderr.decode("utf-8")
    return proc


def assert_one_error_line(proc, code: int = 1) -> str:
    """Exit ``code``, exactly one non-empty stderr line starting 'error:', no traceback."""
    err = proc.stderr_text
    assert "Traceback" not in err, err
    assert proc.returncode == code, (proc.returncode, err)
    lines = err.rstrip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("error:"), err
    return lines[0]


def lines_of(card) -> dict:
    """{clause: (amount, quantity, sorted events)} for every clause line of a card."""
    return {line.clause: (line.amount, line.quantity, tuple(sorted(line.events)))
            for ind in card.indicators for line in ind.lines}

