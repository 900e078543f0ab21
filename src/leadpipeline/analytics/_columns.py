"""Score columns counted by numpy, without turning them into Python lists first.

A million scores from `score_frame` or a DataFrame column arrive as numpy arrays (or
any object with the buffer protocol); the sweep needs only the distinct scores and,
per score, how many leads and wins it has. numpy counts those in C; only the distinct
thresholds become Python values, in the sweep's tuples. numpy (the ``frames`` extra)
is imported only when such a column arrives, never with the library.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from leadpipeline.errors import ValidationError

__all__ = ["counted_columns", "is_array", "on_grid"]


def _numpy() -> ModuleType | None:
    """numpy, imported on first need; None when it is not installed."""
    found = sys.modules.get("numpy")
    if found is not None:
        return found
    try:
        return importlib.import_module("numpy")
    except ImportError:
        return None


def is_array(column: Any) -> bool:
    """Whether numpy can read `column` in place: a numpy array or a buffer of numbers."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(column, np.ndarray):
        return True
    try:
        memoryview(column)
    except TypeError:
        return False
    return _numpy() is not None


def on_grid(scores: Any, step: float) -> Any:
    """Each score (a numpy array) at the grid point at or below it: ``floor(s / step) * step``.

    The same operations, in the same order, as `leadpipeline.analytics.threshold_sweep`
    takes on plain numbers, so both give the very same grid points.

    Raises:
        ValidationError: a step so small that a score divided by it leaves the floats.
    """
    np = _numpy()
    assert np is not None  # the scores are a numpy array
    quotients = scores / step
    finite = np.isfinite(quotients)
    if not finite.all():
        bad = float(scores[int(np.argmin(finite))])
        raise ValidationError.at("step", f"{step!r} is too small for the score {bad!r}")
    binned: Any = np.floor(quotients) * step
    return binned


def counted_columns(
    totals: Any, won: Any, step: float | None = None
) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
    """Distinct scores (ascending), and the volumes and wins at or above each.

    With `step`, the scores are first put on its grid (`on_grid`).

    Raises:
        ValidationError: a score that is not finite (naming its row), columns of
            different lengths, or a step too small for the scores.
    """
    np = _numpy()
    assert np is not None  # `is_array` said so
    scores = _array(np, totals).astype(np.float64, copy=False).ravel()
    wins = _array(np, won).astype(bool, copy=False).ravel()
    if len(scores) != len(wins):
        raise ValidationError.at("scored.won", f"{len(wins)} outcomes for {len(scores)} scores")
    finite = np.isfinite(scores)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise ValidationError.at(
            f"scored[{bad}]", f"score must be finite, got {float(scores[bad])!r}"
        )
    if step is not None:
        scores = on_grid(scores, step)
    thresholds, which = np.unique(scores, return_inverse=True)
    per_score = np.bincount(which, minlength=len(thresholds))
    won_per_score = np.bincount(which[wins], minlength=len(thresholds))
    volumes = np.cumsum(per_score[::-1])[::-1]
    won_above = np.cumsum(won_per_score[::-1])[::-1]
    return (
        tuple(thresholds.tolist()),
        tuple(volumes.tolist()),
        tuple(won_above.tolist()),
    )


def _array(np: Any, column: Any) -> Any:
    """The column as a numpy array over the same memory (a buffer is read, not copied)."""
    return np.asarray(column if isinstance(column, np.ndarray) else memoryview(column))
