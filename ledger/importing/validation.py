"""The contract's rules that need the ledger and the rubric, checked before writing.

:class:`Validator` runs inside the store's write transaction: it reads what the
ledger already holds (towns, adopted rubrics, the finding a correction names)
and turns each interchange record into a :class:`~ledger.store.NewEvent`, or
raises :class:`~ledger.errors.ValidationError` naming the record and field.
"""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Iterable, Iterator

from attrs import evolve

from ledger.errors import LedgerError, RubricError, ValidationError
from ledger.importing.fastpath import FINDING_VERSION, Scope, is_text, plain_finding, scope_of
from ledger.events import (
    AppealDecided,
    AppealFiled,
    PeriodClosed,
    ScorePublished,
    FindingAmended,
    FindingRecorded,
    PaymentRecorded,
    RecordRetracted,
    ReportRecorded,
    RubricAdopted,
    TownRegistered,
)
from ledger.importing.columns import Unreadable
from ledger.importing.files import decode_line
from ledger.importing.pipeline import PLAIN, SCOPE, Disagreement
from ledger.importing.names import skeleton
from ledger.suggest import closest, did_you_mean
from ledger.importing.records import fail, is_utf8, parse_record
from ledger.rubric import Deadline, Rubric, load_rubric_text, resolve_rubric
from ledger.store import NewEvent, Reader, StoreReader, same_content
from ledger.store.mapper import mapper

PREFETCH = 500  # records whose ids are looked up together
CORRECTABLE = {"FindingRecorded", "PaymentRecorded", "ReportRecorded"}


def to_new_event(event) -> NewEvent:
    """Wrap a domain event for the store (the mapper's job; kept as the validator's word)."""
    return mapper.to_stored(event)


class Validator:
    """Checks records against the ledger as it stands inside one write transaction."""

    def __init__(self, reader: StoreReader, towns: set[str] | None = None):
        self.reader = reader
        # Read lightly: an append of one record must not cost more as the ledger grows.
        # ``towns``: towns the caller knows are registered (a registration is permanent).
        self.towns: dict[str, bool] = dict.fromkeys(towns or (), True)  # asked once per town
        self.rubrics: dict[str, Rubric | None] = {}  # filled per period on first use
        self.closed: dict[str, str] = {}  # period -> the event that closed it (per period)
        self._periods: set[str] = set()  # periods whose adoption and closing were read
        self._batch_towns: set[str] = set()  # registered by this batch (until it commits)
        self.confirmed: set[str] = set()  # found registered by earlier, committed batches
        self._stored: dict = {}
        self._recent: dict = {}
        self._scopes: dict[str, Scope | None] = {}  # period -> what plain findings may name
        self._skeletons: dict[str, str] | None = None  # look-alike key -> town (on first need)

    def events(self, records: Iterable[tuple[str, object]]) -> Iterator[NewEvent]:
        """Yield one NewEvent per new record; skip records already stored identically.

        ``records`` yields ``(where, record)`` pairs, ``where`` being e.g. ``line 7``.
        """
        records = iter(records)
        while batch := list(islice(records, PREFETCH)):
            self._prefetch([rec.get("id") for _, rec in batch if isinstance(rec, dict)])
            for where, rec in batch:
                yield from self._checked(where, self.check, rec)

    def _checked(self, where: str, check, arg) -> list[NewEvent]:
        """``check(arg)``'s events, remembered for the batch; an error names ``where``."""
        try:
            new = check(arg)
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc}") from None
        except RubricError as exc:
            raise ValidationError(f"{where}: field 'rubric': {exc}") from None
        for event in new:
            self._recent[event.id] = event
        return new

    def piped_events(self, items: Iterable[tuple]) -> Iterator[NewEvent]:
        """:meth:`events` for the items of :mod:`ledger.importing.pipeline`: a plain
        finding already checked by the reader gets the ledger's rules here; a record the
        reader passed on whole is checked by the general road; a scope the reader
        announces must be this validator's own at that point (else :class:`Disagreement`).
        """
        items = iter(items)
        while batch := list(islice(items, PREFETCH)):
            self._prefetch([it[2] if len(it) == PLAIN else
                            it[1].get("id") if len(it) == 2 and isinstance(it[1], dict) else None
                            for it in batch])
            for item in batch:
                if item[0] == SCOPE:
                    self._agree(item[1], item[2])
                    continue
                yield from self._checked(item[0], self._piped, item)

    def _piped(self, item: tuple) -> list[NewEvent]:
        if len(item) != PLAIN:
            return self.check(item[1])
        _, line, rid, town, period, occurred_on, actor, payload = item
        if (self.towns.get(town, False) or self._registered(town)) \
                and period not in self.closed and self._lookup(rid) is None:
            return [NewEvent(rid, "FindingRecorded", FINDING_VERSION, town, period,
                             occurred_on, None, actor, payload)]
        return self.check_in_full(decode_line(line))  # the ledger refuses it: say why

    def scopes(self) -> dict[str, Scope | None]:
        """What plain findings may name in each period adopted when the batch began (None:
        the period is closed): the reading process starts from this."""
        periods = {e.period for e in self.reader.find(type="RubricAdopted", unscoped=True)}
        return {p: self._scope_now(p) for p in sorted(periods)}

    def _scope_now(self, period: str) -> Scope | None:
        if period not in self._scopes:
            try:
                rubric = self._rubric(period)
            except ValidationError:
                return None
            self._scopes[period] = None if period in self.closed else _scope(rubric)
        return self._scopes[period]

    def _agree(self, period: str, scope: Scope | None) -> None:
        if self._scope_now(period) != scope:
            raise Disagreement(period)

    def _prefetch(self, ids: list) -> None:
        """Look a batch's ids up in one query instead of one query per record."""
        # only ids SQLite can bind (a lone surrogate fails later, with a clear error)
        ids = [i for i in ids if isinstance(i, str) and is_utf8(i)]
        self._stored = {e.id: e for e in self.reader.get_many(ids)}
        self._stored.update({i: None for i in ids if i not in self._stored})
        self._recent = {}

    def _lookup(self, event_id: str):
        """The event already holding this id: yielded earlier in this batch, or stored."""
        if event_id in self._recent:
            return self._recent[event_id]
        if event_id in self._stored:
            return self._stored[event_id]
        return self.reader.get(event_id)

    def check(self, rec) -> list[NewEvent]:
        """The events one record appends: none if it is already stored identically;
        an appeal decision brings the corrections it causes along."""
        if type(rec) is dict and rec.get("type") == "finding":
            new = self._plain_finding(rec)
            if new is not None:
                return [new]
        return self.check_in_full(rec)

    def _plain_finding(self, rec: dict) -> NewEvent | None:
        """The hot path (:mod:`ledger.importing.fastpath`), given the rules that need the ledger."""
        period = rec.get("period")
        if not is_text(period):  # before it reaches SQLite (a lone surrogate cannot)
            return None
        new = plain_finding(rec, self._scope_now(period))
        if new is None or not self.towns.get(new.town, False) and not self._registered(new.town):
            return None
        if self._lookup(new.id) is not None:
            return None  # stored already (identically or not): the general road says which
        return new

    def check_in_full(self, rec) -> list[NewEvent]:
        """:meth:`check` by the general road alone (the reference for the hot path)."""
        if isinstance(rec, Unreadable):
            raise ValidationError(rec.reason)
        parsed = parse_record(rec)
        if isinstance(parsed, dict):
            parsed = self._adoption(parsed)
        events = list(parsed) if isinstance(parsed, tuple) else [parsed]
        decision = events[0] if isinstance(events[0], AppealDecided) else None
        events = [self._complete(e) for e in events]
        first = to_new_event(events[0])
        stored = self._lookup(first.id)
        if stored is not None:
            if same_content(stored, first):  # stored: a StoredEvent or a NewEvent of this batch
                return []
            where = f" (seq {stored.seq})" if hasattr(stored, "seq") else " (earlier in this batch)"
            fail("id", f"{first.id!r} is already in the ledger{where} with other content")
        if decision is not None:
            self._decision(events[0], events[1:])
        news = []
        for event in events:
            if event is not events[0] and self._lookup(event.id) is not None:
                fail("id", f"{event.id!r} (caused by decision {first.id!r}) is already in the ledger")
            self._check(event, via_appeal=decision is not None)
            self._apply(event)
            news.append(first if event is events[0] else to_new_event(event))
        return news

    # -- per type --------------------------------------------------------------
    def _adoption(self, rec: dict) -> RubricAdopted:
        rubric = resolve_rubric(rec["rubric"])
        if rubric.period != rec["period"]:
            fail("period", f"rubric {rubric.id} governs period {rubric.period}, not {rec['period']!r}")
        return RubricAdopted(id=rec["id"], period=rec["period"], rubric_id=rubric.id,
                             content=rubric.text, sha256=rubric.sha256, actor=rec.get("actor"))

    def _complete(self, event):
        """Corrections and decisions carry their target's town and period (for indexed reads)."""
        if isinstance(event, AppealDecided):
            appeal = self.reader.get(event.appeal)
            if appeal is None or appeal.type != "AppealFiled":
                fail("appeal", f"no appeal with id {event.appeal!r} in the ledger")
            return evolve(event, town=appeal.town, period=appeal.period)
        if isinstance(event, (RecordRetracted, FindingAmended)):
            target_id = event.target if isinstance(event, RecordRetracted) else event.finding
            target = self.reader.get(target_id)
            if target is None:
                fail("finding", f"no event with id {target_id!r} in the ledger")
            kinds = CORRECTABLE if isinstance(event, RecordRetracted) else {"FindingRecorded"}
            if target.type not in kinds:
                fail("finding", f"{target_id!r} is a {target.type}, which cannot be "
                                f"{'retracted' if isinstance(event, RecordRetracted) else 'amended'}")
            event = evolve(event, town=target.town, period=target.period)
        return event

    def _check(self, event, via_appeal: bool = False) -> None:
        if isinstance(event, TownRegistered):
            if self._registered(event.name):
                fail("name", f"town {event.name!r} is already registered")
            twin = self._look_alikes().get(skeleton(event.name))
            if twin is not None:
                fail("name", f"town {event.name!r} looks like the registered town {twin!r} "
                             f"(the same after NFKC and case folding): use that name, or "
                             f"one that cannot be mistaken for it")
            return
        if isinstance(event, (RubricAdopted, PeriodClosed, ScorePublished)):
            if isinstance(event, PeriodClosed):
                self._rubric(event.period)
                if event.period in self.closed:
                    fail("period", f"period {event.period} is already closed "
                                   f"(event {self.closed[event.period]!r})")
            return
        rubric = self._rubric(event.period)
        closed = self.closed.get(event.period)
        if closed and not via_appeal and not isinstance(event, (AppealFiled, AppealDecided)):
            fail("period", f"period {event.period} was closed by event {closed!r}: findings, "
                           f"facts and corrections now come only through an appeal decision")
        if isinstance(event, AppealFiled):
            self._town(event.town)
            for fid in event.findings:
                target = self.reader.get(fid)
                if target is None or target.type != "FindingRecorded":
                    fail("findings", f"no finding with id {fid!r} in the ledger")
                if (target.town, target.period) != (event.town, event.period):
                    fail("findings", f"finding {fid!r} is not {event.town}'s for {event.period}")
        if isinstance(event, FindingRecorded):
            self._town(event.town)
            self._finding(event, rubric)
        elif isinstance(event, (PaymentRecorded, ReportRecorded)):
            self._town(event.town)
            start, end = ("approved_on", "paid_on") if isinstance(event, PaymentRecorded) \
                else ("due_on", "submitted_on")
            # an approval lies in the period; a due date may fall in the assessment window
            self._in_period(start, getattr(event, start), rubric,
                            window=isinstance(event, ReportRecorded))
            finish = getattr(event, end)
            if finish is not None and finish < getattr(event, start):
                fail(end, f"{finish} is before {start} {getattr(event, start)}")
        elif isinstance(event, (RecordRetracted, FindingAmended)):
            target_id = event.target if isinstance(event, RecordRetracted) else event.finding
            if any(r.type == "RecordRetracted" for r in self.reader.referring(target_id)):
                fail("finding", f"{target_id!r} was already retracted")
            if isinstance(event, FindingAmended):
                target = self.reader.get(target_id)
                finding = mapper.to_event(target)
                self._amounts(finding.clause, rubric, event.quantity, event.value,
                              amendment=True)

    def _decision(self, decision: AppealDecided, effects: list) -> None:
        if any(r.type == "AppealDecided" for r in self.reader.referring(decision.appeal)):
            fail("appeal", f"appeal {decision.appeal!r} was already decided")
        appeal = self.reader.get(decision.appeal)
        appealed = set(mapper.to_event(appeal).findings)
        for e in effects:
            target = e.target if isinstance(e, RecordRetracted) else e.finding
            if target not in appealed:
                fail("retractions" if isinstance(e, RecordRetracted) else "amendments",
                     f"finding {target!r} was not part of appeal {decision.appeal!r}")

    def _finding(self, f: FindingRecorded, rubric: Rubric) -> None:
        if not rubric.has_clause(f.clause):
            hints = closest(f.clause, [c.id for c in rubric.clauses()])
            fail("clause", f"unknown clause {f.clause!r} in rubric {rubric.id}{did_you_mean(hints)}")
        self._in_period("occurred_on", f.occurred_on, rubric, window=True)
        rule = rubric.clause(f.clause).rule
        if isinstance(rule, Deadline) and f.occurred_on < rule.due:
            fail("occurred_on", f"{f.occurred_on} is before the deadline {rule.due} of "
                                f"{f.clause}: the failure only exists once the deadline has passed")
        self._amounts(f.clause, rubric, f.quantity, f.value)
        clause = rubric.clause(f.clause)
        if clause.needs_project and f.project is None:
            fail("project", f"{f.clause} needs the project it commends")
        if not clause.needs_project and f.project is not None:
            fail("project", f"only a per-project bonus clause takes a project, not {f.clause}")
        if clause.evidence_required and not f.evidence:
            fail("evidence", f"{f.clause} is a bonus: the rubric requires evidence "
                             f"(「{clause.evidence_required}」); give at least one evidence entry")

    def _amounts(self, clause_id: str, rubric: Rubric, quantity, value, amendment=False) -> None:
        if not rubric.has_clause(clause_id):
            fail("finding", f"its clause {clause_id!r} is not in rubric {rubric.id}")
        clause = rubric.clause(clause_id)
        if quantity is not None and quantity != 1 and clause.is_condition:
            fail("quantity", f"{clause_id} is a condition clause (it deducts at most once per "
                             f"town and period), so quantity must be 1, not {quantity}")
        if quantity is not None and quantity != 1 and not clause.rule.counts_units:
            fail("quantity", f"{clause_id} counts occurrences, so quantity must be 1 "
                             f"(record one finding per occurrence), not {quantity}")
        if clause.needs_value and value is None and not amendment:
            fail("value", f"{clause_id} is a rate clause: give the measured rate in percent")
        if not clause.needs_value and value is not None:
            fail("value", f"only rate clauses take a value, not {clause_id}")

    def _rubric(self, period: str) -> Rubric:
        """The period's rubric; on first use, also reads whether the period is closed."""
        if period not in self._periods:
            self._periods.add(period)
            found = self.reader.latest_each(("RubricAdopted", "PeriodClosed"), period)
            if period not in self.rubrics:  # (an adoption earlier in this batch is newer)
                adopted = found.get("RubricAdopted")
                self.rubrics[period] = None if adopted is None else _adopted_rubric(
                    self.reader, *adopted)
            if "PeriodClosed" in found:
                self.closed.setdefault(period, found["PeriodClosed"][0])
        rubric = self.rubrics[period]
        if rubric is None:
            adopted = {e.period for e in self.reader.find(type="RubricAdopted", unscoped=True)}
            hints = closest(period, sorted(p for p in adopted | set(self.rubrics)
                                           if p and self.rubrics.get(p, True) is not None))
            fail("period", f"period {period!r} has no adopted rubric (import an 'adopt' record "
                           f"first){did_you_mean(hints)}")
        return rubric

    def _registered(self, name: str) -> bool:
        if name not in self.towns:
            self.towns[name] = self.reader.has_town(name)
            if self.towns[name] and name not in self._batch_towns:
                self.confirmed.add(name)  # registered before this batch: for good
        return self.towns[name]

    def _look_alikes(self) -> dict[str, str]:
        """Every registered town by its :func:`~ledger.importing.names.skeleton`. Read once,
        on the first registration of a batch (registrations are rare and few)."""
        if self._skeletons is None:
            self._skeletons = {skeleton(t): t for t in self.reader.towns()}
            self._skeletons.update({skeleton(t): t for t in self._batch_towns})
        return self._skeletons

    def _town(self, name: str) -> None:
        if not self._registered(name):
            hints = closest(name, self.reader_towns())
            fail("town", f"town {name!r} is not registered (import a 'town' record first)"
                         f"{did_you_mean(hints)}")

    def reader_towns(self) -> list[str]:
        """Registered names, for a did-you-mean (only when an error is being worded)."""
        stored = [e.town for e in self.reader.find(type="TownRegistered", unscoped=True)]
        return stored + sorted(self._batch_towns)

    def _in_period(self, field: str, day: date, rubric: Rubric, window: bool = False) -> None:
        """``day`` inside the period (with ``window``: or its assessment window)."""
        last = rubric.assessed_until if window else rubric.valid_to
        if not rubric.valid_from <= day <= last:
            span = f"{rubric.valid_from} to {last}"
            if window and rubric.window:
                span += ", the period and its assessment window"
            elif rubric.window:
                span += "; only findings and due dates may fall in the assessment window"
            fail(field, f"{day} is outside period {rubric.period} ({span})")

    def _apply(self, event) -> None:
        if isinstance(event, TownRegistered):
            self.towns[event.name] = True
            self._batch_towns.add(event.name)
            if self._skeletons is not None:
                self._skeletons.setdefault(skeleton(event.name), event.name)
        elif isinstance(event, RubricAdopted):
            self.rubrics[event.period] = load_rubric_text(event.content, origin=event.rubric_id)
        elif isinstance(event, PeriodClosed):
            self.closed.setdefault(event.period, event.id)
        if isinstance(event, (RubricAdopted, PeriodClosed)):
            self._scopes.pop(event.period, None)


_ADOPTED: dict[str, Rubric] = {}  # adoption event hash -> its rubric
_SCOPES: dict[str, Scope] = {}  # rubric sha256 -> what a plain finding may name


def _scope(rubric: Rubric) -> Scope:
    if len(rubric.sha256) != 64:  # a rubric built in code, with no text to name it by
        return scope_of(rubric)
    scope = _SCOPES.get(rubric.sha256)
    if scope is None:
        if len(_SCOPES) >= 64:
            _SCOPES.clear()
        scope = _SCOPES[rubric.sha256] = scope_of(rubric)
    return scope


def _adopted_rubric(reader: StoreReader, event_id: str, event_hash: str) -> Rubric:
    """The rubric an adoption event carries. Cached by the event's chain hash, which covers
    its content: a single append then skips reading, decoding and hashing the rubric text."""
    rubric = _ADOPTED.get(event_hash)
    if rubric is None:
        adopted = reader.get(event_id)
        rubric = load_rubric_text(
            mapper.to_event(adopted).content,
            origin=f"ledger event {adopted.id}")
        if len(_ADOPTED) >= 64:
            _ADOPTED.clear()
        _ADOPTED[event_hash] = rubric
    return rubric


def validate_into(reader: Reader, records: Iterable[tuple[str, object]],
                  towns: set[str] | None = None, piped=None) -> Iterator[NewEvent]:
    """The store's ``prepare`` callback for an import: validate, then yield events.

    ``towns`` (a set the caller keeps) seeds the towns known registered and receives
    those the ledger confirmed as already registered when this batch began. ``piped``
    (instead of ``records``): ``piped(scopes)`` gives the items of a file read by a
    second process (:func:`ledger.importing.pipeline.piped_items`), started once this
    batch's view of the rubrics is known.
    """
    validator = Validator(reader, towns)
    try:
        events = validator.piped_events(piped(validator.scopes())) if piped is not None \
            else validator.events(records)
        for event in events:
            yield event
    except RubricError as exc:  # a stored rubric that no longer loads is not bad input
        raise LedgerError(f"an adopted rubric in the ledger does not load: {exc}") from None
    if towns is not None:
        towns.update(validator.confirmed)
