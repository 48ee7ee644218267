"""A large JSON Lines import read in a second process while this one writes it.

One process reads the file and checks each record as far as it can without the
ledger: it decodes the line (the duplicate-key check included), and for a plain
finding runs :func:`~ledger.importing.fastpath.plain_finding` — every rule of the
contract and of the period's rubric — and builds its canonical payload. The writer (this
process, inside the store's write transaction) keeps what needs the ledger: the town
registered, the id unused, the chain, the rows. Anything else (another record type, a
finding the fast road refuses) travels as the record itself and the writer checks it by
the general road, so every error is worded, and raised at the same record, as by one
process. A plain finding the ledger refuses is read again from its line, so the general
road words that error too.

The reader knows the rubrics from the writer (the periods adopted when the transaction
began) and from the file (an ``adopt`` or ``close`` record changes a period's scope from
the next record on). Each change travels in the stream, and the writer checks it
equals its own view at that point; if they ever differ the import is rolled back and
run again in one process (:class:`Disagreement`), so the reader can never admit what
the writer would refuse.

Items are handed over in pickled batches through a pipe (one ``pickle.loads`` per
thousand records); a full pipe stops the reader, so memory stays constant. The reader
(:mod:`ledger.importing.readahead`) is a fresh ``python -m`` process, not a fork or a
``multiprocessing`` spawn: nothing of this process is copied into it (threads, locks,
open connections), and the caller's own script is never run again in it, guarded by
``if __name__ == "__main__"`` or not.

>>> worth_piping("small.jsonl", workers=None)  # a missing or small file: one process
False
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from ledger.errors import LedgerError
from ledger.importing.fastpath import Scope

MIN_BYTES = 4 << 20  # below ~20,000 records, starting a process costs more than it saves
BATCH = 1000  # records a message carries
SCOPE = "scope"  # an item (SCOPE, period, scope): the reader's scope for period from here on
HEADER = struct.Struct("<I")  # each message: its length, then the pickle
PIPE_BYTES = 1 << 20  # room for a whole message (~400 KB), so neither side waits mid-message
PLAIN = 8  # the length of a plain finding's item (its fields, below)
# (where, line, id, town, period, occurred_on, actor, payload): a FindingRecorded event


class Disagreement(Exception):
    """The reader's view of a period's rubric differs from the writer's: run again in
    one process (never seen in practice; the check keeps the two roads one)."""


def worth_piping(path: str | Path, workers: int | None) -> bool:
    """Whether to read ``path`` in a second process: a JSON Lines file of at least
    :data:`MIN_BYTES` on a machine with two cores or more, unless ``workers`` is 1
    (``workers=2`` forces it, whatever the size)."""
    if workers == 1 or Path(path).suffix.lower() != ".jsonl":
        return False
    if workers is not None and workers >= 2:
        return True
    try:
        return (os.cpu_count() or 1) >= 2 and os.path.getsize(path) >= MIN_BYTES
    except OSError:
        return False


def piped_items(path: str | Path, encoding: str | None, scopes: dict[str, Scope | None],
                progress=None, batch: int | None = None) -> Iterator[tuple]:
    """The items of ``path``, read by a second process (see the module's text); stops
    and reaps that process however the caller stops reading."""
    package_root = str(Path(__file__).resolve().parents[2])  # where `ledger` is importable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    errors = tempfile.TemporaryFile()
    try:
        reader = subprocess.Popen([sys.executable, "-m", "ledger.importing.readahead"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=errors, env=env)
    except OSError as exc:
        errors.close()
        raise LedgerError(f"cannot start a process to read {path} ({exc}); import it with "
                          f"workers=1 (--workers 1); nothing was written") from None
    _widen(reader.stdout)
    try:
        try:
            reader.stdin.write(pickle.dumps((str(path), encoding, dict(scopes),
                                             batch or BATCH)))
            reader.stdin.close()
        except BrokenPipeError:  # it died at once: said below, with its exit code
            pass
        while True:
            message = _receive(reader.stdout)
            if message is None:
                reader.wait()
                errors.seek(0)
                said = errors.read().decode("utf-8", "replace").strip().splitlines()
                raise LedgerError(f"the process reading {path} stopped (exit code "
                                  f"{reader.returncode}{': ' + said[-1] if said else ''}); "
                                  f"nothing was written")
            kind, read, items = message[:3]
            if progress and read:
                progress(read)
            yield from items
            if kind == "error":
                raise message[3]
            if kind == "end":
                return
    finally:
        if reader.poll() is None:
            reader.kill()
        reader.wait()
        reader.stdout.close()
        errors.close()


def _widen(pipe) -> None:
    """Give the pipe room for a whole message (Linux; 64 KiB by default): the reader then
    writes a batch at once instead of handing it over 64 KiB at a time (≈ 2% of a large
    import). Elsewhere, or beyond the system's limit, the pipe stays as it is."""
    try:
        import fcntl
    except ImportError:
        return
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux only (Python 3.10+)
        try:
            fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass


def _receive(stream):
    """The next message, or None once the reader has stopped (even mid-message)."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    size = HEADER.unpack(head)[0]
    body = stream.read(size)
    return pickle.loads(body) if len(body) == size else None
