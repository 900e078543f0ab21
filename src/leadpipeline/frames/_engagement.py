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


def _layers(rules: tuple[EngagementRule, ...], kind_codes: dict[str, int]) -> list[list[int]]:
    """Rules in layers where no two share a kind, so one pass over the touches serves a layer."""
    layers: list[list[int]] = []
    for j, rule in enumerate(rules):
        if rule.kind.value not in kind_codes:
            continue
        for layer in layers:
            if all(rules[i].kind is not rule.kind for i in layer):
                layer.append(j)
                break
        else:
            layers.append([j])
    return layers


def _family(rule: EngagementRule) -> int:
    """0: no decay, 1: a half-life, 2: a step of weeks or days, 3: a calendar step of months."""
    decay = rule.decay
    if decay is None:
        return 0
    if isinstance(decay, HalfLife):
        return 1
    return 3 if decay.months else 2


def _decayed(
    rules: tuple[EngagementRule, ...],
    family: int,
    j_of: np.ndarray,
    age: np.ndarray,
    d: np.ndarray,
    at: Any,
    now: Any,
) -> np.ndarray:
    """The points of touches whose rules all decay in one way, each by its own rule."""
    points = np.array([float(r.points) for r in rules])[j_of]
    if family == 0:
        return points
    if family == 1:
        half = np.array(
            [r.decay.days * DAY if isinstance(r.decay, HalfLife) else 1.0 for r in rules]
        )
        return points * np.power(0.5, age / half[j_of])
    factor = np.array([r.decay.factor if isinstance(r.decay, CalendarStep) else 1.0 for r in rules])
    if family == 2:
        step = np.array(
            [
                timedelta(weeks=r.decay.weeks, days=r.decay.days) // timedelta(microseconds=1)
                if isinstance(r.decay, CalendarStep)
                else 1
                for r in rules
            ]
        )
        return points * np.power(factor[j_of], (d // step[j_of]).astype(np.float64))
    out = np.empty(len(j_of))
    for j in np.unique(j_of).tolist():
        mine = np.flatnonzero(j_of == j)
        decay = rules[j].decay
        assert isinstance(decay, CalendarStep)
        when = now[mine] if isinstance(now, np.ndarray) else now
        steps = _calendar(d[mine], at[mine], when, decay)
        out[mine] = points[mine] * _powers(decay.factor, steps)
    return out


def _layer_points(
    rules: tuple[EngagementRule, ...],
    layer: list[int],
    kind_codes: dict[str, int],
    touch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | int],
) -> tuple[np.ndarray, np.ndarray]:
    """The key (lead and rule) and points of every touch one rule of the layer counts."""
    lead, kind, delta, at, now = touch
    rule_of = np.full(max(kind_codes.values()) + 1, -1, dtype=np.int64)
    for j in layer:
        rule_of[kind_codes[rules[j].kind.value]] = j
    j_of = rule_of[kind]
    chosen = np.flatnonzero(j_of >= 0)
    j_of = j_of[chosen]
    d = delta[chosen]
    age = d / 1e6  # timedelta.total_seconds(): microseconds over a million, rounded once
    windows = {window(rules[j]) for j in layer}
    if windows != {math.inf}:
        limit = (
            next(iter(windows)) if len(windows) == 1 else np.array([window(r) for r in rules])[j_of]
        )
        inside = np.flatnonzero(age <= limit)
        if len(inside) < len(age):
            chosen, j_of, d, age = chosen[inside], j_of[inside], d[inside], age[inside]
    when = now[chosen] if isinstance(now, np.ndarray) else now
    instants = at[chosen] if at is not None else None
    families = np.array([_family(r) for r in rules])
    present = sorted({_family(rules[j]) for j in layer})
    if len(present) == 1:
        points = _decayed(rules, present[0], j_of, age, d, instants, when)
    else:
        fam = families[j_of]
        counts = {f: int(np.count_nonzero(fam == f)) for f in present if f != 3}
        main = max(counts, key=counts.__getitem__) if counts else None
        if main is None:
            points = np.empty(len(j_of))
        else:  # the commonest way on every touch, then the others on theirs
            points = _decayed(rules, main, j_of, age, d, instants, when)
        for f in present:
            if f == main:
                continue
            mine = np.flatnonzero(fam == f)
            points[mine] = _decayed(
                rules,
                f,
                j_of[mine],
                age[mine],
                d[mine],
                instants[mine] if instants is not None else None,
                when[mine] if isinstance(when, np.ndarray) else when,
            )
    return lead[chosen].astype(np.int64) * len(rules) + j_of, points


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
    `kind_codes`, microseconds since the epoch in UTC); `now` is one instant or each
    touch's, in the same unit. A touch after `now` does not count yet; one older than a
    rule's window does not count for that rule. Each lead's sum for a rule adds its
    touches in the table's order, as the reference scorer adds a lead's interactions.
    """
    r = len(rules)
    layers = _layers(rules, kind_codes)
    if not layers or not len(lead):
        return np.zeros((n, r))
    delta = now - at
    keep = delta >= 0
    widest = max(window(rule) for rule in rules)
    if math.isfinite(widest):  # a margin: each rule's own window is tested on the age
        keep &= delta <= math.ceil(widest * 1e6) + 2
    calendar = any(_family(rule) == 3 for rule in rules)
    instants: np.ndarray | None = at if calendar else None
    if not keep.all():
        live = np.flatnonzero(keep)
        delta, lead, kind = delta[live], lead[live], kind[live]
        instants = instants[live] if instants is not None else None
        if isinstance(now, np.ndarray):
            now = now[live]
    keys, values = [], []
    for layer in layers:
        touch = (lead, kind, delta, instants, now)
        key, points = _layer_points(rules, layer, kind_codes, touch)
        keys.append(key)
        values.append(points)
    key = keys[0] if len(keys) == 1 else np.concatenate(keys)
    value = values[0] if len(values) == 1 else np.concatenate(values)
    return np.bincount(key, value, minlength=n * r).reshape(n, r)
