"""Every error message the code can raise has a Chinese translation (issue 15, item 4).

The test reads ``ledger/**/*.py`` with :mod:`ast` and finds each message: the text given to
a :class:`ledger.LedgerError` (or a subclass, wherever it is built: ``raise``, ``return``)
and to click's ``UsageError``/``BadParameter``/``ClickException``, plus the failure texts
the chain check hands to ``TamperError``. From each string or f-string it builds a sample
message (placeholders filled with plausible values, by what the expression names) and
checks :func:`~ledger.text.messages.is_translated`. A message whose sample cannot be
built from the source alone is listed in :data:`INDIRECT` with the reason and where its
texts are checked instead.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import click
import pytest

import ledger
from ledger.text.messages import is_translated, translate

ROOT = Path(ledger.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")

# Raise sites whose message is not a literal here: (module, source of the argument) -> why,
# and where the texts it carries are found.
INDIRECT = {
    ("importing/validation.py", "rec.reason"):
        "an unreadable record's reason, built by the readers in importing/ (scanned) and "
        "tests/cli/test_messages.py's corpus",
    ("store/chain.py", "failure[1]"):
        "the chain check's failure text: the f-strings returned by chain.py's *failure and "
        "_verify_* functions, collected below (FAILURE_FUNCTIONS)",
    ("importing/readahead.py", "str(exc)"):
        "an unpicklable exception of the reading process, passed on with its message: the "
        "readers' own messages (importing/files.py and friends, scanned here)",
    ("store/postgres.py", "failure[1]"):
        "the same failure texts as store/chain.py (postgres.py imports _verify_range)",
}
# Functions whose returned f-strings become a TamperError's message.
FAILURE_FUNCTIONS = re.compile(r"(?:_?time_failure|_verify_\w+)$")
# Internal errors that mean a bug, not bad input: not translated (they never reach `error:`).
# AttributeError: the package's lazy ``__getattr__`` (Python's protocol for a missing name).
INTERNAL = {"ValueError", "TypeError", "AssertionError", "NotImplementedError", "KeyError",
            "RuntimeError", "StopIteration", "AttributeError"}

# Sample values for a placeholder, by the name it reads (``e.id`` -> ``id``; first match wins).
SAMPLES = [
    (r"^what$", "cannot verify the Merkle tree"),  # tree_pg.database_errors' callers' prefix
    (r"url", "postgresql://auditor@localhost/audit"),
    (r"pub(lic)?_?key|pubkey", "/tmp/bureau.pub"),
    (r"^(key_?)?(path|file)$|keyfile", "/tmp/bureau.key"),
    (r"path|file|^out$|dest|src|target|^db$|origin|ledger|^p$", "/tmp/audit.db"),
    (r"town", "沙溪镇"),
    (r"period|year", "2017"),
    (r"clause", "B06.1"),
    (r"rubric", "taicang-2017"),
    (r"^(id|id_|event_id|name)$|_id$", "f-1"),
    # a wrapped error or an OS reason: a message the catalogue knows
    (r"strerror|^exc$|^err$|reason|error|^e$|why|problem|failure|detail", "missing"),
    (r"digest|^head$|hash|sha|root|^prev", "a3f1" * 16),
    (r"known|recorded|stamp|^rec$|time|^now$|when|^at$", "2017-06-30T04:00:00.000000Z"),
    (r"as_of|date|^day$|occurred|^due$", "2017-03-01"),
    (r"seq|size|count|index|line|row|number|^n$|^i$|first|second|len\(|last|total|"
     r"^lo$|^hi$|width|expected|depth|max|min|^m$|bytes|limit|timeout|version|^sv$", 3),
    (r"type|kind", "finding"),
    (r"join\(|known|allowed|choices|names|options|formats|sheets", "a, b"),
    (r"value|quantity|amount|points", "2"),
    (r"source", "city"),
]
_SAMPLES = [(re.compile(p, re.I), v) for p, v in SAMPLES]


def sample_for(expr: ast.expr, local: dict, module_globals: dict) -> object:
    """A plausible value for one placeholder (a local f-string variable: its own sample;
    a module constant such as MAX_TEXT_BYTES: its value)."""
    if isinstance(expr, ast.Name) and expr.id in local:
        text = render(local[expr.id], module_globals, local)
        if text is not None:
            return text
    if isinstance(expr, ast.Name) and expr.id.isupper() and \
            isinstance(module_globals.get(expr.id), (int, str)):
        return module_globals[expr.id]
    if isinstance(expr, ast.IfExp):  # `f" ({x})" if x else ""`: the filled branch
        if isinstance(expr.body, (ast.JoinedStr, ast.Constant)):
            return render(expr.body, module_globals, local)
        return sample_for(expr.body, local, module_globals)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
            expr.func.id == "did_you_mean":
        return ""  # the did-you-mean tail: tested in tests/cli/test_messages.py
    if isinstance(expr, ast.Attribute):
        text = expr.attr
    elif isinstance(expr, ast.Name):
        text = expr.id
    else:
        text = ast.unparse(expr)
    for pattern, value in _SAMPLES:
        if pattern.search(text):
            return value
    return "x"


def render(node: ast.expr, module_globals: dict, local: dict | None = None) -> str | None:
    """A sample message from a string, an f-string or a concatenation of them."""
    local = local or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
                continue
            value = sample_for(part.value, local, module_globals)
            if part.conversion == ord("r"):
                value = repr(value)
            spec = "".join(p.value for p in part.format_spec.values
                           if isinstance(p, ast.Constant)) if part.format_spec else ""
            try:
                out.append(format(value, spec))
            except (ValueError, TypeError):
                out.append(str(value))
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = render(node.left, module_globals, local), render(node.right, module_globals, local)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):  # `f"field '{f}': " if f else ""`: the filled branch
        return render(node.body, module_globals, local)
    if isinstance(node, ast.Name) and isinstance(module_globals.get(node.id), str):
        return module_globals[node.id]
    if isinstance(node, ast.Name) and node.id in local:
        return render(local[node.id], module_globals, local)
    return None


def local_strings(func: ast.AST) -> dict:
    """``where = f"..."`` in a function: the f-strings its messages interpolate."""
    found = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, (ast.JoinedStr, ast.IfExp)):
            found.setdefault(node.targets[0].id, node.value)
    return found


def _is_message_class(obj) -> bool:
    return isinstance(obj, type) and (issubclass(obj, ledger.LedgerError)
                                      or issubclass(obj, click.ClickException))


def _called_class(call: ast.Call, module_globals: dict):
    f = call.func
    if isinstance(f, ast.Name):
        return module_globals.get(f.id)
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        owner = module_globals.get(f.value.id)
        return getattr(owner, f.attr, None)
    return None


def local_imports(tree: ast.Module, module) -> dict:
    """Names a function imports inside its body (``from ledger.errors import UnknownClause``)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            base = importlib.import_module(node.module if node.level == 0 else
                                           "." * node.level + node.module, module.__package__)
            for alias in node.names:
                if hasattr(base, alias.name):
                    names[alias.asname or alias.name] = getattr(base, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = importlib.import_module(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    names[top] = importlib.import_module(top)
    return names


def modules() -> list[tuple[str, ast.Module, dict, dict]]:
    """Each module: (path under ledger/, its tree, the names it sees, node id -> the
    f-string variables of the function around that node)."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "__main__.py":  # runs the CLI when imported; raises nothing itself
            continue
        module = importlib.import_module("ledger." + rel[:-3].replace("/", ".")
                                         .removesuffix(".__init__"))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        g = {**vars(module), **local_imports(tree, module)}
        enclosing = {}
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                strings = local_strings(func)
                for inner in ast.walk(func):
                    enclosing[id(inner)] = strings
        out.append((rel, tree, g, enclosing))
    return out


MODULES = modules()


def scan() -> tuple[list[tuple[str, int, str]], list[tuple[str, str]]]:
    """(samples as (module, line, message), raise sites that are not literals)."""
    samples, indirect = [], []
    for rel, tree, g, enclosing in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and _is_message_class(
                    _called_class(node, g)):
                text = render(node.args[0], g, enclosing.get(id(node), {}))
                if text is None:
                    indirect.append((rel, ast.unparse(node.args[0])))
                else:
                    samples.append((rel, node.lineno, text))
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                cls = _called_class(node.exc, g)
                if cls is None and isinstance(node.exc.func, ast.Name) and \
                        node.exc.func.id not in INTERNAL:
                    # a helper that builds the error (mapper._undecodable): scanned as a Call above
                    assert node.exc.func.id in g, (rel, node.lineno)
            elif isinstance(node, ast.FunctionDef) and FAILURE_FUNCTIONS.match(node.name):
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and ret.value is not None:
                        parts = ret.value.elts if isinstance(ret.value, ast.Tuple) else [ret.value]
                        for p in parts:
                            if isinstance(p, ast.Tuple):
                                parts.extend(p.elts)
                            elif isinstance(p, ast.JoinedStr):
                                samples.append((rel, p.lineno,
                                                render(p, g, enclosing.get(id(p), {}))))
    return samples + helper_reasons(), indirect


REASON_PARAM = re.compile(r"^(reason|problem|why)$")


def helper_reasons() -> list[tuple[str, int, str]]:
    """The reasons handed to a message helper: a function that raises a LedgerError whose
    f-string ends in one of its parameters (``fail(field, reason)``, ``node.fail(key,
    problem)``); each string or f-string its callers pass there is a reason to translate
    (translate() reads the helper's lead — file, node, field — around it)."""
    helpers: dict[str, int] = {}  # helper name -> the reason's position among the call's args
    for _rel, tree, _g, _enclosing in MODULES:
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            params = [a.arg for a in func.args.args]
            offset = 1 if params and params[0] == "self" else 0
            for node in ast.walk(func):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                        node.exc.args and isinstance(node.exc.args[0], ast.JoinedStr):
                    last = node.exc.args[0].values[-1]
                    if isinstance(last, ast.FormattedValue) and isinstance(last.value, ast.Name) \
                            and REASON_PARAM.match(last.value.id) and last.value.id in params:
                        helpers[func.name] = params.index(last.value.id) - offset
    found = []
    for rel, tree, g, enclosing in MODULES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            at = helpers.get(name)
            if at is not None and len(node.args) > at:
                text = render(node.args[at], g, enclosing.get(id(node), {}))
                if text is not None:
                    found.append((rel, node.lineno, text))
    return found


SAMPLES_FOUND, INDIRECT_FOUND = scan()


def test_the_scan_finds_the_messages_it_should():
    texts = [t for _, _, t in SAMPLES_FOUND]
    assert len(texts) > 200
    assert any(t.startswith("demo builds a SQLite file") for t in texts)
    assert any(t.startswith("--db PATH is required") for t in texts)
    assert any("content does not match its hash" in t for t in texts)   # chain failures
    assert any("its payload does not decode" in t for t in texts)       # a helper's error
    assert any("psycopg" in t.lower() for t in texts)                   # INSTALL_HINT
    assert "missing required key" in texts                              # a rubric node's problem
    assert any(t.startswith("must be text, not") for t in texts)        # a record field's


def test_every_indirect_raise_site_is_explained():
    unexplained = sorted(set(INDIRECT_FOUND) - set(INDIRECT))
    assert not unexplained, f"list these in INDIRECT with a reason: {unexplained}"
    stale = sorted(set(INDIRECT) - set(INDIRECT_FOUND))
    assert not stale, f"no longer in the code, remove from INDIRECT: {stale}"


@pytest.mark.parametrize("module, line, message", SAMPLES_FOUND,
                         ids=[f"{m}:{n}" for m, n, _ in SAMPLES_FOUND])
def test_every_message_is_translated(module, line, message):
    zh = translate(message)
    assert is_translated(message), f"{module}:{line}: {message}\n  -> {zh}"
    assert CJK.search(zh), zh


# what the samples put in and a translation must keep as it is
KEPT = ("/tmp/audit.db", "/tmp/bureau.key", "/tmp/bureau.pub", "postgresql://auditor@localhost/audit",
        "B06.1", "沙溪镇", "f-1", "taicang-2017", "python -m ledger")
OPTION = re.compile(r"--[a-z][a-z-]*")


@pytest.mark.parametrize("module, line, message", SAMPLES_FOUND,
                         ids=[f"{m}:{n}" for m, n, _ in SAMPLES_FOUND])
def test_translation_keeps_ids_paths_commands_and_options(module, line, message):
    zh = translate(message)
    lost = [k for k in KEPT if k in message and k not in zh]
    lost += sorted(set(OPTION.findall(message)) - set(OPTION.findall(zh)))
    assert not lost, f"{module}:{line}: {lost} lost from {message!r}: {zh!r}"


def test_ids_commands_and_paths_survive_translation():
    msg = ("demo builds a SQLite file; for PostgreSQL build it, then copy it: "
           "python -m ledger demo && python -m ledger copy demo.db URL")
    assert "python -m ledger copy demo.db URL" in translate(msg)
    assert "/tmp/bureau.key" in translate("cannot read private key /tmp/bureau.key: "
                                          "no such file")


# click's own usage errors (not raised in our code): provoked for real, in process
CLICK_CASES = {
    "a bad choice": ["scoreboard", "--period", "2017", "--format", "pdf"],
    "not an integer": ["prove", "--from-size", "abc"],
    "a directory for a file": ["export", "--period", "2017", "--format", "csv", "-o", "/"],
    "an option without its value": ["score", "--town"],
    "an unknown option": ["score", "--bogus"],
    "a missing option": ["score", "--period", "2017"],
    "an unknown command": ["scor"],
    "an extra argument": ["head", "extra"],
    "a missing argument": ["rubric", "show"],
    "an unknown --lang": ["towns", "--lang", "fr"],
}


@pytest.mark.parametrize("case", sorted(CLICK_CASES))
def test_clicks_own_usage_errors_read_in_chinese(case, capsys, tmp_path):
    from ledger.cli import main
    code = main(["--db", str(tmp_path / "none.db"), *CLICK_CASES[case]])
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    line = err.rstrip("\n")
    assert line.startswith("error: ") and "\n" not in line, err
    assert "（原文）" not in line and CJK.search(line), line
    # left in English only: quoted values, options and paths, METAVARS, what the user typed
    english = re.sub(r"'[^']*'|\S*[/.-]\S*|\b[A-Z_]{2,}\b|（[^）（]*）|「[^」]*」|[\u4e00-\u9fff]", "",
                     line[len("error: "):])
    assert not re.search(r"[A-Za-z]{4,}", english), f"English words left: {line}"
