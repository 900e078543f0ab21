"""What a fit returns: the points model, its calibration and an honest report of the fit.

Why: a learned model is only useful if a marketer can read it and trust it. The model
is an ordinary `ScoringModel`; beside it sit the calibration (score to win probability)
and the report (held-out quality, the data behind each rule, values too rare to learn
from). All are plain frozen values, so they round-trip through JSON and TOML and can be
diffed like a playbook.
"""

from __future__ import annotations

import enum
import math
from bisect import bisect_right
from itertools import pairwise
from typing import Any

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.rules.scoring import RuleKind, ScoringModel

__all__ = [
    "CalibrationBin",
    "CalibrationMethod",
    "FitReport",
    "LearnedModel",
    "LearnedRule",
    "ScoreCalibration",
    "SparseValue",
]


class CalibrationMethod(enum.StrEnum):
    """How a score is turned into a win probability."""

    PLATT = "platt"
    """A logistic curve of the score: smooth, two numbers, good when the score is a sum."""
    ISOTONIC = "isotonic"
    """Rising steps of win rate by score: no shape assumed, needs more leads."""


def _probability(_: Any, attribute: attrs.Attribute[Any], value: tuple[float, ...]) -> None:
    for i, p in enumerate(value):
        if not 0.0 <= p <= 1.0:
            raise ValidationError.at(f"{attribute.name}[{i}]", f"not a probability: {p!r}")


@attrs.frozen(kw_only=True, field_transformer=typed)
class ScoreCalibration:
    """From a score of the model beside it to the chance the lead is won.

    Platt: ``1 / (1 + exp(-(slope * score + intercept)))``. Isotonic: `scores` are the
    lowest score of each step, rising, and `probabilities` each step's win rate.

    Example:
        >>> ScoreCalibration(method=CalibrationMethod.PLATT, slope=0.1, intercept=-5.0
        ...                  ).probability(50)
        0.5
        >>> steps = ScoreCalibration(method=CalibrationMethod.ISOTONIC, scores=(0.0, 40.0),
        ...                          probabilities=(0.1, 0.6))
        >>> steps.probability(39), steps.probability(40)
        (0.1, 0.6)
    """

    method: CalibrationMethod
    slope: float = 0.0
    intercept: float = 0.0
    scores: tuple[float, ...] = ()
    probabilities: tuple[float, ...] = attrs.field(default=(), validator=_probability)

    def __attrs_post_init__(self) -> None:
        if len(self.scores) != len(self.probabilities):
            raise ValidationError.at("probabilities", "one probability per score step")
        if any(b <= a for a, b in pairwise(self.scores)):
            raise ValidationError.at("scores", "score steps must rise strictly")
        if self.method is CalibrationMethod.ISOTONIC and not self.scores:
            raise ValidationError.at("scores", "isotonic calibration needs at least one step")

    def probability(self, score: float) -> float:
        """The win probability of a lead with this score."""
        if self.method is CalibrationMethod.PLATT:
            z = self.slope * score + self.intercept
            if z >= 0:
                return 1.0 / (1.0 + math.exp(-z))
            e = math.exp(z)
            return e / (1.0 + e)
        return self.probabilities[max(0, bisect_right(self.scores, score) - 1)]


@attrs.frozen(kw_only=True, field_transformer=typed)
class LearnedRule:
    """One learned rule, its points, and the training leads behind it.

    `points` is signed: negative for a negative rule. `leads` counts the training leads
    it fired on and `win_rate` their share won, so a marketer sees what a rule stands on.
    """

    rule: str
    kind: RuleKind
    points: float
    leads: int
    win_rate: float | None


@attrs.frozen(kw_only=True, field_transformer=typed)
class SparseValue:
    """A field value with too few training leads to earn points of its own."""

    field: str
    value: str
    leads: int


@attrs.frozen(kw_only=True, field_transformer=typed)
class CalibrationBin:
    """One slice of held-out leads by score: the probability said against the wins seen."""

    low: float
    high: float
    leads: int
    predicted: float
    observed: float


@attrs.frozen(kw_only=True, field_transformer=typed)
class FitReport:
    """How well the learned points rank and predict leads they never saw.

    `auc` and `log_loss` are measured on the held-out leads (`held_out` of them) with the
    calibrated probabilities; `base_log_loss` is what the base rate alone scores, to
    compare. `decay` names the decay chosen for the touches from the grid. `sparse`
    lists values too rare to learn from (fewer than `min_leads` training leads).
    """

    leads: int
    held_out: int
    base_rate: float
    auc: float
    log_loss: float
    base_log_loss: float
    decay: str
    min_leads: int
    points_per_log_odds: float
    rules: tuple[LearnedRule, ...]
    calibration: tuple[CalibrationBin, ...]
    sparse: tuple[SparseValue, ...] = ()

    def explain(self) -> str:
        """The report as lines of text: quality, rules by weight, then the warnings."""
        lines = [
            f"learned from {self.leads} leads ({self.base_rate:.1%} won);"
            f" held out {self.held_out}: AUC {self.auc:.3f},"
            f" log loss {self.log_loss:.3f} (base rate alone {self.base_log_loss:.3f});"
            f" touches decay: {self.decay}"
        ]
        for r in sorted(self.rules, key=lambda r: (-abs(r.points), r.rule)):
            rate = "n/a" if r.win_rate is None else f"{r.win_rate:.0%}"
            lines.append(f"  {r.points:+g} {r.rule} ({r.leads} leads, {rate} won)")
        lines.extend(
            f"  warning: {s.field} = {s.value!r} has {s.leads} leads"
            f" (fewer than {self.min_leads}): no points of its own"
            for s in self.sparse
        )
        return "\n".join(lines)


@attrs.frozen(kw_only=True, field_transformer=typed)
class LearnedModel:
    """A scoring model learned from won and lost leads, its calibration and its report.

    `model` is an ordinary `ScoringModel`: score with it, explain with the score card,
    edit it, put it in a playbook. `calibration` reads its scores as win probabilities.
    """

    model: ScoringModel
    calibration: ScoreCalibration
    report: FitReport

    def probability(self, score: float) -> float:
        """The win probability of a lead with this score under `model`."""
        return self.calibration.probability(score)
