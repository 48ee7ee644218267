"""More of the catalogue :mod:`ledger.text.messages` reads: the ledger file and its stores,
verify's findings, the proofs (checkpoints, notes, keys, receipts, packets), rubric files,
copy/init-db and the CLI's own usage errors (tests/text/test_message_catalogue.py finds
every message the code raises and checks each is here or in messages.py).

Each entry is (English reason as a regular expression, Chinese template); ids, commands,
paths and hashes are kept as they are, and the Chinese says what to do next.

>>> import re
>>> all(re.compile(p) for p, _ in MORE)
True
"""

from __future__ import annotations

from ledger.text.catalogue_proofs import PROOFS

V = r"'(?P<v>(?:[^'\\]|\\.)*)'"  # a repr'd value

WORDS = {  # a {w…} group in a template: what was read, what a value should be or is
    "private key": "私钥", "verifier key": "公钥", "checkpoint": "检查点", "proof": "证明文件",
    "receipt": "回执", "rubric file": "评分标准文件", "a string": "文本", "true or false":
    "true 或 false", "a whole number": "整数", "a number": "数字", "a table": "表（table）",
    "an array of tables": "表数组（[[…]]）", "an array": "数组", "a date (YYYY-MM-DD)":
    "日期（YYYY-MM-DD）", "boolean": "布尔值", "integer": "整数", "float": "小数", "string": "文本",
    "date": "日期", "date-time": "日期时间", "time": "时间", "readable": "读", "writable": "写"}

# Read before messages.py's own entries: more precise than its general ones.
FIRST: list[tuple[str, str]] = [
    (r"cannot read (?P<w>private key|verifier key) (?P<f>.+): no such file; keygen prints the "
     r"paths it writes: give its (?P<s>\.key|\.pub) file",
     "无法读取{w} {f}：文件不存在；keygen 会打印它写出的完整路径，请给出其中的 {s} 文件"),
    (r"cannot read (?P<w>private key|verifier key|checkpoint|proof|receipt) (?P<f>.+): no such "
     r"file", "无法读取{w} {f}：文件不存在"),
    (r"cannot read (?P<w>private key|verifier key|checkpoint|proof|receipt) (?P<f>.+): (?P<r>.*)",
     "无法读取{w} {f}：{r}"),
    (r"cannot read rubric file: (?P<r>.*)", "无法读取评分标准文件：{r}"),
    (r"cannot (?P<a>open|create|write|upgrade) ledger (?P<f>.+?): (?P<r>.*)", "无法{a}账本 {f}：{r}"),
    (r"as_of (?P<v>\S+) is outside period (?P<p>\S+) \((?P<a>\S+) to (?P<b>\S+)(?:, assessed "
     r"until (?P<u>\S+))?\): give a date from (?P<c>\S+) to (?P<d>\S+)",
     "as_of {v} 不在 {p} 年度内（{a} 至 {b}）：请给出 {c} 至 {d} 之间的日期"),
    (r"digest (?P<d>\S+) names event seq (?P<s>\d+), but the ledger ends at seq (?P<n>\d+): "
     r"events were removed", "摘要 {d} 指向第 {s} 条事件，但账本止于第 {n} 条：有事件被删除"),
    (r"its event (?P<n>\d+) \((?P<i>.*)\) is not the demo's", "其第 {n} 条事件（{i}）与演示的不同"),
    (r"not a ledger at all", "根本不是账本"),
    # click's own usage errors (the reason after "Invalid value for …" is translated too)
    (r"Invalid value for (?P<o>'[^']+'(?: / '[^']+')+): (?P<r>.*)", "选项 {o} 的值无效：{r}"),
    (rf"{V} is not one of (?P<o>.*)\.", "「{v}」不是可选的值（可选：{o}）"),
    (rf"{V} is not a valid (?P<w>integer|float|boolean)\.", "「{v}」不是有效的{w}"),
    (rf"{V} is not a valid (?P<w>\w+)\.", "「{v}」不是有效的 {w}"),
    (rf"(?:File|Path|Directory) {V} is a directory\.", "{v} 是目录，不是文件：请给出文件名"),
    (rf"(?:File|Path|Directory) {V} is a file\.", "{v} 是文件，不是目录"),
    (rf"(?:File|Path|Directory) {V} does not exist\.", "{v} 不存在"),
    (rf"(?:File|Path|Directory) {V} is not (?P<w>readable|writable)\.", "{v} 不可{w}"),
    (r"No such command '(?P<o>[^']+)'\. Did you mean (?P<d>.*)\?", "没有命令「{o}」（是否指 {d}？）"),
    (r"Option '(?P<o>[^']+)' requires an argument\.", "选项 {o} 后面需要一个值"),
    (r"Option '(?P<o>[^']+)' requires (?P<n>\d+) arguments\.", "选项 {o} 后面需要 {n} 个值"),
    (r"Option '(?P<o>[^']+)' does not take a value\.", "选项 {o} 不接受值"),
    (r"(?P<v>.+) is not in the range (?P<r2>.*)\.", "{v} 不在范围 {r2} 内"),
]

MORE: list[tuple[str, str]] = [
    # the piped import
    (r"cannot start a process to read (?P<f>.+?) \((?P<r>.*)\); import it with workers=1 "
     r"\(--workers 1\)", "无法启动读取 {f} 的进程（{r}）：请用 workers=1（--workers 1）导入"),
    (r"the process reading (?P<f>.+?) stopped \(exit code (?P<c>[^):]+)\)",
     "读取 {f} 的进程中途退出（退出码 {c}）"),
    (r"the process reading (?P<f>.+?) stopped \(exit code (?P<c>[^):]+): (?P<r>.*)\)",
     "读取 {f} 的进程中途退出（退出码 {c}：{r}）"),
    # the Merkle tree on PostgreSQL
    (r"the ledger's Merkle tree is missing or behind and cannot be written here \(a replica, or "
     r"a role without the tree's tables\): open the ledger once on the primary as the "
     r"database's owner \(any command, such as head\)",
     "账本的默克尔树缺失或落后，而此处无法写入（只读副本，或没有树表权限的角色）：请以数据库所有者身份"
     "在主库上打开账本一次（任一命令即可，例如 head）"),
    (r"the Merkle tree holds a node the events do not make \(edited outside the ledger\): run "
     r"verify", "默克尔树中有一个节点与事件不符（在账本之外被改过）：请运行 verify"),
    (rf"the database holds a trigger or rule {V} on '(?P<t>[^']*)' that the ledger did not "
     r"create: remove it and verify again",
     "数据库中表「{t}」上有账本没有创建的触发器或规则「{v}」：请删除后重新运行 verify"),
    (r"the ledger stayed locked by another writer: the Merkle tree could not be brought up to "
     r"date; try again", "账本一直被另一写入方锁定，默克尔树未能更新：请稍后重试"),
    (r"cannot bring the Merkle tree up to date: (?P<r>.*)", "无法更新默克尔树：{r}"),
    (r"cannot make the proof from (?P<f>\S+): (?P<r>.*)", "无法从 {f} 生成证明：{r}"),
    (r"cannot verify the Merkle tree: (?P<r>.*)", "无法核验默克尔树：{r}"),
    (r"the Merkle tree claims (?P<a>\S+) events but the ledger has (?P<b>\S+): it was edited "
     r"outside the ledger; open the ledger once as the database's owner to build it again, "
     r"then run verify",
     "默克尔树声称有 {a} 条事件，而账本只有 {b} 条：它在账本之外被改过；请以数据库所有者身份打开账本一次"
     "以重建它，然后运行 verify"),
    (r"the Merkle tree's table (?P<t>\S+) was altered from what the ledger creates",
     "默克尔树的表 {t} 被改得与账本创建的不同"),
    # the ledger file
    (r"(?P<f>.+) is an empty file, not an audit ledger", "{f} 是空文件，不是考核账本"),
    (r"(?P<f>.+) is not an audit ledger", "{f} 不是考核账本"),
    (r"(?P<f>.+) has ledger schema (?P<a>\S+), newer than this version reads \((?P<b>.*)\); "
     r"upgrade audit-ledger", "{f} 的账本格式版本为 {a}，比本程序能读的（{b}）新：请升级 audit-ledger"),
    (r"(?P<f>.+) has a table events that is not an audit ledger's",
     "{f} 中的 events 表不是考核账本的表"),
    (r"the ledger is empty: nothing to publish", "账本为空：没有可公布的内容"),
    (r"the ledger is empty: nothing to prove yet", "账本为空：还没有可证明的内容"),
    (r"the ledger is empty: nothing to sign yet", "账本为空：还没有可签名的内容"),
    (r"known_at must be a timestamp, not a Query", "known_at 应为时间，而不是 Query 对象"),
    (rf"known_at {V} lies outside the years 0001 to 9999 in UTC or Beijing time",
     "known_at「{v}」超出了 0001 至 9999 年的范围（UTC 或北京时间）"),
    (r"the ledger file (?P<f>.+) was removed or replaced since it was opened",
     "账本文件 {f} 在打开之后被删除或替换：请重新运行命令"),
    (r"ledger (?P<f>.+) is opened read-only \(read-only media\)",
     "账本 {f} 以只读方式打开（只读介质）"),
    (r"ledger (?P<f>.+) is read-only here: (?P<r>.*)",
     "账本 {f} 在此处只读（{r}）：查询命令仍可使用，写入请换到可写的位置"),
    (r"ledger (?P<f>.+) is on read-only media with unmerged changes in (?P<w>.+) beside it: "
     r"copy both to writable storage to read it",
     "账本 {f} 在只读介质上，旁边的 {w} 中还有未合并的改动：请把两个文件一起复制到可写的位置再读取"),
    (r"ledger (?P<f>.+) stayed locked by another writer for (?P<s>\S+) s",
     "账本 {f} 被另一个写入者锁定了 {s} 秒：请等它完成后重试"),
    (r"event seq (?P<s>\S+): recorded_at (?P<r>.+) is not a timestamp as the ledger writes them; "
     r"run verify", "第 {s} 条事件的 recorded_at {r} 不是账本写入的时间格式：请运行 verify"),
    (r"synchronous must be one of (?P<o>.*), not (?P<v>.*)", "synchronous 只能是 {o} 之一，不是 {v}"),
    (r"a text PostgreSQL cannot store, such as a NUL character \((?P<r>.*)\)",
     "有 PostgreSQL 无法保存的文本，例如 NUL 字符（{r}）：请删去后重试"),
    (r"no ledger at (?P<f>.+): no views created", "{f} 处没有账本，未创建任何视图"),
    (r"no ledger at (?P<f>.+)", "{f} 处没有账本：请检查 --db（导入一个文件即可创建账本）"),
    (r"no ledger in (?P<f>.+) \(import a file into it, or run `python -m ledger init-db URL`, "
     r"to create one\)", "{f} 中没有账本（导入一个文件，或运行 `python -m ledger init-db URL` 即可创建）"),
    (r"cannot create the ledger schema in (?P<f>.+): (?P<r>.*); run `python -m ledger init-db "
     r"URL` as the database's owner",
     "无法在 {f} 中创建账本表结构（{r}）：请以数据库所有者身份运行 `python -m ledger init-db URL`"),
    (r"cannot verify ledger (?P<f>.+): (?P<r>.*)", "无法校验账本 {f}：{r}"),
    (r"PostgreSQL ledgers need psycopg 3: (?P<c>.*)", "PostgreSQL 账本需要 psycopg 3：请运行 {c}"),
    (r"ledger_head says (?P<a>\S+) but the last event is (?P<b>\S+): events were removed or "
     r"added past the guards", "ledger_head 记为 {a}，但最后一条事件是 {b}：有事件绕过保护被删除或添加"),
    (r"the append-only guard (?P<g>.+) is missing, disabled or altered",
     "只追加保护 {g} 缺失、被停用或被改动"),
    (r"the append-only guard function (?P<g>.+) is missing or altered", "只追加保护函数 {g} 缺失或被改动"),
    (rf"role name {V}: use lowercase letters, digits and _ \(at most 63, not starting with a "
     r"digit\)", "角色名「{v}」无效：请只用小写字母、数字和 _（最多 63 个字符，不以数字开头）"),
    (r"cannot create role (?P<r>.+) in (?P<u>\S+): (?P<why>.*)", "无法在 {u} 中创建角色 {r}：{why}"),
    (r"init-db prepares a PostgreSQL database: (?P<v>.+) is not a postgresql:// URL \(a SQLite "
     r"ledger needs no preparing\)", "init-db 用于准备 PostgreSQL 数据库：{v} 不是 postgresql:// 地址（SQLite 账本无需准备）"),
    (r"--password-env (?P<v>\S+): that environment variable is not set or empty",
     "--password-env {v}：该环境变量未设置或为空"),
    (r"demo builds a SQLite file; for PostgreSQL build it, then copy it: (?P<c>.*)",
     "demo 只生成 SQLite 文件；要用 PostgreSQL，请先生成再复制过去：{c}"),
    # copy
    (r"the target already holds (?P<h>.+), which is not a prefix of the source: copy only into "
     r"an empty ledger or one copied from it",
     "目标中已有 {h}，与源账本的开头不一致：只能复制到空账本，或复制到由它复制来的账本"),
    (r"the source's hash does not match its content; nothing was copied",
     "源账本中此事件的哈希与内容不符，未复制任何内容：请先对源账本运行 verify"),
    (r"event seq (?P<s>\S+) is missing in the source \(next is (?P<n>.+)\); nothing was copied",
     "源账本缺少第 {s} 条事件（下一条是 {n}），未复制任何内容：请先对源账本运行 verify"),
    (r"after the copy the target's head is (?P<a>\S+), not the source's (?P<b>\S+): another "
     r"writer appended to the target meanwhile", "复制后目标的链头是 {a}，而不是源账本的 {b}：复制期间有人向目标写入"),
    # verify: the chain, the schema, derived data
    (r"event seq (?P<s>\S+) is missing \(next is (?P<n>\S+), id (?P<i>.+)\)",
     "缺少第 {s} 条事件（下一条是第 {n} 条，编号 {i}）：账本在账本程序之外被改动"),
    (r"event seq (?P<s>\S+) is missing", "缺少第 {s} 条事件：账本在账本程序之外被改动"),
    (r"events seq (?P<a>\d+)\.\.(?P<b>\d+) are missing", "缺少第 {a} 至 {b} 条事件：账本在账本程序之外被改动"),
    (r"prev_hash does not match the previous event's hash", "prev_hash 与上一条事件的哈希不符：链被改动"),
    (r"content does not match its hash", "内容与其哈希不符：事件在账本程序之外被改动"),
    (r"its content does not match its hash", "内容与其哈希不符：事件被改动"),
    (r"a column holds a value of the wrong type", "某一列的值类型不对：文件在账本程序之外被改动"),
    (r"event seq (?P<s>\S+) \(id (?P<i>.+)\) differs from digest (?P<d>\S+): the ledger was "
     r"rewritten after the digest was taken", "第 {s} 条事件（编号 {i}）与摘要 {d} 不符：账本在取得摘要之后被改写"),
    (rf"recorded_at {V} is not a UTC timestamp as the ledger writes them",
     "recorded_at「{v}」不是账本写入的 UTC 时间格式"),
    (r"recorded_at (?P<r>\S+) is not after the previous event's \((?P<b>.*)\): the past was "
     r"rewritten", "recorded_at {r} 不晚于上一条事件的（{b}）：过去的记录被改写"),
    (r"recorded_at (?P<r>\S+) is in the future of this machine's clock",
     "recorded_at {r} 晚于本机时钟：请检查时钟，或账本被改动"),
    (r"its envelope or payload is not what the ledger writes for this event \(edited outside the "
     r"ledger\)", "其信封或内容不是账本为此事件写入的样子（在账本程序之外被改动）"),
    (r"the adopted rubric's text does not match its stored sha256 (?P<h>\S+)",
     "所采用评分标准的文本与存储的 sha256 {h} 不符"),
    (r"the adopted rubric does not load \((?P<r>.*)\)", "所采用的评分标准无法加载（{r}）"),
    (r"the published content does not match its stored sha256", "公布的内容与存储的 sha256 不符"),
    (r"the publication names rubric (?P<r>\S+), not the one adopted for (?P<p>\S+) at its known_at",
     "公布记录所写的评分标准 {r} 不是 {p} 年度在其 known_at 时采用的标准"),
    (r"the signed checkpoint's tree size or root is not the tree of the chain at that size",
     "已签名检查点的树大小或根与该大小处链的 Merkle 树不符"),
    (r"the chain head it records (?P<h>\S+) is not the chain at that seq: the ledger was "
     r"rewritten after it was published", "其记录的链头 {h} 与该序号处的链不符：账本在公布之后被改写"),
    (r"the events table's columns were changed \((?P<c>.*)\)", "events 表的列被改动过（{c}）"),
    (rf"the file holds a (?P<k>\w+) {V} on '(?P<t>.*)' that the ledger did not create: remove it "
     r"\(or restore a copy\) and verify again",
     "文件中有账本未创建的 {k}「{v}」（在「{t}」上）：请删除它（或恢复备份）后再次运行 verify"),
    (rf"the (?P<k>\w+) {V} was altered from what the ledger creates", "{k}「{v}」与账本创建时不同，已被改动"),
    (r"its payload does not decode as (?P<t>\S+) \((?P<r>.*)\); the file was edited outside the "
     r"ledger: run verify", "其内容无法解码为 {t}（{r}）：文件在账本程序之外被改动，请运行 verify"),
    (r"its payload lacks or mistypes (?P<k>.*); the file was edited outside the ledger: run verify",
     "其内容缺少或写错了 {k}：文件在账本程序之外被改动，请运行 verify"),
    (rf"unknown event type {V}: written by a newer version\?", "未知的事件类型「{v}」：可能由更新的版本写入，请升级 audit-ledger"),
    (r"(?P<t>\S+) v(?P<a>\S+) was written by a newer version \(this reads v(?P<b>\S+)\)",
     "{t} v{a} 由更新的版本写入（本程序只读到 v{b}）：请升级 audit-ledger"),
    (r"no upcaster for (?P<t>\S+) v(?P<a>\S+) -> v(?P<b>\S+)", "无法把 {t} 从 v{a} 升级到 v{b}"),
    (r"cannot bring the read model of (?P<f>.+) up to date: (?P<r>.*)",
     "无法更新 {f} 的读模型：{r}（请以账本所有者身份运行 `python -m ledger rebuild`）"),
    (r"cannot rebuild the read model of (?P<f>.+): (?P<r>.*) \(rebuild as the ledger's owner\)",
     "无法重建 {f} 的读模型：{r}（请以账本所有者身份重建）"),
    (r"publication (?P<p>\S+): the rubric adopted at (?P<t>\S+) has hash (?P<a>\S+), not the "
     r"published (?P<b>\S+)", "公布 {p}：{t} 采用的评分标准哈希为 {a}，而不是公布时的 {b}"),
    (r"clause (?P<c>\S+): rule kind (?P<k>\S+) cannot be scored", "条款 {c}：无法按规则类型 {k} 计分"),
    # the Merkle tree
    (r"the Merkle tree lacks node (?P<n>\S+)(?:: run verify| \(event seq (?P<s>\S+)\))",
     "Merkle 树缺少节点 {n}：请运行 verify"),
    (r"the Merkle tree covers (?P<a>\S+) events but the ledger has (?P<b>\S+) \(was it written "
     r"by another tool\?\)", "Merkle 树覆盖 {a} 条事件，但账本有 {b} 条（是否被其他工具写过？）"),
    (r"the Merkle tree holds node (?P<n>\S+), which the events do not make",
     "Merkle 树中有节点 {n}，但事件不会产生它：树被改动"),
    (r"the Merkle tree's node (?P<n>\S+) does not match the events \(event seq (?P<s>\S+)\)",
     "Merkle 树节点 {n} 与事件不符（第 {s} 条事件）：树被改动"),
    (r"the ledger's Merkle tree is behind and the file is read-only: open it once with write "
     r"access", "账本的 Merkle 树未更新而文件只读：请用可写方式打开一次"),
    # exports and the demo
    (r"refusing to export over (?P<f>.+): not a regular file; choose another -o",
     "拒绝导出到 {f}：它不是普通文件；请换一个 -o 文件"),
    (r"refusing to export over (?P<f>.+): it is an SQLite database \(perhaps a ledger\); "
     r"choose another -o", "拒绝导出到 {f}：它是 SQLite 数据库（可能是账本）；请换一个 -o 文件"),
    (r"refusing to export over (?P<f>.+): it is the ledger being read(?P<w>.*); choose another -o",
     "拒绝导出到 {f}：它就是正在读取的账本{w}；请换一个 -o 文件"),
    (rf"cannot create view {V}: the ledger already has a table or index of that name; no views "
     r"created", "无法创建视图「{v}」：账本中已有同名的表或索引；未创建任何视图"),
    (r"(?P<f>.+) exists and is not a regular file; left untouched \(give another --db for the "
     r"demo\)", "{f} 已存在且不是普通文件，未改动（请为演示换一个 --db）"),
    (r"(?P<f>.+) exists and is not a demo ledger \((?P<r>.*)\); left untouched \(give another --db "
     r"for the demo\)", "{f} 已存在且不是演示账本（{r}），未改动（请为演示换一个 --db）"),
    (r"(?P<f>.+) is a ledger but not a demo ledger: (?P<r>.*); left untouched \(give another --db "
     r"for the demo\)", "{f} 是账本但不是演示账本（{r}），未改动（请为演示换一个 --db）"),
    (r"the demo ledger could not be read back from (?P<f>.+)", "无法从 {f} 读回演示账本"),
    (r"(?P<n>.+) holds U\+(?P<u>[0-9A-Fa-fx]+) \((?P<k>.*)\); names may not hold control, format, "
     r"private-use or unassigned characters", "{n} 含有字符 U+{u}（{k}）：名称中不能有控制、格式、私用或未分配的字符"),
    # rubric files (after the file name and the node path, which stay as they are)
    (r"too large for a rubric file \(at most (?P<n>\S+) bytes\)", "评分标准文件过大（最多 {n} 字节）"),
    (r"not UTF-8: byte (?P<b>\S+): (?P<r>.*)", "不是 UTF-8 文本（第 {b} 个字节）：请另存为 UTF-8"),
    (r"not a regular file \(a rubric is a \.toml file\)", "不是普通文件（评分标准是 .toml 文件）"),
    (r"missing or not a string", "缺失或不是文本"),
    (rf"{V} is also the id of (?P<r>\S+)", "「{v}」已是 {r} 的编号"),
    (r"not a usable rubric path \((?P<r>.*)\)", "不是可用的评分标准路径（{r}）"),
    (r"not valid TOML: nested too deeply", "不是有效的 TOML：嵌套过深"),
    (r"not valid TOML: (?P<r>.*)", "不是有效的 TOML：{r}"),
    (r"a number is out of range \(more digits than any rubric number has: at most (?P<a>\S+) in "
     r"size, (?P<b>\S+) decimal places\)", "数字超出范围（评分标准中的数最多 {a} 位、{b} 位小数）"),
    (r"an adopted rubric in the ledger does not load: (?P<r>.*)", "账本中采用的评分标准无法加载：{r}"),
    # usage (the CLI's own)
    (r"--receipt FILE and --sign KEY go together", "--receipt FILE 和 --sign KEY 须同时给出"),
    (r"--from-rubric/--to-rubric need --town", "--from-rubric/--to-rubric 需要同时给出 --town"),
    (r"give exactly one of --sign KEY, --verify PUBKEY, --cosign KEY",
     "请给出且只给出 --sign KEY、--verify PUBKEY、--cosign KEY 之一"),
    (r"name the checkpoint FILE to verify or cosign", "请给出要校验或联署的检查点文件 FILE"),
    (r"give --event ID or --from-size N \(with --to-size M\)",
     "请给出 --event ID，或 --from-size N（和 --to-size M）"),
    (r"--cosign needs --log-key PUBKEY: a cosigner checks the log's signature first",
     "--cosign 需要 --log-key PUBKEY：联署人先要核对账本的签名"),
    (r"--checkpoint needs --key PUBKEY to check its signature", "--checkpoint 需要 --key PUBKEY 来核对其签名"),
    (r"a receipt is checked with the bureau's key: --key PUBKEY", "回执要用市局的公钥核对：请给出 --key PUBKEY"),
    *PROOFS,  # keys, notes, checkpoints, proofs, receipts, packets (catalogue_proofs.py)
    # a record's fields (importing/), after 'line N: field X: '
    (r"must be a list of objects \{finding, quantity and/or value\}",
     "应为对象列表，每项写明 finding 以及 quantity 和/或 value"),
    (rf"unknown key {V} \(allowed: (?P<k>.*)\)", "未知的键「{v}」（可用：{k}）"),
    (rf"the amendment of {V} gives no quantity or value", "对「{v}」的更正没有给出 quantity 或 value"),
    (r"(?P<c>\S+) is a bonus: the rubric requires evidence \(「(?P<e>.*)」\); give at least one "
     r"evidence entry", "{c} 是加分项：评分标准要求提供证据（「{e}」）；请至少填写一项 evidence"),
    (rf"town {V} looks like the registered town '(?P<t>.*)' \(the same after NFKC and case "
     r"folding\): use that name, or one that cannot be mistaken for it",
     "镇名「{v}」与已登记的「{t}」看起来相同（NFKC 规范化并忽略大小写后一致）：请使用已登记的名称，或换一个不会混淆的名称"),
    (rf"finding {V} was not part of appeal '(?P<a>.*)'", "问题「{v}」不在申诉「{a}」所列的问题中"),
    # an appeal packet (after 'FILE (文件): ')
    (r"not an appeal packet manifest", "不是申诉材料包的清单"),
    (r"the publication is not the manifest's", "公布记录与清单所列的不同"),
    (r"its SHA-256 is not the published rubric's", "其 SHA-256 与公布时的评分标准不同"),
    (r"its container was altered outside the files", "压缩包本身在文件之外被改动过"),
    (r"unreadable or altered \((?P<r>.*)\)", "无法读取或已被改动（{r}）"),
    (r"altered: its SHA-256 is not the one the signed manifest lists", "已被改动：其 SHA-256 与签名清单所列的不同"),
    (r"expected exactly the files (?P<f>.*)", "应恰好包含这些文件：{f}"),
    # a rubric file's node (after 'FILE: NODE: KEY: ')
    (r"missing required key(?: \(this version reads schema (?P<a>.*)\))?", "缺少必填的键"),
    (r"this version reads schema (?P<a>.+), not (?P<v>.*)", "本程序读取 schema {a}，而不是 {v}"),
    (r"needs schema = (?P<n>\S+) \(this file says an earlier schema\)",
     "需要 schema = {n}（此文件写的是较早的 schema）"),
    (r"unknown key \(allowed here: (?P<k>.*)\)", "未知的键（此处可用：{k}）"),
    (r"expected (?P<w>.+), got (?P<wg>an array|a table)", "应为{w}，而不是{wg}"),
    (r"expected (?P<w>.+), got (?P<wt>boolean|integer|float|string|date|date-time|time) "
     r"(?P<g>.*)", "应为{w}，而不是{wt} {g}"),
    (r"expected (?P<w>.+), got (?P<g>.*)", "应为{w}，而不是 {g}"),
    (r"must be at least (?P<n>\S+), got (?P<g>.*)", "不能小于 {n}，而此处是 {g}"),
    (r"must be at most (?P<n>\S+), got (?P<g>.*)", "不能大于 {n}，而此处是 {g}"),
    (r"must be a finite number, got (?P<g>.*)", "应为有限的数，而此处是 {g}"),
    (r"must lie between (?P<a>\S+) and (?P<b>\S+), got (?P<g>.*)", "应在 {a} 与 {b} 之间，而此处是 {g}"),
    (r"at most (?P<n>\d+) decimal places, got (?P<g>.*)", "最多 {n} 位小数，而此处是 {g}"),
    (r"must not be negative, got (?P<g>.*)", "不能为负数，而此处是 {g}"),
    (r"must be positive, got (?P<g>.*)", "应为正数，而此处是 {g}"),
    (rf"unsupported value {V} \(expected one of (?P<o>.*)\)", "不支持的值「{v}」（可用：{o}）"),
    (rf"duplicate (?P<k>\w+) id {V}", "重复的 {k} 编号「{v}」"),
    (rf"duplicate grade {V}", "重复的等次「{v}」"),
    (r"two grades start at (?P<n>\S+)", "有两个等次都从 {n} 分起"),
    (rf"{V} must be lowercase letters, digits and hyphens \(e\.g\. taicang-2017\)",
     "「{v}」只能由小写字母、数字和连字符组成（例如 taicang-2017）"),
    (rf"{V} is not one of the grade bands", "「{v}」不是已定义的等次之一"),
    (r"a rubric needs at least one group", "评分标准至少需要一个一级指标组"),
    (r"non-bonus indicator points sum to (?P<a>\S+), not base_total (?P<b>\S+)",
     "非加分指标的分值合计为 {a}，与 base_total {b} 不符"),
    (r"(?P<e>\S+) must come after valid_to (?P<t>\S+) \(the window follows the period\)",
     "{e} 应晚于 valid_to {t}（考核期在年度之后）"),
    (r"at least one grade band is needed", "至少需要一个等次"),
    (rf"group id {V} must be one capital letter", "一级指标编号「{v}」应为一个大写字母"),
    (r"group has no indicators", "此一级指标下没有二级指标"),
    (rf"indicator id {V} must be its group letter and two digits \(e\.g\. (?P<e>\S+)\)",
     "二级指标编号「{v}」应为所属组的字母加两位数字（例如 {e}）"),
    (rf"indicator id {V} must start with its group letter (?P<g>\S+)",
     "二级指标编号「{v}」应以所属组的字母 {g} 开头"),
    (r"indicator has no clauses", "此二级指标下没有条款"),
    (rf"clause id {V} must be its indicator id, a dot and a number \(e\.g\. (?P<e>\S+)\)",
     "条款编号「{v}」应为所属指标编号、一个点和序号（例如 {e}）"),
    (rf"clause id {V} does not start with its indicator id (?P<i>\S+)",
     "条款编号「{v}」没有以所属指标编号 {i} 开头"),
    (r"clauses are numbered 1, 2, 3… in order: expected (?P<e>\S+), got (?P<g>.*)",
     "条款应按 1、2、3… 顺序编号：此处应为 {e}，而不是 {g}"),
    (r"a veto rule belongs in \[\[vetoes\]\], not in an indicator",
     "一票否决规则应写在 [[vetoes]] 中，而不是写在指标下"),
    (r"a bonus rule needs a bonus indicator \(its group has bonus = true\)",
     "加分规则须属于加分指标（其组写有 bonus = true）"),
    (r"a bonus indicator takes only bonus rules, not (?P<k>.*)", "加分指标只接受加分规则，不接受 {k}"),
    (r"rate_shortfall needs a clause about a rate \(its text\.zh names no 率 or %\)",
     "rate_shortfall 须用于关于比率的条款（其 text.zh 中没有“率”或“%”）"),
    (r"only bonus clauses require evidence \(a deduction is the auditor's finding\)",
     "只有加分条款才要求证据（扣分依据的是核查人员的发现）"),
    (rf"veto id {V} must be V and a number \(e\.g\. V1\)", "一票否决编号「{v}」应为 V 加数字（例如 V1）"),
    (r"a veto item takes rule kind 'veto', not (?P<k>.*)", "一票否决项的规则类型应为 'veto'，而不是 {k}"),
    (rf"unknown rule kind {V} \(expected one of (?P<o>.*)\)", "未知的规则类型「{v}」（可用：{o}）"),
    (r"(?P<d>\S+) lies outside valid_from\.\.valid_to \((?P<r>.*)\)", "{d} 不在 valid_from..valid_to 范围内（{r}）"),
    (r"a rate target is a percentage in \(0, 100\], got (?P<g>.*)", "比率目标应为 (0, 100] 内的百分数，而此处是 {g}"),
    (r"must be positive and at most the target, got (?P<g>.*)", "应为正数且不超过目标值，而此处是 {g}"),
]
