"""A real PostgreSQL server for the tests, and a fresh database for each test.

The server is the one ``$LEDGER_TEST_PG_URL`` names (``.ci/run`` starts one with
``.ci/pg-server`` and exports it). Without it, under CI (``CI=true``) the PostgreSQL
tests fail: they never skip there. Elsewhere the session starts its own throw-away
server with the same script (and stops it at exit), or skips with the reason when
neither psycopg nor PostgreSQL's binaries are to be had.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / ".ci" / "pg-server"
_started: dict[str, str] = {}


def _unavailable(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run under CI: {why}")
    pytest.skip(f"no PostgreSQL for the tests: {why} (set LEDGER_TEST_PG_URL, or install "
                f"psycopg and PostgreSQL)")


def server_url() -> str:
    """The admin URL of the test server (a database on it that may be connected to)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    url = os.environ.get("LEDGER_TEST_PG_URL")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("LEDGER_TEST_PG_URL is not set: .ci/run must start PostgreSQL first")
    if "url" not in _started:
        if shutil.which("initdb") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
            _unavailable("no initdb on this machine")
        directory = tempfile.mkdtemp(prefix="ledger-pg-")
        done = subprocess.run(["bash", str(SERVER_SCRIPT), "start", directory],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f".ci/pg-server could not start PostgreSQL: {done.stderr[-2000:]}")
        _started["url"] = done.stdout.strip().splitlines()[-1]
        atexit.register(subprocess.run, ["bash", str(SERVER_SCRIPT), "stop", directory],
                        capture_output=True)
    return _started["url"]


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead (query options kept).

    >>> with_database("postgresql://postgres@127.0.0.1:5432/ledger_test", "t1")
    'postgresql://postgres@127.0.0.1:5432/t1'
    """
    base, sep, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + sep + query


def with_user(url: str, user: str) -> str:
    """``url`` connecting as ``user`` (no password: the test server trusts 127.0.0.1)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}@{rest.split('@', 1)[-1]}"


def admin(url: str):
    import psycopg
    return psycopg.connect(url, autocommit=True)


@contextmanager
def fresh_database(url: str):
    """A new, empty database on the server for one test; dropped afterwards."""
    name = f"ledger_t_{uuid.uuid4().hex[:12]}"
    with admin(url) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(url, name)
    finally:
        with admin(url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def fresh_schema(url: str):
    """A new, empty schema in the server's test database for one test, named by the URL
    (``options=-csearch_path=…``: the ledger lives in the connection's current schema);
    dropped afterwards. Several times cheaper than a database, for the many tests that
    run on both backends."""
    name = f"ledger_s_{uuid.uuid4().hex[:12]}"
    with admin(url) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    base, sep, query = url.partition("?")
    try:
        yield f"{base}?{query + '&' if query else ''}options=-csearch_path%3D{name}"
    finally:
        with admin(url) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
