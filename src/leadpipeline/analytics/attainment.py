"""SLA attainment: whether the promises between marketing, sales and partners are kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, rate
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.sla import PartyCalendars, SlaPolicy, deadlines

__all__ = ["SlaAttainment", "SlaStats", "sla_attainment"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class SlaStats:
    """One SLA policy: clocks answered on time, late, and still open (`overdue` of them)."""

    policy: str
    on_time: int
    late: int
    open: int
    overdue: int
    attainment: float | None


@attrs.frozen(kw_only=True, field_transformer=typed)
class SlaAttainment:
    """Attainment of every SLA policy at `at`, in policy order."""

    at: datetime
    policies: tuple[SlaStats, ...]

    def of(self, policy: str) -> SlaStats:
        """The figures of one policy.

        Raises:
            KeyError: no such policy.
        """
        for p in self.policies:
            if p.policy == policy:
                return p
        raise KeyError(policy)


def sla_attainment(
    histories: Iterable[History],
    policies: Sequence[SlaPolicy],
    calendar: BusinessCalendar | PartyCalendars,
    *,
    now: datetime,
) -> SlaAttainment:
    """Per SLA policy: clocks answered on time, late, and still open at `now`.

    Shows whether the promises between marketing, sales and partners are kept. Clocks
    come from `leadpipeline.rules.sla.deadlines`. A clock is on time when its stop event
    came by the due time, late when after it; an open clock is *overdue* once `now` is
    past its due time. `attainment` is on time over on time, late and overdue: clocks
    not yet due are left out, as they may still be kept. A stop after `now` counts as open.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> from leadpipeline.events import Accepted, HandedOver, LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
        >>> at = datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc)  # a Wednesday
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> history = (
        ...     LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ...     Accepted(lead_id="L-1", at=at + timedelta(hours=2), actor=Party.sales()),
        ... )
        >>> result = sla_attainment([history], DEFAULT_SLA_POLICIES, STANDARD_CALENDAR,
        ...                         now=at + timedelta(days=1))
        >>> stats = result.of("mql_handover_response")
        >>> stats.on_time, stats.late, stats.open, stats.attainment
        (1, 0, 0, 1.0)
    """
    require_aware("now", now)
    now = now.astimezone(UTC)  # real instants: one zone's repeated hour compares as equal
    policies = tuple(policies)
    tally: dict[str, Counter[str]] = {p.name: Counter() for p in policies}
    for i, h in enumerate(histories):
        capture_of(h, i)
        for d in deadlines(h, policies, calendar):
            counts = tally.setdefault(d.policy, Counter())
            if d.met_at is not None and d.met_at.astimezone(UTC) <= now:
                counts["late" if d.late is not None else "on_time"] += 1
            else:
                counts["open"] += 1
                if d.due_at is not None and d.due_at.astimezone(UTC) < now:
                    counts["overdue"] += 1
    stats = []
    for name, c in tally.items():
        judged = c["on_time"] + c["late"] + c["overdue"]
        stats.append(
            SlaStats(
                policy=name,
                on_time=c["on_time"],
                late=c["late"],
                open=c["open"],
                overdue=c["overdue"],
                attainment=rate(c["on_time"], judged),
            )
        )
    return SlaAttainment(at=now, policies=tuple(stats))
