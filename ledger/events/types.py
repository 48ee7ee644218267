"""Domain events: what happened, as small frozen values.

Every event has the caller's ``id`` (unique in the ledger) and an optional
``actor``. The store adds ``seq``, ``recorded_at`` and the hash chain; those are
not part of the event's content.

>>> from datetime import date
>>> TownRegistered(id="t-1", name="沙溪镇").envelope()["town"]
'沙溪镇'
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from attrs import frozen


@frozen
class TownRegistered:
    """A town (镇/区/街道) the bureau scores."""

    id: str
    name: str
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.name, "period": None, "occurred_on": None, "refers_to": None}


@frozen
class RubricAdopted:
    """A rubric edition governs a period; its whole file is kept so scores can be
    reproduced from the ledger alone."""

    id: str
    period: str
    rubric_id: str
    content: str
    sha256: str
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": None, "period": self.period, "occurred_on": None, "refers_to": None}


@frozen
class FindingRecorded:
    """One finding against a rubric clause (a late payment, a missing notice…)."""

    id: str
    town: str
    period: str
    clause: str
    occurred_on: date
    quantity: int = 1
    value: Decimal | None = None
    project: str | None = None
    source: str = "city"
    note: str | None = None
    evidence: tuple[str, ...] = ()
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period,
                "occurred_on": self.occurred_on.isoformat(), "refers_to": None}


@frozen
class RecordRetracted:
    """The event ``target`` (a finding, payment or report) was wrong: it no longer counts.

    ``town``/``period`` are copied from the target so a town's events can be read
    with one indexed query.
    """

    id: str
    target: str
    town: str
    period: str
    reason: str | None = None
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period, "occurred_on": None,
                "refers_to": self.target}


@frozen
class FindingAmended:
    """A finding's ``quantity`` and/or ``value`` was wrong; the new one replaces it."""

    id: str
    finding: str
    town: str
    period: str
    quantity: int | None = None
    value: Decimal | None = None
    reason: str | None = None
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period, "occurred_on": None,
                "refers_to": self.finding}


@frozen
class PaymentRecorded:
    """A temporary-assistance payment (临时救助金); C02.1 lateness is derived from it.

    A later payment for the same town, period and ``case`` replaces this one.
    """

    id: str
    town: str
    period: str
    case: str
    approved_on: date
    paid_on: date | None = None
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period,
                "occurred_on": self.approved_on.isoformat(), "refers_to": None}


@frozen
class ReportRecorded:
    """A report's submission (上报); A09.1 working days late are derived from it."""

    id: str
    town: str
    period: str
    report: str
    due_on: date
    submitted_on: date | None = None
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period,
                "occurred_on": self.due_on.isoformat(), "refers_to": None}


EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (TownRegistered, RubricAdopted, FindingRecorded, RecordRetracted,
                FindingAmended, PaymentRecorded, ReportRecorded)
}


@frozen
class AppealFiled:
    """A town appeals (申诉) against findings."""

    id: str
    town: str
    period: str
    findings: tuple[str, ...]
    grounds: str
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period, "occurred_on": None, "refers_to": None}


@frozen
class AppealDecided:
    """The decision on an appeal. An upheld or partly upheld decision is appended in
    one transaction with the retractions/amendments it causes (their ``reason`` names it)."""

    id: str
    appeal: str
    town: str
    period: str
    outcome: str  # "upheld" | "partly" | "rejected"
    reason: str
    decided_by: str
    effects: tuple[str, ...] = ()  # ids of the corrections appended with it
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period, "occurred_on": None,
                "refers_to": self.appeal}


@frozen
class ScorePublished:
    """A published score card (``town`` set) or scoreboard (``town`` None), frozen with
    everything needed to reproduce it from the ledger alone."""

    id: str
    period: str
    as_of: date
    known_at: str
    rubric_id: str
    rubric_sha256: str
    chain_head: str
    content: str  # the canonical JSON of the card or scoreboard
    sha256: str   # of ``content``'s UTF-8 bytes
    town: str | None = None
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": self.town, "period": self.period, "occurred_on": None, "refers_to": None}


@frozen
class PeriodClosed:
    """The period's evaluation is closed: findings change only through appeal decisions."""

    id: str
    period: str
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": None, "period": self.period, "occurred_on": None, "refers_to": None}


@frozen
class CheckpointSigned:
    """The ledger signed a checkpoint (a C2SP signed note) of its Merkle tree at
    ``tree_size`` events: the ledger records what it signed."""

    id: str
    origin: str
    tree_size: int
    root_hash: str   # hex of the Merkle tree's root at tree_size
    chain_head: str  # SEQ:HASH of event tree_size
    note: str        # the whole signed note, as handed out
    key: str         # the signer's verifier key NAME+HEXKEYID+BASE64KEY
    actor: str | None = None
    schema_version = 1

    def envelope(self) -> dict:
        return {"town": None, "period": None, "occurred_on": None, "refers_to": None}


EVENT_TYPES.update({cls.__name__: cls for cls in (AppealFiled, AppealDecided, ScorePublished,
                                                  PeriodClosed, CheckpointSigned)})
