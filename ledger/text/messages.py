"""Error messages for people: the English LedgerError messages read in Chinese.

Library code words its errors in English (they are part of the API, and many
places raise them); the CLI shows them in Chinese unless ``--lang en``. A
message is translated piece by piece: where (``line 7:``, ``row 3:``,
``record 2:``, a file name), which field (``field 'clause':``), the reason (one
catalogue of regular expressions, :data:`CATALOGUE`), and a did-you-mean tail.
A reason the catalogue does not know is kept in English after a Chinese lead,
so nothing is ever lost; tests/text/test_message_catalogue.py finds every message the
code can raise (and click's own usage errors) and checks each is known here or in
:mod:`ledger.text.catalogue`.

>>> translate("line 7: field 'clause': unknown clause 'Z99' in rubric taicang-2017")
'第 7 行：字段 clause：评分标准 taicang-2017 中没有条款「Z99」'
>>> translate("unknown town '沙西镇' (not registered as known at 2018-01-01T00:00:00.000000Z); did you mean '沙溪镇'?")
'未登记的镇「沙西镇」，是否指「沙溪镇」？'
"""

from __future__ import annotations

import re

from ledger.text.catalogue import FIRST, MORE, WORDS

Q = r"'(?P<{0}>(?:[^'\\]|\\.)*)'"  # a repr'd text value, its content captured


def _q(name: str) -> str:
    return Q.format(name)


# (English reason pattern, Chinese template); the first full match wins.
CATALOGUE: list[tuple[str, str]] = [
    # names: towns, periods, clauses, rubrics
    (rf"unknown town {_q('v')} \(not registered as known at (?P<t>\S+)\)", "未登记的镇「{v}」"),
    (rf"town {_q('v')} is not registered \(import a 'town' record first\)",
     "未登记的镇「{v}」（请先导入 town 记录登记该镇）"),
    (rf"town {_q('v')} is already registered", "镇「{v}」已登记，不能重复登记"),
    (rf"period {_q('v')} has no adopted rubric as known at (?P<t>\S+)",
     "年度「{v}」尚未采用评分标准（截至 {t}）"),
    (rf"period {_q('v')} has no adopted rubric \(import an 'adopt' record first\)",
     "年度「{v}」尚未采用评分标准（请先导入 adopt 记录）"),
    (rf"unknown clause {_q('v')} in rubric (?P<r>\S+)", "评分标准 {r} 中没有条款「{v}」"),
    (rf"its clause {_q('v')} is not in rubric (?P<r>\S+)", "其条款「{v}」不在评分标准 {r} 中"),
    (rf"unknown rubric {_q('v')} \(known: (?P<k>.*)\)", "未知的评分标准「{v}」（已有：{k}）"),
    (r"(?P<v>\S+): neither a bundled rubric id \(known: (?P<k>.*)\) nor a rubric file",
     "「{v}」既不是内置评分标准（已有：{k}），也不是评分标准文件"),
    (r"rubric (?P<r>\S+) governs period (?P<p>\S+), not '(?P<v>.*)'",
     "评分标准 {r} 适用于 {p} 年度，而不是「{v}」"),
    (rf"source must be 'city' or 'self', not {_q('v')}", "来源只能是 city（市核查）或 self（自评），不是「{v}」"),
    # dates and times
    (rf"as_of {_q('v')} is not a date YYYY-MM-DD", "as_of「{v}」不是 YYYY-MM-DD 格式的日期"),
    (rf"as_of {_q('v')} is not a valid date", "as_of「{v}」不是有效日期"),
    (r"as_of must be a date, not a timestamp \((?P<v>.*)\)", "as_of 应为日期，而不是时间戳（{v}）"),
    (r"as_of (?P<v>\S+) is outside period (?P<p>\S+) (?P<rest>.*)", "as_of {v} 不在 {p} 年度内 {rest}"),
    (rf"known_at {_q('v')} is not an ISO 8601 timestamp .*",
     "known_at「{v}」不是 ISO 8601 时间（例如 2017-06-30T12:00:00+08:00，或一个日期）"),
    (rf"known_at {_q('v')} is not a valid date", "known_at「{v}」不是有效日期"),
    (rf"known_at {_q('v')} is not a timestamp", "known_at「{v}」不是时间"),
    (r"known_at (?P<v>.+) is in the future .*",
     "known_at {v} 在将来：将来的账本状态无法复现，请给出现在或过去的时间"),
    (r"nothing was recorded by known_at (?P<v>.*)", "截至 known_at {v} 账本中尚无记录"),
    (rf"{_q('v')} is not a date YYYY-MM-DD", "「{v}」不是日期（应为 YYYY-MM-DD，或 Excel 的 2017/3/1、2017年3月1日）"),
    (rf"{_q('v')} is not a valid date", "「{v}」不是有效日期"),
    (r"(?P<d>\S+) is outside period (?P<p>\S+) \((?P<a>\S+) to (?P<b>\S+)\)",
     "{d} 不在 {p} 年度内（{a} 至 {b}）"),
    (r"(?P<d>\S+) is before the deadline (?P<due>\S+) of (?P<c>\S+): .*",
     "{d} 早于条款 {c} 的期限 {due}：期限过后才算未完成"),
    (r"(?P<d>\S+) is before (?P<f>\w+) (?P<e>\S+)", "{d} 早于 {f} {e}"),
    (r"the official working-day calendar does not cover (?P<d>\S+): .*",
     "国务院工作日历未覆盖 {d}（不作推测）"),
    # fields and values
    (r"missing", "缺失"),
    (r"must not be empty", "不能为空"),
    (r"must be text, not (?P<k>.*)", "应为文本，而不是 {k}"),
    (r"must be a whole number, not (?P<v>.*)", "应为整数，而不是 {v}"),
    (r"must be a whole number >= 1, not (?P<v>.*)", "应为不小于 1 的整数，而不是 {v}"),
    (r"(?P<v>\S+) is more than (?P<m>\S+) units", "{v} 超过上限 {m}"),
    (r"must be a number from 0 to 100, not (?P<v>.*)", "应为 0 到 100 之间的数，而不是 {v}"),
    (r"must be a number, not (?P<k>.*)", "应为数字，而不是 {k}"),
    (r"has more than (?P<n>\d+) decimal places; .*", "小数位超过 {n} 位"),
    (r"must be a list of text items", "应为文本列表"),
    (r"is not valid UTF-8 text \(it holds a lone surrogate\)", "不是有效的 UTF-8 文本"),
    (r"must be 'city' or 'self', not '(?P<v>.*)'", "只能是 city（市核查）或 self（自评），不是「{v}」"),
    (r"must be one of (?P<o>.*), not '(?P<v>.*)'", "只能是 {o} 之一，不是「{v}」"),
    (r"unknown record type (?P<v>.*) \(known: (?P<k>.*)\)", "未知的记录类型 {v}（可用：{k}）"),
    (r"unknown field for a (?P<t>\w+) record \(allowed: (?P<a>.*)\)", "{t} 记录不接受此字段（可用：{a}）"),
    (r"a record must be an object with 'type' and 'id', not (?P<k>.*)",
     "每条记录应为含 type 和 id 的对象，而不是 {k}"),
    (r"(?P<c>\S+) counts occurrences, so quantity must be 1 .*, not (?P<v>\d+)",
     "{c} 按次计，数量只能为 1（每次单独记一条），不是 {v}"),
    (r"(?P<c>\S+) is a rate clause: give the measured rate in percent", "{c} 是比率条款：请给出实测百分比 value"),
    (r"only rate clauses take a value, not (?P<c>\S+)", "只有比率条款才填 value，{c} 不是"),
    (r"(?P<c>\S+) needs the project it commends", "{c} 需要填写所表彰的项目 project"),
    (r"only a per-project bonus clause takes a project, not (?P<c>\S+)", "只有按项目加分的条款才填 project，{c} 不是"),
    (rf"{_q('v')} is already in the ledger (?P<w>.*) with other content",
     "编号「{v}」已在账本中且内容不同 {w}"),
    (rf"{_q('v')} \(caused by decision {_q('d')}\) is already in the ledger",
     "编号「{v}」（由申诉决定「{d}」产生）已在账本中"),
    (rf"no event with id {_q('v')} in the ledger", "账本中没有编号为「{v}」的记录"),
    (rf"no finding with id {_q('v')} in the ledger", "账本中没有编号为「{v}」的问题"),
    (rf"no appeal with id {_q('v')} in the ledger", "账本中没有编号为「{v}」的申诉"),
    (rf"appeal {_q('v')} was already decided", "申诉「{v}」已作出决定"),
    (rf"{_q('v')} was already retracted", "「{v}」已被撤销"),
    (rf"{_q('v')} is a (?P<t>\w+), which cannot be .*", "「{v}」是 {t}，不能这样更正"),
    (rf"finding {_q('v')} is not (?P<t>\S+)'s for (?P<p>\S+)", "问题「{v}」不属于 {t} 的 {p} 年度"),
    (r"an appeal names at least one finding id", "申诉至少要指明一个问题编号"),
    (r"an amendment must give a new quantity and/or value", "更正须给出新的数量和/或数值"),
    (r"a rejected appeal changes no finding: .*", "驳回的申诉不改变任何问题：请去掉撤销/更正"),
    (r"an appeal (?P<o>\w+) must carry the retractions or amendments it causes",
     "申诉决定 {o} 须附带其引起的撤销或更正"),
    (r"period (?P<p>\S+) was closed by event (?P<e>\S+): .*", "{p} 年度已由 {e} 关账：只能通过申诉决定补录问题"),
    (r"period (?P<p>\S+) is already closed .*", "{p} 年度已关账"),
    (rf"{_q('v')} must be a year, YYYY", "「{v}」应为年份 YYYY"),
    # files
    (r"cannot read (?P<f>.+): no such file", "无法读取 {f}：文件不存在"),
    (r"cannot read (?P<f>.+): (?P<r>.*)", "无法读取 {f}：{r}"),
    (r"(?P<f>.+): unknown import format (?P<s>\S+); .*", "{f}：不支持的导入格式 {s}；请用 .jsonl、.csv 或 .xlsx"),
    (r"(?P<f>.+): holds no records .*", "{f} 中没有任何记录（文件为空或只有表头），未导入任何内容"),
    (r"(?P<f>.+): looks like UTF-16 text without a byte-order mark; .*",
     "{f} 像是不带 BOM 的 UTF-16 文本：请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”后再导入，或用 --encoding 指定编码"),
    (r"not valid UTF-8 \(byte (?P<b>\d+)\); .*",
     "不是有效的 UTF-8（第 {b} 个字节）：请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”后再导入，或用 --encoding 指定编码"),
    (r"not valid (?P<e>\S+) text; .*",
     "不是有效的 {e} 文本：请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”后再导入，或用 --encoding 指定编码"),
    (rf"unknown encoding {_q('v')} .*", "未知的编码「{v}」（例如 utf-8、gb18030、utf-16）"),
    (rf"unknown column {_q('v')} \(valid columns: (?P<k>.*)\)", "未知的列「{v}」（可用的列：{k}）"),
    (r"a column name appears twice", "有重复的列名"),
    (r"column (?P<n>\d+) has no name", "第 {n} 列没有列名"),
    (r"(?P<n>\d+) cells, but the header has (?P<h>\d+)", "有 {n} 个单元格，但表头只有 {h} 列"),
    (r"unreadable CSV(?: header)?: (?P<r>.*)", "CSV 无法读取：{r}"),
    (r"not a valid JSON record: (?P<r>.*)", "不是有效的 JSON 记录：{r}"),
    (r"JSON nested too deeply", "JSON 嵌套过深"),
    (rf"(?P<f>.+): no sheet {_q('v')} \(sheets: (?P<k>.*)\)", "{f} 中没有工作表「{v}」（现有：{k}）"),
    (r"(?P<f>.+): not an Excel \.xlsx workbook .*", "{f} 不是 Excel .xlsx 工作簿：请在 Excel 中另存为 .xlsx 或 CSV UTF-8"),
    (r"a value in a column without a header .*", "有数据写在没有表头的列中"),
    (rf"unknown template format {_q('v')} .*", "未知的模板格式「{v}」（csv、xlsx 或 jsonl）"),
    (rf"unknown export format {_q('v')}: .*", "未知的导出格式「{v}」"),
    (r"cannot write (?P<f>.+): (?P<r>.*)", "无法写入 {f}：{r}"),
    # the ledger file
    (r"no ledger at (?P<f>.+) \(import a file into it to create one\)",
     "{f} 处没有账本（导入一个文件即可创建）"),
    (r"the ledger is empty: no head yet", "账本为空，还没有链头"),
    (r"(?P<f>.+) is a SQLite file but not an audit ledger", "{f} 是 SQLite 文件，但不是考核账本"),
    (r"(?P<f>.+) is not an audit ledger \((?P<r>.*)\)", "{f} 不是考核账本（{r}）"),
    (r"not an audit ledger .*", "不是考核账本"),
    (rf"malformed digest {_q('v')}: .*", "摘要「{v}」格式不对：应为 head 打印的 SEQ:HASH"),
    (rf"no publication with id {_q('v')} in the ledger", "账本中没有编号为「{v}」的公布记录"),
    (r"(?P<p>\S+) does not reproduce: published sha256 (?P<a>\w+), recomputed (?P<b>\w+)",
     "{p} 无法复现：公布时 sha256 {a}，重算得 {b}"),
    (r"digest (?P<d>\S+) names event seq (?P<s>\d+), but the ledger ends at (?P<rest>.*)",
     "摘要 {d} 指向第 {s} 条事件，但账本止于 {rest}"),
    (r"the append-only guard (?P<g>\S+) is missing or altered", "只追加保护触发器 {g} 缺失或被改动"),
    (r"cannot (?P<a>open|create|write|upgrade) ledger (?P<f>\S+): (?P<r>.*)", "无法{a}账本 {f}：{r}"),
    (r"(?P<f>.+) exists and is not a demo ledger \((?P<r>.*)\); left untouched",
     "{f} 已存在且不是演示账本（{r}），未改动"),
    (r"(?P<f>.+) is a ledger but not a demo ledger; left untouched.*", "{f} 是账本但不是演示账本，未改动"),
    (r"duplicate event id in one batch \((?P<r>.*)\)", "同一批中有重复的事件编号（{r}）"),
    (r"(?P<f>\S+) is outside the period (?P<p>\S+)", "{f} 不在 {p} 年度内"),
    (r"(?P<d>\S+) lies outside the period (?P<p>\S+)", "{d} 不在 {p} 年度内"),
    (r"append takes a list of records, not one record: .*",
     "append 接受的是记录的列表，而不是单条记录：请写 lg.append([record])"),
    # usage (click)
    (r"--db PATH is required for this command", "此命令需要 --db 账本文件"),
    (r"Missing option '(?P<o>[^']+)'\.?", "缺少选项 {o}"),
    (r"No such option:? '?(?P<o>[^'.\s]+)'?\.? \(Did you mean (?:one of: )?(?P<d>.*)\?\)",
     "没有选项 {o}（是否指 {d}？）"),
    (r"No such option:? '?(?P<o>[^'.\s]+)'?\.?", "没有选项 {o}"),
    (r"No such command '(?P<o>[^']+)'\.", "没有命令「{o}」"),
    (r"Invalid value for '(?P<o>[^']+)': (?P<r>.*)", "选项 {o} 的值无效：{r}"),
    (r"Got unexpected extra argument \((?P<a>.*)\)", "多余的参数（{a}）"),
    (r"Missing argument '(?P<o>[^']+)'\.?", "缺少参数 {o}"),
    (r"aborted", "已中止"),
    (r"interrupted; nothing was written by the unfinished command", "已中断：未完成的命令没有写入任何内容"),
    # contract v2: the assessment window, whole numbers, condition clauses, text sizes
    (r"(?P<d>\S+) is outside period (?P<p>\S+) \((?P<a>\S+) to (?P<b>\S+), the period and its "
     r"assessment window\)", "{d} 不在 {p} 年度及其考核期内（{a} 至 {b}）"),
    (r"(?P<d>\S+) is outside period (?P<p>\S+) \((?P<a>\S+) to (?P<b>\S+); only findings and due "
     r"dates may fall in the assessment window\)",
     "{d} 不在 {p} 年度内（{a} 至 {b}；只有发生日期和应报日期可以落在考核期内）"),
    (r"must be a whole number written as a JSON integer such as 3 \(in a CSV file: the digits "
     r"0-9\), not (?P<v>.*)", "应为整数（JSON 中写作整数，如 3；CSV 中只用数字 0-9），而不是 {v}"),
    (r"(?P<c>\S+) is a condition clause \(it deducts at most once per town and period\), so "
     r"quantity must be 1, not (?P<v>\S+)", "{c} 是条件条款（每镇每期至多扣一次），数量只能为 1，不能为 {v}"),
    (r"is over (?P<n>[\d,]+) bytes; a text field holds at most 1 MiB \(1,048,576 bytes of UTF-8\)",
     "超过 {n} 字节；文本字段最多 1 MiB（UTF-8 编码 1,048,576 字节）"),
    # destruction refused, tampering found
    (r"refusing to export over (?P<f>.+): it is the ledger being read; choose another -o",
     "拒绝导出到 {f}：它就是正在读取的账本；请换一个 -o 文件"),
    (r"(?P<what>.+): the read model does not match the events; `python -m ledger rebuild` "
     r"rebuilds it from them", "读模型与事件不一致（{what}）；`python -m ledger rebuild` 可由事件重建"),
    (r"the read model disagrees with the events for (?P<t>.+): run `python -m ledger rebuild` and "
     r"then `verify`; nothing was published",
     "{t} 的读模型与事件不一致：请先运行 `python -m ledger rebuild`，再运行 `verify`；未公布任何内容"),
    (r"the ledger's last event is recorded at (?P<a>\S+), in the future of this machine's clock "
     r"\((?P<b>\S+)\); check the clock \(or run verify\); nothing was written",
     "账本最后一条事件记录于 {a}，晚于本机时钟（{b}）：请检查时钟（或运行 verify）；未写入任何内容"),
    # issue 16: a database error in the middle of a command; views on PostgreSQL
    (r"the database broke off the command \((?P<r>.*)\): check the server, the --db location "
     r"and the role's privileges, then run it again",
     "数据库中断了命令（{r}）：请检查数据库服务器、--db 地址和角色的权限，然后重新运行"),
    (r"the browsing views are for SQLite ledger files \(Datasette reads SQLite\); on PostgreSQL "
     r"query the read model's tables, or copy the ledger to a file: python -m ledger copy "
     r"(?P<u>\S+) audit\.db; no views created",
     "浏览视图只用于 SQLite 账本文件（Datasette 只读 SQLite）；PostgreSQL 上请直接查询读模型的表，"
     "或把账本复制为文件：python -m ledger copy {u} audit.db；未创建任何视图"),
]
CATALOGUE[:0] = FIRST  # more precise than the general entries below them
CATALOGUE += MORE  # the stores, verify, proofs, rubric files, the CLI's usage (catalogue.py)
_COMPILED = [(re.compile(p), t) for p, t in CATALOGUE]
_A = {"open": "打开", "create": "创建", "write": "写入", "upgrade": "升级"}

_WHERE = [
    (re.compile(r"line (\d+): "), "第 {} 行："),
    (re.compile(r"row (\d+): "), "第 {} 行："),
    (re.compile(r"record (\d+): "), "第 {} 条记录："),
    (re.compile(r"field '([^']+)': "), "字段 {}："),
    (re.compile(r"event seq (\d+) \(id ((?:'(?:[^'\\]|\\.)*')|[^)]*)\): "), "第 {} 条事件（编号 {}）："),
    (re.compile(r"event ('(?:[^'\\]|\\.)*'): "), "事件 {}："),
]
_HINT = re.compile(r"(?P<body>.*); did you mean (?P<names>'.*')\?")
_NAME = re.compile(r"'((?:[^'\\]|\\.)*)'")
_SUFFIX = re.compile(r"(?P<body>.*?)(?P<tail>; nothing was written| \(see --help\))$")
_TAILS = {"; nothing was written": "；未写入任何内容", " (see --help)": "（见 --help）"}


def reason(text: str) -> str | None:
    """The Chinese for one English reason (no location prefix), or None if unknown."""
    for pattern, template in _COMPILED:
        m = pattern.fullmatch(text)
        if m:
            values = {k: _A.get(v, v) if k == "a" else WORDS.get(v, v) if k.startswith("w")
                      else (v or "") for k, v in m.groupdict().items()}
            if values.get("r"):  # a reason inside the reason: its Chinese when known
                values["r"] = reason(values["r"]) or values["r"]
            return template.format(**values)
    return None


def translate(message: str, lang: str = "zh") -> str:
    """``message`` for a person reading ``lang`` (``en``: unchanged; any other: Chinese, as
    the rest of the CLI's output)."""
    if lang == "en":
        return message
    text, lead = message, ""
    changed = True
    while changed:
        changed = False
        for pattern, template in _WHERE:
            m = pattern.match(text)
            if m:
                lead += template.format(*m.groups())
                text = text[m.end():]
                changed = True
    hint = ""
    m = _HINT.fullmatch(text)
    if m:
        text = m["body"]
        names = "」或「".join(_NAME.findall(m["names"]))
        hint = f"，是否指「{names}」？"
    tail = ""
    m = _SUFFIX.fullmatch(text)
    if m and (reason(m["body"]) is not None or reason(text) is None):
        text, tail = m["body"], _TAILS[m["tail"]]
    said = reason(text)
    at = text.find(": ")
    while said is None and at >= 0:  # a file name, a rubric file's node path, first
        inner = reason(text[at + 2:])
        if inner is not None:
            said = f"{text[:at]}：{inner}"
        at = text.find(": ", at + 2)
    if said is None:
        said = f"（原文）{text}"
    return f"{lead}{said}{hint}{tail}"


def is_translated(message: str) -> bool:
    """True if the catalogue knows ``message``'s reason (the tests' coverage check)."""
    return "（原文）" not in translate(message)
