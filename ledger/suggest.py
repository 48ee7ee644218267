"""Did-you-mean: the registered names closest to a mistyped one.

Towns are also matched across traditional and simplified characters: a small
table maps the traditional forms of the characters that occur in Taicang's and
common town names (镇, 区, 乡, 街道, 浏, 桥, 双, 凤, 厢, 泾, 娄, 东, 陆, 华, …) to their
simplified forms. It is deliberately small, not a full converter: a name is
matched only when its simplified reading is exactly one registered name.

>>> closest("沙西镇", ["城厢镇", "沙溪镇", "浏河镇"])
('沙溪镇',)
>>> simplified("瀏河鎮")
'浏河镇'
"""

from __future__ import annotations

import difflib
from typing import Iterable

TRADITIONAL = str.maketrans({
    "鎮": "镇", "區": "区", "鄉": "乡", "縣": "县", "廂": "厢", "瀏": "浏", "橋": "桥",
    "雙": "双", "鳳": "凤", "涇": "泾", "婁": "娄", "東": "东", "陸": "陆", "華": "华",
    "經": "经", "濟": "济", "開": "开", "發": "发", "園": "园", "灣": "湾", "莊": "庄",
    "門": "门", "關": "关", "嶺": "岭", "會": "会", "龍": "龙", "陽": "阳", "張": "张",
    "劉": "刘", "陳": "陈", "黃": "黄", "蘇": "苏", "蕪": "芜", "錫": "锡", "億": "亿",
    "興": "兴", "寧": "宁", "豐": "丰", "長": "长", "廣": "广", "瀋": "沈", "濱": "滨",
    "運": "运", "壩": "坝", "灘": "滩", "澗": "涧", "溝": "沟", "場": "场", "後": "后",
    "葉": "叶", "馬": "马", "歸": "归", "塢": "坞", "嶼": "屿", "島": "岛", "蓮": "莲",
    "環": "环", "風": "风", "館": "馆", "鋪": "铺", "閘": "闸", "營": "营", "壇": "坛",
})


def simplified(name: str) -> str:
    """``name`` with the table's traditional characters replaced by simplified ones."""
    return name.translate(TRADITIONAL)


def closest(name: str, candidates: Iterable[str], n: int = 3) -> tuple[str, ...]:
    """Up to ``n`` candidates closest to ``name`` (difflib; case-insensitive)."""
    pool = list(dict.fromkeys(candidates))
    by_key = {c.upper(): c for c in pool}
    key = simplified(name.strip()).upper()
    found = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.6)
    return tuple(by_key[f] for f in found)


def did_you_mean(suggestions: tuple[str, ...]) -> str:
    """The English tail of an error message: ``; did you mean 'X'?`` (empty if none)."""
    if not suggestions:
        return ""
    return "; did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
