"""A touch's points at its age: the window and the decay, each written once.

Why: the generated scorer writes every rule's decayed points inline, which keeps a batch
fast, and the reference scorer must give the same numbers. Both take the expression from
`points_text`; the reference compiles it into a small function with `points_function`.
So a decay is defined in one place, and the generated code pays no call per touch.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta

from leadpipeline.rules.scoring.rules import CalendarStep, EngagementRule, HalfLife

DAY = 86400.0
"""Seconds in a day: windows and half-lives are given in days, ages are in seconds."""

PointsFn = Callable[[float, timedelta, datetime, datetime], float]
"""A touch's points from its age in seconds, ``now - at``, `at` and `now`."""

_serial = itertools.count()


class Names(Protocol):
    """Where an expression's values go: a literal in the text, or a named constant."""

    def lit(self, value: float) -> str:
        """`value` as a literal where that is exact, else as a constant's name."""

    def const(self, value: Any, hint: str = "c") -> str:
        """The name under which the generated code finds `value`."""


def window(rule: EngagementRule) -> float:
    """How old, in seconds, a touch may be and still count (infinite without a window)."""
    return math.inf if rule.within_days is None else rule.within_days * DAY


def points_text(rule: EngagementRule, names: Names) -> str:
    """The points one touch earns under `rule`, as a Python expression.

    The expression reads the locals ``age`` (seconds, a float), ``delta`` (``now - at``),
    ``at`` and ``now``.

    Example:
        >>> from leadpipeline.lead import InteractionKind
        >>> class Inline:
        ...     def lit(self, value): return repr(value)
        ...     def const(self, value, hint="c"): return hint
        >>> rule = EngagementRule(name="visits", kind=InteractionKind.SITE_VISIT, points=2,
        ...                       decay=HalfLife(days=30))
        >>> points_text(rule, Inline())
        '2.0 * 0.5 ** (age / 2592000.0)'
    """
    p = names.lit(float(rule.points))
    decay = rule.decay
    if decay is None:
        return p
    if isinstance(decay, HalfLife):
        return f"{p} * 0.5 ** (age / {names.lit(decay.days * DAY)})"
    if not decay.months:
        step = names.const(timedelta(weeks=decay.weeks, days=decay.days), "W")
        return f"{p} * float({names.lit(decay.factor)} ** (delta // {step}))"
    return f"{p} * {names.const(_calendar_steps(decay), 'step')}(at, now)"


def _calendar_steps(decay: CalendarStep) -> Callable[[datetime, datetime], float]:
    """The multiplier of a decay by calendar months for a touch at `at`, seen at `now`."""
    factor = decay.factor
    step = relativedelta(months=decay.months, weeks=decay.weeks, days=decay.days)
    approx = timedelta(days=decay.months * 30.436875 + decay.weeks * 7 + decay.days)

    def calendar(at: datetime, now: datetime) -> float:
        k = (now - at) // approx
        while k > 0 and at + step * k > now:
            k -= 1
        while at + step * (k + 1) <= now:
            k += 1
        return float(factor**k)

    return calendar


class _Constants:
    """Names every value as a constant, so a compiled expression needs no literals."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def lit(self, value: float) -> str:
        return self.const(value)

    def const(self, value: Any, hint: str = "c") -> str:
        name = f"_{hint}{len(self.values)}"
        self.values[name] = value
        return name


@functools.lru_cache(maxsize=512)
def points_function(rule: EngagementRule) -> PointsFn:
    """`points_text` of `rule` compiled into a function, for the reference scorer.

    Remembered per rule value: the reference scorer is built anew for every lead it scores,
    and compiling (and registering the text with `linecache`) once per rule is enough.

    Example:
        >>> from leadpipeline.lead import InteractionKind
        >>> rule = EngagementRule(name="visits", kind=InteractionKind.SITE_VISIT, points=2,
        ...                       decay=HalfLife(days=30))
        >>> points_function(rule)(30 * DAY, timedelta(days=30), None, None)
        1.0
    """
    constants = _Constants()
    source = f"lambda age, delta, at, now: {points_text(rule, constants)}\n"
    filename = f"<leadpipeline scoring decay {rule.name!r} #{next(_serial)}>"
    code = compile(source, filename, "eval")
    linecache.cache[filename] = (len(source), None, [source], filename)
    function: PointsFn = eval(code, constants.values)  # our own text, built from the rule
    return function
