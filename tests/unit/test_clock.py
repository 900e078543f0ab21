"""The clocks the shell reads `now` from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadpipeline.adapters.clock import SimulatedClock, SystemClock
from leadpipeline.errors import ValidationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TestSystemClock:
    def test_now_is_aware_utc(self) -> None:
        """The system clock tells UTC time with a zone attached."""
        assert SystemClock().now().utcoffset() == timedelta(0)


class TestSimulatedClock:
    def test_stands_still_until_advanced(self) -> None:
        """The clock returns the same instant until advanced, then moves by exactly that."""
        clock = SimulatedClock(T0)
        assert clock.now() == clock.now() == T0
        clock.advance(timedelta(minutes=5))
        assert clock.now() == T0 + timedelta(minutes=5)

    def test_set_jumps_anywhere(self) -> None:
        """Setting the clock jumps to the given instant, backwards included."""
        clock = SimulatedClock(T0)
        clock.set(T0 - timedelta(days=1))
        assert clock.now() == T0 - timedelta(days=1)

    def test_naive_instants_are_refused(self) -> None:
        """A naive start or set time is a ValidationError."""
        with pytest.raises(ValidationError):
            SimulatedClock(datetime(2026, 3, 2, 9, 0))
        clock = SimulatedClock(T0)
        with pytest.raises(ValidationError):
            clock.set(datetime(2026, 3, 2, 9, 0))
