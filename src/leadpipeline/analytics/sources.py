"""Source attribution: SQLs, wins and revenue credited to each original source channel."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import attrs

from leadpipeline._typed import typed
from leadpipeline.analytics._history import (
    History,
    capture_of,
    outcome_of,
    rate,
    stages_reached,
)
from leadpipeline.events import Completed, Outcome
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle, Stage

__all__ = ["SourceAttribution", "SourceStats", "source_attribution"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class SourceStats:
    """One original source channel: leads, how many reached SQL and were won, and revenue."""

    channel: str
    leads: int
    reached_sql: int
    won: int
    sql_rate: float | None
    conversion: float | None
    revenue: float


@attrs.frozen(kw_only=True, field_transformer=typed)
class SourceAttribution:
    """Every original source channel, sorted by channel."""

    sources: tuple[SourceStats, ...]

    def of(self, channel: str) -> SourceStats:
        """The figures of one channel.

        Raises:
            KeyError: no lead came from that channel.
        """
        for s in self.sources:
            if s.channel == channel:
                return s
        raise KeyError(channel)


def source_attribution(
    histories: Iterable[History],
    *,
    sql_stage: str | None = None,
    lifecycle: Lifecycle = STANDARD_LIFECYCLE,
) -> SourceAttribution:
    """Credit SQLs, wins and won revenue to the lead's original source channel.

    The original source is kept forever because it predicts buying potential; this is
    where that shows. `conversion` is won leads over all leads of the channel, and
    `revenue` sums `Completed.revenue` of won completions. A lead reached SQL when it
    reached `sql_stage`, by default the stage playing the SQL role in `lifecycle`.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import Completed, LeadCaptured, Outcome
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=at))
        >>> history = (
        ...     LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),
        ...     Completed(lead_id="L-1", at=at, actor=Party.sales(), outcome=Outcome.WON,
        ...               revenue=12000.0),
        ... )
        >>> stats = source_attribution([history]).of("exhibition")
        >>> stats.won, stats.conversion, stats.revenue
        (1, 1.0, 12000.0)
    """
    sql_name = sql_stage if sql_stage is not None else lifecycle.name_of(Stage.SQL)
    leads: Counter[str] = Counter()
    sql: Counter[str] = Counter()
    won: Counter[str] = Counter()
    revenue: defaultdict[str, float] = defaultdict(float)
    for i, h in enumerate(histories):
        channel = capture_of(h, i).lead.source.channel
        leads[channel] += 1
        sql[channel] += sql_name in stages_reached(h)
        if outcome_of(h) is Outcome.WON:
            won[channel] += 1
        revenue[channel] += sum(
            e.revenue or 0.0 for e in h if isinstance(e, Completed) and e.outcome is Outcome.WON
        )
    return attribution_of_counts({c: (leads[c], sql[c], won[c], revenue[c]) for c in leads})


def attribution_of_counts(
    per_channel: Mapping[str, tuple[int, int, int, float]],
) -> SourceAttribution:
    """The attribution from ``(leads, reached SQL, won, revenue)`` per channel.

    Shared with the distributed back-test (`leadpipeline.spark.source_attribution`).
    """
    return SourceAttribution(
        sources=tuple(
            SourceStats(
                channel=c,
                leads=n,
                reached_sql=sql,
                won=won,
                sql_rate=rate(sql, n),
                conversion=rate(won, n),
                revenue=revenue,
            )
            for c, (n, sql, won, revenue) in sorted(per_channel.items())
        )
    )
