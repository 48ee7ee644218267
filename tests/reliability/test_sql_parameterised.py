"""Every value reaches SQLite as a bound parameter, never spliced into SQL text.

A source-level check over ``ledger/**/*.py`` (parsed with :mod:`ast`, so comments and
docstrings are not code). It finds every string *built* by interpolation:

* f-strings (``f"... {x} ..."``),
* ``%`` formatting (``"..." % x``),
* ``.format`` (``"...".format(x)``),
* ``+`` concatenation of a string literal with something that is not a literal,

and treats the built string as SQL when its literal text contains an upper-case SQL
keyword (``SELECT``, ``INSERT INTO``, ``UPDATE``, ``DELETE FROM``, ``CREATE``, ``DROP``,
``ALTER``, ``PRAGMA``, ``BEGIN``, ``WHERE``, ``VALUES``, ``ORDER BY``…, the house style)
or a placeholder comparison (``= ?``, ``IN (``), or when it is passed straight to
``.execute``/``.executemany``/``.executescript``.

An interpolated expression in SQL is allowed only if it is a *fixed identifier or
placeholder list*, recognised by these patterns:

1. an UPPER_CASE name (a module constant fixed at import: ``APPLICATION_ID``,
   ``SCHEMA_VERSION``, ``_RETRACTION``), optionally qualified (``store.COLUMNS``);
2. ``'SEP'.join(UPPER_CASE)``: a constant list of column names; ``UPPER_CASE.format(
   'literal', …)``: a constant SQL template filled with literals;
3. ``'SEP'.join('?' * n)`` or ``'SEP'.join(['?'] * n)``: a placeholder list;
4. ``'SEP'.join(where)`` (also ``clauses``/``conditions``): a WHERE built from
   fragments that are themselves string literals or f-strings checked by this rule;
5. a loop variable bound by ``for NAME in <literal tuple/list of string literals>`` (or
   the first element of literal tuples, ``for column, value in (("town", town), …)``)
   or by ``for NAME in UPPER_CASE`` / ``for A, B in UPPER_CASE.items()``, in the same
   function;
6. a call ``_private(…)`` of a module-private function whose arguments are all string
   literals (e.g. ``_latest_amended('quantity')``), and inside such a function, a
   parameter that *every* call in the module fills with a string literal.

Everything else (a parameter, an attribute, a call) is a value and fails the test.
Known violations would be listed in ``KNOWN_VIOLATIONS`` (none today), so a new one
fails at once.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LEDGER = Path(__file__).resolve().parents[2] / "ledger"

SQL_WORDS = re.compile(r"\b(SELECT|INSERT\s+INTO|INSERT\s+OR|UPDATE|DELETE\s+FROM|CREATE|DROP|"
                       r"ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|ATTACH|VACUUM|WHERE|"
                       r"VALUES|ORDER\s+BY|GROUP\s+BY|LIMIT)\b")
PLACEHOLDER = re.compile(r"([=<>]\s*\?)|(\bIN\s*\()")
EXEC = {"execute", "executemany", "executescript"}
CONST = r"(?:[A-Za-z_][A-Za-z0-9_]*\.)*_?[A-Z][A-Z0-9_]*"
ALLOWED = [
    re.compile(rf"^{CONST}$"),
    re.compile(rf"^(['\"]).*?\1\.join\({CONST}\)$"),
    re.compile(r"^(['\"]).*?\1\.join\((['\"])\?\2 \* .+\)$"),
    re.compile(r"^(['\"]).*?\1\.join\(\[(['\"])\?\2\] \* .+\)$"),
    re.compile(r"^(['\"]).*?\1\.join\((where|clauses|conditions)\)$"),
    re.compile(rf"^{CONST}\.format\((\s*'[^']*'\s*,?)+\)$"),
    re.compile(r"^_[a-z][a-z0-9_]*\((\s*'[^']*'\s*,?)*\)$"),
]

# (file relative to ledger/, interpolated expression): why it is still there
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values
                       if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def _loop_bound_identifiers(func: ast.AST) -> set[str]:
    """Names bound by ``for`` loops over literal string tuples or UPPER_CASE constants."""
    names = set()
    for node in ast.walk(func):
        if not isinstance(node, (ast.For, ast.comprehension)):
            continue
        target, it = node.target, node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and not it.args \
                and it.func.attr in ("items", "keys", "values"):
            it = it.func.value
        if isinstance(it, ast.Name) and re.fullmatch(r"_?[A-Z][A-Z0-9_]*", it.id):
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            continue
        if not isinstance(it, (ast.Tuple, ast.List)):
            continue
        if isinstance(target, ast.Name) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in it.elts):
            names.add(target.id)
        elif isinstance(target, ast.Tuple) and target.elts and isinstance(target.elts[0], ast.Name) \
                and all(isinstance(e, ast.Tuple) and e.elts and isinstance(e.elts[0], ast.Constant)
                        and isinstance(e.elts[0].value, str) for e in it.elts):
            names.add(target.elts[0].id)
    return names


def _literal_parameters(tree: ast.AST) -> dict[ast.AST, set[str]]:
    """For each module-private function: the parameters every call in the module fills
    with a string literal (positionally or by keyword)."""
    funcs = {n.name: n for n in ast.walk(tree)
             if isinstance(n, ast.FunctionDef) and n.name.startswith("_")}
    calls: dict[str, list[ast.Call]] = {name: [] for name in funcs}
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in calls:
            calls[n.func.id].append(n)
    out = {}
    for name, fn in funcs.items():
        params = [a.arg for a in fn.args.args]
        literal = set()
        for i, param in enumerate(params):
            args = []
            for c in calls[name]:
                kw = {k.arg: k.value for k in c.keywords}
                args.append(c.args[i] if i < len(c.args) else kw.get(param))
            if args and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                literal.add(param)
        out[fn] = literal
    return out


def _interpolations(node: ast.AST) -> tuple[str, list[ast.AST]] | None:
    """(literal text, interpolated expressions) if ``node`` builds a string, else None."""
    if isinstance(node, ast.JoinedStr):
        exprs = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return (_literal_text(node), exprs) if exprs else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _literal_text(node.left):
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return _literal_text(node.left), list(right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format" and _literal_text(node.func.value):
        return _literal_text(node.func.value), list(node.args) + [k.value for k in node.keywords]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = [node.left, node.right]
        texts = [_literal_text(s) for s in sides]
        others = [s for s, t in zip(sides, texts) if not t and not isinstance(s, (ast.BinOp,))]
        if any(texts) and others:
            return "".join(texts), others
    return None


def violations_in(source: str, filename: str = "<src>") -> list[tuple[str, int, str, str]]:
    """(file, line, expression, SQL text) for every value interpolated into SQL."""
    tree = ast.parse(source, filename)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    exec_args = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in EXEC and node.args:
            exec_args.add(node.args[0])
    literal_params = _literal_parameters(tree)
    found = []
    for node in ast.walk(tree):
        built = _interpolations(node)
        if built is None:
            continue
        text, exprs = built
        if not (SQL_WORDS.search(text) or PLACEHOLDER.search(text) or node in exec_args):
            continue
        func = node
        while func in parents and not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = parents[func]
        loop_names = _loop_bound_identifiers(func) | literal_params.get(func, set())
        for e in exprs:
            expr = ast.unparse(e)
            if any(p.match(expr) for p in ALLOWED):
                continue
            if isinstance(e, ast.Name) and e.id in loop_names:
                continue
            if isinstance(e, (ast.JoinedStr, ast.Constant)):
                continue  # nested literal: checked on its own
            found.append((filename, getattr(node, "lineno", 0), expr, text.strip()[:80]))
    return found


def all_violations() -> list[tuple[str, int, str, str]]:
    out = []
    for path in sorted(LEDGER.rglob("*.py")):
        rel = path.relative_to(LEDGER).as_posix()
        out += violations_in(path.read_text(encoding="utf-8"), rel)
    return out


def test_no_value_is_interpolated_into_sql():
    """Every interpolation into SQL text in ledger/ is a fixed identifier or placeholder list."""
    bad = [v for v in all_violations() if (v[0], v[2]) not in KNOWN_VIOLATIONS]
    assert not bad, "values spliced into SQL (bind them as ? parameters):\n" + "\n".join(
        f"  ledger/{f}:{line}: {{{expr}}} in {sql!r}" for f, line, expr, sql in bad)


def test_known_violations_are_gone():
    found = {(v[0], v[2]) for v in all_violations()}
    assert not (found & set(KNOWN_VIOLATIONS)), sorted(found & set(KNOWN_VIOLATIONS))


def test_the_scanner_itself_flags_values_and_allows_identifiers():
    """The rule on synthetic code: what it must flag and what it must let through."""
    flagged = '''
def f(conn, event_id, town, n, table):
    conn.execute(f"SELECT * FROM events WHERE id = '{event_id}'")
    conn.execute("SELECT * FROM events WHERE town = '%s'" % town)
    conn.execute("DELETE FROM events WHERE seq > {}".format(n))
    conn.execute("SELECT * FROM events WHERE town = '" + town + "'")
    sql = f"DROP TABLE {table}"
    conn.execute(f"{town}")
    conn.execute(f"SELECT {_sub(name)} FROM events")
def _lookup(field):
    return f"SELECT json_extract(payload, '$.{field}') FROM events"
x = _lookup("town"), _lookup(some_value)
'''
    allowed = '''
COLUMNS = ("seq", "id")
TABLES = ("a", "b")
def g(conn, types, town):
    conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events WHERE id = ?", (town,))
    where = ["seq > ?"]
    where.append(f"type IN ({', '.join('?' * len(types))})")
    for column, value in (("town", town), ("period", None)):
        where.append(f"{column} = ?")
    conn.execute(f"SELECT * FROM events WHERE {' AND '.join(where)}", [])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    label = f"town {town} has %d events" % 3
    sql = f"SELECT {_P.format('clause')}, {_amended('quantity')} FROM events"
    for name, text in VIEWS.items():
        conn.execute(f"CREATE VIEW IF NOT EXISTS {name} AS {text}")
def _amended(field):
    return f"(SELECT json_extract(a.payload, '$.{field}') FROM events a)"
'''
    assert sorted(v[2] for v in violations_in(flagged)) == sorted(
        ["event_id", "town", "n", "town", "table", "town", "field", "_sub(name)"])
    assert violations_in(allowed) == []
