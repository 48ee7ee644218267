"""Load rubric editions from TOML files, strictly.

A rubric file is data the ledger stores verbatim (its text and SHA-256 go into
the ``adopt`` event), so loading refuses anything it does not fully
understand: every error is a :class:`RubricError` naming the file, the node
and the key. The format is described in ``docs/rubrics.md``.

>>> r = load_bundled("taicang-2017")
>>> r.clause("A04.1").rule.due
datetime.date(2017, 7, 31)
"""

from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from decimal import Decimal
from pathlib import Path

from ledger.errors import RubricError
from ledger.rubric.builder import MAX_NUMBER, MAX_PLACES, Builder
from ledger.rubric.model import Rubric


# Bundled editions are package data (ledger/rubric/bundled/); the repository's top-level
# rubrics/ is a link to the same folder, for auditors to find.
RUBRICS_DIR = Path(__file__).resolve().parent / "bundled"

# Parsed rubrics are immutable values, so one parse per distinct content is enough.
_CACHE: dict[str, Rubric] = {}




# --------------------------------------------------------------------------- public API


MAX_BYTES = 1 << 20  # a rubric is a page of text; refuse to read a whole disk image


def load_rubric(path: str | Path) -> Rubric:
    """Load one rubric file; ``sha256`` is the hex SHA-256 of its bytes.

    >>> load_rubric(RUBRICS_DIR / "taicang" / "2017.toml").id
    'taicang-2017'
    """
    origin = str(path)
    data = _read_bytes(path, origin)
    sha = hashlib.sha256(data).hexdigest()
    if sha in _CACHE:
        return _CACHE[sha]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RubricError(f"{origin}: not UTF-8: byte {exc.start}: {exc.reason}") from None
    return _load(text, sha, origin)


def _read_bytes(path: str | Path, origin: str) -> bytes:
    """A regular file's bytes, at most MAX_BYTES: never /dev/zero, never a FIFO's wait."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (a regular file ignores it)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        raise RubricError(f"{origin}: cannot read rubric file: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RubricError(f"{origin}: not a regular file (a rubric is a .toml file)")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RubricError(f"{origin}: cannot read rubric file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise RubricError(f"{origin}: too large for a rubric file (at most {MAX_BYTES:,} bytes)")
    return data


def load_rubric_text(text: str, origin: str = "<text>") -> Rubric:
    """Load a rubric from its text, e.g. the content stored in a ledger event.

    ``sha256`` is that of ``text.encode("utf-8")``, so it matches the file's.

    >>> load_rubric_text('schema = 3', origin="event 7")
    Traceback (most recent call last):
    ...
    ledger.errors.RubricError: event 7: header: schema: this version reads schema 1 or 2, not 3
    """
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if sha in _CACHE:
        return _CACHE[sha]
    return _load(text, sha, origin)


def bundled_rubrics() -> dict[str, Path]:
    """Every rubric shipped in ``rubrics/``, by id (only the ``id`` key is read).

    >>> bundled_rubrics()["taicang-2017"].name
    '2017.toml'
    """
    found: dict[str, Path] = {}
    for path in sorted(RUBRICS_DIR.rglob("*.toml")):
        rubric_id = _parse(_read_text(path), str(path)).get("id")
        if not isinstance(rubric_id, str):
            raise RubricError(f"{path}: header: id: missing or not a string")
        if rubric_id in found:
            raise RubricError(f"{path}: header: id: {rubric_id!r} is also the id of {found[rubric_id]}")
        found[rubric_id] = path
    return found


def load_bundled(rubric_id: str) -> Rubric:
    """Load a bundled rubric by id.

    >>> load_bundled("taicang-2017").period
    '2017'
    """
    known = bundled_rubrics()
    if rubric_id not in known:
        raise RubricError(f"unknown rubric {rubric_id!r} (known: {_known(known)})")
    return load_rubric(known[rubric_id])


def resolve_rubric(id_or_path: str | Path) -> Rubric:
    """A bundled id (``taicang-2017``) or else the path of a rubric file.

    >>> resolve_rubric("taicang-2017").sha256 == load_bundled("taicang-2017").sha256
    True
    """
    known = bundled_rubrics()
    if str(id_or_path) in known:
        return load_rubric(known[str(id_or_path)])
    try:
        is_file = Path(id_or_path).is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise RubricError(f"{str(id_or_path)[:80]}: not a usable rubric path ({exc})") from None
    if is_file:
        return load_rubric(id_or_path)
    raise RubricError(
        f"{id_or_path}: neither a bundled rubric id (known: {_known(known)}) nor a rubric file"
    )


def _known(known: dict[str, Path]) -> str:
    return ", ".join(sorted(known)) or "none"


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RubricError(f"{path}: cannot read rubric file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RubricError(f"{path}: not UTF-8: byte {exc.start}: {exc.reason}") from None


def _parse(text: str, origin: str) -> dict:
    try:
        # Decimal, never float: 0.1 must stay exactly 0.1.
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{origin}: not valid TOML: {exc}") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise RubricError(f"{origin}: a number is out of range (more digits than any rubric "
                          f"number has: at most {MAX_NUMBER} in size, {MAX_PLACES} decimal "
                          f"places)") from None
    except RecursionError:
        raise RubricError(f"{origin}: not valid TOML: nested too deeply") from None


def _load(text: str, sha: str, origin: str) -> Rubric:
    rubric = Builder(origin).rubric(_parse(text, origin), text, sha)
    _CACHE[sha] = rubric
    return rubric
