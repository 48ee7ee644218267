"""A deterministic generator of realistic ledgers for the benchmarks.

``records(n_towns, per_town, seed)`` yields interchange records: the adoption,
the towns, then a year of findings spread over the rubric's clauses in
realistic proportions, payments and reports, and about 1% retractions and
amendments. The same arguments always give the same records.

Records come in recording order, as a real ledger fills: every town reports
through the year, interleaved (slot ``k`` of every town, then slot ``k + 1``),
and what a record dates (``occurred_on``, approvals, due dates) lies a few days
before the day its slot is recorded. :func:`recording_day` gives that day, so a
benchmark can inject a clock that records each event when it would have been
recorded, and pick meaningful ``known_at`` values.

    python benchmarks/generate.py 500 2000 > ledger-1m.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta

# (clause, weight, max quantity): frequent, cheap clauses dominate real audits
CLAUSES = [("A03.2", 3, 3), ("A05.2", 4, 2), ("A05.3", 4, 2), ("A08.1", 8, 3), ("A08.2", 8, 3),
           ("A09.2", 4, 1), ("A10.4", 4, 2), ("A11.1", 4, 1), ("B02.1", 6, 2), ("B03.3", 4, 1),
           ("B05.1", 8, 4), ("B06.1", 10, 3), ("B06.3", 8, 2), ("B08.1", 8, 2), ("B10.1", 5, 2),
           ("B10.5", 5, 1), ("A01.2", 1, 1), ("B07.1", 2, 1), ("C01.2", 1, 1)]
START = date(2017, 1, 1)
DAYS = 365


def town_name(i: int) -> str:
    return f"镇{i:04d}"


def count(n_towns: int, per_town: int) -> int:
    """How many records :func:`records` yields: the adoption, the towns, the slots."""
    return 1 + n_towns + n_towns * per_town


def recording_day(k: int, per_town: int) -> date:
    """The day slot ``k`` (of ``per_town``) is recorded, spread evenly over the year."""
    return START + timedelta(days=k * DAYS // per_town)


def _before(day: date, lo: int, hi: int, rng: random.Random, earliest: date = START) -> date:
    """A day ``lo``..``hi - 1`` days before ``day``, not before ``earliest``."""
    return max(earliest, day - timedelta(days=rng.randrange(lo, hi)))


def records(n_towns: int, per_town: int, seed: int = 7):
    """Yield ``count(n_towns, per_town)`` records (the adoption, the towns, then
    ``per_town`` records for every town, interleaved in recording order)."""
    rng = random.Random(seed)
    yield {"type": "adopt", "id": "adopt-2017", "period": "2017", "rubric": "taicang-2017"}
    for t in range(n_towns):
        yield {"type": "town", "id": f"town-{t}", "name": town_name(t)}
    weights = [w for _, w, _ in CLAUSES]
    # per town, the findings not retracted yet: [id, quantity > 1 (so an amendment changes it)]
    live: list[list[list]] = [[] for _ in range(n_towns)]
    for k in range(per_town):
        today = recording_day(k, per_town)
        for t in range(n_towns):
            town, mine, rid = town_name(t), live[t], f"{t}-{k}"
            roll = rng.random()
            rec = None
            if roll < 0.05:
                approved = _before(today, 10, 25, rng)
                rec = {"type": "payment", "id": rid, "town": town, "period": "2017",
                       "case": f"c{t}-{k}", "approved_on": approved.isoformat(),
                       "paid_on": (approved + timedelta(days=rng.randint(1, 10))).isoformat()}
            elif roll < 0.07:
                due = _before(today, 5, 20, rng, earliest=START + timedelta(days=10))
                rec = {"type": "report", "id": rid, "town": town, "period": "2017",
                       "report": f"r{k}", "due_on": due.isoformat(),
                       "submitted_on": (due + timedelta(days=rng.randint(0, 4))).isoformat()}
            elif roll < 0.075 and mine:
                target = mine.pop(rng.randrange(len(mine)))
                rec = {"type": "retraction", "id": rid, "finding": target[0],
                       "reason": "复核撤销"}
            elif roll < 0.08:
                # amend a finding counted more than once down to one unit (a real change)
                multi = [f for f in mine if f[1]]
                if multi:
                    target = multi[rng.randrange(len(multi))]
                    target[1] = False
                    rec = {"type": "amendment", "id": rid, "finding": target[0],
                           "quantity": 1, "reason": "复核更正"}
            if rec is None:
                clause, _, max_q = rng.choices(CLAUSES, weights)[0]
                rec = {"type": "finding", "id": rid, "town": town, "period": "2017",
                       "clause": clause, "occurred_on": _before(today, 0, 14, rng).isoformat(),
                       "note": "核查发现", "evidence": [f"记录{k}"]}
                q = rng.randint(1, max_q)
                if q > 1:
                    rec["quantity"] = q
                mine.append([rid, q > 1])
            yield rec


def write_jsonl(path, n_towns: int, per_town: int, seed: int = 7) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records(n_towns, per_town, seed):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


if __name__ == "__main__":
    for rec in records(int(sys.argv[1]), int(sys.argv[2])):
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
