"""The application: records in, score cards out. The CLI is a thin layer over this.

>>> import ledger, tempfile, os
>>> from datetime import date
>>> with ledger.open(os.path.join(tempfile.mkdtemp(), "audit.db")) as lg:
...     lg.append([{"type": "adopt", "id": "a1", "period": "2017", "rubric": "taicang-2017"},
...                {"type": "town", "id": "t1", "name": "沙溪镇"},
...                {"type": "finding", "id": "f1", "town": "沙溪镇", "period": "2017",
...                 "clause": "B06.1", "occurred_on": "2017-03-01", "quantity": 3}])
...     card = lg.score("沙溪镇", "2017", as_of=date(2017, 6, 30))
3
>>> card.total, card.grade
(Decimal('99.7'), '优秀')
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable

from ledger import readmodel
from ledger.errors import LedgerError, UnknownPeriod, UnknownTown
from ledger.events import codec
from ledger.importing.files import read_records
from ledger.projections.card import ScoreCard
from ledger.projections.diff import compare_sources, diff_boards, diff_cards
from ledger.projections.explain import explain
from ledger.projections.history import HistoryRow, history
from ledger.publishing import Publication, Reproduction, publish, reproduce
from ledger.projections.scoreboard import Scoreboard, rank
from ledger.projections.scoring import check_as_of, score_card, score_evidence
from ledger.projections.state import TownState, fold
from ledger.rubric import Rubric, load_rubric_text, resolve_rubric
from ledger.store.rows import UNSCOPED
from ledger.store import EventStore, Head, format_timestamp
from ledger.dates.timeparse import parse_as_of, parse_known_at
from ledger.suggest import closest, did_you_mean, simplified
from ledger.importing.validation import validate_into


class Ledger:
    """An audit ledger on one SQLite file. Use :func:`ledger.open`."""

    def __init__(self, path: str | Path, clock: Callable[[], datetime] | None = None,
                 timeout: float = 60.0, create: bool = True):
        if not create and not Path(path).is_file():
            raise LedgerError(f"no ledger at {path} (import a file into it to create one)")
        self.store = EventStore(path, clock=clock, timeout=timeout)
        self.clock = self.store.clock
        self._rubrics: dict[str, Rubric] = {}
        self._towns: set[str] = set()  # towns seen registered (a registration is permanent)
        self._fast = readmodel.ensure(self.store.conn, self._head_seq())
        if self._fast:
            self.store.listeners.append(readmodel.on_chunk)

    def _head_seq(self) -> int:
        head = self.store.head()
        return head.seq if head else 0

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- writing ---------------------------------------------------------------
    def append(self, records: Iterable[dict]) -> int:
        """Validate and append interchange records (dicts), all or nothing.

        Returns how many events were appended (records already in the ledger with
        identical content are skipped). Bad input raises LedgerError naming the
        record (``record 3: field 'clause': …``) and appends nothing.
        """
        if isinstance(records, dict):  # lg.append({...}): one record, not a list of them
            raise LedgerError("append takes a list of records, not one record: "
                              "write lg.append([record])")
        numbered = ((f"record {n}", rec) for n, rec in enumerate(records, start=1))
        return self.store.append(lambda reader: validate_into(reader, numbered, self._towns))

    def import_file(self, path: str | Path, progress=None, encoding: str | None = None,
                    sheet: str | None = None) -> int:
        """Import a ``.jsonl``, ``.csv`` or ``.xlsx`` file (see the interchange contract),
        all or nothing. A text file's encoding is detected unless ``encoding`` is given;
        ``sheet`` picks an XLSX sheet (default: the first).

        Errors name the file's line: ``line 7: field 'occurred_on': …``.
        """
        records = read_records(path, progress=progress, encoding=encoding, sheet=sheet)
        return self.store.append(lambda reader: validate_into(reader, records, self._towns))

    # -- reading ---------------------------------------------------------------
    def head(self) -> Head | None:
        """The digest of the last event (``str(head)`` is ``SEQ:HASH``)."""
        return self.store.head()

    def verify(self, digest: str | None = None) -> int:
        """Check the hash chain and guards (and a digest taken earlier); returns the count."""
        return self.store.verify(digest)

    def towns(self, known_at=None) -> list[str]:
        """Registered town names, in registration order."""
        known = self.resolve_known_at(known_at)
        return [e.town for e in self.store.events(type="TownRegistered", recorded_until=known,
                                                  unscoped=True) if e.town is not None]

    def rubric_for(self, period: str, known_at=None) -> Rubric:
        """The rubric adopted for ``period`` as the ledger stood at ``known_at``."""
        known = self.resolve_known_at(known_at)
        row = self.store.conn.execute(
            f"SELECT id FROM events WHERE type = 'RubricAdopted' AND period = ? AND {UNSCOPED} "
            f"AND recorded_at <= ? ORDER BY seq DESC LIMIT 1", (period, known)).fetchone()
        if row is None:
            hints = closest(period, self.periods(known))
            raise UnknownPeriod(f"period {period!r} has no adopted rubric as known at {known}"
                                f"{did_you_mean(hints)}", name=period, suggestions=hints)
        if row[0] not in self._rubrics:  # events never change, so neither does their rubric
            adopted = self.store.get(row[0])
            assert adopted is not None  # the row was just read
            content = codec.decode(adopted.type, adopted.schema_version, adopted.payload).content
            self._rubrics[row[0]] = load_rubric_text(content, origin=f"ledger event {adopted.id}")
        return self._rubrics[row[0]]

    def town_state(self, town: str, period: str, known_at=None) -> TownState:
        """One town's findings and facts for a period, as known at ``known_at``."""
        known = self.resolve_known_at(known_at)
        rows = self.store.events(town=town, period=period, recorded_until=known)
        return fold((codec.decode(e.type, e.schema_version, e.payload), e.recorded_at)
                    for e in rows)

    def score(self, town: str, period: str, as_of: date | str | None = None, known_at=None,
              rubric: str | Rubric | None = None, source: str = "city",
              replay: bool = False) -> ScoreCard:
        """A town's :class:`ScoreCard` at the end of ``as_of`` (default: the period's
        last day), as the ledger knew it at ``known_at`` (default: now).

        ``rubric`` (an id, a file path or a Rubric) scores the same events under
        another edition; by default the edition adopted at ``known_at`` is used.
        ``replay=True`` decodes and folds every event instead of reading the read
        model (the reference the read model is tested against).
        """
        known = self.resolve_known_at(known_at)
        scoring = self.scoring_rubric(period, known, rubric)
        self._check_town(town, known)
        self._check_source(source)
        return self._card(scoring, town, period, known, self._as_of(as_of, scoring), source,
                          replay)

    def _card(self, rubric: Rubric, town: str, period: str, known: str, as_of: date,
              source: str, replay: bool = False) -> ScoreCard:
        if replay or not self._fresh_read_model():
            return score_card(rubric, self.town_state(town, period, known), town=town,
                              as_of=as_of, known_at=known, source=source)
        check_as_of(rubric, as_of)
        ev = readmodel.evidence(self.store.conn, town=town, period=period, known_at=known,
                                as_of=as_of, source=source, rubric=rubric)
        return score_evidence(rubric, ev, town=town, as_of=as_of, known_at=known, source=source)

    def _fresh_read_model(self) -> bool:
        """The read model, caught up with events other writers may have appended."""
        if self._fast and readmodel.applied_seq(self.store.conn) < self._head_seq():
            self._fast = readmodel.ensure(self.store.conn, self._head_seq())
        return self._fast

    def scoreboard(self, period: str, as_of: date | str | None = None, known_at=None,
                   rubric: str | Rubric | None = None, source: str = "city") -> Scoreboard:
        """Every registered town's card, ranked (equal totals share a rank)."""
        known = self.resolve_known_at(known_at)
        scoring = self.scoring_rubric(period, known, rubric)
        day = self._as_of(as_of, scoring)
        self._check_source(source)
        cards = [self._card(scoring, t, period, known, day, source) for t in self.towns(known)]
        return rank(period, day, known, cards)

    # -- traceability ------------------------------------------------------------
    def explain(self, town: str, period: str, clause: str | None = None, as_of=None,
                known_at=None, rubric=None, source: str = "city") -> dict:
        """The traced card as a tree: every indicator, clause (quoting the rubric) and event."""
        card = self.score(town, period, as_of=as_of, known_at=known_at, rubric=rubric,
                          source=source)
        used = self.scoring_rubric(period, card.known_at, rubric)
        clause = clause.strip().upper() if isinstance(clause, str) else clause  # c02.1
        return explain(card, self.town_state(town, period, card.known_at), used, clause)

    def history(self, town: str, period: str, as_of=None, known_at=None, rubric=None,
                source: str = "city") -> list[HistoryRow]:
        """The score after every event that changed it, in recording order."""
        known = self.resolve_known_at(known_at)
        self._check_town(town, known)
        fixed = self.scoring_rubric(period, known, rubric) if rubric is not None else None
        rows = sorted(
            list(self.store.events(town=town, period=period, recorded_until=known))
            + list(self.store.events(type="RubricAdopted", period=period, recorded_until=known,
                                     unscoped=True)),
            key=lambda e: e.seq)
        items = ((e.seq, e.recorded_at, codec.decode(e.type, e.schema_version, e.payload))
                 for e in rows)
        return history(items, town=town, as_of=parse_as_of(as_of) if as_of else None,
                       source=source, rubric=fixed)

    def diff(self, town: str | None, period: str, before: dict, after: dict) -> dict:
        """Compare two cards (or, with ``town=None``, two scoreboards).

        ``before``/``after`` hold ``as_of``, ``known_at`` and ``rubric`` keyword arguments.
        """
        if town is None:
            return diff_boards(self.scoreboard(period, **before), self.scoreboard(period, **after))
        a, b = self.score(town, period, **before), self.score(town, period, **after)
        rubrics = (self.scoring_rubric(period, a.known_at, before.get("rubric")),
                   self.scoring_rubric(period, b.known_at, after.get("rubric")))
        later = max(a.known_at, b.known_at)
        return diff_cards(a, b, state=self.town_state(town, period, later), rubrics=rubrics)

    def compare(self, town: str, period: str, as_of=None, known_at=None) -> dict:
        """Per clause, where the town's self-evaluation and the city's verification differ."""
        known = self.resolve_known_at(known_at)
        return compare_sources(self.score(town, period, as_of, known, source="self"),
                               self.score(town, period, as_of, known, source="city"))

    def close_period(self, period: str, event_id: str | None = None, actor: str | None = None) -> str:
        """Close a period: later findings for it come only through appeal decisions."""
        event_id = event_id or f"close-{period}"
        self.append([{"type": "close", "id": event_id, "period": period,
                      **({"actor": actor} if actor else {})}])
        return event_id

    def publish(self, period: str, town: str | None = None, as_of=None,
                actor: str | None = None) -> Publication:
        """Freeze a town's card (or, without ``town``, the scoreboard) as a ScorePublished event."""
        return publish(self, period, town, as_of, actor)

    def reproduce(self, publication_id: str) -> Reproduction:
        """Recompute a publication from the ledger alone and compare hashes."""
        return reproduce(self, publication_id)

    # -- helpers ---------------------------------------------------------------
    def resolve_known_at(self, known_at=None) -> str:
        """``known_at`` as the ledger's canonical UTC text; ``None`` is the moment the
        ledger last changed. Resolve it once to score several cards at the same moment."""
        if known_at is None:
            # "Now" is the moment the ledger last changed: every event recorded at or
            # before it is committed, while one being written right now may carry an
            # earlier clock reading than ours. So the card is reproducible exactly.
            return self.store.last_recorded_at() or format_timestamp(self.clock())
        return format_timestamp(parse_known_at(known_at))

    def scoring_rubric(self, period: str, known_at=None, rubric=None) -> Rubric:
        """The rubric a card uses: ``rubric`` (id, file or Rubric) if given, else the
        edition adopted for ``period`` at ``known_at``."""
        known = self.resolve_known_at(known_at)
        if isinstance(rubric, Rubric):
            return rubric
        if rubric is not None:
            return resolve_rubric(rubric)
        return self.rubric_for(period, known)

    def _as_of(self, as_of, rubric: Rubric) -> date:
        return rubric.valid_to if as_of is None else parse_as_of(as_of)

    @staticmethod
    def _check_source(source: str) -> None:
        if source not in ("city", "self"):
            raise LedgerError(f"source must be 'city' or 'self', not {source!r}")

    def _check_town(self, town: str, known: str) -> None:
        registered = self.store.conn.execute(
            # a registration has a town and no period: the (town, period) index finds it
            # at once, where town alone would walk the town's every event
            "SELECT 1 FROM events WHERE town = ? AND period IS NULL AND type = 'TownRegistered' "
            "AND recorded_at <= ?", (town, known)).fetchone()
        if registered is None:
            hints = closest(town, self.towns(known))
            raise UnknownTown(f"unknown town {town!r} (not registered as known at {known})"
                              f"{did_you_mean(hints)}", name=town, suggestions=hints)

    def resolve_town(self, town: str, known_at=None) -> str:
        """The registered name ``town`` means: itself, or its simplified-character form
        when that is exactly one registered name (``沙溪鎮`` -> ``沙溪镇``)."""
        names = self.towns(known_at)
        if town in names:
            return town
        simple = simplified(town.strip())
        return simple if names.count(simple) == 1 else town

    def periods(self, known_at=None) -> list[str]:
        """Periods with an adopted rubric, in adoption order."""
        known = self.resolve_known_at(known_at)
        found = self.store.events(type="RubricAdopted", recorded_until=known, unscoped=True)
        return list(dict.fromkeys(e.period for e in found if e.period is not None))


def open(path: str | Path, clock: Callable[[], datetime] | None = None,
         timeout: float = 60.0, create: bool = True) -> Ledger:
    """Open the ledger file at ``path``, creating it if missing (unless ``create=False``).

    ``clock`` returns an aware datetime for ``recorded_at`` (tests inject one).
    """
    return Ledger(path, clock=clock, timeout=timeout, create=create)
