"""How good a score is, and how a score becomes a probability: numpy only.

Why: the fit report and the benchmark must measure a model the same way, and the
calibration must not need scikit-learn to be fitted again or read; so the area under the
curve, the log loss, Platt scaling and isotonic steps are written here, each a few lines.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["auc", "isotonic", "log_loss", "logistic", "platt"]

_EPS = 1e-12


def auc(scores: np.ndarray, won: np.ndarray) -> float:
    """The chance a random won lead scores above a random lost one (ties count half).

    Example:
        >>> auc(np.array([3.0, 1.0, 2.0, 2.0]), np.array([True, False, True, False]))
        0.875
    """
    scores = np.asarray(scores, dtype=float)
    won = np.asarray(won, dtype=bool)
    wins, losses = int(won.sum()), int((~won).sum())
    if not wins or not losses:
        return math.nan
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    ranks = np.empty(len(scores))
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    mid = (starts + ends + 1) / 2.0  # the average 1-based rank of each run of ties
    ranks[order] = np.repeat(mid, ends - starts)
    return float((ranks[won].sum() - wins * (wins + 1) / 2.0) / (wins * losses))


def log_loss(probabilities: np.ndarray, won: np.ndarray) -> float:
    """The mean negative log-likelihood of the outcomes (lower is better).

    Example:
        >>> round(log_loss(np.array([0.5, 0.5]), np.array([True, False])), 4)
        0.6931
    """
    p = np.clip(np.asarray(probabilities, dtype=float), _EPS, 1 - _EPS)
    y = np.asarray(won, dtype=bool)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def logistic(t: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-t))`` without overflow: a fit that runs away still gives 0 or 1."""
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def platt(scores: np.ndarray, won: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of ``P(won) = 1 / (1 + exp(-(slope * score + intercept)))``.

    Newton's method on the two parameters, with a small ridge so that a score that
    separates wins from losses perfectly still gives finite numbers.

    Example:
        >>> s = np.array([0.0, 0.0, 10.0, 10.0, 10.0, 0.0, 10.0, 0.0])
        >>> y = np.array([False, False, True, True, False, True, True, False])
        >>> slope, intercept = platt(s, y)
        >>> round(1 / (1 + math.exp(-(slope * 10 + intercept))), 2)
        0.75
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(won, dtype=float)
    centre, spread = float(x.mean()), float(x.std()) or 1.0
    z = (x - centre) / spread
    w = np.array([0.0, math.log((y.sum() + 0.5) / (len(y) - y.sum() + 0.5))])
    design = np.column_stack([z, np.ones_like(z)])
    ridge = np.diag([1e-6, 0.0]) * len(y)
    for _ in range(50):
        p = logistic(design @ w)
        gradient = design.T @ (p - y) + ridge @ w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + ridge + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    slope = float(w[0] / spread)
    return slope, float(w[1] - slope * centre)


def isotonic(scores: np.ndarray, won: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Rising steps of win rate by score (pool adjacent violators).

    Returns each step's lowest score and its win rate; a score takes the step at or
    below it (the first step below the lowest).

    Example:
        >>> isotonic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, True, False, True]))
        ((1.0, 2.0, 4.0), (0.0, 0.5, 1.0))
    """
    x = np.asarray(scores, dtype=float)
    y = np.asarray(won, dtype=float)
    values, inverse = np.unique(x, return_inverse=True)
    weight = np.bincount(inverse).astype(float)
    total = np.bincount(inverse, weights=y)
    starts: list[float] = []
    sums: list[float] = []
    weights: list[float] = []
    for value, s, n in zip(values.tolist(), total.tolist(), weight.tolist(), strict=True):
        starts.append(value)
        sums.append(s)
        weights.append(n)
        while len(sums) > 1 and sums[-2] / weights[-2] >= sums[-1] / weights[-1]:
            s_last, n_last = sums.pop(), weights.pop()
            starts.pop()
            sums[-1] += s_last
            weights[-1] += n_last
    return tuple(starts), tuple(s / n for s, n in zip(sums, weights, strict=True))
