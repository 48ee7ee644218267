"""Projections: pure functions of events (and a rubric) — cards, boards, traces."""

from ledger.projections.card import ClauseLine, IndicatorScore, Lateness, ScoreCard, dumps
from ledger.projections.scoreboard import Scoreboard, Standing, rank
from ledger.projections.scoring import score_card
from ledger.projections.state import TownState, fold

__all__ = ["ClauseLine", "IndicatorScore", "Lateness", "ScoreCard", "Scoreboard", "Standing",
           "TownState", "dumps", "fold", "rank", "score_card"]
