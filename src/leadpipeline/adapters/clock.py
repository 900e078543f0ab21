"""Clocks: the shell's only source of `now`, so tests and demos can control time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from leadpipeline._checks import require_aware

__all__ = ["Clock", "SimulatedClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current instant; `now()` is always timezone-aware."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""


class SystemClock:
    """The real clock, in UTC.

    Example:
        >>> SystemClock().now().tzinfo is not None
        True
    """

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that stands still until told to move: for tests, demos and what-ifs.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> clock = SimulatedClock(datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc))
        >>> clock.advance(timedelta(minutes=5))
        >>> clock.now().isoformat()
        '2026-03-04T09:05:00+00:00'
    """

    def __init__(self, at: datetime) -> None:
        require_aware("at", at)
        self._lock = threading.Lock()
        self._at = at

    def now(self) -> datetime:
        """The instant the clock was set or advanced to."""
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        """Jump to `at` (backwards too, to replay a scenario)."""
        require_aware("at", at)
        with self._lock:
            self._at = at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        with self._lock:
            self._at += delta
