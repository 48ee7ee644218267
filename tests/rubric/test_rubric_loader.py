"""Strict rubric loading: each kind of bad file fails with a message naming file, node and key.

Every case edits a small valid rubric (MINIMAL), writes it to tmp_path and loads it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import LedgerError, RubricError
from ledger.rubric import (
    RateShortfall,
    bundled_rubrics,
    load_bundled,
    load_rubric,
    load_rubric_text,
    resolve_rubric,
)
from ledger.rubric import loader

A02_CLAUSES = """
[[groups.indicators.clauses]]
id = "A02.1"
text.zh = "入户调查率每降低1%扣0.1分"
text.en = "Survey rate below 100%"
rule = { kind = "rate_shortfall", amount = 0.1, rounding = "floor" }

[[groups.indicators.clauses]]
id = "A02.2"
text.zh = "每例扣0.5分"
rule = { kind = "per_unit", amount = 0.5, unit = "cases" }
"""

D01_BLOCK = """
[[groups.indicators]]
id = "D01"
name = "创新"
points = 2
requirement = "创新。"
criteria = "加0.5分。"

[[groups.indicators.clauses]]
id = "D01.1"
text.zh = "加0.5分"
rule = { kind = "bonus", amount = 0.5 }
"""

GRADES = """
[grades]
source = "test bands"

[[grades.bands]]
name = "合格"
min = 60

[[grades.bands]]
name = "不合格"
min = 0
"""

MINIMAL = """\
schema = 1
id = "mini-2017"
period = "2017"
valid_from = 2017-01-01
valid_to = 2017-12-31
locale = "zh-CN"
base_total = 100
veto_grade = "不合格"

[source]
title = "测试评分标准"
document_number = "测〔2017〕1号"
issuer = "测试局"
issued_on = 2017-03-01

""" + GRADES + """
[[groups]]
id = "A"
name = "综合保障"

[[groups.indicators]]
id = "A01"
name = "领导机构"
points = 60
requirement = "建立制度。"
criteria = "未建立扣2分，7月底前未完成扣1分。"

[[groups.indicators.clauses]]
id = "A01.1"
text.zh = "未建立扣2分"
rule = { kind = "fixed", amount = 2 }

[[groups.indicators.clauses]]
id = "A01.2"
text.zh = "7月底前未完成扣1分"
rule = { kind = "deadline", amount = 1, due = 2017-07-31 }

[[groups.indicators]]
id = "A02"
name = "入户调查"
points = 40
requirement = "入户调查率达到100%。"
criteria = "入户调查率每降低1%扣0.1分；每例扣0.5分。"
""" + A02_CLAUSES + """
[[groups]]
id = "D"
name = "创新探索（附加）"
bonus = true
""" + D01_BLOCK + """
[[vetoes]]
id = "V1"
text.zh = "发生重大资金问题的"
rule = { kind = "veto" }
"""

FIXED_A01 = 'rule = { kind = "fixed", amount = 2 }'
RATE_A02 = 'rule = { kind = "rate_shortfall", amount = 0.1, rounding = "floor" }'
BONUS_D01 = 'rule = { kind = "bonus", amount = 0.5 }'
VETO_V1 = 'rule = { kind = "veto" }'


def edited(*edits: tuple[str, str]) -> str:
    """MINIMAL with each (old, new) applied; old must occur exactly once, so edits stay precise."""
    text = MINIMAL
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    return text


def add_after(anchor: str, line: str) -> tuple[str, str]:
    return anchor, f"{anchor}\n{line}"


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LOCALE = 'locale = "zh-CN"'
LOCALE_LINE = MINIMAL.splitlines().index(LOCALE) + 1


# (case, edits, node, key, fragment): the error must read "<file>: <node>: <key>: …<fragment>…".
BAD = [
    # unknown keys, at every level
    ("unknown header key", [add_after('locale = "zh-CN"', 'colour = "red"')], "header", "colour", "unknown key"),
    ("unknown source key", [add_after('issuer = "测试局"', 'address = "x"')], "source", "address", "unknown key"),
    ("unknown grades key", [add_after('source = "test bands"', 'scale = 5')], "grades", "scale", "unknown key"),
    ("unknown band key", [add_after("min = 60", "max = 100")], "grades.bands[0]", "max", "unknown key"),
    ("unknown group key", [add_after('name = "综合保障"', "weight = 1")], "A", "weight", "unknown key"),
    ("unknown indicator key", [add_after("points = 60", "bonus = true")], "A01", "bonus", "unknown key"),
    ("unknown clause key", [add_after(FIXED_A01, "weight = 1")], "A01.1", "weight", "unknown key"),
    ("unknown text key", [add_after('text.zh = "未建立扣2分"', 'text.fr = "x"')], "A01.1", "text.fr", "unknown key"),
    ("unknown veto key", [add_after(VETO_V1, "severity = 1")], "V1", "severity", "unknown key"),
    # missing required keys
    ("missing header key", [('locale = "zh-CN"\n', "")], "header", "locale", "missing required key"),
    ("missing source key", [("issued_on = 2017-03-01\n", "")], "source", "issued_on", "missing required key"),
    ("missing grades table", [(GRADES, "")], "header", "grades", "missing required key"),
    ("missing indicator key", [('criteria = "未建立扣2分，7月底前未完成扣1分。"\n', "")], "A01", "criteria",
     "missing required key"),
    ("missing group id", [('id = "D"\n', "")], "groups[1]", "id", "missing required key"),
    ("missing indicator id", [('id = "A02"\n', "")], "A.indicators[1]", "id", "missing required key"),
    ("missing clause id", [('id = "A01.2"\n', "")], "A01.clauses[1]", "id", "missing required key"),
    ("missing clause rule", [(FIXED_A01 + "\n", "")], "A01.1", "rule", "missing required key"),
    ("missing base_total", [("base_total = 100\n", "")], "header", "base_total", "missing required key"),
    # wrong types
    ("points not a number", [("points = 60", 'points = "60"')], "A01", "points", "expected a number"),
    ("valid_from not a date", [("valid_from = 2017-01-01", 'valid_from = "2017-01-01"')], "header", "valid_from",
     "expected a date"),
    ("issued_on a date-time", [("issued_on = 2017-03-01", "issued_on = 2017-03-01T10:00:00")], "source",
     "issued_on", "expected a date"),
    ("bonus not a boolean", [("bonus = true", 'bonus = "yes"')], "D", "bonus", "expected true or false"),
    ("text.zh not a string", [('text.zh = "加0.5分"', "text.zh = 5")], "D01.1", "text.zh", "expected a string"),
    ("text not a table", [('text.zh = "加0.5分"', 'text = "加0.5分"')], "D01.1", "text", "expected a table"),
    ("rule not a table", [(VETO_V1, 'rule = "veto"')], "V1", "rule", "expected a table"),
    ("max_units not whole", [('unit = "cases" }', 'unit = "cases", max_units = 2.5 }')], "A02.2",
     "rule.max_units", "expected a whole number"),
    ("amount a boolean", [(FIXED_A01, 'rule = { kind = "fixed", amount = true }')], "A01.1", "rule.amount",
     "expected a number"),
    ("highest_per_project not bool", [(BONUS_D01, 'rule = { kind = "bonus", amount = 0.5, highest_per_project = 1 }')],
     "D01.1", "rule.highest_per_project", "expected true or false"),
    ("name empty", [('name = "领导机构"', 'name = ""')], "A01", "name", "must not be empty"),
    ("rubric id not a slug", [('id = "mini-2017"', 'id = "Mini 2017"')], "header", "id", "lowercase"),
    ("period not a year", [('period = "2017"', 'period = "17"')], "header", "period", "YYYY"),
    # duplicate ids
    ("duplicate group id", [('id = "D"', 'id = "A"')], "A", "id", "duplicate group id 'A'"),
    ("duplicate indicator id", [('id = "A02"', 'id = "A01"')], "A01", "id", "duplicate indicator id 'A01'"),
    ("duplicate clause id", [('id = "A01.2"', 'id = "A01.1"')], "A01.1", "id", "duplicate clause id 'A01.1'"),
    ("duplicate veto id", [add_after(VETO_V1, '\n[[vetoes]]\nid = "V1"\ntext.zh = "又一项"\nrule = { kind = "veto" }')],
     "V1", "id", "duplicate veto id 'V1'"),
    # rules
    ("unknown rule kind", [(FIXED_A01, 'rule = { kind = "fine", amount = 2 }')], "A01.1", "rule.kind",
     "unknown rule kind 'fine'"),
    ("unknown rule key", [(FIXED_A01, 'rule = { kind = "fixed", amount = 2, unit = "cases" }')], "A01.1",
     "rule.unit", "unknown key"),
    ("missing rule key", [(FIXED_A01, 'rule = { kind = "fixed" }')], "A01.1", "rule.amount",
     "missing required key"),
    ("missing rule kind", [(VETO_V1, "rule = { }")], "V1", "rule.kind", "missing required key"),
    ("missing working-day key", [('rule = { kind = "per_unit", amount = 0.5, unit = "cases" }',
                                  'rule = { kind = "working_day_delay", amount = 0.1, fact = "payment", per = "case" }')],
     "A02.2", "rule.allowed_days", "missing required key"),
    ("bad working-day fact", [('rule = { kind = "per_unit", amount = 0.5, unit = "cases" }',
                               'rule = { kind = "working_day_delay", amount = 0.1, fact = "invoice", '
                               'allowed_days = 5, per = "case" }')], "A02.2", "rule.fact", "unsupported value 'invoice'"),
    ("max_units below 1", [('unit = "cases" }', 'unit = "cases", max_units = 0 }')], "A02.2", "rule.max_units",
     "at least 1"),
    # id schemes
    ("group id not one capital", [('id = "D"', 'id = "Dx"')], "Dx", "id", "one capital letter"),
    ("indicator id scheme", [('id = "A02"', 'id = "A2"')], "A2", "id", "two digits"),
    ("indicator in the wrong group", [('id = "A02"', 'id = "B02"')], "B02", "id", "group letter A"),
    ("clause id scheme", [('id = "A01.2"', 'id = "A01-2"')], "A01-2", "id", "a dot and a number"),
    ("clause id leading zero", [('id = "A01.2"', 'id = "A01.02"')], "A01.02", "id", "a dot and a number"),
    ("clause not under its indicator", [('id = "A01.2"', 'id = "A03.2"')], "A03.2", "id",
     "does not start with its indicator id A01"),
    ("clause numbering", [('id = "A01.2"', 'id = "A01.3"')], "A01.3", "id", "expected A01.2"),
    ("veto id scheme", [('id = "V1"', 'id = "X1"')], "X1", "id", "V and a number"),
    # totals and dates
    ("points do not sum to base_total", [("points = 40", "points = 30")], "header", "base_total",
     "points sum to 90, not base_total 100"),
    ("deadline outside the period", [("due = 2017-07-31", "due = 2018-07-31")], "A01.2", "rule.due", "outside"),
    ("deadline after valid_to", [("valid_to = 2017-12-31", "valid_to = 2017-06-30")], "A01.2", "rule.due",
     "outside valid_from..valid_to"),
    ("valid_from outside period", [("valid_from = 2017-01-01", "valid_from = 2016-12-01")], "header",
     "valid_from", "outside the period 2017"),
    ("valid_to outside period", [("valid_to = 2017-12-31", "valid_to = 2018-01-31")], "header", "valid_to",
     "outside the period 2017"),
    ("valid_to before valid_from", [("valid_from = 2017-01-01", "valid_from = 2017-12-31"),
                                    ("valid_to = 2017-12-31", "valid_to = 2017-12-30")], "header", "valid_to",
     "before valid_from"),
    # texts
    ("clause without text.zh", [('text.zh = "未建立扣2分"', 'text.en = "Not established"')], "A01.1", "text.zh",
     "missing required key"),
    ("clause without text", [('text.zh = "未建立扣2分"\n', "")], "A01.1", "text", "missing required key"),
    ("clause with empty text", [('text.zh = "未建立扣2分"', 'text.zh = ""')], "A01.1", "text.zh", "must not be empty"),
    ("clause with blank text", [('text.zh = "未建立扣2分"', 'text.zh = "　 "')], "A01.1", "text.zh",
     "must not be empty"),
    ("veto without text.zh", [('text.zh = "发生重大资金问题的"', 'text.en = "Major fund problem"')], "V1", "text.zh",
     "missing required key"),
    # amounts
    ("negative amount", [(FIXED_A01, 'rule = { kind = "fixed", amount = -2 }')], "A01.1", "rule.amount",
     "must not be negative"),
    ("negative bonus", [(BONUS_D01, 'rule = { kind = "bonus", amount = -0.5 }')], "D01.1", "rule.amount",
     "must not be negative"),
    ("nan amount", [(FIXED_A01, 'rule = { kind = "fixed", amount = nan }')], "A01.1", "rule.amount", "finite"),
    ("non-positive points", [("points = 2\n", "points = 0\n")], "D01", "points", "must be positive"),
    ("negative band min", [("min = 0", "min = -1")], "grades.bands[1]", "min", "must not be negative"),
    # rates
    ("rate rule on a non-rate", [(FIXED_A01, 'rule = { kind = "rate_shortfall", amount = 0.1 }')], "A01.1",
     "rule.kind", "rate"),
    ("rate target above 100", [(RATE_A02, 'rule = { kind = "rate_shortfall", amount = 0.1, target = 150 }')],
     "A02.1", "rule.target", "percentage"),
    ("rate step zero", [(RATE_A02, 'rule = { kind = "rate_shortfall", amount = 0.1, step = 0 }')], "A02.1",
     "rule.step", "positive"),
    ("unsupported rounding", [('rounding = "floor"', 'rounding = "up"')], "A02.1", "rule.rounding",
     "unsupported value 'up'"),
    # bonus and veto placement
    ("bonus rule in a non-bonus indicator", [(FIXED_A01, 'rule = { kind = "bonus", amount = 2 }')], "A01.1",
     "rule.kind", "bonus indicator"),
    ("non-bonus rule in a bonus indicator", [(BONUS_D01, 'rule = { kind = "fixed", amount = 0.5 }')], "D01.1",
     "rule.kind", "only bonus rules"),
    ("zero_score in a bonus indicator", [(BONUS_D01, 'rule = { kind = "zero_score" }')], "D01.1", "rule.kind",
     "only bonus rules"),
    ("veto rule in an indicator", [(FIXED_A01, 'rule = { kind = "veto" }')], "A01.1", "rule.kind", "[[vetoes]]"),
    ("non-veto rule in a veto", [(VETO_V1, 'rule = { kind = "fixed", amount = 1 }')], "V1", "rule.kind",
     "rule kind 'veto'"),
    # structure
    ("indicator with no clauses", [(A02_CLAUSES, "")], "A02", "clauses", "indicator has no clauses"),
    ("group with no indicators", [(D01_BLOCK, "")], "D", "indicators", "group has no indicators"),
    ("veto_grade not a band", [('veto_grade = "不合格"', 'veto_grade = "差"')], "header", "veto_grade",
     "not one of the grade bands"),
    ("duplicate band", [('name = "合格"', 'name = "不合格"')], "grades.bands[1]", "name", "duplicate grade"),
    # schema
    ("schema 3", [("schema = 1", "schema = 3")], "header", "schema", "this version reads schema 1 or 2, not 3"),
    ("schema 1 with a v2 key", [("schema = 1\n", "schema = 1\nveto_rank = \"last\"\n")], "header",
     "veto_rank", "needs schema = 2"),
    ("schema a string", [("schema = 1", 'schema = "1"')], "header", "schema", "this version reads schema 1"),
    ("schema missing", [("schema = 1\n", "")], "header", "schema", "this version reads schema 1"),
]


@pytest.mark.parametrize("case, edits, node, key, fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_file_names_file_node_and_key(tmp_path, case, edits, node, key, fragment):
    path = write(tmp_path, edited(*edits))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {node}: {key}: "), message
    assert fragment in message, message


@pytest.mark.parametrize("case, edits, node, key, fragment", BAD[:3], ids=[b[0] for b in BAD[:3]])
def test_text_errors_name_the_origin(case, edits, node, key, fragment):
    with pytest.raises(RubricError, match=rf"^event 42: {node}: {key}: "):
        load_rubric_text(edited(*edits), origin="event 42")


def test_minimal_rubric_loads(tmp_path):
    rubric = load_rubric(write(tmp_path, MINIMAL, "mini.toml"))
    assert rubric.id == "mini-2017" and rubric.base_total == Decimal(100)
    assert [c.id for c in rubric.clauses()] == ["A01.1", "A01.2", "A02.1", "A02.2", "D01.1", "V1"]
    assert rubric.clause("A01.2").rule.due == date(2017, 7, 31)
    assert rubric.clause("A02.1").rule == RateShortfall(amount=Decimal("0.1"))
    assert rubric.clause("A02.1").text_en == "Survey rate below 100%" and rubric.clause("A02.2").text_en is None
    assert rubric.groups[1].bonus and rubric.indicators[-1].bonus and not rubric.indicators[0].bonus
    assert isinstance(rubric.clause("A02.2").rule.amount, Decimal)  # never a float


def test_rubric_error_is_a_ledger_error():
    assert issubclass(RubricError, LedgerError)


def test_not_valid_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, edited((LOCALE, 'locale = "zh-CN')))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert str(info.value).startswith(f"{path}: not valid TOML: ")
    assert f"line {LOCALE_LINE}," in str(info.value)


def test_duplicate_toml_key_names_file_and_line(tmp_path):
    path = write(tmp_path, edited(add_after(LOCALE, 'locale = "en"')))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid TOML: ") and "Cannot overwrite a value" in message
    assert f"line {LOCALE_LINE + 1}," in message


def test_not_utf8_names_the_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace("测试局", "Büro").encode("latin-1", errors="replace"))
    with pytest.raises(RubricError, match=rf"^{re.escape(str(path))}: not UTF-8"):
        load_rubric(path)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(RubricError, match=rf"^{re.escape(str(tmp_path / 'absent.toml'))}: cannot read"):
        load_rubric(tmp_path / "absent.toml")


def test_sha256_text_and_cache(tmp_path):
    path = write(tmp_path, MINIMAL, "mini.toml")
    first = load_rubric(path)
    assert first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.text == MINIMAL
    assert load_rubric(path) is first  # cached by content
    assert load_rubric_text(MINIMAL) is first
    other = load_rubric_text(MINIMAL + "# a comment changes the bytes\n")
    assert other.sha256 != first.sha256 and other != first


def test_failed_load_is_not_cached(tmp_path):
    bad = edited(("points = 40", "points = 30"))
    for name in ("one.toml", "two.toml"):  # the second error still names its own file
        path = write(tmp_path, bad, name)
        with pytest.raises(RubricError, match=rf"^{re.escape(str(path))}: "):
            load_rubric(path)


def test_ints_and_decimals_both_read_as_decimal(tmp_path):
    rubric = load_rubric(write(tmp_path, edited(("base_total = 100", "base_total = 100.0"),
                                                (FIXED_A01, 'rule = { kind = "fixed", amount = 2.50 }'))))
    assert rubric.base_total == Decimal(100) and rubric.clause("A01.1").rule.amount == Decimal("2.5")


# --------------------------------------------------------------------------- bundled rubrics


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    folder = tmp_path / "rubrics"
    (folder / "mini").mkdir(parents=True)
    write(folder / "mini", MINIMAL, "2017.toml")
    monkeypatch.setattr(loader, "RUBRICS_DIR", folder)
    return folder


def test_bundled_rubrics_reads_ids_from_nested_files(bundle):
    assert bundled_rubrics() == {"mini-2017": bundle / "mini" / "2017.toml"}
    assert load_bundled("mini-2017").id == "mini-2017"
    assert resolve_rubric("mini-2017").id == "mini-2017"


def test_bundled_reads_only_the_id(bundle):
    write(bundle, edited(('id = "mini-2017"', 'id = "broken-2017"'), ("points = 40", "points = 30")), "broken.toml")
    assert set(bundled_rubrics()) == {"mini-2017", "broken-2017"}
    with pytest.raises(RubricError, match="broken.toml: header: base_total"):
        load_bundled("broken-2017")


def test_duplicate_bundled_ids_are_refused(bundle):
    write(bundle, MINIMAL, "copy.toml")
    with pytest.raises(RubricError, match=r"\.toml: header: id: 'mini-2017' is also the id of ") as info:
        bundled_rubrics()
    assert "copy.toml" in str(info.value) and "2017.toml" in str(info.value)


def test_unknown_bundled_id_lists_known(bundle):
    with pytest.raises(RubricError, match=r"^unknown rubric 'nope' \(known: mini-2017\)$"):
        load_bundled("nope")


def test_resolve_by_path_and_unknown(bundle, tmp_path):
    path = write(tmp_path, edited(('id = "mini-2017"', 'id = "elsewhere-2017"')), "elsewhere.toml")
    assert resolve_rubric(path).id == "elsewhere-2017"
    assert resolve_rubric(str(path)).id == "elsewhere-2017"
    with pytest.raises(RubricError, match=r"^missing\.toml: neither a bundled rubric id \(known: mini-2017\)"):
        resolve_rubric("missing.toml")
