"""One conftest for the whole suite: the hypothesis profile every property test uses.

Tests set only what differs (``max_examples``); deadlines are off because the machine
is shared and a slow example is not a wrong one, and the example database is off so
runs are repeatable from a clean checkout.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ledger", deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large])
settings.load_profile("ledger")
