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
