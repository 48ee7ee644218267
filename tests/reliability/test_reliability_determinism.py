"""Determinism: the same events give byte-identical score JSON in every process,
whatever ``PYTHONHASHSEED`` and ``TZ`` say.

Each environment (TZ = UTC, Asia/Shanghai, America/New_York; several hash seeds) gets
fresh processes that

1. build the ledger from the same record batches with the same injected clock
   (``tests/support/workers.py build``): the chain head must be identical;
2. compute ``canonical_json(card.to_dict())`` for every town at two ``as_of`` and the
   scoreboard, at explicit ``known_at`` values (``… cards``): identical bytes;
3. run the real CLI ``score --json --known-at K`` and ``scoreboard --json``: identical
   stdout bytes, equal in value to the canonical card.

The ``known_at`` values include a bare date and a timestamp without an offset (both
Asia/Shanghai by contract) that falls *between* two events, so a parse that used the
machine's local zone would count a different set of events and show.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import ledger
from ledger.events import canonical_json
from support.workers import TOWNS, FixedClock, finding, setup_records

PY = sys.executable
ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parents[1] / "support" / "workers.py"
# the clock gives 2017-03-01T00:00:01Z, :02Z, … one second per event: 08:00:20 in
# Shanghai is 00:00:20Z, in the middle of the history
KNOWN_AT = ["2017-03-01T08:00:20", "2017-03-01T00:00:33Z", "2017-03-02"]


def batches() -> list[list[dict]]:
    t = TOWNS
    return [
        setup_records(),
        [finding(f"d-f{k}", k) for k in range(12)],
        [{"type": "finding", "id": "d-rate", "town": t[0], "period": "2017", "clause": "B04.2",
          "occurred_on": "2017-04-01", "value": "87.5"},
         {"type": "finding", "id": "d-self", "town": t[1], "period": "2017", "clause": "B06.1",
          "occurred_on": "2017-05-01", "quantity": 4, "source": "self"},
         {"type": "payment", "id": "d-pay", "town": t[2], "period": "2017", "case": "临救-1",
          "approved_on": "2017-09-29", "paid_on": "2017-10-13"},
         {"type": "report", "id": "d-rep", "town": t[3], "period": "2017", "report": "月报06",
          "due_on": "2017-07-10", "submitted_on": "2017-07-20"}],
        [{"type": "retraction", "id": "d-retract", "finding": "d-f1", "reason": "录入错误"}],
        [{"type": "amendment", "id": "d-amend", "finding": "d-f2", "quantity": 1, "reason": "复核"}],
        [finding(f"d-g{k}", k + 100) for k in range(10)],
    ]


ENVS = [("UTC", "0"), ("Asia/Shanghai", "1"), ("America/New_York", "12345"),
        ("America/New_York", str(random.Random().randrange(2**32)))]


def env_for(tz: str, seed: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TZ", "PYTHONHASHSEED")}
    env.update(TZ=tz, PYTHONHASHSEED=seed)
    return env


def run(args, env) -> bytes:
    r = subprocess.run([str(a) for a in args], capture_output=True, env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[-2000:]
    return r.stdout


@pytest.mark.slow  # over a second: a long proof, run by `pytest -m slow` (and CI)
def test_same_events_give_identical_bytes_across_processes_hash_seeds_and_time_zones(tmp_path):
    records = tmp_path / "batches.json"
    records.write_text(json.dumps(batches(), ensure_ascii=False), encoding="utf-8")
    towns = json.dumps(list(TOWNS), ensure_ascii=False)

    # the reference: built and scored in this process
    ref_db = tmp_path / "reference.db"
    with ledger.open(ref_db, clock=FixedClock()) as lg:
        for b in batches():
            lg.append(b)
        ref_head = str(lg.head())
        ref_cards = {k: canonical_json(lg.score(TOWNS[0], "2017", known_at=k).to_dict())
                     for k in KNOWN_AT}
    # a card at a timestamp between events differs from the last one: the test has teeth
    assert len(set(ref_cards.values())) > 1

    outputs = {}
    for i, (tz, seed) in enumerate(ENVS):
        env = env_for(tz, seed)
        db = tmp_path / f"env{i}.db"
        head = run([PY, WORKERS, "build", db, records], env).decode().strip()
        assert head == ref_head, f"TZ={tz} PYTHONHASHSEED={seed}: another chain"
        got = {"head": head}
        for k in KNOWN_AT:
            got[f"cards {k}"] = run([PY, WORKERS, "cards", db, towns, k], env)
        for k in KNOWN_AT[:2]:
            got[f"cli score {k}"] = run([PY, "-m", "ledger", "--db", db, "score", "--town", TOWNS[0],
                                         "--period", "2017", "--json", "--known-at", k], env)
        got["cli scoreboard"] = run([PY, "-m", "ledger", "--db", db, "scoreboard", "--period", "2017",
                                     "--json", "--known-at", KNOWN_AT[2]], env)
        outputs[(tz, seed)] = got

    first_env, first = next(iter(outputs.items()))
    for env_key, got in outputs.items():
        for name in first:
            assert got[name] == first[name], f"{name} differs between {first_env} and {env_key}"
    # the children's canonical cards are this process's, and the CLI prints the same values
    for k in KNOWN_AT:
        cards = json.loads(first[f"cards {k}"])
        assert cards[f"{TOWNS[0]}@None"] == ref_cards[k]
    for k in KNOWN_AT[:2]:
        cli = json.loads(first[f"cli score {k}"], parse_float=Decimal)
        assert canonical_json(cli) == ref_cards[k]
    print(f"\n[determinism] environments={len(outputs)} "
          f"({', '.join(f'TZ={tz} seed={s}' for tz, s in outputs)}) outputs compared="
          f"{len(first) * len(outputs)} differences=0")


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_naive_known_at_means_shanghai_whatever_the_machine_zone(tmp_path, tz):
    """In process, under a changed TZ (``time.tzset``): a naive known_at is read as
    Asia/Shanghai, so it selects the same events as its explicit +08:00 form."""
    import time
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        with ledger.open(tmp_path / "tz.db", clock=FixedClock()) as lg:
            for b in batches():
                lg.append(b)
            naive = lg.score(TOWNS[0], "2017", known_at="2017-03-01T08:00:20")
            explicit = lg.score(TOWNS[0], "2017", known_at="2017-03-01T00:00:20Z")
            assert canonical_json(naive.to_dict()) == canonical_json(explicit.to_dict())
            assert naive.known_at == "2017-03-01T00:00:20.000000Z"
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
