"""From regression weights to a points table: signs, scale, rounding, and what is kept.

Why: a weight in log-odds means nothing to a marketer; "+12 points for a referral" does.
The weights are scaled so that the middle 98% of training leads span the chosen number of
points and rounded, positive ones becoming fit rules and negative ones negative rules.
A touch can only add points, so a kind whose weight comes out negative is left out and
the regression is fitted again without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from leadpipeline.analytics.learned.values import LearnedRule
from leadpipeline.rules.scoring import (
    EngagementRule,
    FitRule,
    GradeBand,
    NegativeRule,
    RuleKind,
    ScoringModel,
)

__all__ = ["Kept", "points_model"]

Regress = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]
_REFITS = 5


@attrs.frozen(kw_only=True)
class Kept:
    """The points one unit of log-odds became, and each kept rule with its data."""

    scale: float
    rules: tuple[LearnedRule, ...]


def _weights(
    x_fit: np.ndarray,
    x_touches: np.ndarray,
    won: np.ndarray,
    train: np.ndarray,
    regress: Regress,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the fit columns and the touch columns, no touch weight below zero."""
    kept = np.ones(x_touches.shape[1], dtype=bool)
    w_fit = np.zeros(x_fit.shape[1])
    w_touch = np.zeros(x_touches.shape[1])
    for _ in range(_REFITS):
        x = np.hstack([x_fit[train], x_touches[train][:, kept]])
        weights, _ = regress(x, won[train])
        w_fit = weights[: x_fit.shape[1]]
        w_touch = np.zeros(x_touches.shape[1])
        w_touch[kept] = weights[x_fit.shape[1] :]
        if not (w_touch < 0).any():
            break
        kept &= w_touch >= 0
    return w_fit, np.maximum(w_touch, 0.0)


def _grade_bands(fit_scores: np.ndarray) -> tuple[GradeBand, ...] | None:
    """A, B and C for the top 10%, 30% and 60% of training leads by fit, if distinct."""
    cuts = [round(float(q)) for q in np.quantile(fit_scores, [0.9, 0.7, 0.4])]
    if not (cuts[0] > cuts[1] > cuts[2]):
        return None
    return tuple(GradeBand(grade=g, min_fit=c) for g, c in zip("ABC", cuts, strict=True))


def _data(column: np.ndarray, won: np.ndarray) -> tuple[int, float | None]:
    fired = column > 0
    leads = int(fired.sum())
    return leads, (float(won[fired].mean()) if leads else None)


def points_model(
    *,
    name: str,
    fit_rules: Sequence[FitRule],
    touch_rules: Sequence[EngagementRule],
    x_fit: np.ndarray,
    x_touches: np.ndarray,
    won: np.ndarray,
    train: np.ndarray,
    scale: float,
    regress: Regress,
) -> tuple[ScoringModel, Kept]:
    """The scoring model whose points are the scaled, rounded weights of `regress`.

    `x_fit` and `x_touches` hold what each candidate (worth one point) gave each row;
    `train` marks the rows to fit on. Totals are never clipped (no cap, and the floor is
    the lowest total the rules can give), so the ranking is the regression's up to
    rounding.
    """
    w_fit, w_touch = _weights(x_fit, x_touches, won, train, regress)
    linear = x_fit[train] @ w_fit + x_touches[train] @ w_touch
    low, high = np.quantile(linear, [0.01, 0.99]) if len(linear) else (0.0, 0.0)
    per_log_odds = scale / float(high - low) if high > low else scale
    fit: list[FitRule] = []
    negative: list[NegativeRule] = []
    engaged: list[EngagementRule] = []
    learned: list[LearnedRule] = []
    fit_points = np.zeros(len(fit_rules))
    y = won[train]
    for j, rule in enumerate(fit_rules):
        points = round(float(w_fit[j] * per_log_odds))
        if points == 0:
            continue
        fit_points[j] = points
        if points > 0:
            fit.append(attrs.evolve(rule, points=points))
        else:
            negative.append(
                NegativeRule(name=rule.name, field=rule.field, match=rule.match, penalty=-points)
            )
        leads, rate = _data(x_fit[train][:, j], y)
        kind = RuleKind.FIT if points > 0 else RuleKind.NEGATIVE
        learned.append(
            LearnedRule(rule=rule.name, kind=kind, points=points, leads=leads, win_rate=rate)
        )
    for j, touch in enumerate(touch_rules):
        per_touch = round(float(w_touch[j] * per_log_odds), 1)
        if per_touch <= 0:
            continue
        cap = touch.cap or 1.0
        label = f"{touch.kind.value} (up to {cap:g})"
        engaged.append(
            attrs.evolve(touch, name=label, points=per_touch, cap=round(per_touch * cap, 6))
        )
        leads, rate = _data(x_touches[train][:, j], y)
        learned.append(
            LearnedRule(
                rule=label, kind=RuleKind.ENGAGEMENT, points=per_touch, leads=leads, win_rate=rate
            )
        )
    model = ScoringModel(
        name=name,
        fit=tuple(fit),
        engagement=tuple(engaged),
        negative=tuple(negative),
        # the lowest total the rules can give: a floor that never clips, and that TOML,
        # which has no null, writes and reads back
        floor=-float(sum(r.penalty for r in negative)),
    )
    bands = _grade_bands(x_fit[train] @ fit_points) if len(linear) else None
    if bands is not None:
        model = attrs.evolve(model, grade_bands=bands)
    return model, Kept(scale=per_log_odds, rules=tuple(learned))
