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

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, cast

from ledger import readmodel
from ledger.readmodel import layout as readmodel_layout
from ledger.audit import audit, rebuild as rebuild_read_model
from ledger.dates.timeparse import parse_as_of, parse_known_at
from ledger.errors import LedgerError, UnknownPeriod, UnknownTown
from ledger.importing import pipeline
from ledger.importing.files import read_records
from ledger.importing.validation import validate_into
from ledger.projections.card import ScoreCard
from ledger.projections.diff import compare_sources, diff_boards, diff_cards
from ledger.projections.explain import explain
from ledger.projections.history import HistoryRow, history
from ledger.projections.query import Query
from ledger.projections.scoreboard import Scoreboard, rank
from ledger.projections.scoring import check_as_of, score_card, score_evidence
from ledger.projections.state import TownState, fold
from ledger.publishing import (
    Publication, Reproduction, check_rubric, frozen_content, publication, publications,
    reproduction,
)
from ledger.rubric import Rubric, load_rubric_text, resolve_rubric
from ledger.store import EventStore, Head, Recorder, format_timestamp, mapper, tree
from ledger.importing.names import normalise_name
from ledger.store.postgres import PostgresEventStore, is_postgres_url
from ledger.suggest import closest, did_you_mean, simplified


class Ledger:
    """An audit ledger on one SQLite file. Use :func:`ledger.open`."""

    def __init__(self, path: str | Path, clock: Callable[[], datetime] | None = None,
                 timeout: float = 60.0, create: bool = True):
        # a postgresql:// URL: the PostgreSQL store, with the same read model beside it
        self._pg = is_postgres_url(path)
        if not create and not self._pg and not Path(path).is_file():
            raise LedgerError(f"no ledger at {path} (import a file into it to create one)")
        if not create and not self._pg and Path(path).stat().st_size == 0:
            # read commands never create a ledger, nor turn another file into one
            raise LedgerError(f"{path} is an empty file, not an audit ledger")
        self.notes: list[str] = []  # what a person should know about how it was opened
        try:
            self.store: Recorder = cast(Recorder, (
                PostgresEventStore(str(path), clock=clock, timeout=timeout, create=create)
                if self._pg else EventStore(path, clock=clock, timeout=timeout)))
        except LedgerError as exc:
            if create or self._pg or not _read_only_place(exc):
                raise
            self.store = cast(Recorder, EventStore(path, clock=clock, timeout=timeout,
                                                   immutable=True))
            self.notes.append(f"{path} is on read-only media: opened read-only, as it is")
        self.clock = self.store.clock
        self._rubrics: dict[str, Rubric] = {}  # by adoption id: events never change
        self._towns: set[str] = set()  # towns seen registered (a registration is permanent)
        # What is wrong with the read model, if anything: cards are then replayed from the
        # events, and read commands say why (the read model never turns off silently)
        self.read_model_problem: str | None = None
        self._fast = self._ensure_read_model()
        if self.store.dialect == "sqlite":
            self.store.listeners.append(readmodel.on_chunk)
        elif self._fast:
            # a role that may not write the read model still appends: its cards are
            # replayed, and whoever next writes the read model catches it up
            self.store.listeners.append(readmodel.on_chunk)
        # the Merkle tree over the chain, on both backends; where it cannot be written
        # (a read-only file, a replica) proofs are made only from a tree already caught up
        if tree.prepare(self.store.conn):
            self.store.listeners.append(tree.on_chunk)

    def _ensure_read_model(self) -> bool:
        try:
            if readmodel.ensure(self.store):
                self.read_model_problem = None
                return True
            self.read_model_problem = ("the ledger is read-only here: cards are computed "
                                       "from the events")
        except LedgerError as exc:  # a bad row, a full disk: say so, and replay
            self.read_model_problem = f"the read model cannot be brought up to date ({exc})"
        return False

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
                    sheet: str | None = None, workers: int | None = None) -> int:
        """Import a ``.jsonl``, ``.csv`` or ``.xlsx`` file (see the interchange contract),
        all or nothing. A text file's encoding is detected unless ``encoding`` is given;
        ``sheet`` picks an XLSX sheet (default: the first). A large JSON Lines file is
        read by a second process while this one writes (``workers=1``: one process;
        ``workers=2``: two whatever the size); the result is the same either way.

        Errors name the file's line: ``line 7: field 'occurred_on': …``.
        """
        count = None
        if pipeline.worth_piping(path, workers):
            readers: list = []

            def piped(scopes):
                readers.append(pipeline.piped_items(path, encoding, scopes, progress))
                return readers[-1]
            try:
                count = self.store.append(
                    lambda reader: validate_into(reader, (), self._towns, piped=piped),
                    bulk=True)
            except pipeline.Disagreement:  # rolled back: read it again in one process
                count = None
            finally:  # stop the reading process now, not when an exception is collected
                for items in readers:
                    items.close()
        if count is None:
            records = read_records(path, progress=progress, encoding=encoding, sheet=sheet)
            count = self.store.append(lambda reader: validate_into(reader, records, self._towns),
                                      bulk=True)
        if self._fast:
            problem = readmodel_layout.after_import(self.store, count)
            if problem:
                self.notes.append(problem)
        return count

    # -- reading ---------------------------------------------------------------
    def head(self) -> Head | None:
        """The digest of the last event (``str(head)`` is ``SEQ:HASH``)."""
        return self.store.head()

    def verify(self, digest: str | None = None) -> int:
        """Check the hash chain and guards (and a digest taken earlier), every payload and
        every hash the ledger keeps about itself, the read model against a replay, and
        the file for objects the ledger did not create; returns the event count.
        Raises :class:`TamperError` naming the first thing found."""
        return audit(self.store, digest)

    def rebuild(self) -> list[str]:
        """Rebuild the read model from the events; returns what was wrong with it."""
        found = rebuild_read_model(self.store)
        self._fast = self._ensure_read_model()
        if self._fast and readmodel.on_chunk not in self.store.listeners:
            self.store.listeners.append(readmodel.on_chunk)
        return found

    def events(self, *, type: str | Iterable[str] | None = None, town: str | None = None,
               period: str | None = None, after_seq: int = 0, known_at=None) -> Iterator:
        """Decoded domain events (upcast to their current version), in recording order.

        >>> import ledger, tempfile, os
        >>> with ledger.open(os.path.join(tempfile.mkdtemp(), "ev.db")) as lg:
        ...     _ = lg.append([{"type": "town", "id": "t1", "name": "沙溪镇"}])
        ...     [e.name for e in lg.events(type="TownRegistered")]
        ['沙溪镇']
        """
        known = None if known_at is None else self.resolve_known_at(known_at)
        for stored in self.store.events(type=type, town=town, period=period,
                                        after_seq=after_seq, recorded_until=known):
            yield mapper.to_event(stored)

    def towns(self, known_at=None) -> list[str]:
        """Registered town names, in registration order."""
        known = self.resolve_known_at(known_at)
        return [e.town for e in self.store.events(type="TownRegistered", recorded_until=known,
                                                  unscoped=True) if e.town is not None]

    def rubric_for(self, period: str, known_at=None) -> Rubric:
        """The rubric adopted for ``period`` as the ledger stood at ``known_at``."""
        known = self.resolve_known_at(known_at)
        adopted = self.store.latest("RubricAdopted", period, known)
        if adopted is None:
            hints = closest(period, self.periods(known))
            raise UnknownPeriod(f"period {period!r} has no adopted rubric as known at {known}"
                                f"{did_you_mean(hints)}", name=period, suggestions=hints)
        if adopted.id not in self._rubrics:
            content = mapper.to_event(adopted).content
            self._rubrics[adopted.id] = load_rubric_text(content,
                                                         origin=f"ledger event {adopted.id}")
        return self._rubrics[adopted.id]

    def town_state(self, town: str, period: str, known_at=None) -> TownState:
        """One town's findings and facts for a period, as known at ``known_at``."""
        town = normalise_name(town)  # as typed: " 沙溪镇" is 沙溪镇
        known = self.resolve_known_at(known_at)
        rows = self.store.events(town=town, period=period, recorded_until=known)
        return fold((mapper.to_event(e), e.recorded_at) for e in rows)

    def query(self, period: str, as_of: date | str | None = None, known_at=None,
              rubric: str | Rubric | None = None, source: str = "city") -> Query:
        """Resolve what a caller typed into one :class:`Query` (the only place the
        defaults live): ``known_at`` the moment the ledger last changed, ``rubric`` the
        edition adopted at ``known_at``, ``as_of`` the last day the rubric scores."""
        if isinstance(known_at, Query):
            raise LedgerError("known_at must be a timestamp, not a Query")
        self._check_source(source)
        known = self.resolve_known_at(known_at)
        scoring = self.scoring_rubric(period, known, rubric)
        # default: the day the period's score is final (its assessment window's end)
        day = scoring.assessed_until if as_of is None else parse_as_of(as_of)
        check_as_of(scoring, day)
        return Query(period, day, known, scoring, source)

    def score(self, town: str, period: str, as_of: date | str | None = None, known_at=None,
              rubric: str | Rubric | None = None, source: str = "city",
              replay: bool = False) -> ScoreCard:
        """A town's :class:`ScoreCard` at the end of ``as_of`` (default: the last day of
        the period's assessment window), as the ledger knew it at ``known_at`` (default: now).

        ``rubric`` (an id, a file path or a Rubric) scores the same events under
        another edition; by default the edition adopted at ``known_at`` is used.
        ``replay=True`` decodes and folds every event instead of reading the read
        model (the reference the read model is tested against).
        """
        return self.card(town, self.query(period, as_of, known_at, rubric, source), replay)

    def card(self, town: str, q: Query, replay: bool = False) -> ScoreCard:
        """The card of ``town`` for a resolved :class:`Query`."""
        town = normalise_name(town)  # as typed: " 沙溪镇" is 沙溪镇
        self._check_town(town, q.known_at)
        if replay or not self._fresh_read_model():
            return score_card(q.rubric, self.town_state(town, q.period, q.known_at), town=town,
                              as_of=q.as_of, known_at=q.known_at, source=q.source)
        ev = readmodel.evidence(self.store.conn, town=town, period=q.period, known_at=q.known_at,
                                as_of=q.as_of, source=q.source, rubric=q.rubric)
        return score_evidence(q.rubric, ev, town=town, as_of=q.as_of, known_at=q.known_at,
                              source=q.source)

    def _fresh_read_model(self) -> bool:
        """The read model, caught up with events other writers may have appended."""
        head = self._head_seq()  # first: the read model, read after it, is never behind
        if self._fast and readmodel.applied_seq(self.store.conn) < head:  # an older writer's
            self._fast = self._ensure_read_model()
        return self._fast

    def _head_seq(self) -> int:
        head = self.store.head()
        return head.seq if head else 0

    def scoreboard(self, period: str, as_of: date | str | None = None, known_at=None,
                   rubric: str | Rubric | None = None, source: str = "city") -> Scoreboard:
        """Every registered town's card, ranked (equal totals share a rank)."""
        return self.board(self.query(period, as_of, known_at, rubric, source))

    def board(self, q: Query) -> Scoreboard:
        """The scoreboard for a resolved :class:`Query`."""
        cards = [self.card(t, q) for t in self.towns(q.known_at)]
        return rank(q.period, q.as_of, q.known_at, cards,
                    vetoed_last=q.rubric.veto_rank == "last")

    # -- traceability ------------------------------------------------------------
    def explain(self, town: str, period: str, clause: str | None = None, as_of=None,
                known_at=None, rubric=None, source: str = "city") -> dict:
        """The traced card as a tree: every indicator, clause (quoting the rubric) and event."""
        clause = clause.strip().upper() if isinstance(clause, str) else clause  # c02.1
        q = self.query(period, as_of, known_at, rubric, source)
        card = self.card(town, q)
        return explain(card, self.town_state(town, period, q.known_at), q.rubric, clause)

    def history(self, town: str, period: str, as_of=None, known_at=None, rubric=None,
                source: str = "city") -> list[HistoryRow]:
        """The score after every event that changed it, in recording order."""
        town = normalise_name(town)
        known = self.resolve_known_at(known_at)
        self._check_town(town, known)
        fixed = self.scoring_rubric(period, known, rubric) if rubric is not None else None
        rows = sorted(
            list(self.store.events(town=town, period=period, recorded_until=known))
            + list(self.store.events(type="RubricAdopted", period=period, recorded_until=known,
                                     unscoped=True)),
            key=lambda e: e.seq)
        items = ((e.seq, e.recorded_at, mapper.to_event(e)) for e in rows)
        return history(items, town=town, as_of=parse_as_of(as_of) if as_of else None,
                       source=source, rubric=fixed)

    def diff(self, town: str | None, period: str, before: dict, after: dict) -> dict:
        """Compare two cards (or, with ``town=None``, two scoreboards).

        ``before``/``after`` hold ``as_of``, ``known_at`` and ``rubric`` keyword arguments.
        """
        town = None if town is None else normalise_name(town)
        if town is None:
            return diff_boards(self.scoreboard(period, **before), self.scoreboard(period, **after))
        qa, qb = self.query(period, **before), self.query(period, **after)
        a, b = self.card(town, qa), self.card(town, qb)
        rubrics = (qa.rubric, qb.rubric)
        later = max(a.known_at, b.known_at)
        return diff_cards(a, b, state=self.town_state(town, period, later), rubrics=rubrics)

    def compare(self, town: str, period: str, as_of=None, known_at=None) -> dict:
        """Per clause, where the town's self-evaluation and the city's verification differ."""
        q = self.query(period, as_of, known_at, source="city")
        return compare_sources(self.card(town, q.at(source="self")), self.card(town, q))

    def close_period(self, period: str, event_id: str | None = None, actor: str | None = None) -> str:
        """Close a period: later findings for it come only through appeal decisions."""
        event_id = event_id or f"close-{period}"
        self.append([{"type": "close", "id": event_id, "period": period,
                      **({"actor": actor} if actor else {})}])
        return event_id

    def publish(self, period: str, town: str | None = None, as_of=None,
                actor: str | None = None) -> Publication:
        """Freeze a town's card (or, without ``town``, the scoreboard) as a ScorePublished event.

        The card is computed before the write transaction, at the moment of the last
        committed event (its ``recorded_at`` is the ``known_at``, its digest the chain
        head): every later commit is recorded after it, so the card stays exactly what
        the ledger said at that moment, and the write lock is held only for the append.
        """
        town = None if town is None else normalise_name(town)
        last = self.store.last()
        if last is None:
            raise LedgerError("the ledger is empty: nothing to publish")
        q = self.query(period, as_of, last.recorded_at)
        towns = self.towns(q.known_at) if town is None else [town]
        cards = [self.card(t, q, replay=True) for t in towns]  # the events' word
        for truth in cards:
            if self._fresh_read_model() and self.card(truth.town, q).to_dict() != truth.to_dict():
                raise LedgerError(f"the read model disagrees with the events for "
                                  f"{truth.town}: run `python -m ledger rebuild` and then "
                                  f"`verify`; nothing was published")
        result = (rank(q.period, q.as_of, q.known_at, cards,
                       vetoed_last=q.rubric.veto_rank == "last") if town is None else cards[0])
        event = publication(q, town, frozen_content(result), f"{last.seq}:{last.hash}", actor)

        def prepare(reader):
            if reader.get(event.id) is None:  # the same card published twice: one event
                yield mapper.to_stored(event)

        self.store.append(prepare)
        return Publication(event.id, event.sha256, event.known_at, event.content,
                           event.chain_head)

    def publications(self, period: str | None = None) -> list[dict]:
        """Every publication (optionally of one period) as plain data, in recording order."""
        return publications(self.store.events(type="ScorePublished"), period)

    def reproduce(self, publication_id: str) -> Reproduction:
        """Recompute a publication from the events alone (never a derived table, nor a
        rubric file on disk) and compare hashes."""
        stored = self.store.get(publication_id)
        if stored is None or stored.type != "ScorePublished":
            raise LedgerError(f"no publication with id {publication_id!r} in the ledger")
        pub = mapper.to_event(stored)
        q = self.query(pub.period, pub.as_of, pub.known_at)
        check_rubric(pub, q)
        result: ScoreCard | Scoreboard
        if pub.town is None:
            result = rank(q.period, q.as_of, q.known_at,
                          [self.card(t, q, replay=True) for t in self.towns(q.known_at)],
                          vetoed_last=q.rubric.veto_rank == "last")
        else:
            result = self.card(pub.town, q, replay=True)
        return reproduction(pub, frozen_content(result))

    # -- helpers ---------------------------------------------------------------
    def resolve_known_at(self, known_at=None) -> str:
        """``known_at`` as the ledger's canonical UTC text; ``None`` is the moment the
        ledger last changed. Resolve it once to score several cards at the same moment."""
        if known_at is None:
            # "Now" is the moment the ledger last changed: every event recorded at or
            # before it is committed, while one being written right now may carry an
            # earlier clock reading than ours. So the card is reproducible exactly.
            now = (self.clock or (lambda: datetime.now(timezone.utc)))()
            return self.store.last_recorded_at() or format_timestamp(now)
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

    @staticmethod
    def _check_source(source: str) -> None:
        if source not in ("city", "self"):
            raise LedgerError(f"source must be 'city' or 'self', not {source!r}")

    def _check_town(self, town: str, known: str) -> None:
        if not self.store.has_town(town, known):
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



def _read_only_place(exc: LedgerError) -> bool:
    """An open that failed only because nothing may be written where the ledger lies."""
    text = str(exc)
    return any(s in text for s in ("readonly", "read-only", "unable to open", "disk I/O error"))


def open(path: str | Path, clock: Callable[[], datetime] | None = None,
         timeout: float = 60.0, create: bool = True) -> Ledger:
    """Open the ledger file at ``path``, creating it if missing (unless ``create=False``).

    ``clock`` returns an aware datetime for ``recorded_at`` (tests inject one).
    """
    return Ledger(path, clock=clock, timeout=timeout, create=create)
