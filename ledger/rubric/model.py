"""The rubric as immutable values: groups, indicators, clauses and their rules.

A rule is one of a small, closed set of frozen classes. Each says how a
clause turns findings into a raw amount; bounding by the indicator's points
happens in the projection, in one fixed order (raw amounts, indicator bound,
sums, veto).

>>> r = Fixed(amount=Decimal("0.5"))
>>> r.counts_units, r.kind
(False, 'fixed')
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Union

from attrs import field, frozen

ROUNDINGS = {"floor": ROUND_FLOOR, "ceiling": ROUND_CEILING, "half_up": ROUND_HALF_UP}


@frozen
class PerUnit:
    """``amount`` for every unit a finding counts (每例/每户/每项…), at most ``max_units`` in all."""

    amount: Decimal
    unit: str
    max_units: int | None = None
    kind = "per_unit"
    counts_units = True


@frozen
class Fixed:
    """``amount`` once per finding (扣X分); a finding's quantity must be 1.

    With ``condition`` the clause states one condition of the town's year: it deducts
    ``amount`` at most once per town and period, however many findings support it.
    """

    amount: Decimal
    condition: bool = False
    kind = "fixed"
    counts_units = False


@frozen
class ZeroScore:
    """不得分: the finding takes the indicator's full points."""

    kind = "zero_score"
    counts_units = False


@frozen
class Deadline:
    """``amount`` once per finding that something was not done by ``due``.

    A finding cannot occur before ``due`` (it is only a failure once the day has passed).
    With ``condition`` it deducts at most once per town and period (see :class:`Fixed`).
    """

    amount: Decimal
    due: date
    condition: bool = False
    kind = "deadline"
    counts_units = False


@frozen
class RateShortfall:
    """``amount`` per ``step`` the measured rate (finding ``value``) falls below ``target``.

    The latest live measurement counts; ``rounding`` says how partial steps count
    (``floor``: 97.4% against 100% is 2 whole steps).
    """

    amount: Decimal
    target: Decimal = Decimal(100)
    step: Decimal = Decimal(1)
    rounding: str = "floor"
    kind = "rate_shortfall"
    counts_units = False

    def steps_short(self, value: Decimal) -> int:
        """Whole steps below target, e.g. 97.4 -> 2 with floor rounding.

        >>> RateShortfall(amount=Decimal("0.1")).steps_short(Decimal("97.4"))
        2
        """
        short = self.target - value
        if short <= 0:
            return 0
        return int((short / self.step).quantize(Decimal(1), rounding=ROUNDINGS[self.rounding]))


@frozen
class WorkingDayDelay:
    """Lateness derived from ``payment`` or ``report`` facts with the official calendar.

    ``per="case"``: ``amount`` per fact not done within ``allowed_days`` working days
    (C02.1); ``per="working_day"``: ``amount`` per working day late (A09.1). A finding
    recorded directly on the clause counts ``quantity`` units of the same kind.
    ``holiday_due="next_working_day"``: a due date that is not a working day moves to the
    next working day (民法典 第二百零三条); ``"as_given"`` (the default) keeps it.
    """

    amount: Decimal
    fact: str
    allowed_days: int
    per: str
    unit: str = "cases"
    holiday_due: str = "as_given"
    kind = "working_day_delay"
    counts_units = True


@frozen
class Bonus:
    """附加分: ``amount`` per finding; with ``highest_per_project`` a project counts once,
    at the highest amount among the indicator's clauses (D02)."""

    amount: Decimal
    highest_per_project: bool = False
    kind = "bonus"
    counts_units = False


@frozen
class Veto:
    """一票否决: deducts nothing; a live finding forces the grade 不合格."""

    kind = "veto"
    counts_units = False


Rule = Union[PerUnit, Fixed, ZeroScore, Deadline, RateShortfall, WorkingDayDelay, Bonus, Veto]
RULE_KINDS: dict[str, type] = {
    cls.kind: cls
    for cls in (PerUnit, Fixed, ZeroScore, Deadline, RateShortfall, WorkingDayDelay, Bonus, Veto)
}


@frozen
class Clause:
    """One sentence of the 评价标准 column and the rule that executes it."""

    id: str
    text_zh: str
    rule: Rule
    text_en: str | None = None
    note: str | None = None
    evidence_required: str | None = None  # the rubric's words: a finding must carry evidence

    @property
    def is_condition(self) -> bool:
        """Deducts at most once per town and period (a condition of the town's year)."""
        return isinstance(self.rule, ZeroScore) or bool(getattr(self.rule, "condition", False))

    @property
    def ceiling(self) -> int | None:
        """The most units the clause counts in all, across its findings (None: no ceiling)."""
        return self.rule.max_units if isinstance(self.rule, PerUnit) else None

    @property
    def needs_value(self) -> bool:
        return isinstance(self.rule, RateShortfall)

    @property
    def needs_project(self) -> bool:
        return isinstance(self.rule, Bonus) and self.rule.highest_per_project


@frozen
class Indicator:
    """A 二级指标: ``points`` is its full score, or for a bonus indicator its cap."""

    id: str
    name: str
    points: Decimal
    requirement: str
    criteria: str
    clauses: tuple[Clause, ...]
    bonus: bool = False
    name_en: str | None = None


@frozen
class Group:
    """A 一级指标 (综合保障, 救助实施, 资金使用, 创新探索（附加）)."""

    id: str
    name: str
    indicators: tuple[Indicator, ...]
    bonus: bool = False
    name_en: str | None = None


@frozen
class GradeBand:
    """Totals of at least ``min`` get grade ``name`` (bands are tried highest first)."""

    name: str
    min: Decimal
    name_en: str | None = None


@frozen
class Window:
    """The assessment window after the period: findings and due dates may fall in it, and
    ``as_of`` may be any day up to ``end`` (the day the period's score is final)."""

    end: date
    source: str


@frozen
class Source:
    title: str
    document_number: str
    issuer: str
    issued_on: date


@frozen
class Rubric:
    """One edition of a rubric, with the exact bytes it was loaded from.

    >>> from ledger.rubric import load_bundled
    >>> r = load_bundled("taicang-2017")
    >>> r.clause("B06.1").rule.amount, r.indicator_of("B06.1").id
    (Decimal('0.1'), 'B06')
    """

    id: str
    schema: int
    period: str
    valid_from: date
    valid_to: date
    locale: str
    base_total: Decimal
    source: Source
    groups: tuple[Group, ...]
    vetoes: tuple[Clause, ...]
    grades: tuple[GradeBand, ...]
    grades_source: str
    veto_grade: str
    text: str = field(repr=False)
    sha256: str
    window: Window | None = None
    veto_rank: str = "by_total"  # "last": vetoed towns rank after all others
    _clauses: dict = field(init=False, repr=False, eq=False)
    _owner: dict = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self):
        clauses, owner = {}, {}
        for ind in self.indicators:
            for c in ind.clauses:
                clauses[c.id] = c
                owner[c.id] = ind
        for v in self.vetoes:
            clauses[v.id] = v
        object.__setattr__(self, "_clauses", clauses)
        object.__setattr__(self, "_owner", owner)

    @property
    def assessed_until(self) -> date:
        """The last day ``as_of`` may name: the window's end, else the period's last day.

        >>> from ledger.rubric import load_bundled
        >>> load_bundled("taicang-2017").assessed_until
        datetime.date(2018, 2, 28)
        """
        return self.window.end if self.window is not None else self.valid_to

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for g in self.groups for ind in g.indicators)

    def has_clause(self, clause_id: str) -> bool:
        return clause_id in self._clauses

    def clause(self, clause_id: str) -> Clause:
        """The clause (veto items included) with this id; KeyError if absent."""
        return self._clauses[clause_id]

    def indicator_of(self, clause_id: str) -> Indicator | None:
        """The indicator a clause belongs to; None for a veto item."""
        return self._owner.get(clause_id)

    def clauses(self) -> tuple[Clause, ...]:
        """Every clause in rubric order, veto items last."""
        return tuple(self._clauses.values())

    def grade_for(self, total: Decimal, vetoed: bool = False) -> str:
        """The grade band a total falls in; a veto forces ``veto_grade`` (不合格)."""
        if vetoed:
            return self.veto_grade
        for band in sorted(self.grades, key=lambda b: b.min, reverse=True):
            if total >= band.min:
                return band.name
        return self.veto_grade
