"""Rubrics: the yearly scoring rules, as immutable values loaded from TOML.

>>> from ledger.rubric import load_bundled
>>> r = load_bundled("taicang-2017")
>>> r.indicator_of("C02.1").points, r.clause("C02.1").rule.kind
(Decimal('5'), 'working_day_delay')
"""

from ledger.rubric.builder import SCHEMA
from ledger.rubric.loader import (
    RUBRICS_DIR,
    bundled_rubrics,
    load_bundled,
    load_rubric,
    load_rubric_text,
    resolve_rubric,
)
from ledger.rubric.model import (
    ROUNDINGS,
    RULE_KINDS,
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

__all__ = [
    "RUBRICS_DIR", "SCHEMA", "bundled_rubrics", "load_bundled", "load_rubric", "load_rubric_text",
    "resolve_rubric",
    "ROUNDINGS", "RULE_KINDS", "Bonus", "Clause", "Deadline", "Fixed", "GradeBand", "Group",
    "Indicator", "PerUnit", "RateShortfall", "Rubric", "Rule", "Source", "Veto", "Window", "WorkingDayDelay",
    "ZeroScore",
]
