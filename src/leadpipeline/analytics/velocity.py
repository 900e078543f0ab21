"""Time in stage: how long leads stay in each stage, so slow handovers show up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, median, p90
from leadpipeline.events import StageChanged
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle

__all__ = ["BusinessClock", "StageTime", "Velocity", "velocity"]


class BusinessClock(Protocol):
    """Anything that measures working time between two instants (a `BusinessCalendar`)."""

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end`."""
        ...


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageTime:
    """Time spent in one stage over all finished stays: how many, median and 90th percentile.

    The 90th percentile is the nearest-rank one: the shortest stay that at least 90 % of
    stays do not exceed.
    """

    stage: str
    stays: int
    median: timedelta
    p90: timedelta


@attrs.frozen(kw_only=True, field_transformer=typed)
class Velocity:
    """Time in stage for every stage left at least once; waterfall stages first."""

    business_time: bool
    stages: tuple[StageTime, ...]

    def of(self, stage: str) -> StageTime | None:
        """The figures of one stage, or None when no lead ever left it."""
        return next((s for s in self.stages if s.stage == stage), None)


def velocity(
    histories: Iterable[History],
    *,
    calendar: BusinessClock | None = None,
    lifecycle: Lifecycle = STANDARD_LIFECYCLE,
) -> Velocity:
    """Time leads spend in each stage, so slow handovers show up.

    A stay runs from entering a stage (capture or `StageChanged`) to leaving it; a stay
    still open is not counted. With `calendar` (anything with ``between(start, end)``, such
    as a `BusinessCalendar`), durations are business time; otherwise wall-clock time.
    Each stay counts once, so a lead nurtured twice gives two nurture stays. Stages come
    in the order of the waterfall of `lifecycle`, then any others by name.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> from leadpipeline.events import LeadCaptured, StageChanged
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> history = (
        ...     LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),
        ...     StageChanged(lead_id="L-1", at=at + timedelta(days=3), actor=Party.marketing(),
        ...                  from_stage="inquiry", to_stage="mql"),
        ... )
        >>> velocity([history]).of("inquiry").median
        datetime.timedelta(days=3)
    """
    stays: dict[str, list[timedelta]] = defaultdict(list)
    for i, h in enumerate(histories):
        captured = capture_of(h, i)
        stage, since = captured.lead.stage, captured.at
        for event in h:
            if isinstance(event, StageChanged):
                end = event.at
                spent = calendar.between(since, end) if calendar is not None else end - since
                stays[stage].append(spent)
                stage, since = event.to_stage, end
    order = lifecycle.waterfall
    ordered = [s for s in order if s in stays] + sorted(s for s in stays if s not in order)
    return Velocity(
        business_time=calendar is not None,
        stages=tuple(
            StageTime(
                stage=s,
                stays=len(stays[s]),
                median=median(stays[s]) or timedelta(0),
                p90=p90(stays[s]) or timedelta(0),
            )
            for s in ordered
        ),
    )
