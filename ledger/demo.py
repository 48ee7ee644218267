"""The demo: a deterministic, realistic 2017 ledger for Taicang's towns.

The records are the same on every run (a seeded generator). Their ``recorded_at``
follow a simulated year (findings recorded a few days after the month they
belong to, corrections in 2018), so ``known_at`` questions have real answers.

>>> records = demo_records()
>>> sum(1 for r in records if r["type"] == "town")
8
"""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import ledger
from ledger.errors import LedgerError
from ledger.store.sqlite import event_contents
from ledger.text.cards import render_board, render_card

TOWNS = ["城厢镇", "沙溪镇", "浏河镇", "浮桥镇", "璜泾镇", "双凤镇", "娄东街道", "港区"]
DEMO_MARK = "demo-adopt-2017"  # the first event of every demo ledger (not proof of one)

# (clause, relative frequency, max quantity) for the city's verification findings.
CLAUSES = [("A01.2", 2, 1), ("A03.2", 3, 2), ("A03.3", 2, 1), ("A05.2", 3, 2), ("A05.3", 3, 2),
           ("A08.1", 5, 2), ("A08.2", 5, 2), ("A09.2", 3, 1), ("A10.1", 2, 1), ("A10.4", 3, 2),
           ("A11.1", 3, 1), ("B02.1", 4, 2), ("B03.3", 3, 1), ("B05.1", 5, 3), ("B06.1", 6, 3),
           ("B06.3", 5, 2), ("B07.1", 2, 1), ("B08.1", 5, 2), ("B10.1", 3, 2), ("B10.5", 3, 1),
           ("C01.2", 1, 1)]
REPORTS = [("月报%02d" % m, date(2017, m, 10)) for m in range(1, 13)] + \
          [("年审报告", date(2017, 1, 25))]


def demo_records(seed: int = 2017) -> list[dict]:
    """The demo's interchange records, in the order they are imported (deterministic)."""
    rng = random.Random(seed)
    recs: list[dict] = [{"type": "adopt", "id": DEMO_MARK, "period": "2017",
                         "rubric": "taicang-2017", "actor": "市民政局"}]
    recs += [{"type": "town", "id": f"town-{i + 1}", "name": t, "actor": "市民政局"}
             for i, t in enumerate(TOWNS)]
    weights = [w for _, w, _ in CLAUSES]
    for ti, town in enumerate(TOWNS):
        code = f"t{ti + 1}"
        for n in range(rng.randint(10, 24)):
            clause, _, max_q = rng.choices(CLAUSES, weights)[0]
            day = date(2017, 1, 1) + timedelta(days=rng.randrange(0, 364))
            q = rng.randint(1, max_q)
            rec = {"type": "finding", "id": f"{code}-f{n + 1:03d}", "town": town, "period": "2017",
                   "clause": clause, "occurred_on": day.isoformat(), "actor": "市民政局核查组",
                   "evidence": [f"核查记录{day:%m%d}-{n + 1}"]}
            if q > 1:
                rec["quantity"] = q
            recs.append(rec)
        # household-survey rate, measured twice; the later measurement counts
        recs.append(_finding(code, "b042a", town, "B04.2", "2017-06-30", value="98.5"))
        recs.append(_finding(code, "b042b", town, "B04.2", "2017-12-20",
                             value=str(rng.choice([100, 99.2, 97.4, 96.8]))))
        for k in range(rng.randint(8, 16)):
            approved = date(2017, 1, 3) + timedelta(days=rng.randrange(0, 355))
            paid = approved + timedelta(days=rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 9]))
            recs.append({"type": "payment", "id": f"{code}-p{k + 1:02d}", "town": town,
                         "period": "2017", "case": f"临救{ti + 1}-{k + 1:02d}",
                         "approved_on": approved.isoformat(), "paid_on": paid.isoformat()})
        for k, (name, due) in enumerate(REPORTS):
            delay = rng.choice([0, 0, 0, 0, 0, 1, 2, 3])
            recs.append({"type": "report", "id": f"{code}-r{k + 1:02d}", "town": town,
                         "period": "2017", "report": name, "due_on": due.isoformat(),
                         "submitted_on": (due + timedelta(days=delay)).isoformat()})
        # every town's own self-evaluation, usually milder than the city's check
        recs.append({**_finding(code, "s1", town, "B06.1", "2017-12-15"), "source": "self"})
    # holidays: approved before National Day (paid 10-13: late), before Dragon Boat (on time
    # thanks to the make-up Saturday 05-27); the Spring Festival annual report 4 days late
    recs += [
        {"type": "payment", "id": "t2-p90", "town": "沙溪镇", "period": "2017", "case": "临救2-90",
         "approved_on": "2017-09-29", "paid_on": "2017-10-13"},
        {"type": "payment", "id": "t2-p91", "town": "沙溪镇", "period": "2017", "case": "临救2-91",
         "approved_on": "2017-05-26", "paid_on": "2017-06-05"},
        {"type": "report", "id": "t2-r90", "town": "沙溪镇", "period": "2017",
         "report": "2016年度救助工作总结", "due_on": "2017-01-25", "submitted_on": "2017-02-06"},
        # due on National Day (a rest day): the due date moves to 10-09 (民法典 第二百零三条),
        # so a submission on 10-11 is 2 working days late, not 3
        {"type": "report", "id": "t2-r92", "town": "沙溪镇", "period": "2017",
         "report": "2017年第三季度报表", "due_on": "2017-10-01", "submitted_on": "2017-10-11"},
        _finding("t2", "a041", "沙溪镇", "A04.1", "2017-07-31"),
        # bonuses need their evidence: the document, agreement or commendation notice
        {**_finding("t1", "d011", "城厢镇", "D01.1", "2017-04-18"), "note": "与社工机构签订协议",
         "evidence": ["城厢镇与社工机构签订的救助服务协议（2017-04-18）"]},
        {**_finding("t1", "d023", "城厢镇", "D02.3", "2017-06-12", project="困境儿童关爱计划"),
         "note": "苏州市局通报表彰", "evidence": ["苏州市民政局通报表彰文件"]},
        {**_finding("t1", "d022", "城厢镇", "D02.2", "2017-11-20", project="困境儿童关爱计划"),
         "note": "省厅通报表彰（同一项目依最高分统计）", "evidence": ["江苏省民政厅通报表彰文件"]},
        {**_finding("t3", "d012", "浏河镇", "D01.2", "2017-05-08"), "note": "镇级出台文件",
         "evidence": ["浏河镇人民政府文件（引导社会组织拓展救助内涵）"]},
        # a condition found twice deducts once; the second finding is more evidence
        _finding("t4", "b083a", "浮桥镇", "B08.3", "2017-09-14"),
        {**_finding("t4", "b083b", "浮桥镇", "B08.3", "2017-11-23"), "note": "复查仍未落实年审"},
        {**_finding("t5", "v2", "璜泾镇", "V2", "2017-11-02"),
         "note": "审计查出低保资金违规发放，经市局核实认定", "evidence": ["审计报告（2017）第12号"]},
    ]
    recs += window_records()
    return recs


def window_records() -> list[dict]:
    """The assessment window (to 2018-02-28): what happens after the year still counts.

    A payment approved 12-25 is unpaid at first (late from 2018-01-03) and then paid on
    01-10 (still late); the year-end summary due 2018-01-15 comes in 4 working days late;
    a town's self-evaluation, due "于次年2月底前", is never reported.
    """
    return [
        {"type": "payment", "id": "t2-p92", "town": "沙溪镇", "period": "2017", "case": "临救2-92",
         "approved_on": "2017-12-25"},
        {"type": "payment", "id": "t2-p92b", "town": "沙溪镇", "period": "2017",
         "case": "临救2-92", "approved_on": "2017-12-25", "paid_on": "2018-01-10"},
        {"type": "report", "id": "t2-r91", "town": "沙溪镇", "period": "2017",
         "report": "2017年终工作总结", "due_on": "2018-01-15", "submitted_on": "2018-01-19"},
        {**_finding("t8", "a093", "港区", "A09.3", "2018-02-28"),
         "note": "救助工作绩效自评价未于次年2月底前上报"},
    ]


def corrections() -> list[dict]:
    """Corrections recorded in 2018: a retraction and an amendment."""
    return [
        {"type": "retraction", "id": "t2-x1", "finding": "t2-f001", "actor": "市民政局",
         "reason": "复核发现该问题系重复记录"},
        {"type": "amendment", "id": "t2-x2", "finding": "t2-f002", "quantity": 1,
         "actor": "市民政局", "reason": "复核后核减为1例"},
    ]


def _finding(code, suffix, town, clause, day, **extra) -> dict:
    return {"type": "finding", "id": f"{code}-{suffix}", "town": town, "period": "2017",
            "clause": clause, "occurred_on": day, "actor": "市民政局核查组", **extra}


class SimulatedClock:
    """Recording time for the demo: moves forward as the simulated year goes on."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def build_demo(path: str | Path) -> Path:
    """(Re)build the demo ledger at ``path``.

    The demo is built beside ``path`` and renamed into place. An existing file is
    replaced only when it holds exactly the demo's own events (every id, type and
    payload the fresh build holds, and nothing more); anything else (a real ledger,
    a demo with a finding or publication appended, a file that is no ledger) is
    refused and left untouched.
    """
    path = Path(path)
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise LedgerError(f"{path} exists and is not a regular file; left untouched "
                          f"(give another --db for the demo)")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.demo")
    try:
        _build(tmp)
        fresh = _events(tmp)
        if fresh is None:
            raise LedgerError(f"the demo ledger could not be read back from {tmp}")
        if path.exists():
            _check_is_demo(path, fresh)
            for suffix in ("-wal", "-shm"):  # the old file's: they must not meet the new one
                Path(str(path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, path)
    except OSError as exc:
        raise LedgerError(f"cannot write the demo ledger {path}: {exc.strerror or exc}") from None
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
    return path


def _build(path: Path) -> None:
    clock = SimulatedClock(datetime(2017, 1, 5, 9, 0, tzinfo=timezone.utc))
    records = demo_records()
    setup = [r for r in records if r["type"] in ("adopt", "town")]
    rest = [r for r in records if r["type"] not in ("adopt", "town")]
    with ledger.open(path, clock=clock) as lg:
        lg.append(setup)
        # record each month's events a week after the month ends
        # (the window's January and February 2018 too: months 13 and 14)
        for month in range(1, 15):
            year, after = 2017 + month // 12, month % 12 + 1
            clock.now = datetime(year, after, 8, 2, 0, tzinfo=timezone.utc)
            lg.append(r for r in rest if _month(r) == month)
        clock.now = datetime(2018, 3, 15, 2, 0, tzinfo=timezone.utc)
        lg.append(corrections())
    conn = sqlite3.connect(path)
    try:  # everything into the main file, so that renaming it alone moves the whole ledger
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _month(rec: dict) -> int:
    """The month a record belongs to, counted from January 2017 (February 2018 is 14);
    a payment's later record (with its paid_on) belongs to the month it was paid."""
    day = rec.get("occurred_on") or rec.get("approved_on") or rec.get("due_on")
    if rec["type"] == "payment" and rec["id"].endswith("b"):
        day = rec["paid_on"]
    return (int(day[:4]) - 2017) * 12 + int(day[5:7])


def _events(path: Path) -> list[tuple] | None:
    """Every event's (id, type, schema version, payload), read without opening a ledger."""
    return event_contents(path)


def _check_is_demo(path: Path, fresh: list[tuple]) -> None:
    """Refuse unless ``path`` holds exactly the events of a fresh demo build."""
    held = _events(path)
    if held is None:
        raise LedgerError(f"{path} exists and is not a demo ledger (not a ledger at all); "
                          f"left untouched (give another --db for the demo)")
    if held == fresh:
        return
    where = next((i for i, (a, b) in enumerate(zip(held, fresh)) if a != b), None)
    if where is not None:
        what = f"its event {where + 1} ({held[where][0]!r}) is not the demo's"
    elif len(held) > len(fresh):
        what = (f"it holds {len(held) - len(fresh)} event(s) the demo did not write "
                f"(first {held[len(fresh)][0]!r})")
    else:
        what = f"it lacks {len(fresh) - len(held)} of the demo's events"
    raise LedgerError(f"{path} is a ledger but not a demo ledger: {what}; left untouched "
                      f"(give another --db for the demo)")


FRAME = {
    "zh": {"built": "演示账本：{db}（{n} 条事件，哈希链已核对）", "board": "== 2017 年度评价结果 ==",
           "card": "== {town}：评分卡（每项扣分及其依据） ==", "more": "进一步查看："},
    "en": {"built": "demo ledger: {db} ({n} events, chain verified)", "board": "== 2017 scoreboard ==",
           "card": "== {town}: traced card ==", "more": "Explore further:"},
}


def run_demo(path: str | Path, town: str = "沙溪镇", lang: str = "zh") -> str:
    """Build the demo and return what ``python -m ledger demo`` prints (Chinese, or
    English with ``lang="en"``)."""
    path = build_demo(path)
    with ledger.open(path) as lg:
        board = lg.scoreboard("2017", known_at="2018-12-31")
        card = lg.score(town, "2017", known_at="2018-12-31")
        rubric = lg.scoring_rubric("2017", "2018-12-31")
        n = lg.verify()
    db, t = str(path), FRAME["en" if lang == "en" else "zh"]
    suffix = " --lang en" if lang == "en" else ""
    return "\n".join([
        t["built"].format(db=db, n=n), "",
        t["board"], render_board(board, lang), "",
        t["card"].format(town=town), render_card(card, rubric, lang), "",
        t["more"],
        f"  python -m ledger --db {db} score --town {town} --period 2017 --json",
        f"  python -m ledger --db {db} score --town {town} --period 2017 --known-at 2018-01-01{suffix}",
        f"  python -m ledger --db {db} score --town {town} --period 2017 --as-of 2017-06-30{suffix}",
        f"  python -m ledger --db {db} explain --town {town} --period 2017 --clause A09.1{suffix}",
        f"  python -m ledger --db {db} scoreboard --period 2017 --lang en",  # English, shown
        f"  python -m ledger --db {db} verify{suffix}",
        f"  python -m ledger rubric show taicang-2017{suffix}",
    ])
