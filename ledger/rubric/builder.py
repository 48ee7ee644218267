"""Turning a parsed rubric file into the immutable model, checking every node.

Each error names the origin (file), the node (``B04.2``, ``groups[1]``) and the
key, so an auditor can find the line to fix. Used by :mod:`ledger.rubric.loader`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NoReturn

from ledger.errors import RubricError
from ledger.rubric.model import (
    ROUNDINGS,
    Bonus,
    Clause,
    Deadline,
    Fixed,
    GradeBand,
    Group,
    Indicator,
    PerUnit,
    RateShortfall,
    Rubric,
    Rule,
    Source,
    Veto,
    Window,
    WorkingDayDelay,
    ZeroScore,
)

# Schema 2 adds what contract v2 reads from the rubric (the assessment window, condition
# clauses, due dates moved off rest days, evidence requirements, vetoed towns ranked last).
# A schema 1 file cannot use them, so its text scores exactly as it always did.
SCHEMA = 2
SCHEMAS = (1, 2)
_V2_KEYS = {
    "header": ("window", "veto_rank"),
    "clause": ("evidence_required",),
    "fixed": ("condition",),
    "deadline": ("condition",),
    "working_day_delay": ("holiday_due",),
}
HOLIDAY_DUE = ("as_given", "next_working_day")
VETO_RANKS = ("by_total", "last")
_RUBRIC_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PERIOD = re.compile(r"[0-9]{4}")
_GROUP_ID = re.compile(r"[A-Z]")
_INDICATOR_ID = re.compile(r"[A-Z][0-9]{2}")
_CLAUSE_ID = re.compile(r"([A-Z][0-9]{2})\.([1-9][0-9]*)")
_VETO_ID = re.compile(r"V[1-9][0-9]*")
# A rate clause must be about a rate: its text names one (率, %, 百分点).
_RATE_WORDS = ("率", "%", "％", "百分")
_MISSING = object()
# Every rubric number (amounts, points, caps, rates, bands, day counts) is a small exact
# figure: 0.5e999999999 or a 5,001-digit integer is a typo or an attack, not a score.
MAX_NUMBER = 1000
MAX_PLACES = 2


# --------------------------------------------------------------------------- reading tables


class _Node:
    """One TOML table being read; knows its place so every error can name it."""

    def __init__(self, data: Any, origin: str, name: str, prefix: str = ""):
        self.data, self.origin, self.name, self.prefix = data, origin, name, prefix

    def fail(self, key: str, problem: str) -> NoReturn:
        raise RubricError(f"{self.origin}: {self.name}: {self.prefix}{key}: {problem}")

    def keys(self, required: list[str], optional: list[str] = (), newer: tuple = ()) -> None:
        """Refuse unknown keys, then missing ones (both in a stable order).

        ``newer``: keys a later schema allows here, refused with a message saying so.
        """
        allowed = [*required, *optional]
        for key in self.data:
            if key in newer and key not in allowed:
                self.fail(key, f"needs schema = {SCHEMA} (this file says an earlier schema)")
            if key not in allowed:
                self.fail(key, f"unknown key (allowed here: {', '.join(allowed) or 'none'})")
        for key in required:
            if key not in self.data:
                self.fail(key, "missing required key")

    def _get(self, key: str, ok, what: str, default: Any) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                self.fail(key, "missing required key")
            return default
        if not ok(value):
            self.fail(key, f"expected {what}, got {_describe(value)}")
        return value

    def str(self, key: str, default: Any = _MISSING) -> str | None:
        value = self._get(key, lambda v: isinstance(v, str), "a string", default)
        if isinstance(value, str) and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        return self._get(key, lambda v: isinstance(v, bool), "true or false", default)

    def int(self, key: str, minimum: int, default: Any = _MISSING) -> int | None:
        value = self._get(key, _is_int, "a whole number", default)
        if value is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, got {value}")
        if value is not None and value > MAX_NUMBER:
            self.fail(key, f"must be at most {MAX_NUMBER}, got {_describe(value)}")
        return value

    def decimal(self, key: str, default: Any = _MISSING) -> Decimal:
        value = self._get(key, _is_number, "a number", default)
        if isinstance(value, Decimal) and not value.is_finite():
            self.fail(key, f"must be a finite number, got {value}")
        value = Decimal(value)
        # copy_abs and the exponent need no context (abs() could trap Overflow)
        if value.copy_abs() > MAX_NUMBER:
            self.fail(key, f"must lie between -{MAX_NUMBER} and {MAX_NUMBER}, got "
                           f"{_describe(value)}")
        if _places(value) > MAX_PLACES:
            self.fail(key, f"at most {MAX_PLACES} decimal places, got {_describe(value)}")
        return value

    def amount(self, key: str = "amount") -> Decimal:
        value = self.decimal(key)
        if value < 0:
            self.fail(key, f"must not be negative, got {value}")
        return value

    def date(self, key: str) -> date:
        # datetime is a subclass of date; a rubric date is a bare TOML date.
        return self._get(
            key, lambda v: isinstance(v, date) and not isinstance(v, datetime), "a date (YYYY-MM-DD)", _MISSING
        )

    def choice(self, key: str, choices, default: Any = _MISSING) -> str:
        value = self.str(key, default)
        if value not in choices:
            self.fail(key, f"unsupported value {value!r} (expected one of {', '.join(sorted(choices))})")
        return value

    def table(self, key: str, name: str | None = None) -> _Node:
        """A sub-table: its own node ``name`` (``source``), or keys read as ``key.sub`` here."""
        value = self._get(key, lambda v: isinstance(v, dict), "a table", _MISSING)
        if name is not None:
            return _Node(value, self.origin, name)
        return _Node(value, self.origin, self.name, f"{self.prefix}{key}.")

    def tables(self, key: str) -> list[dict]:
        value = self._get(key, lambda v: isinstance(v, list), "an array of tables", [])
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(f"{key}[{i}]", f"expected a table, got {_describe(item)}")
        return value


def _places(v: Decimal) -> int:
    """Decimal places that matter (trailing zeros aside), with no rounding context."""
    _, digits, exponent = v.as_tuple()
    if not any(digits):
        return 0
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - zeros)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return _is_int(v) or isinstance(v, Decimal)


_TYPE_NAMES = {bool: "boolean", int: "integer", Decimal: "float", str: "string",
               date: "date", datetime: "date-time", time: "time"}


def _describe(v: Any) -> str:
    if isinstance(v, (list, dict)):
        return "an array" if isinstance(v, list) else "a table"
    shown = repr(v) if isinstance(v, str) else str(v)
    if len(shown) > 40:
        shown = f"{shown[:20]}…({len(shown):,} characters)"
    return f"{_TYPE_NAMES.get(type(v), type(v).__name__)} {shown}"


def _label(raw: dict, fallback: str) -> str:
    """Name a node by its id when it has a usable one, else by its position."""
    rid = raw.get("id")
    return rid if isinstance(rid, str) and rid.strip() else fallback


# --------------------------------------------------------------------------- building the rubric


class Builder:
    """Turns parsed TOML into a :class:`Rubric`, checking as it goes."""

    def __init__(self, origin: str):
        self.origin = origin
        self.ids: set[str] = set()  # every group, indicator, clause and veto id seen

    def node(self, data: dict, name: str) -> _Node:
        return _Node(data, self.origin, name)

    def claim(self, node: _Node, kind: str, node_id: str) -> None:
        if node_id in self.ids:
            node.fail("id", f"duplicate {kind} id {node_id!r}")
        self.ids.add(node_id)

    def rubric(self, data: dict, text: str, sha: str) -> Rubric:
        head = self.node(data, "header")
        # Schema first: a newer file may well use keys this version has never heard of.
        if "schema" not in data:
            head.fail("schema", f"missing required key (this version reads schema 1 or {SCHEMA})")
        schema = data["schema"]
        if not _is_int(schema) or schema not in SCHEMAS:
            head.fail("schema", f"this version reads schema 1 or {SCHEMA}, not {schema!r}")
        self.schema = schema
        head.keys(
            ["schema", "id", "period", "valid_from", "valid_to", "locale", "base_total",
             "veto_grade", "source", "grades", "groups"],
            ["vetoes", *self.v2("header")], newer=_V2_KEYS["header"],
        )
        rubric_id = head.str("id")
        if not _RUBRIC_ID.fullmatch(rubric_id):
            head.fail("id", f"{rubric_id!r} must be lowercase letters, digits and hyphens (e.g. taicang-2017)")
        period = head.str("period")
        if not _PERIOD.fullmatch(period):
            head.fail("period", f"{period!r} must be a year, YYYY")
        locale = head.str("locale")
        self.valid_from, self.valid_to = head.date("valid_from"), head.date("valid_to")
        for key, day in (("valid_from", self.valid_from), ("valid_to", self.valid_to)):
            if str(day.year) != period:
                head.fail(key, f"{day} lies outside the period {period}")
        if self.valid_from > self.valid_to:
            head.fail("valid_to", f"{self.valid_to} is before valid_from {self.valid_from}")
        base_total = head.decimal("base_total")
        if base_total <= 0:
            head.fail("base_total", f"must be positive, got {base_total}")
        source = self.source(head.table("source", name="source"))
        window = self.window(head.table("window", name="window")) if "window" in data else None
        veto_rank = head.choice("veto_rank", VETO_RANKS, "by_total")

        grades, grades_source = self.grades(head.table("grades", name="grades"))
        veto_grade = head.str("veto_grade")
        if veto_grade not in {b.name for b in grades}:
            head.fail("veto_grade", f"{veto_grade!r} is not one of the grade bands")

        groups_raw = head.tables("groups")
        if not groups_raw:
            head.fail("groups", "a rubric needs at least one group")
        groups = tuple(self.group(raw, i) for i, raw in enumerate(groups_raw))
        points = sum((ind.points for g in groups if not g.bonus for ind in g.indicators), Decimal(0))
        if points != base_total:
            head.fail("base_total", f"non-bonus indicator points sum to {points}, not base_total {base_total}")
        vetoes = tuple(self.veto(raw, i) for i, raw in enumerate(head.tables("vetoes")))

        return Rubric(
            id=rubric_id, schema=schema, period=period, valid_from=self.valid_from,
            valid_to=self.valid_to, locale=locale, base_total=base_total,
            source=source, groups=groups, vetoes=vetoes, grades=grades, grades_source=grades_source,
            veto_grade=veto_grade, text=text, sha256=sha, window=window, veto_rank=veto_rank,
        )

    def v2(self, node_kind: str) -> tuple[str, ...]:
        """Keys schema 2 adds to this kind of node (none for a schema 1 file)."""
        return _V2_KEYS.get(node_kind, ()) if self.schema >= 2 else ()

    def window(self, node: _Node) -> Window:
        node.keys(["end", "source"])
        end = node.date("end")
        if end <= self.valid_to:
            node.fail("end", f"{end} must come after valid_to {self.valid_to} (the window follows "
                             f"the period)")
        return Window(end=end, source=node.str("source"))

    def source(self, node: _Node) -> Source:
        node.keys(["title", "document_number", "issuer", "issued_on"])
        return Source(title=node.str("title"), document_number=node.str("document_number"),
                      issuer=node.str("issuer"), issued_on=node.date("issued_on"))

    def grades(self, node: _Node) -> tuple[tuple[GradeBand, ...], str]:
        node.keys(["source", "bands"])
        bands = []
        for i, raw in enumerate(node.tables("bands")):
            band = self.node(raw, f"grades.bands[{i}]")
            band.keys(["name", "min"], ["name_en"])
            bands.append(GradeBand(name=band.str("name"), min=band.amount("min"),
                                   name_en=band.str("name_en", None)))
            if bands[-1].name in {b.name for b in bands[:-1]}:
                band.fail("name", f"duplicate grade {bands[-1].name!r}")
            if bands[-1].min in {b.min for b in bands[:-1]}:
                band.fail("min", f"two grades start at {bands[-1].min}")
        if not bands:
            node.fail("bands", "at least one grade band is needed")
        return tuple(bands), node.str("source")

    def group(self, raw: dict, index: int) -> Group:
        node = self.node(raw, _label(raw, f"groups[{index}]"))
        node.keys(["id", "name"], ["name_en", "bonus", "indicators"])
        gid = node.str("id")
        if not _GROUP_ID.fullmatch(gid):
            node.fail("id", f"group id {gid!r} must be one capital letter")
        self.claim(node, "group", gid)
        bonus = node.bool("bonus", False)
        raws = node.tables("indicators")
        if not raws:
            node.fail("indicators", "group has no indicators")
        return Group(id=gid, name=node.str("name"), name_en=node.str("name_en", None), bonus=bonus,
                     indicators=tuple(self.indicator(r, i, gid, bonus) for i, r in enumerate(raws)))

    def indicator(self, raw: dict, index: int, gid: str, bonus: bool) -> Indicator:
        node = self.node(raw, _label(raw, f"{gid}.indicators[{index}]"))
        node.keys(["id", "name", "points", "requirement", "criteria"], ["name_en", "clauses"])
        iid = node.str("id")
        if not _INDICATOR_ID.fullmatch(iid):
            node.fail("id", f"indicator id {iid!r} must be its group letter and two digits (e.g. {gid}01)")
        if iid[0] != gid:
            node.fail("id", f"indicator id {iid!r} must start with its group letter {gid}")
        self.claim(node, "indicator", iid)
        points = node.decimal("points")
        if points <= 0:
            node.fail("points", f"must be positive, got {points}")
        raws = node.tables("clauses")
        if not raws:
            node.fail("clauses", "indicator has no clauses")
        clauses = tuple(self.clause(r, i, iid, bonus) for i, r in enumerate(raws))
        return Indicator(id=iid, name=node.str("name"), name_en=node.str("name_en", None), points=points,
                         requirement=node.str("requirement"), criteria=node.str("criteria"),
                         clauses=clauses, bonus=bonus)

    def clause(self, raw: dict, index: int, iid: str, bonus: bool) -> Clause:
        node = self.node(raw, _label(raw, f"{iid}.clauses[{index}]"))
        node.keys(["id", "text", "rule"], ["note", *self.v2("clause")], newer=_V2_KEYS["clause"])
        cid = node.str("id")
        match = _CLAUSE_ID.fullmatch(cid)
        if not match:
            node.fail("id", f"clause id {cid!r} must be its indicator id, a dot and a number (e.g. {iid}.1)")
        if match.group(1) != iid:
            node.fail("id", f"clause id {cid!r} does not start with its indicator id {iid}")
        self.claim(node, "clause", cid)
        if int(match.group(2)) != index + 1:
            node.fail("id", f"clauses are numbered 1, 2, 3… in order: expected {iid}.{index + 1}, got {cid!r}")
        text_zh, text_en = self.text(node)
        rule = self.rule(node)
        if isinstance(rule, Veto):
            node.fail("rule.kind", "a veto rule belongs in [[vetoes]], not in an indicator")
        if isinstance(rule, Bonus) and not bonus:
            node.fail("rule.kind", "a bonus rule needs a bonus indicator (its group has bonus = true)")
        if bonus and not isinstance(rule, Bonus):
            node.fail("rule.kind", f"a bonus indicator takes only bonus rules, not {rule.kind!r}")
        if isinstance(rule, RateShortfall) and not any(w in text_zh for w in _RATE_WORDS):
            node.fail("rule.kind", "rate_shortfall needs a clause about a rate (its text.zh names no 率 or %)")
        evidence_required = node.str("evidence_required", None)
        if evidence_required is not None and not bonus:
            node.fail("evidence_required", "only bonus clauses require evidence (a deduction is "
                                           "the auditor's finding)")
        return Clause(id=cid, text_zh=text_zh, text_en=text_en, rule=rule, note=node.str("note", None),
                      evidence_required=evidence_required)

    def veto(self, raw: dict, index: int) -> Clause:
        node = self.node(raw, _label(raw, f"vetoes[{index}]"))
        node.keys(["id", "text", "rule"], ["note"])
        vid = node.str("id")
        if not _VETO_ID.fullmatch(vid):
            node.fail("id", f"veto id {vid!r} must be V and a number (e.g. V1)")
        self.claim(node, "veto", vid)
        text_zh, text_en = self.text(node)
        rule = self.rule(node)
        if not isinstance(rule, Veto):
            node.fail("rule.kind", f"a veto item takes rule kind 'veto', not {rule.kind!r}")
        return Clause(id=vid, text_zh=text_zh, text_en=text_en, rule=rule, note=node.str("note", None))

    def text(self, node: _Node) -> tuple[str, str | None]:
        text = node.table("text")
        text.keys(["zh"], ["en"])
        return text.str("zh"), text.str("en", None)

    def rule(self, node: _Node) -> Rule:
        rule = node.table("rule")
        kind = rule.str("kind")
        if kind not in _RULES:
            rule.fail("kind", f"unknown rule kind {kind!r} (expected one of {', '.join(_RULES)})")
        required, optional, build = _RULES[kind]
        rule.keys(["kind", *required], [*optional, *self.v2(kind)], newer=_V2_KEYS.get(kind, ()))
        return build(self, rule)

    def due(self, rule: _Node) -> date:
        due = rule.date("due")
        if not self.valid_from <= due <= self.valid_to:
            rule.fail("due", f"{due} lies outside valid_from..valid_to ({self.valid_from}..{self.valid_to})")
        return due


def _rate(b: Builder, r: _Node) -> RateShortfall:
    # Findings carry a percentage (0–100), so target and step are percentages too.
    target, step = r.decimal("target", Decimal(100)), r.decimal("step", Decimal(1))
    if not 0 < target <= 100:
        r.fail("target", f"a rate target is a percentage in (0, 100], got {target}")
    if not 0 < step <= target:
        r.fail("step", f"must be positive and at most the target, got {step}")
    return RateShortfall(amount=r.amount(), target=target, step=step,
                         rounding=r.choice("rounding", ROUNDINGS, "floor"))


# kind -> (required keys, optional keys, builder). Mirrors the rule classes in model.py.
_RULES = {
    "per_unit": (["amount", "unit"], ["max_units"], lambda b, r: PerUnit(
        amount=r.amount(), unit=r.str("unit"), max_units=r.int("max_units", 1, None))),
    "fixed": (["amount"], [], lambda b, r: Fixed(
        amount=r.amount(), condition=r.bool("condition", False))),
    "zero_score": ([], [], lambda b, r: ZeroScore()),
    "deadline": (["amount", "due"], [], lambda b, r: Deadline(
        amount=r.amount(), due=b.due(r), condition=r.bool("condition", False))),
    "rate_shortfall": (["amount"], ["target", "step", "rounding"], _rate),
    "working_day_delay": (["amount", "fact", "allowed_days", "per"], ["unit"], lambda b, r: WorkingDayDelay(
        amount=r.amount(), fact=r.choice("fact", ("payment", "report")),
        allowed_days=r.int("allowed_days", 0), per=r.choice("per", ("case", "working_day")),
        unit=r.str("unit", "cases"), holiday_due=r.choice("holiday_due", HOLIDAY_DUE, "as_given"))),
    "bonus": (["amount"], ["highest_per_project"], lambda b, r: Bonus(
        amount=r.amount(), highest_per_project=r.bool("highest_per_project", False))),
    "veto": ([], [], lambda b, r: Veto()),
}
