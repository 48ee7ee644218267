"""Which encoding a text import file is in.

Offices save text files in three encodings: UTF-8 (with or without a BOM; Excel's
"CSV UTF-8"), GB18030/GBK (Chinese Excel's plain "CSV", Notepad's "ANSI") and
UTF-16 with a BOM (Excel's "Unicode text"). The first megabyte decides:
a BOM names its encoding; else UTF-8 if the bytes are UTF-8 (GBK text almost
never is); else GB18030 if they decode as it. UTF-16 without a BOM, and bytes
that are none of these, are refused with a message saying how to re-save.

>>> import io
>>> detect_encoding(io.BytesIO("镇".encode("gbk")), "x.csv")
'gb18030'
>>> detect_encoding(io.BytesIO("镇".encode("utf-16")), "x.csv")
'utf-16'
"""

from __future__ import annotations

import codecs
from typing import BinaryIO

from ledger.errors import LedgerError

SNIFF = 1 << 20  # bytes read to decide
RESAVE = ('save the file again from Excel as "CSV UTF-8" (另存为 → CSV UTF-8), '
          'or give --encoding')


def detect_encoding(fh: BinaryIO, path, forced: str | None = None) -> str:
    """``utf-8``, ``gb18030`` or ``utf-16`` (or ``forced``, checked); leaves ``fh`` at
    the start. A UTF-8 BOM is read as UTF-8 (the readers drop it)."""
    if forced is not None:
        try:
            name = codecs.lookup(forced).name
        except LookupError:
            raise LedgerError(f"unknown encoding {forced!r} (e.g. utf-8, gb18030, utf-16)") \
                from None
        return "utf-8" if name in ("utf-8", "utf-8-sig") else name
    head = fh.read(SNIFF)
    fh.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if b"\x00" in head[:4096] and _looks_utf16(head):
        raise LedgerError(f"{path}: looks like UTF-16 text without a byte-order mark; {RESAVE}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < SNIFF)
        return "utf-8"
    except UnicodeDecodeError as exc:
        # (not "any high byte before the error": GBK pairs are often well-formed two-byte
        # UTF-8, so that misread about one GBK file in nine as broken UTF-8)
        if _mostly_utf8(head):
            return "utf-8"  # UTF-8 text with a bad byte: the reader names its line
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < SNIFF)
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8"  # neither: the UTF-8 reader names the first bad line


def _mostly_utf8(head: bytes) -> bool:
    """At least as many well-formed three- or four-byte UTF-8 characters (Chinese is
    three bytes) as broken sequences: UTF-8 text with a bad byte. GBK text read as UTF-8
    is nearly all broken sequences, and its pairs that happen to be well-formed are
    two-byte ones, which are not counted.

    >>> _mostly_utf8(b"town,\\xc0\\xaf,\\xe6\\x96\\xb0\\xe9\\x95\\x87".decode("unicode_escape").encode("latin-1"))
    True
    >>> _mostly_utf8("沙溪镇，浏河镇".encode("gbk"))
    False
    """
    text = head.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    return _wide(text) >= max(2, broken)  # one lucky match in a short GBK file is not enough


def _wide(text: str) -> int:
    """How many characters of three or more UTF-8 bytes (not the replacement character)."""
    return sum(1 for ch in text if ch >= "\u0800" and ch != "\ufffd")


def _looks_utf16(head: bytes) -> bool:
    sample = head[:4096]
    return sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4
