"""The reading process of a piped import (:mod:`ledger.importing.pipeline`).

Run as ``python -m ledger.importing.readahead``: reads ``(path, encoding, scopes,
batch)`` pickled from stdin, writes length-prefixed pickled messages to stdout —
``("items", bytes_read, items)``…, then ``("end", n, items)`` or, when reading fails,
``("error", n, items, exception)`` after the items before it.
"""

from __future__ import annotations

import pickle
import sys

from ledger.errors import LedgerError
from ledger.importing.fastpath import Scope, plain_finding, scope_of
from ledger.importing.files import read_records
from ledger.importing.pipeline import HEADER, SCOPE
from ledger.rubric import resolve_rubric


def _adopted_scope(rec: dict) -> Scope | None:
    try:
        rubric = resolve_rubric(rec["rubric"])
    except Exception:  # the writer refuses the record and words why
        return None
    return scope_of(rubric) if rubric.period == rec.get("period") else None


def read_ahead(out, path: str, encoding: str | None, scopes: dict, batch: int) -> None:
    """Send ``path``'s items to the binary stream ``out`` (see the module's text)."""
    items: list[tuple] = []
    read = [0]

    def send(kind: str, *rest) -> None:
        body = pickle.dumps((kind, read[0], items, *rest), protocol=5)
        out.write(HEADER.pack(len(body)))
        out.write(body)
        read[0] = 0
        items.clear()

    def progress(n: int) -> None:
        read[0] += n

    try:
        for where, rec, line in read_records(path, progress=progress, encoding=encoding,
                                             with_lines=True):
            kind = rec.get("type") if type(rec) is dict else None
            if kind == "finding":
                period = rec.get("period")
                new = plain_finding(rec, scopes.get(period)) if type(period) is str else None
                if new is not None:
                    items.append((where, line, new.id, new.town, new.period, new.occurred_on,
                                  new.actor, new.payload))
                else:
                    items.append((where, rec))
            else:
                items.append((where, rec))
                period = rec.get("period") if kind in ("adopt", "close") else None
                if type(period) is str:
                    scopes[period] = _adopted_scope(rec) if kind == "adopt" else None
                    items.append((SCOPE, period, scopes[period]))
            if len(items) >= batch:
                send("items")
        send("end")
    except Exception as exc:  # the writer's to report, in order
        try:
            pickle.dumps(exc)
        except Exception:
            exc = LedgerError(str(exc))
        send("error", exc)
    out.flush()


def main() -> None:
    path, encoding, scopes, batch = pickle.load(sys.stdin.buffer)
    try:
        read_ahead(sys.stdout.buffer, path, encoding, scopes, batch)
    except BrokenPipeError:  # the writer stopped reading (it found an error): done
        pass


if __name__ == "__main__":
    main()
