"""One conftest for the whole suite: the hypothesis profile every property test uses.

Tests set only what differs (``max_examples``); deadlines are off because the machine
is shared and a slow example is not a wrong one, and the example database is off so
runs are repeatable from a clean checkout.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ledger", deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile("ledger")


# -- PostgreSQL (tests/support/pg.py): a real server, a fresh database per test ---------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The test server's admin URL; fails under CI when there is none."""
    from support.pg import server_url
    return server_url()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a new, empty database (dropped after the test)."""
    from support.pg import fresh_database
    with fresh_database(pg_server) as url:
        yield url


# -- one ledger, on each backend (tests/support/backends.py) ---------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path) -> str:
    """Where a test's ledger lives: a SQLite file in ``tmp_path``, then a fresh
    PostgreSQL database (``ledger.open`` takes either). A test that only makes sense on
    one backend says so: ``@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)``."""
    from support.backends import ledger_location
    server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    with ledger_location(request.param, tmp_path, server) as url:
        yield url
