"""Publishing a score and reproducing it years later, from the ledger alone.

A publication freezes the card's (or scoreboard's) canonical JSON, its SHA-256,
the ``known_at`` it used, the rubric's hash and the chain head into a
``ScorePublished`` event. :func:`reproduce` recomputes it with the rubric text
stored in the ledger (never a file on disk) and compares the hashes.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING

from attrs import frozen

from ledger.errors import LedgerError
from ledger.events import ScorePublished, canonical_json, codec
from ledger.dates.timeparse import parse_as_of

if TYPE_CHECKING:
    from ledger.application import Ledger


@frozen
class Publication:
    id: str
    sha256: str
    known_at: str
    content: str
    chain_head: str = ""  # SEQ:HASH of the ledger the card was computed from (for the receipt)

    def to_dict(self) -> dict:
        return {"id": self.id, "sha256": self.sha256, "known_at": self.known_at}


@frozen
class Reproduction:
    id: str
    published_sha256: str
    sha256: str
    published: str
    recomputed: str

    @property
    def matches(self) -> bool:
        return self.sha256 == self.published_sha256

    def to_dict(self) -> dict:
        return {"id": self.id, "matches": self.matches, "published_sha256": self.published_sha256,
                "sha256": self.sha256}


def _content(lg: "Ledger", period: str, town: str | None, as_of, known: str) -> str:
    if town is None:
        return canonical_json(lg.scoreboard(period, as_of=as_of, known_at=known).to_dict())
    return canonical_json(lg.score(town, period, as_of=as_of, known_at=known).to_dict())


def publish(lg: "Ledger", period: str, town: str | None = None, as_of=None,
            actor: str | None = None) -> Publication:
    """Append a ScorePublished event for a town's card (or the scoreboard)."""
    from ledger.importing.validation import to_new_event
    made: list[ScorePublished] = []

    def prepare(reader):
        # Inside the write lock: no other writer can slip an event under known_at.
        known = lg.resolve_known_at(None)
        rubric = lg.rubric_for(period, known)
        day = rubric.valid_to if as_of is None else parse_as_of(as_of)
        content = _content(lg, period, town, day, known)
        digest = hashlib.sha256(content.encode()).hexdigest()
        head = lg.head()
        event = ScorePublished(
            id=f"pub-{digest[:16]}", period=period, as_of=day, known_at=known,
            rubric_id=rubric.id, rubric_sha256=rubric.sha256, chain_head=str(head),
            content=content, sha256=digest, town=town, actor=actor)
        made.append(event)
        if reader.get(event.id) is None:  # the same card published twice: one event
            yield to_new_event(event)

    lg.store.append(prepare)
    e = made[0]
    return Publication(e.id, e.sha256, e.known_at, e.content, e.chain_head)


def publications(lg: "Ledger", period: str | None = None) -> list[dict]:
    """Every ScorePublished event (optionally of one period), in recording order, as plain
    data: id, town (None for a scoreboard), period, as_of, known_at, chain_head, sha256,
    recorded_at, and for a card its total and grade."""
    import json
    found = []
    for stored in lg.store.events(type="ScorePublished"):
        pub = codec.decode(stored.type, stored.schema_version, stored.payload)
        if period is not None and pub.period != period:
            continue
        content = json.loads(pub.content, parse_float=Decimal)
        found.append({"id": pub.id, "town": pub.town, "period": pub.period,
                      "as_of": pub.as_of.isoformat(), "known_at": pub.known_at,
                      "chain_head": pub.chain_head, "sha256": pub.sha256,
                      "recorded_at": stored.recorded_at, "actor": pub.actor,
                      "total": content.get("total"), "grade": content.get("grade")})
    return found


def reproduce(lg: "Ledger", publication_id: str) -> Reproduction:
    """Recompute a publication at its ``known_at`` with the rubric stored in the ledger."""
    stored = lg.store.get(publication_id)
    if stored is None or stored.type != "ScorePublished":
        raise LedgerError(f"no publication with id {publication_id!r} in the ledger")
    pub = codec.decode(stored.type, stored.schema_version, stored.payload)
    rubric = lg.rubric_for(pub.period, pub.known_at)
    if rubric.sha256 != pub.rubric_sha256:
        raise LedgerError(f"publication {pub.id}: the rubric adopted at {pub.known_at} has hash "
                          f"{rubric.sha256[:12]}…, not the published {pub.rubric_sha256[:12]}…")
    content = _content(lg, pub.period, pub.town, pub.as_of, pub.known_at)
    digest = hashlib.sha256(content.encode()).hexdigest()
    return Reproduction(pub.id, pub.sha256, digest, pub.content, content)
