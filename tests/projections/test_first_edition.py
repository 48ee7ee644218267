"""Migration: a ledger written under the first edition keeps its past, and moves over.

``first-edition.db`` was written and published by the code before contract v2
(``tests/support/fixtures/ledgers/make_first_edition.py`` says how). Its adoption stores
the first edition's text (schema 1), which must score exactly as it did: every
publication reproduces byte-identically, before and after the erratum that adopts the
second edition.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import ledger
from ledger.store.backends import copy_ledger
from ledger.store.postgres import is_postgres_url

from support.scoring import Clock, Env, finding, report

D = Decimal
FIXTURES = Path(__file__).resolve().parents[1] / "support" / "fixtures"
FIRST_DB = FIXTURES / "ledgers" / "first-edition.db"
FIRST_RUBRIC = FIXTURES / "rubrics" / "taicang-2017-first.toml"
FIRST_SHA = "3aaaf83e03baa4339e901418ae33f87bc180cca0cadc9887ecc1354c00d4b028"


@pytest.fixture
def old(ledger_url, tmp_path):
    """The first-edition ledger file, and on PostgreSQL its events copied there."""
    path = tmp_path / "first.db"
    shutil.copyfile(FIRST_DB, path)
    if is_postgres_url(ledger_url):
        copy_ledger(str(path), ledger_url)
        path = ledger_url
    clock = Clock("2026-12-01T02:00:00Z")
    with ledger.open(path, clock=clock) as lg:
        yield lg


def publications(lg) -> list[str]:
    return [e.id for e in lg.store.events() if e.type == "ScorePublished"]


def test_every_first_edition_publication_reproduces_byte_identically(old):
    assert old.verify() > 0
    pubs = publications(old)
    assert len(pubs) == 4
    for pub in pubs:
        r = old.reproduce(pub)
        assert r.matches and r.recomputed == r.published, pub


def test_the_first_edition_still_scores_as_it_did(old):
    assert old.rubric_for("2017").sha256 == FIRST_SHA
    # 沙溪镇: B09.1 × 3 -> 3 (B09 2); the Sunday report 1 working day late -> 0.1: 96.9
    sx = old.score("沙溪镇", "2017")
    assert sx.as_of == date(2017, 12, 31) and sx.total == D("96.9")
    assert sx.line("B09.1").amount == D(3) and sx.line("A09.1").amount == D("0.1")
    # 甲镇: A01.2 × 2 -> 1.0, A05.4 (dated 03-01) 0.5: 98.5; 丙镇: A09.3 × 5 -> 2.5, +0.5: 98
    assert old.score("甲镇", "2017").total == D("98.5")
    assert old.score("丙镇", "2017").total == D(98)
    # vetoed 乙镇 (100) still ranks first by total under the first edition
    assert [(s.rank, s.town) for s in old.scoreboard("2017").towns][0] == (1, "乙镇")
    with pytest.raises(ledger.LedgerError, match="outside period 2017"):
        old.score("沙溪镇", "2017", as_of="2018-01-31")


def test_an_erratum_adopt_moves_the_period_to_the_second_edition(old):
    before = old.resolve_known_at(None)
    old.append([{"type": "adopt", "id": "a-2", "period": "2017", "rubric": "taicang-2017"}])
    now = old.rubric_for("2017")
    assert now.sha256 != FIRST_SHA and now.schema == 2
    assert old.rubric_for("2017", known_at=before).sha256 == FIRST_SHA
    # second edition: 沙溪镇 B09.1 once (1), the Sunday report on time: 99
    sx = old.score("沙溪镇", "2017")
    assert sx.as_of == date(2018, 2, 28) and sx.total == D(99) and sx.line("A09.1") is None
    # 甲镇: A01.2 once (0.5), A05.4 dated 03-01 cannot count before 12-31: 99.5
    # (the finding stays: the period's score is final at the window's end, when it counts)
    assert old.score("甲镇", "2017", as_of="2017-12-30").total == D("99.5")
    # 丙镇: A09.3 capped at 3 reports (1.5); the bonus stays (evidence is an import rule): 99
    bing = old.score("丙镇", "2017")
    assert bing.line("A09.3").amount == D("1.5") and bing.total == D(99)
    # at the window's end 甲镇's A05.4 counts too (0.5 + 0.5 -> 99): three towns tie at 99
    # (丙 U+4E19 < 沙 U+6C99 < 甲 U+7532) and vetoed 乙镇 (100) ranks last
    assert old.score("甲镇", "2017").total == D(99)
    assert [(s.rank, s.town) for s in old.scoreboard("2017").towns] == [
        (1, "丙镇"), (1, "沙溪镇"), (1, "甲镇"), (4, "乙镇")]
    # the publications made under the first edition still reproduce
    assert all(old.reproduce(p).matches for p in publications(old))


def test_diff_between_the_editions_names_what_changed(old):
    d = old.diff("沙溪镇", "2017", {"as_of": "2017-12-31", "rubric": str(FIRST_RUBRIC)},
                 {"as_of": "2017-12-31", "rubric": "taicang-2017"})
    assert (d["total"]["before"], d["total"]["after"]) == (D("96.9"), D(99))
    changed = {line["clause"]: (line["before"], line["after"]) for line in d["lines"]}
    assert changed["B09.1"] == (D(3), D(1)) and changed["A09.1"] == (D("0.1"), D(0))


def test_adopting_the_first_edition_by_path_still_works(ledger_url):
    e = Env(ledger_url, rubric=FIRST_RUBRIC)
    try:
        e.append([finding("B09.1", "2017-08-01"), finding("B09.1", "2017-09-01"),
                  report("2月报表", "2017-03-12", "2017-03-13")])
        card = e.score()
        assert card.rubric_sha256 == FIRST_SHA and card.total == D("97.9")  # 2 + 0.1
    finally:
        e.close()
