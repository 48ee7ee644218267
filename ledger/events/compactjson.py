"""Compact JSON (no spaces, UTF-8 kept, NaN refused) from the C encoder, built once.

``json.JSONEncoder.encode`` builds a new C encoder on every call, which costs as much
as encoding a small event; hashing and importing encode millions of them.

>>> encoder(sort_keys=True)({"b": 1, "a": ["镇", None]})
'{"a":["镇",null],"b":1}'
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring
from typing import Callable


def _refuse(obj):
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def encoder(sort_keys: bool) -> Callable[[object], str]:
    """An encoder for dicts and lists of str, int, bool, None (and lists and dicts of them),
    writing exactly what ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"),
    sort_keys=sort_keys, allow_nan=False)`` writes."""
    if c_make_encoder is None:  # a Python built without the C accelerator
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys,
                                allow_nan=False).encode
    encode = c_make_encoder(None, _refuse, encode_basestring, None, ":", ",", sort_keys,
                            False, False)
    join = "".join
    return lambda obj: join(encode(obj, 0))
