"""Engagement rules on a long table of touches: each rule's points per lead, vectorised.

Why: the reference scorer walks a lead's touches one by one; here each rule's touches are
selected, aged and decayed as whole arrays, and summed per lead in the table's order (a
lead's touches are contiguous and in its order, so each sum adds the same numbers in the
same order as the reference). The decays mean what `_decay` says: a half-life is the
same power of 0.5; a step decay raises its factor to the same whole number of steps,
taken from a table Python's own ``**`` filled; a calendar step counts months on the UTC
calendar with the same clipping to a month's end as ``relativedelta``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from leadpipeline.rules.scoring._decay import DAY, window
from leadpipeline.rules.scoring.rules import CalendarStep, EngagementRule, HalfLife

__all__ = ["engagement_points"]

_DAY_US = 86_400_000_000


def _powers(factor: float, steps: np.ndarray) -> np.ndarray:
    """``factor ** k`` for each whole number of steps, as Python computes it."""
    if not len(steps):
        return np.zeros(0)
    top = int(steps.max())
    table = np.array([float(factor**k) for k in range(top + 1)])
    powers: np.ndarray = table[steps]
    return powers


def _shifted(
    month0: np.ndarray, day0: np.ndarray, tod: np.ndarray, k: np.ndarray, step: CalendarStep
) -> np.ndarray:
    """``at + relativedelta(months=, weeks=, days=) * k`` in microseconds since the epoch."""
    month = month0 + step.months * k
    first = month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    following = (month + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    day = np.minimum(day0, following - first)
    days = first + day - 1 + (7 * step.weeks + step.days) * k
    shifted: np.ndarray = days * _DAY_US + tod
    return shifted


def _calendar(delta: np.ndarray, at: np.ndarray, now: Any, step: CalendarStep) -> np.ndarray:
    """The whole steps from `at` to `now`: the largest k with at + step * k <= now."""
    days = np.floor_divide(at, _DAY_US)
    tod = at - days * _DAY_US
    date = days.astype("datetime64[D]")
    month0 = date.astype("datetime64[M]").astype(np.int64)
    day0 = (date - date.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    approx = timedelta(days=step.months * 30.436875 + step.weeks * 7 + step.days)
    k = delta // (approx // timedelta(microseconds=1))
    while True:
        over = (k > 0) & (_shifted(month0, day0, tod, k, step) > now)
        if not over.any():
            break
        k = k - over
    while True:
        under = _shifted(month0, day0, tod, k + 1, step) <= now
        if not under.any():
            break
        k = k + under
    return k


def _points(
    rule: EngagementRule, age: np.ndarray, delta: np.ndarray, at: np.ndarray, now: Any
) -> np.ndarray:
    """Each touch's points under `rule`: ``_decay.points_text`` on arrays."""
    p = float(rule.points)
    decay = rule.decay
    if decay is None:
        return np.full(len(age), p)
    if isinstance(decay, HalfLife):
        return p * np.power(0.5, age / (decay.days * DAY))
    if not decay.months:
        step = timedelta(weeks=decay.weeks, days=decay.days) // timedelta(microseconds=1)
        return p * _powers(decay.factor, delta // step)
    return p * _powers(decay.factor, _calendar(delta, at, now, decay))


def engagement_points(
    rules: tuple[EngagementRule, ...],
    kind_codes: dict[str, int],
    lead: np.ndarray,
    kind: np.ndarray,
    at: np.ndarray,
    *,
    now: np.ndarray | int,
    n: int,
) -> np.ndarray:
    """Each rule's uncapped points per lead, shape ``(n, len(rules))``.

    `lead`, `kind` and `at` are the touch table's columns (row of the lead, a code of
    `kind_codes`, microseconds since the epoch in UTC); `now` is each touch's instant in
    the same unit. A touch after `now` does not count yet; one older than a rule's
    window does not count for that rule.
    """
    r = len(rules)
    if not r or not len(lead):
        return np.zeros((n, r))
    per_touch = isinstance(now, np.ndarray)
    delta = now - at
    keep = delta >= 0
    widest = max(window(rule) for rule in rules)
    if math.isfinite(widest):  # a margin: each rule's own window is tested on the age below
        keep &= delta <= math.ceil(widest * 1e6) + 2
    live = np.flatnonzero(keep)
    delta, lead, kind, at = delta[live], lead[live], kind[live], at[live]
    if per_touch:
        now = now[live]  # type: ignore[index]  # an array when per_touch
    age = delta / 1e6  # timedelta.total_seconds(): microseconds over a million, rounded once
    keys, values = [], []
    by_kind: dict[int, np.ndarray] = {}
    for j, rule in enumerate(rules):
        code = kind_codes.get(rule.kind.value)
        if code is None:
            continue
        if code not in by_kind:
            by_kind[code] = np.flatnonzero(kind == code)
        chosen = by_kind[code]
        limit = window(rule)
        if math.isfinite(limit):
            chosen = chosen[age[chosen] <= limit]
        when = now[chosen] if per_touch else now  # type: ignore[index]  # an array when per_touch
        points = _points(rule, age[chosen], delta[chosen], at[chosen], when)
        keys.append(lead[chosen].astype(np.int64) * r + j)
        values.append(points)
    if not keys:
        return np.zeros((n, r))
    sums = np.bincount(np.concatenate(keys), np.concatenate(values), minlength=n * r)
    return sums.reshape(n, r)
