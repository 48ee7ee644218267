"""Shared test support: ledger builders (``scoring``), worker processes (``workers``,
``store_workers``) and the fixtures' files. Importable because pytest's ``pythonpath``
names ``tests/``."""
