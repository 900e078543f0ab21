"""Engagement rules on a long table of touches: each rule's points per lead, vectorised.

Why: the reference scorer walks a lead's touches one by one; here the touches are aged
once, those inside a window picked once, and their points summed per lead and kind with
one `np.bincount`, which adds a lead's touches in the table's order as the reference
does. The decays mean what `_decay` says: a half-life is the same power of 0.5; a step
decay raises its factor to the same whole number of steps, taken from a table Python's
own ``**`` filled; a calendar step counts months on the UTC calendar with the same
clipping to a month's end as ``relativedelta``.
"""

from __future__ import annotations

import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import attrs
import numpy as np

from leadpipeline.rules.scoring._decay import DAY, window
from leadpipeline.rules.scoring.rules import CalendarStep, Decay, EngagementRule, HalfLife

__all__ = ["engagement_points"]

_DAY_US = 86_400_000_000
_RUN = 1 << 17


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


def _decays(decay: Decay | None, d: np.ndarray, at: Any, now: Any) -> np.ndarray:
    """Each touch's decay factor at its age `d` (``now - at`` in microseconds).

    A half-life is ``0.5 ** (age / half-life)`` with ``age`` in seconds as
    ``timedelta.total_seconds`` gives it; a step decay is the factor to the whole number
    of steps, from a table Python's ``**`` filled.
    """
    if decay is None:
        return np.ones(len(d))
    if isinstance(decay, HalfLife):
        factors: np.ndarray = d / 1e6
        factors /= decay.days * DAY
        np.power(0.5, factors, out=factors)
        return factors
    if not decay.months:
        step = timedelta(weeks=decay.weeks, days=decay.days) // timedelta(microseconds=1)
        return _powers(decay.factor, d // step)
    return _powers(decay.factor, _calendar(d, at, now, decay))


def _by_months(decay: Decay | None) -> bool:
    return isinstance(decay, CalendarStep) and decay.months != 0


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


@attrs.frozen(kw_only=True)
class _Piece:
    """A run of touches whose leads are rows ``lo`` to ``lo + size`` and no other run's."""

    touches: slice
    lo: int
    size: int


def _layer(  # noqa: PLR0917  # the touches' parallel columns, one argument each
    rules: tuple[EngagementRule, ...],
    layer: list[int],
    kind_codes: dict[str, int],
    delta: np.ndarray,
    touch: tuple[np.ndarray, np.ndarray, np.ndarray, Any],
    piece: _Piece,
    out: np.ndarray,
) -> None:
    """One layer's rules on one piece: each touch's decay, summed per lead and kind."""
    lead, kind, at, now = touch
    codes = len(kind_codes)
    code_of = {j: kind_codes[rules[j].kind.value] for j in layer}
    # a touch counts when 0 <= delta < bound, one unsigned comparison; 0 counts none
    bound = np.zeros(max(codes, 1), dtype=np.uint64)
    for j in layer:
        bound[code_of[j]] = _widest_delta(window(rules[j])) + 1
    ages = delta.view(np.uint64)
    if len(code_of) == len(bound) and bool((bound == bound[0]).all()):
        counted = ages < bound[0]
    else:
        counted = ages < bound[kind]
    chosen = np.flatnonzero(counted)
    del counted
    d, c = delta[chosen], kind[chosen]
    calendar = any(_by_months(rules[j].decay) for j in layer)
    instants = at[chosen] if calendar else None
    when = now[chosen] if isinstance(now, np.ndarray) else now
    alike: dict[Decay | None, list[int]] = {}
    for j in layer:
        alike.setdefault(rules[j].decay, []).append(code_of[j])
    main = max(alike, key=lambda decay: len(alike[decay]))
    weights = _decays(main, d, instants, when)
    for decay, its_codes in alike.items():
        if decay == main:
            continue
        member = np.zeros(len(bound), dtype=bool)
        member[its_codes] = True
        mine = np.flatnonzero(member[c])
        weights[mine] = _decays(
            decay,
            d[mine],
            instants[mine] if instants is not None else None,
            when[mine] if isinstance(when, np.ndarray) else when,
        )
    points = np.zeros(len(bound))
    for j in layer:
        points[code_of[j]] = float(rules[j].points)
    weights *= points[c]  # each touch's points, as the reference adds them
    key = np.multiply(c, piece.size, dtype=np.int64)
    key += lead[chosen]
    key -= piece.lo
    sums = np.bincount(key, weights, minlength=codes * piece.size).reshape(codes, piece.size)
    for j in layer:
        out[j, piece.lo : piece.lo + piece.size] = sums[code_of[j]]


def _pieces(lead: np.ndarray, n: int) -> list[_Piece]:
    """Runs of about `_RUN` touches that never split a lead's (when sorted by lead).

    Short runs keep each step's arrays small enough to be reused rather than mapped
    afresh, and let the cores share the work; an unsorted table is one run.
    """
    m = len(lead)
    if m <= _RUN or not bool(np.all(lead[1:] >= lead[:-1])):
        return [_Piece(touches=slice(0, m), lo=0, size=n)]
    cuts = np.unique(np.searchsorted(lead, lead[_RUN::_RUN], side="left")).tolist()
    bounds = [0, *(c for c in cuts if c > 0), m]
    return [
        _Piece(touches=slice(a, b), lo=int(lead[a]), size=int(lead[b - 1]) + 1 - int(lead[a]))
        for a, b in itertools.pairwise(bounds)
    ]


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
    """Each rule's uncapped points per lead, shape ``(len(rules), n)``.

    `lead`, `kind` and `at` are the touch table's columns (row of the lead, a code of
    `kind_codes`, microseconds since the epoch in UTC); `now` is one instant or each
    touch's, in the same unit. A touch after `now` does not count yet; one older than a
    rule's window does not count for that rule. A table sorted by lead is cut into
    short runs that never split a lead, shared among the cores (numpy releases the
    interpreter's lock); each run writes its own leads' columns.
    """
    r = len(rules)
    out = np.zeros((r, n))
    layers = _layers(rules, kind_codes)
    if not layers or not len(lead):
        return out

    def work(piece: _Piece) -> None:
        part = piece.touches
        when = now[part] if isinstance(now, np.ndarray) else now
        delta = when - at[part]
        touch = (lead[part], kind[part], at[part], when)
        for layer in layers:
            _layer(rules, layer, kind_codes, delta, touch, piece, out)

    pieces = _pieces(lead, n)
    workers = min(os.cpu_count() or 1, 4, len(pieces))
    if workers == 1:
        for piece in pieces:
            work(piece)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, pieces))
    return out
