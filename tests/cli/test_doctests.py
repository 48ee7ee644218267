"""The examples in the library's docstrings run, and say what they show."""

import doctest
import importlib
import pkgutil

import pytest

import ledger

MODULES = sorted(m.name for m in pkgutil.walk_packages(ledger.__path__, "ledger.")
                 if m.name not in ("ledger.__main__",))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
