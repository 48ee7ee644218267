"""Valid time (as_of) and transaction time (known_at), by hand.

recorded_at comes from an injected clock: the first event of a batch gets the clock's
time exactly, the next ones +1 µs each (strictly increasing). known_at as a bare date is
the end of that day in Asia/Shanghai (UTC+8): "2017-03-01" = 2017-03-01T15:59:59.999999Z.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from support.scoring import (
    REVISED,
    amendment,
    env,  # noqa: F401  (fixture)
    finding,
    needs_revised,
    payment,
    report,
    retraction,
)

D = Decimal
SHANGHAI = timezone(timedelta(hours=8))


# -------------------------------------------------------------------------------------------
# retraction
# -------------------------------------------------------------------------------------------
@pytest.fixture
def retracted(env):
    # f: B06.1 × 3 on 03-01 (0.3), recorded 2017-03-02T02:00Z; retracted at 2017-04-01T02:00Z
    f = finding("B06.1", "2017-03-01", quantity=3)
    env.append([f], at="2017-03-02T02:00:00Z")
    r = retraction(f["id"])
    env.append([r], at="2017-04-01T02:00:00Z")
    return env, f, r


@pytest.mark.parametrize("known_at, as_of, total", [
    ("2017-03-01", "2017-12-31", D(100)),                # f not recorded yet
    ("2017-03-02T01:59:59.999999Z", "2017-12-31", D(100)),
    ("2017-03-02T02:00:00Z", "2017-12-31", D("99.7")),  # "at or before T" counts
    ("2017-03-02", "2017-12-31", D("99.7")),
    ("2017-03-02", "2017-03-15", D("99.7")),
    ("2017-03-02", "2017-02-28", D(100)),                # as_of before occurred_on
    ("2017-04-01T01:59:59.999999Z", "2017-12-31", D("99.7")),  # retraction not yet known
    ("2017-04-01T09:59:59", "2017-12-31", D("99.7")),    # no offset = Shanghai = 01:59:59Z
    ("2017-04-01T10:00:00", "2017-12-31", D(100)),       # = 02:00:00Z: retraction known
    ("2017-04-01T02:00:00Z", "2017-12-31", D(100)),
    ("2017-04-01T10:00:00+08:00", "2017-03-15", D(100)),  # applies at every as_of once known
    ("2017-04-01", "2017-03-01", D(100)),
    ("2017-04-01", "2017-12-31", D(100)),
])
def test_retraction_known_at(retracted, known_at, as_of, total):
    env, f, r = retracted
    card = env.score(as_of=as_of, known_at=known_at)
    assert card.total == total
    if total == D(100):
        assert card.line("B06.1") is None


def test_retraction_known_at_as_datetime_objects(retracted):
    env, f, r = retracted
    before = datetime(2017, 4, 1, 9, 59, 59, tzinfo=SHANGHAI)
    after = datetime(2017, 4, 1, 10, 0, 0, tzinfo=SHANGHAI)
    assert env.score(known_at=before).total == D("99.7")
    assert env.score(known_at=after).total == D(100)
    # a date object: the end of that day, Shanghai
    assert env.score(known_at=date(2017, 3, 31)).total == D("99.7")
    assert env.score(known_at=date(2017, 4, 1)).total == D(100)


def test_retraction_of_veto_restores_grade(env):
    v = finding("V3", "2017-05-01")
    env.append([finding("A01.2"), v], at="2017-05-02T02:00:00Z")
    env.append([retraction(v["id"])], at="2017-06-01T02:00:00Z")
    before = env.score(known_at="2017-05-31")
    assert (before.total, before.grade, list(before.vetoes)) == (D("99.5"), "不合格", [v["id"]])
    after = env.score(known_at="2017-06-01")
    assert (after.total, after.grade, list(after.vetoes)) == (D("99.5"), "优秀", [])
    # once known, at every as_of
    assert env.score(as_of="2017-05-15", known_at="2017-06-01").grade == "优秀"


def test_retraction_of_payment_and_report(env):
    # late payment (0.1) and a report 4 working days late (0.4) -> 99.5; both retracted -> 100
    p = payment("K", "2017-09-29", "2017-10-13")
    r = report("1月报表", "2017-01-25", "2017-02-06")
    env.append([p, r], at="2017-10-20T02:00:00Z")
    env.append([retraction(p["id"]), retraction(r["id"])], at="2017-11-01T02:00:00Z")
    assert env.score(known_at="2017-10-31").total == D("99.5")
    card = env.score(known_at="2017-11-01")
    assert card.total == D(100)
    assert card.line("C02.1") is None and card.line("A09.1") is None


# -------------------------------------------------------------------------------------------
# amendment
# -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("known_at, as_of, amount", [
    ("2017-04-30", "2017-12-31", D("0.3")),   # amendment (recorded 05-01 02:00Z) not known
    ("2017-04-30", "2017-03-15", D("0.3")),
    ("2017-05-01", "2017-12-31", D("0.5")),   # known: quantity 5 -> 0.5
    ("2017-05-01", "2017-03-15", D("0.5")),   # at every as_of from occurred_on on
    ("2017-05-01", "2017-02-28", None),       # still nothing before occurred_on
])
def test_amendment_known_at(env, known_at, as_of, amount):
    f = finding("B06.1", "2017-03-01", quantity=3)
    env.append([f], at="2017-03-02T02:00:00Z")
    env.append([amendment(f["id"], quantity=5)], at="2017-05-01T02:00:00Z")
    card = env.score(as_of=as_of, known_at=known_at)
    line = card.line("B06.1")
    if amount is None:
        assert line is None
        assert card.total == D(100)
    else:
        assert line.amount == amount
        assert line.quantity == int(amount * 10)
        assert card.total == D(100) - amount


def test_amendment_of_rate_value(env):
    # B04.2 97.4% -> 0.2; amended to 95% -> 5 points short -> 0.5
    f = finding("B04.2", "2017-03-01", value=D("97.4"))
    env.append([f], at="2017-03-02T02:00:00Z")
    env.append([amendment(f["id"], value=D("95"))], at="2017-05-01T02:00:00Z")
    assert env.score(known_at="2017-04-30").line("B04.2").amount == D("0.2")
    card = env.score(known_at="2017-05-01")
    assert card.line("B04.2").amount == D("0.5")
    assert card.total == D("99.5")


def test_two_amendments_last_one_wins(env):
    f = finding("B07.1", "2017-03-01", quantity=2)           # 1.0
    env.append([f], at="2017-03-02T02:00:00Z")
    env.append([amendment(f["id"], quantity=6)], at="2017-04-01T02:00:00Z")  # 3.0
    env.append([amendment(f["id"], quantity=1)], at="2017-05-01T02:00:00Z")  # 0.5
    assert env.score(known_at="2017-03-31").total == D(99)
    assert env.score(known_at="2017-04-30").total == D(97)
    assert env.score(known_at="2017-05-01").total == D("99.5")


# -------------------------------------------------------------------------------------------
# valid time: as_of
# -------------------------------------------------------------------------------------------
def test_as_of_before_occurred_on_excludes(env):
    f = finding("A01.2", "2017-06-15")
    env.append([f])
    assert env.score(as_of="2017-06-14").total == D(100)
    assert env.score(as_of="2017-06-14").line("A01.2") is None
    assert env.score(as_of="2017-06-15").total == D("99.5")   # as_of D = end of day D
    assert env.score(as_of=date(2017, 12, 31)).total == D("99.5")
    # contract v2: the default as_of is the end of the assessment window (次年2月底前)
    assert env.score().as_of == date(2018, 2, 28)


def test_late_recorded_finding_backdated(env):
    # a finding that occurred 03-01 but was recorded only in June: known_at decides whether it
    # is seen, as_of whether it has happened.
    f = finding("B06.1", "2017-03-01", quantity=2)
    env.append([f], at="2017-06-10T02:00:00Z")
    assert env.score(as_of="2017-03-31", known_at="2017-06-09").total == D(100)
    assert env.score(as_of="2017-03-31", known_at="2017-06-10").total == D("99.8")


# -------------------------------------------------------------------------------------------
# a later adopt switches the period's rubric from its recorded_at on
# -------------------------------------------------------------------------------------------
@needs_revised
def test_later_adopt_switches_rubric(env):
    # adopted taicang-2017 at 2017-01-02; B06.1 × 3 and a late payment recorded 03-02/10-20;
    # revised edition adopted 2017-11-01T02:00Z (B06.1 and C02.1 at 0.2).
    env.append([finding("B06.1", "2017-03-01", quantity=3)], at="2017-03-02T02:00:00Z")
    env.append([payment("K", "2017-09-29", "2017-10-13")], at="2017-10-20T02:00:00Z")
    env.append([{"type": "adopt", "id": "a-revised", "period": "2017", "rubric": str(REVISED)}],
               at="2017-11-01T02:00:00Z")
    old = env.score(known_at="2017-10-31")
    assert old.rubric_id == "taicang-2017"
    assert old.line("B06.1").amount == D("0.3")
    assert old.total == D("99.6")                  # 100 - 0.3 - 0.1
    new = env.score(known_at="2017-11-01")
    assert new.rubric_id == "taicang-2017-revised"
    assert new.line("B06.1").amount == D("0.6")
    assert new.line("C02.1").amount == D("0.2")
    assert new.total == D("99.2")                  # 100 - 0.6 - 0.2
    assert env.score().rubric_id == "taicang-2017-revised"   # now
    assert env.lg.rubric_for("2017", known_at="2017-10-31").id == "taicang-2017"
    assert env.lg.rubric_for("2017", known_at="2017-11-01").id == "taicang-2017-revised"
    # the scoreboard follows the same rule
    assert env.lg.scoreboard("2017", known_at="2017-10-31").towns[0].total == D("99.6")
    assert env.lg.scoreboard("2017", known_at="2017-11-01").towns[0].total == D("99.2")


@needs_revised
def test_later_adopt_allows_new_clause_only_from_then(env):
    # B06.4 exists only in the revised edition: refused before its adopt, accepted after.
    import ledger
    head = env.head()
    with pytest.raises(ledger.LedgerError) as exc:
        env.append([finding("B06.4")], at="2017-03-02T02:00:00Z")
    assert "clause" in str(exc.value)
    assert env.head() == head
    env.append([{"type": "adopt", "id": "a-rev", "period": "2017", "rubric": str(REVISED)}],
               at="2017-04-01T02:00:00Z")
    f = finding("B06.4", quantity=3)
    env.append([f], at="2017-04-02T02:00:00Z")
    assert env.score(known_at="2017-04-02").line("B06.4").amount == D("0.3")
    assert env.score(known_at="2017-04-02").total == D("99.7")


# -------------------------------------------------------------------------------------------
# known_at as a bare date = end of that day, Asia/Shanghai
# -------------------------------------------------------------------------------------------
def test_known_at_bare_date_is_end_of_day_shanghai(env):
    # f1 (B06.1, 0.1) at 2017-03-01T15:59:59Z = 23:59:59 Shanghai on 03-01: known at "2017-03-01"
    # f2 (A01.2, 0.5) at 2017-03-01T16:00:01Z = 00:00:01 Shanghai on 03-02: not yet
    f1 = finding("B06.1", "2017-02-01")
    f2 = finding("A01.2", "2017-02-01")
    env.append([f1], at="2017-03-01T15:59:59Z")
    env.append([f2], at="2017-03-01T16:00:01Z")
    c = env.score(known_at="2017-03-01")
    assert c.total == D("99.9")
    assert c.line("B06.1") is not None and c.line("A01.2") is None
    assert env.score(known_at=date(2017, 3, 1)).total == D("99.9")
    assert env.score(known_at="2017-03-02").total == D("99.4")
    # the same instants with explicit local times
    assert env.score(known_at="2017-03-01T23:59:59").total == D("99.9")
    assert env.score(known_at="2017-03-02T00:00:00").total == D("99.9")
    assert env.score(known_at="2017-03-02T00:00:01").total == D("99.4")
    # and a date the day before: neither
    assert env.score(known_at="2017-02-28").total == D(100)


def test_card_reports_known_at_in_utc(env):
    env.append([finding("B06.1")], at="2017-03-01T02:00:00Z")
    card = env.score(known_at="2017-03-01")
    assert card.known_at == "2017-03-01T15:59:59.999999Z"
    assert card.to_dict()["known_at"] == "2017-03-01T15:59:59.999999Z"


# -------------------------------------------------------------------------------------------
# more corrections
# -------------------------------------------------------------------------------------------
def test_retracting_the_higher_level_revives_the_lower(env):
    # D02: P at 市 (0.5) and 省 (1) -> 1. Retract the 省 finding (recorded 07-01): from then on
    # P counts at 市 again -> 0.5, and the 市 line is no longer zeroed.
    city = finding("D02.3", "2017-03-01", project="P", evidence=["依据文件"])
    prov = finding("D02.2", "2017-06-01", project="P", evidence=["依据文件"])
    env.append([city, prov], at="2017-06-02T02:00:00Z")
    env.append([retraction(prov["id"])], at="2017-07-01T02:00:00Z")
    assert env.score(known_at="2017-06-30").bonus == D(1)
    card = env.score(known_at="2017-07-01")
    assert card.bonus == D("0.5")
    assert card.line("D02.3").amount == D("0.5")
    assert city["id"] not in card.line("D02.3").zeroed
    assert card.line("D02.2") is None


def test_retracting_the_replacement_payment(env):
    # p1 (K, unpaid) recorded 10-20; p2 (K, paid on time) 10-25; p2 retracted 11-01.
    # known 10-26: p2 current -> on time (100); known 11-01: p2 retracted -> p1 is the live
    # record for K again -> late (99.9).
    p1 = payment("K", "2017-09-29")
    p2 = payment("K", "2017-09-29", "2017-10-10")
    env.append([p1], at="2017-10-20T02:00:00Z")
    env.append([p2], at="2017-10-25T02:00:00Z")
    env.append([retraction(p2["id"])], at="2017-11-01T02:00:00Z")
    assert env.score(known_at="2017-10-26").total == D(100)
    card = env.score(known_at="2017-11-01")
    assert card.total == D("99.9")
    assert list(card.line("C02.1").events) == [p1["id"]]


# -------------------------------------------------------------------------------------------
# known_at parsing
# -------------------------------------------------------------------------------------------
def test_known_at_space_separated_short_form(env):
    # "2017-03-01 15:59:59Z" is 15:59:59 UTC, after the 02:00Z recording -> known
    env.append([finding("B06.1")], at="2017-03-01T02:00:00Z")
    assert env.score(known_at="2017-03-01 15:59:59Z").total == D("99.9")
    assert env.score(known_at="2017-03-01 01:59:59Z").total == D(100)


def test_known_at_space_separated_microsecond_form(env):
    # regression: Ledger._known once passed 27-char "...Z" strings through unparsed and
    # compared them as text (' ' sorts before 'T' -> the event looked unknown)
    env.append([finding("B06.1")], at="2017-03-01T02:00:00Z")
    assert env.score(known_at="2017-03-01 15:59:59.000000Z").total == D("99.9")


def test_known_at_invalid_timestamp_is_an_error(env):
    # regression: the same shortcut accepted this and reported it as the card's known_at
    import ledger
    env.append([finding("B06.1")], at="2017-03-01T02:00:00Z")
    with pytest.raises(ledger.LedgerError):
        env.score(known_at="2017-13-45T99:99:99.000000Z")


def test_known_at_garbage_is_an_error(env):
    import ledger
    for bad in ("yesterday", "2017-02-30", "2017-03-01T25:00:00"):
        with pytest.raises(ledger.LedgerError):
            env.score(known_at=bad)


def test_second_handle_sees_events_appended_through_another(env):
    # another writer (a second Ledger on the same file) appends B06.1 × 3: this handle's card
    # must include it (0.3 -> 99.7)
    import ledger
    other = ledger.open(env.path, clock=lambda: datetime(2017, 5, 1, 2, tzinfo=timezone.utc))
    try:
        other.append([finding("B06.1", "2017-04-01", quantity=3)])
    finally:
        other.close()
    assert env.score(known_at="2017-05-01").total == D("99.7")
    assert env.score(known_at="2017-04-30").total == D(100)


def test_as_of_outside_the_period_is_an_error(env):
    import ledger
    # contract v2: the window (to 2018-02-28) is in range; the day after it is not
    for bad in ("2016-12-31", "2018-03-01", "2017-02-30", "20170301"):
        with pytest.raises(ledger.LedgerError):
            env.score(as_of=bad)


def test_recorded_at_strictly_increasing_even_if_clock_goes_back(env):
    # A (B06.1, 0.1) recorded at 03-02T02:00Z; then the clock is set back three minutes
    # (within the skew the store tolerates) and B (A01.2, 0.5) is appended: its recorded_at
    # must still come after A's, so known at 01:58Z neither counts, known at A's instant
    # only A (99.9), later both (99.4).
    env.append([finding("B06.1", "2017-02-01")], at="2017-03-02T02:00:00Z")
    env.append([finding("A01.2", "2017-02-01")], at="2017-03-02T01:57:00Z")
    assert env.score(known_at="2017-03-02T01:58:00Z").total == D(100)
    assert env.score(known_at="2017-03-02T02:00:00Z").total == D("99.9")
    assert env.score(known_at="2017-03-03").total == D("99.4")


@needs_revised
def test_adopted_rubric_content_is_frozen_in_the_ledger(env, tmp_path):
    # adopt a copy of the revised edition by path, then change the file on disk (B06.1 0.2 ->
    # 0.3): the ledger keeps scoring with the content it stored at adoption: B06.1 × 3 = 0.6
    import hashlib
    copy = tmp_path / "edition.toml"
    text = REVISED.read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    env.append([{"type": "adopt", "id": "a-copy", "period": "2017", "rubric": str(copy)},
                finding("B06.1", quantity=3)], at="2017-04-01T02:00:00Z")
    marker = 'rule = { kind = "per_unit", amount = 0.2, unit = "cases" }'
    at = text.index(marker, text.index('id = "B06.1"'))   # B06.1's own rule line
    changed = text[:at] + marker.replace("0.2", "0.3") + text[at + len(marker):]
    copy.write_text(changed, encoding="utf-8")
    from ledger.rubric import load_rubric
    assert load_rubric(copy).clause("B06.1").rule.amount == D("0.3")   # the file did change
    card = env.score()
    assert card.line("B06.1").amount == D("0.6")
    assert card.total == D("99.4")
    assert card.rubric_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
