"""Learn the points of a scoring model from won and lost leads.

Why: hand-written points are guesses; a regularised logistic regression on the same
rules finds the points that rank leads best, and rounding its weights onto a readable
scale keeps them a table a marketer can read and edit. The fit needs scikit-learn (the
``learn`` extra); the model it returns needs nothing but the core.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.analytics._history import History, capture_of, outcome_of
from leadpipeline.analytics.learned._features import (
    engagement_candidates,
    fit_candidates,
)
from leadpipeline.analytics.learned._metrics import auc, isotonic, log_loss, logistic, platt
from leadpipeline.analytics.learned._points import points_model
from leadpipeline.analytics.learned.values import (
    CalibrationBin,
    CalibrationMethod,
    FitReport,
    LearnedModel,
    ScoreCalibration,
)
from leadpipeline.analytics.predictive import FieldSpec, _specs
from leadpipeline.errors import ValidationError
from leadpipeline.events import Outcome, replay
from leadpipeline.frames import LeadFrame, lead_frame, score_frame
from leadpipeline.rules.scoring import Decay, EngagementRule, HalfLife, ScoringModel

__all__ = ["DECAYS", "LEARN_HINT", "fit_scoring_model"]

LEARN_HINT = "fit_scoring_model needs scikit-learn: pip install leadpipeline[learn]"
"""The message of the ImportError raised when the ``learn`` extra is not installed."""

DECAYS: tuple[Decay | None, ...] = (None, HalfLife(days=30), HalfLife(days=90))
"""The decays a fit tries for touches: none, a month's half-life, a quarter's."""

_GRID_LEADS = 20_000  # enough leads to tell decays apart; the grid costs a fit per decay
_CLEARLY = 1e-3  # a log loss this much lower is a better decay, not noise

Now: TypeAlias = datetime | Sequence[datetime] | pa.Array | np.ndarray


def _labelled(
    data: LeadFrame | Iterable[History], *, open_as_lost: bool
) -> tuple[LeadFrame, np.ndarray, np.ndarray]:
    """The frame to score, which rows are won, and which rows to learn from."""
    if isinstance(data, LeadFrame):
        if "outcome.result" not in data.leads.column_names:
            raise ValidationError.at("data", "the frame has no outcome column (outcome.result)")
        result = data.leads.column("outcome.result").combine_chunks()
        won = np.asarray(
            pc.fill_null(pc.equal(result, "won"), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        lost = np.asarray(
            pc.fill_null(pc.equal(result, "lost"), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        return data, won, np.ones(len(won), dtype=bool) if open_as_lost else won | lost
    histories = list(data)
    for i, h in enumerate(histories):
        capture_of(h, i)  # refuses a history that does not start with its capture
    outcomes = [outcome_of(h) for h in histories]
    frame = lead_frame(replay(h) for h in histories)
    won = np.array([o is Outcome.WON for o in outcomes], dtype=bool)
    closed = np.array([open_as_lost or o is not None for o in outcomes], dtype=bool)
    return frame, won, closed


def _logistic(
    x: np.ndarray, y: np.ndarray, strength: float, l1_ratio: float
) -> tuple[np.ndarray, float]:
    """Regularised logistic regression on standardised columns, weights unscaled.

    Plain ridge (``l1_ratio`` 0) runs with L-BFGS, which is fast; any share of L1 runs
    with SAGA, which sets weak rules to exactly zero but takes longer.
    """
    try:
        linear_model: Any = importlib.import_module("sklearn.linear_model")
    except ImportError as exc:
        raise ImportError(LEARN_HINT, name="sklearn") from exc
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    solver = "lbfgs" if l1_ratio == 0 else "saga"
    fitted = linear_model.LogisticRegression(
        C=strength, l1_ratio=l1_ratio, solver=solver, max_iter=1000
    ).fit((x - mean) / spread, y)
    weights = np.asarray(fitted.coef_[0]) / spread
    return weights, float(fitted.intercept_[0] - (weights * mean).sum())


def _probabilities(weights: np.ndarray, intercept: float, x: np.ndarray) -> np.ndarray:
    return logistic(x @ weights + intercept)


def _split(closed: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A mask of the closed rows kept for training; the rest of them are held out."""
    rows = np.flatnonzero(closed)
    kept = rng.permutation(rows)[: round(len(rows) * (1 - share))]
    train = np.zeros(len(closed), dtype=bool)
    train[kept] = True
    return train


def _columns(scores: Any, names: Sequence[str]) -> np.ndarray:
    by_name = dict(scores.rules)
    if not names:
        return np.zeros((len(scores), 0))
    return np.column_stack([by_name[n] for n in names])


def _choose_decay(
    x_fit: np.ndarray,
    x_touches: Mapping[str, np.ndarray],
    won: np.ndarray,
    train: np.ndarray,
    *,
    regress: Any,
    rng: np.random.Generator,
) -> str:
    """The decay of the grid whose touches best predict leads left out of the fit.

    It is judged on at most `_GRID_LEADS` training leads, a quarter of them left out.
    The first of the grid wins unless another predicts clearly better, so touches that
    all have the same age (counts without times) keep the simplest choice.
    """
    if len(x_touches) == 1:
        return next(iter(x_touches))
    sample = _split(train, max(0.0, 1.0 - _GRID_LEADS / max(1, int(train.sum()))), rng)
    inner = _split(sample, 0.25, rng)
    check = sample & ~inner
    best, best_loss = "", np.inf
    for name, x_eng in x_touches.items():
        x = np.hstack([x_fit, x_eng])
        weights, intercept = regress(x[inner], won[inner])
        loss = log_loss(_probabilities(weights, intercept, x[check]), won[check])
        if loss < best_loss - _CLEARLY:
            best, best_loss = name, loss
    return best


def _distinct_caps(
    rules: Sequence[EngagementRule], x: np.ndarray, train: np.ndarray, min_leads: int
) -> list[EngagementRule]:
    """The touch rules whose cap makes a difference for `min_leads` training leads.

    A higher cap of a kind is kept only when that many leads have more touches than the
    cap below it; otherwise the two rules would say the same thing twice.
    """
    kept: list[EngagementRule] = []
    last: dict[str, np.ndarray] = {}
    for j, rule in enumerate(rules):
        below = last.get(rule.kind.value)
        if below is None or int((x[train, j] != below[train]).sum()) >= min_leads:
            kept.append(rule)
            last[rule.kind.value] = x[:, j]
    return kept


def _calibration(
    method: CalibrationMethod, totals: np.ndarray, won: np.ndarray
) -> ScoreCalibration:
    if method is CalibrationMethod.PLATT:
        slope, intercept = platt(totals, won)
        return ScoreCalibration(method=method, slope=slope, intercept=intercept)
    scores, probabilities = isotonic(totals, won)
    return ScoreCalibration(method=method, scores=scores, probabilities=probabilities)


def _bins(
    totals: np.ndarray, won: np.ndarray, calibration: ScoreCalibration, count: int = 10
) -> tuple[CalibrationBin, ...]:
    order = np.argsort(totals, kind="stable")
    out = []
    for part in np.array_split(order, min(count, len(order))):
        if not len(part):
            continue
        predicted = [calibration.probability(s) for s in totals[part].tolist()]
        out.append(
            CalibrationBin(
                low=float(totals[part].min()),
                high=float(totals[part].max()),
                leads=len(part),
                predicted=float(np.mean(predicted)),
                observed=float(won[part].mean()),
            )
        )
    return tuple(out)


def fit_scoring_model(
    data: LeadFrame | Iterable[History],
    features: Sequence[str | FieldSpec],
    *,
    now: Now,
    engagement: bool = True,
    open_as_lost: bool = False,
    decays: Sequence[Decay | None] = DECAYS,
    bins: Mapping[str, Sequence[float]] | None = None,
    bands: int = 4,
    min_leads: int = 30,
    held_out: float = 0.25,
    seed: int = 0,
    scale: float = 100.0,
    strength: float = 1.0,
    l1_ratio: float = 0.0,
    calibration: CalibrationMethod | str = CalibrationMethod.PLATT,
    name: str = "learned",
) -> LearnedModel:
    """Learn the points of a `ScoringModel` from won and lost leads, with a calibration.

    `data` is a `LeadFrame` with an outcome column, or histories. Open leads are left
    out of the fit, or, with `open_as_lost`, count as not won (as `threshold_sweep`
    counts them: in a back-test of an old export, a lead never won was a no).

    `features` are the lead fields to learn fit rules for, as dotted paths or `FieldSpec`
    values (as `fit_predictive` takes them; `bins` or a spec's edges fix a number field's
    bands, else `bands` quantile bands are used). With `engagement`, touches of every
    kind that `min_leads` training leads have become capped rules, under the decay of
    `decays` that best predicts leads left out. `now` is the instant the
    leads are scored at: one, or one per row (the moment each decision was taken).

    The weights of a regularised logistic regression (`strength` is its C on
    standardised columns, `l1_ratio` its share of L1, which zeroes weak rules) are
    scaled so the middle 98% of training leads span `scale` points, and rounded: whole
    points for fit and negative rules, tenths per touch. Rules that round to nothing are
    dropped. `held_out` of the closed leads (drawn with `seed`) never see the fit: the
    report's AUC and log loss are measured on them.

    Raises:
        ValidationError: no outcome column, too few won or lost leads, a field without a
            column or holding dates.
        ImportError: scikit-learn is not installed (`LEARN_HINT`).
    """
    method = CalibrationMethod(calibration)
    if not 0.0 < held_out < 1.0:
        raise ValidationError.at("held_out", f"must be between 0 and 1, got {held_out!r}")
    frame, won, closed = _labelled(data, open_as_lost=open_as_lost)
    if int(won[closed].sum()) < 2 or int((~won[closed]).sum()) < 2:
        raise ValidationError.at("data", "need at least two won and two lost leads to learn")
    rng = np.random.default_rng(seed)
    train = _split(closed, held_out, rng)
    test = closed & ~train
    specs = _specs(features, bins or {})
    candidates = fit_candidates(frame.leads, specs, train, bands=bands, min_leads=min_leads)
    unique_decays = list({repr(d): d for d in decays}.values()) or [None]
    touches = (
        engagement_candidates(frame.touches, train, unique_decays, min_leads)
        if engagement
        else {"none": []}
    )
    if not candidates.rules and not any(touches.values()):
        raise ValidationError.at(
            "features", f"no value, band or kind of touch has {min_leads} leads to learn from"
        )
    every = ScoringModel(
        name="candidates",
        fit=candidates.rules,
        engagement=tuple(r for rules in touches.values() for r in rules),
        floor=None,
    )
    scores = score_frame(frame, every, now=now, rules=True)
    x_fit = _columns(scores, [r.name for r in candidates.rules])
    touches = {
        d: _distinct_caps(rules, _columns(scores, [r.name for r in rules]), train, min_leads)
        for d, rules in touches.items()
    }
    x_touches = {d: _columns(scores, [r.name for r in rules]) for d, rules in touches.items()}

    def regress(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        return _logistic(x, y, strength, l1_ratio)

    decay = _choose_decay(x_fit, x_touches, won, train, regress=regress, rng=rng)
    model, x_kept = points_model(
        name=name,
        fit_rules=candidates.rules,
        touch_rules=touches[decay],
        x_fit=x_fit,
        x_touches=x_touches[decay],
        won=won,
        train=train,
        scale=scale,
        regress=regress,
    )
    totals = score_frame(frame, model, now=now).totals
    calibrated = _calibration(method, totals[train], won[train])
    base_rate = float(won[train].mean())
    probabilities = np.array([calibrated.probability(s) for s in totals[test].tolist()])
    held = auc(totals[test], won[test])
    if math.isnan(held):  # the held-out leads are all won or all lost
        raise ValidationError.at("held_out", "the held-out leads need both wins and losses")
    report = FitReport(
        leads=int(train.sum()),
        held_out=int(test.sum()),
        base_rate=base_rate,
        auc=held,
        log_loss=log_loss(probabilities, won[test]),
        base_log_loss=log_loss(np.full(int(test.sum()), base_rate), won[test]),
        decay=decay,
        min_leads=min_leads,
        points_per_log_odds=x_kept.scale,
        rules=x_kept.rules,
        calibration=_bins(totals[test], won[test], calibrated),
        sparse=candidates.sparse,
    )
    return LearnedModel(model=model, calibration=calibrated, report=report)
