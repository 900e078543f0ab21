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

import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
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


def _widest_delta(seconds: float) -> int:
    """The largest age in microseconds whose ``total_seconds()`` is within `seconds`.

    ``delta / 1e6`` never falls as delta grows, so "age <= window" is exactly
    "delta <= this"; the comparison is then on whole microseconds.
    """
    if not math.isfinite(seconds) or seconds * 1e6 >= 2.0**62:  # beyond any instant's age
        return 2**63 - 1
    edge = int(seconds * 1e6)
    while (edge + 1) / 1e6 <= seconds:
        edge += 1
    while edge / 1e6 > seconds:
        edge -= 1
    return edge


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


def _decayed(  # noqa: PLR0917  # the touches' parallel columns, one argument each
    rules: tuple[EngagementRule, ...],
    family: int,
    j_of: np.ndarray,
    age: np.ndarray,
    d: np.ndarray,
    at: Any,
    now: Any,
) -> np.ndarray:
    """The points of touches whose rules all decay in one way, each by its own rule."""
    points: np.ndarray = np.array([float(r.points) for r in rules])[j_of]
    if family == 0:
        return points
    if family == 1:
        half = np.array(
            [r.decay.days * DAY if isinstance(r.decay, HalfLife) else 1.0 for r in rules]
        )
        decayed: np.ndarray = points * np.power(0.5, age / half[j_of])
        return decayed
    factor = np.array([r.decay.factor if isinstance(r.decay, CalendarStep) else 1.0 for r in rules])
    if family == 2:
        step = np.array(
            [
                timedelta(weeks=r.decay.weeks, days=r.decay.days) // timedelta(microseconds=1)
                if isinstance(r.decay, CalendarStep) and _family(r) == 2
                else 1
                for r in rules
            ]
        )
        stepped: np.ndarray = points * np.power(factor[j_of], (d // step[j_of]).astype(np.float64))
        return stepped
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
    touch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | int],
) -> tuple[np.ndarray, np.ndarray]:
    """The key (lead and rule) and points of every touch one rule of the layer counts."""
    lead, kind, at, now = touch
    rule_of = np.full(max(kind_codes.values()) + 1, -1, dtype=np.int64)
    for j in layer:
        rule_of[kind_codes[rules[j].kind.value]] = j
    j_all = rule_of[kind]
    delta = now - at
    windows = {window(rules[j]) for j in layer}
    if len(windows) == 1:
        # one window for the layer: one unsigned comparison tests 0 <= delta <= the window
        limit = _widest_delta(next(iter(windows)))
        counted = delta.view(np.uint64) <= np.uint64(limit)
    else:
        limits = np.array([_widest_delta(window(r)) for r in rules] + [0])
        counted = (delta >= 0) & (delta <= limits[j_all])
    if (rule_of < 0).any():
        counted &= j_all >= 0
    chosen = np.flatnonzero(counted)
    j_of, d = j_all[chosen], delta[chosen]
    age = d / 1e6  # timedelta.total_seconds(): microseconds over a million, rounded once
    when = now[chosen] if isinstance(now, np.ndarray) else now
    instants = at[chosen] if any(_family(rules[j]) == 3 for j in layer) else None
    present = sorted({_family(rules[j]) for j in layer})
    if len(present) == 1:
        points = _decayed(rules, present[0], j_of, age, d, instants, when)
    else:
        fam = np.array([_family(r) for r in rules])[j_of]
        rules_per = {f: sum(_family(rules[j]) == f for j in layer) for f in present if f != 3}
        main = max(rules_per, key=rules_per.__getitem__) if rules_per else None
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


def _keys_and_points(
    rules: tuple[EngagementRule, ...],
    layers: list[list[int]],
    kind_codes: dict[str, int],
    touch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | int],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    keys, values = [], []
    for layer in layers:
        key, points = _layer_points(rules, layer, kind_codes, touch)
        keys.append(key)
        values.append(points)
    return keys, values


def _chunks(lead: np.ndarray, parts: int) -> list[slice]:
    """Contiguous slices that never split a lead's touches (the table is sorted by lead)."""
    m = len(lead)
    if parts < 2 or m < 200_000 or not bool(np.all(lead[1:] >= lead[:-1])):
        return [slice(0, m)]
    cuts = [0]
    for i in range(1, parts):
        cut = int(np.searchsorted(lead, lead[m * i // parts], side="left"))
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(m)
    return [slice(a, b) for a, b in itertools.pairwise(cuts) if b > a]


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
    A table sorted by lead is cut into pieces that never split a lead and worked on one
    core each (numpy releases the interpreter's lock), so the sums stay the same.
    """
    r = len(rules)
    layers = _layers(rules, kind_codes)
    if not layers or not len(lead):
        return np.zeros((n, r))
    pieces = _chunks(lead, min(os.cpu_count() or 1, 4))

    def work(part: slice) -> tuple[list[np.ndarray], list[np.ndarray]]:
        when = now[part] if isinstance(now, np.ndarray) else now
        return _keys_and_points(rules, layers, kind_codes, (lead[part], kind[part], at[part], when))

    if len(pieces) == 1:
        results = [work(pieces[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(pieces)) as pool:
            results = list(pool.map(work, pieces))
    keys = [k for ks, _ in results for k in ks]
    values = [v for _, vs in results for v in vs]
    key = keys[0] if len(keys) == 1 else np.concatenate(keys)
    value = values[0] if len(values) == 1 else np.concatenate(values)
    return np.bincount(key, value, minlength=n * r).reshape(n, r)
