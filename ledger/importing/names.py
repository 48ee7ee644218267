"""Names (towns, reports, cases): one spelling per name, and no look-alikes.

A name is compared in its normal form: NFC, surrounding whitespace (U+3000 too)
stripped. A name holding an invisible or unprintable character (control, format
such as zero-width or bidi, private-use, unassigned, line or paragraph separator)
is refused: it would print like another name. :func:`skeleton` is what two names
are compared by to find look-alikes (NFKC, case-folded, without whitespace), so
``Port A`` and ``ＰＯＲＴ Ａ`` (full width) or ``沙溪 镇`` and ``沙溪镇`` collide.

>>> normalise_name(" 沙溪镇\\u3000")
'沙溪镇'
>>> check_name("沙溪镇\\u200b")
Traceback (most recent call last):
...
ledger.errors.ValidationError: '沙溪镇\\u200b' holds U+200B (a format character); names may not hold control, format, private-use or unassigned characters
>>> skeleton("ＰＯＲＴ Ａ") == skeleton("port a")
True
"""

from __future__ import annotations

import unicodedata

from ledger.errors import ValidationError

# General categories a name may not hold: control, format (zero-width, bidi), surrogate,
# private-use, unassigned, line and paragraph separators.
REFUSED = {"Cc": "a control character", "Cf": "a format character", "Cs": "a surrogate",
           "Co": "a private-use character", "Cn": "an unassigned character",
           "Zl": "a line separator", "Zp": "a paragraph separator"}


def normalise_name(text: str) -> str:
    """The name's normal form: NFC, surrounding whitespace stripped (nothing refused).

    >>> normalise_name("e\\u0301 ") == "\\u00e9"
    True
    """
    if not isinstance(text, str):  # not a name at all: left for the caller's lookup to refuse
        return text
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFC", text).strip()


def check_name(text: str) -> str:
    """The normal form of a name a person can read, else ``ValidationError`` saying why.

    >>> check_name(" 浏河镇 ")
    '浏河镇'
    """
    name = normalise_name(text)
    if not name:
        raise ValidationError("must not be empty")
    if name.isascii() and name.isprintable():
        return name
    for ch in name:
        category = unicodedata.category(ch)
        if category in REFUSED:
            raise ValidationError(
                f"{_shown(name)} holds U+{ord(ch):04X} ({REFUSED[category]}); names may not "
                f"hold control, format, private-use or unassigned characters")
    return name


def skeleton(text: str) -> str:
    """What look-alike names share: NFKC, case-folded, NFKC again, whitespace removed (and
    NFKC once more, as removing a space can leave combining marks out of order).

    >>> skeleton("沙溪 镇") == skeleton("沙溪镇")
    True
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return unicodedata.normalize("NFKC", "".join(folded.split()))


def _shown(name: str) -> str:
    """The name quoted with its invisible characters escaped (for the message)."""
    out = []
    for ch in name:
        if unicodedata.category(ch) in REFUSED:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return "'" + (shown if len(shown) <= 60 else shown[:57] + "...") + "'"
