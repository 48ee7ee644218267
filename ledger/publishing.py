"""Publishing a score and reproducing it years later, from the ledger alone.

A publication freezes the card's (or scoreboard's) canonical JSON, its SHA-256,
the ``known_at`` it used, the rubric's hash and the chain head into a
``ScorePublished`` event. :func:`reproduce` recomputes it with the rubric text
stored in the ledger (never a file on disk) and compares the hashes.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from attrs import frozen

from ledger.errors import LedgerError
from ledger.events import ScorePublished, canonical_json
from ledger.projections.card import ScoreCard
from ledger.projections.query import Query
from ledger.projections.scoreboard import Scoreboard
from ledger.store.mapper import mapper


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


def frozen_content(result: ScoreCard | Scoreboard) -> str:
    """What a publication freezes: the card's (or scoreboard's) canonical JSON."""
    return canonical_json(result.to_dict())


def publication(q: Query, town: str | None, content: str, chain_head: str,
                actor: str | None = None) -> ScorePublished:
    """The ScorePublished event for ``content`` computed for ``q`` at ``chain_head``.

    The id is the content's hash, so the same card published twice is one event.
    """
    digest = hashlib.sha256(content.encode()).hexdigest()
    return ScorePublished(
        id=f"pub-{digest[:16]}", period=q.period, as_of=q.as_of, known_at=q.known_at,
        rubric_id=q.rubric.id, rubric_sha256=q.rubric.sha256, chain_head=chain_head,
        content=content, sha256=digest, town=town, actor=actor)


def publications(stored_events, period: str | None = None) -> list[dict]:
    """Every ScorePublished event (optionally of one period), in recording order, as plain
    data: id, town (None for a scoreboard), period, as_of, known_at, chain_head, sha256,
    recorded_at, and for a card its total and grade."""
    import json
    found = []
    for stored in stored_events:
        pub = mapper.to_event(stored)
        if period is not None and pub.period != period:
            continue
        content = json.loads(pub.content, parse_float=Decimal)
        found.append({"id": pub.id, "town": pub.town, "period": pub.period,
                      "as_of": pub.as_of.isoformat(), "known_at": pub.known_at,
                      "chain_head": pub.chain_head, "sha256": pub.sha256,
                      "recorded_at": stored.recorded_at, "actor": pub.actor,
                      "total": content.get("total"), "grade": content.get("grade")})
    return found


def check_rubric(pub: ScorePublished, q: Query) -> None:
    """A reproduction must score with the very rubric the publication used."""
    if q.rubric.sha256 != pub.rubric_sha256:
        raise LedgerError(f"publication {pub.id}: the rubric adopted at {pub.known_at} has hash "
                          f"{q.rubric.sha256[:12]}…, not the published {pub.rubric_sha256[:12]}…")


def reproduction(pub: ScorePublished, content: str) -> Reproduction:
    """Compare recomputed ``content`` with what ``pub`` froze."""
    digest = hashlib.sha256(content.encode()).hexdigest()
    return Reproduction(pub.id, pub.sha256, digest, pub.content, content)
