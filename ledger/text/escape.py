"""Text that is safe to show a person: invisible and controlling characters escaped.

Names, notes, ids and messages come from files anyone can write. Printed raw, an
ESC sequence clears the screen or retitles the window, a bidi override reverses a
town name, a newline forges a table row. Everything human-facing (terminal text,
``error:`` lines, spreadsheet cells) goes through :func:`escaped`; ``--json``
output stays exact.

Escaped: control characters (C0, DEL, C1), format characters (zero-width, bidi,
BOM), lone surrogates, the line/paragraph separators and U+FFFE/U+FFFF, as ``\\x1b``, ``\\u202e``,
``\\n``. Backslashes are left as they are (paths stay readable); the exact text is
what ``--json`` prints.

>>> escaped("沙溪镇\\n1  100") , escaped("\\x1b[2J"), escaped("\\u202e镇溪沙")
('沙溪镇\\\\n1  100', '\\\\x1b[2J', '\\\\u202e镇溪沙')
>>> escaped("a\\nb", keep="\\n")
'a\\nb'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# a quick pre-check: anything outside printable ASCII and common CJK needs a closer look
_PLAIN = re.compile(r"[\x20-\x7e\u3001-\u303f\u4e00-\u9fff\uff01-\uff5e]*").fullmatch
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


@lru_cache(maxsize=4096)
def _needs_escape(ch: str) -> bool:
    # U+FFFE, U+FFFF: noncharacters that show nothing and that XML (an XLSX sheet) cannot hold
    return unicodedata.category(ch) in _ESCAPED_CATEGORIES or ch in "\ufffe\uffff"


def _escape_char(ch: str) -> str:
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else \
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escaped(text, keep: str = "") -> str:
    """``text`` (made a str) with every control/format character escaped, except ``keep``.

    >>> escaped("A\\x07B\\u200bC\\u2028"), escaped(None)
    ('A\\\\x07B\\\\u200bC\\\\u2028', 'None')
    """
    text = text if isinstance(text, str) else str(text)
    if _PLAIN(text):
        return text
    return "".join(_escape_char(ch) if ch not in keep and _needs_escape(ch) else ch
                   for ch in text)


def escaped_data(data):
    """``data`` (dicts, lists, tuples of plain values) with every string :func:`escaped`,
    keys included; other values unchanged. For the views that lay out API data.

    >>> escaped_data({"town": "a\\nb", "n": 1, "events": ["x\\x1b"]})
    {'town': 'a\\\\nb', 'n': 1, 'events': ['x\\\\x1b']}
    """
    if isinstance(data, str):
        return escaped(data)
    if isinstance(data, dict):
        return {escaped_data(k): escaped_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(escaped_data(v) for v in data)
    return data
