"""Funnel analytics over lead histories: pure functions returning frozen values.

Every function reads histories (each a tuple of events starting with `LeadCaptured`)
and returns a frozen value, so a notebook can compare runs, serialize them, or turn
them into frames with `leadpipeline.notebook`. Nothing here reads a clock: where time
matters, `now` comes in as an argument.

The demand waterfall order is ``inquiry, mql, sal, sql, opportunity, customer``; a lead
*reaches* a stage when it was captured in it or a `StageChanged` moved it there.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import accumulate, compress, repeat
from typing import TYPE_CHECKING, Protocol

import attrs

from leadpipeline._checks import require_aware
from leadpipeline.errors import ValidationError
from leadpipeline.events import (
    Completed,
    Event,
    LeadCaptured,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    PartnerAccepted,
    Reclaimed,
    Returned,
    StageChanged,
    replay,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.qualification import AllOf, AnyOf, Criterion, ScoreAtLeast
from leadpipeline.rules.scoring import ScoringModel, compile_model, score_totals
from leadpipeline.rules.sla import SlaPolicy, deadlines

if TYPE_CHECKING:
    from leadpipeline.playbook import Playbook

__all__ = [
    "WATERFALL",
    "BusinessClock",
    "Funnel",
    "PartnerScorecard",
    "PartnerStats",
    "ReasonCount",
    "ScoredOutcome",
    "SlaAttainment",
    "SlaStats",
    "SourceAttribution",
    "SourceStats",
    "StageReach",
    "StageTime",
    "StepConversion",
    "ThresholdPoint",
    "ThresholdSuggestion",
    "ThresholdSweep",
    "Velocity",
    "Waterfall",
    "WhatIf",
    "WhatIfSide",
    "When",
    "outcome_of",
    "partner_scorecard",
    "scored_outcomes",
    "sla_attainment",
    "source_attribution",
    "suggest_threshold",
    "threshold_sweep",
    "velocity",
    "waterfall",
    "what_if",
]

WATERFALL: tuple[str, ...] = ("inquiry", "mql", "sal", "sql", "opportunity", "customer")
"""The standard demand waterfall, in order."""

History = Sequence[Event]
_NONE = "(none)"


# --- shared helpers ----------------------------------------------------------------------


def _captured(history: History, index: int) -> LeadCaptured:
    if not history or not isinstance(history[0], LeadCaptured):
        raise ValidationError.at(f"histories[{index}]", "a history starts with LeadCaptured")
    return history[0]


def _reached(history: History) -> set[str]:
    first = history[0]
    stages = {first.lead.stage} if isinstance(first, LeadCaptured) else set()
    stages.update(e.to_stage for e in history if isinstance(e, StageChanged))
    return stages


def outcome_of(history: History) -> Outcome | None:
    """How a lead ended: the outcome of its last `Completed` event, or None while open.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> print(outcome_of((LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                                lead=lead),)))
        None
    """
    for event in reversed(history):
        if isinstance(event, Completed):
            return event.outcome
    return None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def _p90(values: Sequence[timedelta]) -> timedelta | None:
    # nearest rank: the smallest value with at least 90 % of the stays at or below it
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


# --- waterfall ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StageReach:
    """How many leads reached one stage."""

    stage: str
    leads: int


@attrs.frozen(kw_only=True)
class StepConversion:
    """Conversion from one waterfall stage to the next; `rate` is None when none started."""

    from_stage: str
    to_stage: str
    from_leads: int
    to_leads: int
    rate: float | None


@attrs.frozen(kw_only=True)
class Funnel:
    """One group's waterfall: leads reaching each stage and each step's conversion."""

    group: str
    leads: int
    reached: tuple[StageReach, ...]
    conversions: tuple[StepConversion, ...]

    def count(self, stage: str) -> int:
        """Leads that reached `stage` (0 for a stage outside the waterfall)."""
        return next((r.leads for r in self.reached if r.stage == stage), 0)

    def rate(self, from_stage: str, to_stage: str) -> float | None:
        """The share of leads reaching `from_stage` that also reached `to_stage`.

        This is the ratio of the two counts, so it also spans several steps.
        """
        return _rate(self.count(to_stage), self.count(from_stage))


@attrs.frozen(kw_only=True)
class Waterfall:
    """The funnel overall and, with `by`, per group (sorted by group key)."""

    by: str | None
    stages: tuple[str, ...]
    total: Funnel
    groups: tuple[Funnel, ...] = ()

    def group(self, key: str) -> Funnel:
        """The funnel of one group.

        Raises:
            KeyError: no lead fell into that group.
        """
        for f in self.groups:
            if f.group == key:
                return f
        raise KeyError(key)


Grouping = str | Callable[[Lead], str]


def _key_fn(by: Grouping, index_path: str) -> tuple[str, Callable[[History], str]]:
    if callable(by):
        segment = by
        return "segment", lambda h: segment(replay(h))

    def first(h: History) -> Lead:
        captured = h[0]
        assert isinstance(captured, LeadCaptured)  # checked by _captured before
        return captured.lead

    match by:
        case "channel":
            return by, lambda h: first(h).source.channel
        case "campaign":
            return by, lambda h: first(h).source.campaign or _NONE
        case "period":
            return by, lambda h: first(h).source.captured_at.strftime("%Y-%m")
        case _:
            raise ValidationError.at(
                index_path,
                f"unknown grouping {by!r}: use 'channel', 'campaign', 'period' or a function",
            )


def _funnel(group: str, reaches: Sequence[set[str]], stages: tuple[str, ...]) -> Funnel:
    counts = [sum(1 for r in reaches if s in r) for s in stages]
    return Funnel(
        group=group,
        leads=len(reaches),
        reached=tuple(StageReach(stage=s, leads=c) for s, c in zip(stages, counts, strict=True)),
        conversions=tuple(
            StepConversion(
                from_stage=stages[i],
                to_stage=stages[i + 1],
                from_leads=counts[i],
                to_leads=counts[i + 1],
                rate=_rate(counts[i + 1], counts[i]),
            )
            for i in range(len(stages) - 1)
        ),
    )


def waterfall(
    histories: Iterable[History],
    *,
    by: Grouping | None = None,
    stages: Sequence[str] | None = None,
) -> Waterfall:
    """Count leads reaching each waterfall stage and the stage-to-stage conversion.

    Shows where the funnel leaks. `by` groups the leads: ``"channel"`` and ``"campaign"``
    of the original source, ``"period"`` (month of capture, ``"2026-03"``), or a function
    of the current lead (a segment). `stages` replaces the standard waterfall order.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured, StageChanged
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> def captured(lead_id):
        ...     lead = Lead(id=lead_id, source=Source(channel="web", captured_at=at))
        ...     return LeadCaptured(lead_id=lead_id, at=at, actor=Party.marketing(), lead=lead)
        >>> to_mql = StageChanged(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                       from_stage="inquiry", to_stage="mql")
        >>> result = waterfall([(captured("L-1"), to_mql), (captured("L-2"),)])
        >>> result.total.count("mql"), result.total.rate("inquiry", "mql")
        (1, 0.5)
    """
    order = tuple(stages) if stages is not None else WATERFALL
    if not order:
        raise ValidationError.at("stages", "name at least one stage")
    items = list(histories)
    reaches = []
    for i, h in enumerate(items):
        _captured(h, i)
        reaches.append(_reached(h))
    total = _funnel("all", reaches, order)
    if by is None:
        return Waterfall(by=None, stages=order, total=total)
    name, key = _key_fn(by, "by")
    grouped: dict[str, list[set[str]]] = defaultdict(list)
    for h, r in zip(items, reaches, strict=True):
        grouped[key(h)].append(r)
    return Waterfall(
        by=name,
        stages=order,
        total=total,
        groups=tuple(_funnel(k, grouped[k], order) for k in sorted(grouped)),
    )


# --- velocity ----------------------------------------------------------------------------


class BusinessClock(Protocol):
    """Anything that measures working time between two instants (a `BusinessCalendar`)."""

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end`."""
        ...


@attrs.frozen(kw_only=True)
class StageTime:
    """Time spent in one stage over all finished stays: how many, median and 90th percentile.

    The 90th percentile is the nearest-rank one: the shortest stay that at least 90 % of
    stays do not exceed.
    """

    stage: str
    stays: int
    median: timedelta
    p90: timedelta


@attrs.frozen(kw_only=True)
class Velocity:
    """Time in stage for every stage left at least once; waterfall stages first."""

    business_time: bool
    stages: tuple[StageTime, ...]

    def of(self, stage: str) -> StageTime | None:
        """The figures of one stage, or None when no lead ever left it."""
        return next((s for s in self.stages if s.stage == stage), None)


def velocity(histories: Iterable[History], *, calendar: BusinessClock | None = None) -> Velocity:
    """Time leads spend in each stage, so slow handovers show up.

    A stay runs from entering a stage (capture or `StageChanged`) to leaving it; a stay
    still open is not counted. With `calendar` (anything with ``between(start, end)``, such
    as a `BusinessCalendar`), durations are business time; otherwise wall-clock time.
    Each stay counts once, so a lead nurtured twice gives two nurture stays.

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
        captured = _captured(h, i)
        stage, since = captured.lead.stage, captured.at
        for event in h:
            if isinstance(event, StageChanged):
                end = event.at
                spent = calendar.between(since, end) if calendar is not None else end - since
                stays[stage].append(spent)
                stage, since = event.to_stage, end
    ordered = [s for s in WATERFALL if s in stays] + sorted(s for s in stays if s not in WATERFALL)
    return Velocity(
        business_time=calendar is not None,
        stages=tuple(
            StageTime(
                stage=s,
                stays=len(stays[s]),
                median=_median(stays[s]) or timedelta(0),
                p90=_p90(stays[s]) or timedelta(0),
            )
            for s in ordered
        ),
    )


# --- SLA attainment ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SlaStats:
    """One SLA policy: clocks answered on time, late, and still open (`overdue` of them)."""

    policy: str
    on_time: int
    late: int
    open: int
    overdue: int
    attainment: float | None


@attrs.frozen(kw_only=True)
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
    calendar: BusinessCalendar,
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
        ...                         at + timedelta(days=1))
        >>> stats = result.of("mql_handover_response")
        >>> stats.on_time, stats.late, stats.open, stats.attainment
        (1, 0, 0, 1.0)
    """
    require_aware("now", now)
    policies = tuple(policies)
    tally: dict[str, Counter[str]] = {p.name: Counter() for p in policies}
    for i, h in enumerate(histories):
        _captured(h, i)
        for d in deadlines(h, policies, calendar):
            counts = tally.setdefault(d.policy, Counter())
            if d.met_at is not None and d.met_at <= now:
                late = d.due_at is not None and d.met_at > d.due_at
                counts["late" if late else "on_time"] += 1
            else:
                counts["open"] += 1
                if d.due_at is not None and d.due_at < now:
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
                attainment=_rate(c["on_time"], judged),
            )
        )
    return SlaAttainment(at=now, policies=tuple(stats))


# --- partner scorecard -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReasonCount:
    """How often one reason was given."""

    reason: str
    count: int


@attrs.frozen(kw_only=True)
class PartnerStats:
    """One partner's record: offers, accepts, returns, completions and their timing.

    `offers` counts `Offered` events plus direct assignments (an accept without an open
    offer), so `acceptance_rate` stays between 0 and 1. `win_rate` is wins over the
    completions the partner reported or held the lead for. Time to accept runs from the
    offer; time to complete from the accept (or from taking ownership).
    """

    partner_id: str
    offers: int
    accepts: int
    acceptance_rate: float | None
    median_time_to_accept: timedelta | None
    returns: int
    returns_by_reason: tuple[ReasonCount, ...]
    reclaims: int
    completed: int
    wins: int
    win_rate: float | None
    median_time_to_complete: timedelta | None


@attrs.frozen(kw_only=True)
class PartnerScorecard:
    """Every partner that appeared in the histories, sorted by id."""

    partners: tuple[PartnerStats, ...]

    def of(self, partner_id: str) -> PartnerStats:
        """The record of one partner.

        Raises:
            KeyError: the partner never appeared.
        """
        for p in self.partners:
            if p.partner_id == partner_id:
                return p
        raise KeyError(partner_id)


@attrs.define
class _PartnerTally:
    offers: int = 0
    accepts: int = 0
    to_accept: list[timedelta] = attrs.Factory(list)
    returns: Counter[str] = attrs.Factory(Counter)
    reclaims: int = 0
    completed: int = 0
    wins: int = 0
    to_complete: list[timedelta] = attrs.Factory(list)


def _partner_of(party: Party | None) -> str | None:
    if party is not None and party.kind is PartyKind.PARTNER:
        return party.partner_id
    return None


def partner_scorecard(histories: Iterable[History]) -> PartnerScorecard:
    """Each partner's acceptance, returns and wins, to see who works leads well.

    A completion counts for the partner that reported it (its actor is that partner) or,
    when someone else recorded it, for the partner holding the lead at the time
    (`OwnerChanged` and `PartnerAccepted` tell who held it).

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> from leadpipeline.events import LeadCaptured, Offered, PartnerAccepted
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> history = (
        ...     LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),
        ...     Offered(lead_id="L-1", at=at, actor=Party.sales(), partner_id="p-1",
        ...             expires_at=at + timedelta(days=2)),
        ...     PartnerAccepted(lead_id="L-1", at=at + timedelta(hours=4),
        ...                     actor=Party.partner("p-1"), partner_id="p-1"),
        ... )
        >>> stats = partner_scorecard([history]).of("p-1")
        >>> stats.acceptance_rate, stats.median_time_to_accept
        (1.0, datetime.timedelta(seconds=14400))
    """
    tallies: dict[str, _PartnerTally] = defaultdict(_PartnerTally)
    for i, h in enumerate(histories):
        captured = _captured(h, i)
        holder = _partner_of(captured.lead.owner)
        held_since: datetime | None = captured.at if holder else None
        open_offers: dict[str, datetime] = {}
        for event in h:
            match event:
                case Offered(partner_id=pid):
                    tallies[pid].offers += 1
                    open_offers[pid] = event.at
                case OfferWithdrawn(partner_id=pid):
                    open_offers.pop(pid, None)
                case PartnerAccepted(partner_id=pid):
                    tally = tallies[pid]
                    tally.accepts += 1
                    offered_at = open_offers.pop(pid, None)
                    if offered_at is None:
                        tally.offers += 1  # a direct assignment: offered and taken at once
                    else:
                        tally.to_accept.append(event.at - offered_at)
                    holder, held_since = pid, event.at
                case OwnerChanged(to_owner=owner):
                    new = _partner_of(owner)
                    if new != holder:
                        holder, held_since = new, event.at if new else None
                case Returned(partner_id=pid, reason=reason):
                    tallies[pid].returns[reason] += 1
                    if holder == pid:
                        holder, held_since = None, None
                case Reclaimed(partner_id=pid):
                    tallies[pid].reclaims += 1
                    if holder == pid:
                        holder, held_since = None, None
                case Completed(outcome=outcome):
                    by = _partner_of(event.actor) or holder
                    if by is None:
                        continue
                    tally = tallies[by]
                    tally.completed += 1
                    tally.wins += outcome is Outcome.WON
                    if by == holder and held_since is not None:
                        tally.to_complete.append(event.at - held_since)
                case _:
                    pass
    return PartnerScorecard(
        partners=tuple(
            PartnerStats(
                partner_id=pid,
                offers=t.offers,
                accepts=t.accepts,
                acceptance_rate=_rate(t.accepts, t.offers),
                median_time_to_accept=_median(t.to_accept),
                returns=sum(t.returns.values()),
                returns_by_reason=tuple(
                    ReasonCount(reason=r, count=c) for r, c in sorted(t.returns.items())
                ),
                reclaims=t.reclaims,
                completed=t.completed,
                wins=t.wins,
                win_rate=_rate(t.wins, t.completed),
                median_time_to_complete=_median(t.to_complete),
            )
            for pid, t in sorted(tallies.items())
        )
    )


# --- source attribution ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SourceStats:
    """One original source channel: leads, how many reached SQL and were won, and revenue."""

    channel: str
    leads: int
    reached_sql: int
    won: int
    sql_rate: float | None
    conversion: float | None
    revenue: float


@attrs.frozen(kw_only=True)
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
    histories: Iterable[History], *, sql_stage: str = "sql"
) -> SourceAttribution:
    """Credit SQLs, wins and won revenue to the lead's original source channel.

    The original source is kept forever because it predicts buying potential; this is
    where that shows. `conversion` is won leads over all leads of the channel, and
    `revenue` sums `Completed.revenue` of won completions.

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
    leads: Counter[str] = Counter()
    sql: Counter[str] = Counter()
    won: Counter[str] = Counter()
    revenue: defaultdict[str, float] = defaultdict(float)
    for i, h in enumerate(histories):
        channel = _captured(h, i).lead.source.channel
        leads[channel] += 1
        sql[channel] += sql_stage in _reached(h)
        if outcome_of(h) is Outcome.WON:
            won[channel] += 1
        revenue[channel] += sum(
            e.revenue or 0.0 for e in h if isinstance(e, Completed) and e.outcome is Outcome.WON
        )
    return SourceAttribution(
        sources=tuple(
            SourceStats(
                channel=c,
                leads=leads[c],
                reached_sql=sql[c],
                won=won[c],
                sql_rate=_rate(sql[c], leads[c]),
                conversion=_rate(won[c], leads[c]),
                revenue=revenue[c],
            )
            for c in sorted(leads)
        )
    )


# --- threshold back-testing --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ScoredOutcome:
    """A lead's score and whether it was eventually won: one row of a back-test."""

    score: float
    won: bool
    lead_id: str = ""


@attrs.frozen(kw_only=True)
class ThresholdPoint:
    """What handing over every lead with ``score >= threshold`` would have given.

    `conversion` is the share of handed-over leads that were won (precision), `recall`
    the share of all wins kept, `lift` the conversion over the base rate.
    """

    threshold: float
    volume: int
    wins: int
    conversion: float
    recall: float | None
    lift: float | None
    volume_per_month: float | None


@attrs.frozen(kw_only=True)
class ThresholdSweep:
    """Every distinct candidate threshold, ascending, as columns (for a million rows).

    Iterate it (or use `point`) for `ThresholdPoint` rows; `thresholds`, `volumes` and
    `wins` are parallel tuples, so volume falls as the threshold rises.
    """

    leads: int
    total_wins: int
    months: float | None
    thresholds: tuple[float, ...]
    volumes: tuple[int, ...]
    wins: tuple[int, ...]

    @property
    def base_rate(self) -> float | None:
        """The share of all leads that were won."""
        return _rate(self.total_wins, self.leads)

    def __len__(self) -> int:
        return len(self.thresholds)

    def point(self, index: int) -> ThresholdPoint:
        """The row at `index` (0 is the lowest threshold, handing over every lead)."""
        volume, wins = self.volumes[index], self.wins[index]
        conversion = wins / volume
        base = self.base_rate
        return ThresholdPoint(
            threshold=self.thresholds[index],
            volume=volume,
            wins=wins,
            conversion=conversion,
            recall=_rate(wins, self.total_wins),
            lift=conversion / base if base else None,
            volume_per_month=volume / self.months if self.months else None,
        )

    def at(self, threshold: float) -> ThresholdPoint | None:
        """The row of the lowest candidate at or above `threshold` (None above them all)."""
        index = bisect_left(self.thresholds, threshold)
        return self.point(index) if index < len(self.thresholds) else None

    def __iter__(self) -> Iterator[ThresholdPoint]:
        return (self.point(i) for i in range(len(self.thresholds)))

    @property
    def points(self) -> tuple[ThresholdPoint, ...]:
        """Every row, lowest threshold first."""
        return tuple(self.point(i) for i in range(len(self.thresholds)))


def _pairs(
    scored: Sequence[tuple[float, bool]] | Sequence[ScoredOutcome],
) -> tuple[list[float], list[bool]]:
    try:  # the fast path: plain (score, won) pairs
        scores = [float(s) for s, _ in scored]  # type: ignore[misc]
        wins = [bool(w) for _, w in scored]  # type: ignore[misc]
    except TypeError:  # ScoredOutcome values (alone or mixed in) are not pairs
        pairs = [(o.score, o.won) if isinstance(o, ScoredOutcome) else o for o in scored]
        scores = [float(s) for s, _ in pairs]
        wins = [bool(w) for _, w in pairs]
    if not all(map(math.isfinite, scores)):
        bad = next(i for i, s in enumerate(scores) if not math.isfinite(s))
        raise ValidationError.at(f"scored[{bad}]", f"score must be finite, got {scores[bad]!r}")
    return scores, wins


def threshold_sweep(
    scored: Sequence[tuple[float, bool]] | Sequence[ScoredOutcome],
    *,
    months: float | None = None,
) -> ThresholdSweep:
    """Back-test every distinct score as a hand-over threshold (``score >= t``) at once.

    Answers "what if we had handed over at t?" for every t in one O(n log n) pass: the
    scores are sorted once and counted cumulatively from the top. `months`, the span the
    data covers, adds the volume per month (what sales capacity is planned in).

    Example:
        >>> sweep = threshold_sweep([(80, True), (60, False), (60, True), (20, False)])
        >>> [(p.threshold, p.volume, p.wins, p.recall) for p in sweep]
        [(20.0, 4, 2, 1.0), (60.0, 3, 2, 1.0), (80.0, 1, 1, 0.5)]
        >>> sweep.at(61).conversion
        1.0
    """
    if months is not None and not (math.isfinite(months) and months > 0):
        raise ValidationError.at("months", f"must be a positive number, got {months!r}")
    scores, won = _pairs(scored)
    per_score = Counter(scores)
    won_per_score = Counter(compress(scores, won))
    top_down = sorted(per_score, reverse=True)
    volumes = list(accumulate(map(per_score.get, top_down, repeat(0))))
    wins = list(accumulate(map(won_per_score.get, top_down, repeat(0))))
    top_down.reverse()
    volumes.reverse()
    wins.reverse()
    return ThresholdSweep(
        leads=len(scores),
        total_wins=wins[0] if wins else 0,
        months=months,
        thresholds=tuple(top_down),
        volumes=tuple(volumes),
        wins=tuple(wins),
    )


@attrs.frozen(kw_only=True)
class ThresholdSuggestion:
    """The suggested threshold with its back-tested row, or None and why none fits."""

    threshold: float | None
    point: ThresholdPoint | None
    reason: str


def suggest_threshold(
    sweep: ThresholdSweep,
    *,
    volume_per_month: float | None = None,
    min_conversion: float | None = None,
) -> ThresholdSuggestion:
    """The lowest threshold (so the most leads) that meets every given target.

    `volume_per_month` is what sales can take (needs `months` on the sweep): the hand-over
    volume must not exceed it. `min_conversion` is the least share of handed-over leads
    that must be won. Finding none is an outcome, not an error: `threshold` is None.

    Example:
        >>> sweep = threshold_sweep([(80, True), (60, False), (60, True), (20, False)],
        ...                         months=1)
        >>> suggest_threshold(sweep, min_conversion=0.6).threshold
        60.0
        >>> suggest_threshold(sweep, volume_per_month=1).threshold
        80.0
    """
    if volume_per_month is None and min_conversion is None:
        raise ValidationError.at("target", "give volume_per_month, min_conversion or both")
    if volume_per_month is not None and sweep.months is None:
        raise ValidationError.at("sweep.months", "a monthly volume target needs the sweep's months")
    wanted = []
    if volume_per_month is not None:
        wanted.append(f"at most {volume_per_month:g} leads a month")
    if min_conversion is not None:
        wanted.append(f"conversion at least {min_conversion:.1%}")
    for i in range(len(sweep)):
        p = sweep.point(i)
        if volume_per_month is not None and (p.volume_per_month or 0.0) > volume_per_month:
            continue
        if min_conversion is not None and p.conversion < min_conversion:
            continue
        return ThresholdSuggestion(
            threshold=p.threshold,
            point=p,
            reason=(
                f"lowest threshold with {' and '.join(wanted)}: {p.volume} leads,"
                f" {p.conversion:.1%} won"
            ),
        )
    return ThresholdSuggestion(
        threshold=None, point=None, reason=f"no threshold gives {' and '.join(wanted)}"
    )


When = datetime | Callable[[History], datetime]
"""One instant for every lead, or a function choosing each lead's instant from its history."""


def _leads_as_of(items: Sequence[History], now: When) -> tuple[list[Lead], list[datetime]]:
    if isinstance(now, datetime):
        require_aware("now", now)
        return [replay(h) for h in items], [now] * len(items)
    leads, instants = [], []
    for i, h in enumerate(items):
        at = now(h)
        require_aware(f"now(histories[{i}])", at)
        # the capture always counts, so a lead exists even before its first event's time
        leads.append(replay([h[0], *(e for e in h[1:] if e.at <= at)]))
        instants.append(at)
    return leads, instants


def _totals(
    model: ScoringModel, leads: Sequence[Lead], instants: Sequence[datetime]
) -> list[float]:
    if len(set(instants)) <= 1:
        return list(score_totals(leads, model, instants[0])) if leads else []
    total = compile_model(model).total
    return [total(lead, at) for lead, at in zip(leads, instants, strict=True)]


def scored_outcomes(
    histories: Iterable[History], model: ScoringModel, *, now: When
) -> tuple[ScoredOutcome, ...]:
    """Score each lead and pair the score with how the lead ended: a back-test's input.

    With a datetime, every lead is replayed to its current state and scored at `now`.
    With a function of the history (for example "when it was handed over"), each lead is
    replayed only up to that instant and scored there, as the decision saw it. Won means
    the last `Completed` of the whole history says won, so open leads count as not won.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=at))
        >>> history = (LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),)
        >>> scored_outcomes([history], DEFAULT_SCORING_MODEL, now=at)
        (ScoredOutcome(score=5.0, won=False, lead_id='L-1'),)
    """
    items = list(histories)
    for i, h in enumerate(items):
        _captured(h, i)
    leads, instants = _leads_as_of(items, now)
    totals = _totals(model, leads, instants)
    return tuple(
        ScoredOutcome(score=t, won=outcome_of(h) is Outcome.WON, lead_id=lead.id)
        for h, lead, t in zip(items, leads, totals, strict=True)
    )


@attrs.frozen(kw_only=True)
class WhatIfSide:
    """One scoring model at its threshold: volume handed over and how it converted."""

    model: str
    threshold: float
    volume: int
    wins: int
    conversion: float | None
    recall: float | None


@attrs.frozen(kw_only=True)
class WhatIf:
    """Two scoring policies side by side on the same leads, and where they disagree."""

    leads: int
    wins: int
    a: WhatIfSide
    b: WhatIfSide
    both: int
    only_a: int
    only_b: int


def _score_threshold(criterion: Criterion) -> float | None:
    match criterion:
        case ScoreAtLeast(group=None, threshold=threshold):
            return threshold
        case AllOf(criteria=criteria) | AnyOf(criteria=criteria):
            found = (_score_threshold(c) for c in criteria)
            return next((t for t in found if t is not None), None)
        case _:
            return None


def _policy(
    policy: ScoringModel | Playbook, threshold: float | None, path: str
) -> tuple[ScoringModel, float]:
    if isinstance(policy, ScoringModel):
        if threshold is None:
            raise ValidationError.at(f"threshold_{path}", "a bare scoring model needs a threshold")
        return policy, threshold
    if threshold is None:
        threshold = _score_threshold(policy.mql.criterion)
        if threshold is None:
            raise ValidationError.at(
                f"threshold_{path}", "the playbook's MQL definition has no total-score threshold"
            )
    return policy.scoring, threshold


def what_if(
    histories: Iterable[History],
    a: ScoringModel | Playbook,
    b: ScoringModel | Playbook,
    *,
    now: When,
    threshold_a: float | None = None,
    threshold_b: float | None = None,
) -> WhatIf:
    """Re-score the same leads with two scoring policies and compare what each hands over.

    Each lead is scored with each side's model at `now` (a datetime, or a function of the
    history choosing each lead's instant, as in `scored_outcomes`); a lead is handed over
    when its score is at least the side's threshold. A `Playbook` side brings its
    ``scoring`` model and, unless a threshold is given, the total-score threshold of its
    MQL definition; a bare `ScoringModel` needs a threshold.
    Wins are leads whose last `Completed` says won.

    Example:
        >>> from datetime import datetime, timezone
        >>> import attrs
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=at))
        >>> history = (LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),)
        >>> result = what_if([history], DEFAULT_SCORING_MODEL, DEFAULT_SCORING_MODEL,
        ...                  now=at, threshold_a=5, threshold_b=10)
        >>> result.a.volume, result.b.volume, result.only_a
        (1, 0, 1)
    """
    model_a, threshold_a = _policy(a, threshold_a, "a")
    model_b, threshold_b = _policy(b, threshold_b, "b")
    items = list(histories)
    for i, h in enumerate(items):
        _captured(h, i)
    leads, instants = _leads_as_of(items, now)
    won = [outcome_of(h) is Outcome.WON for h in items]
    over_a = [s >= threshold_a for s in _totals(model_a, leads, instants)]
    over_b = [s >= threshold_b for s in _totals(model_b, leads, instants)]
    total_wins = sum(won)

    def side(model: ScoringModel, threshold: float, over: list[bool]) -> WhatIfSide:
        volume = sum(over)
        wins = sum(o and w for o, w in zip(over, won, strict=True))
        return WhatIfSide(
            model=model.name,
            threshold=threshold,
            volume=volume,
            wins=wins,
            conversion=_rate(wins, volume),
            recall=_rate(wins, total_wins),
        )

    return WhatIf(
        leads=len(items),
        wins=total_wins,
        a=side(model_a, threshold_a, over_a),
        b=side(model_b, threshold_b, over_b),
        both=sum(x and y for x, y in zip(over_a, over_b, strict=True)),
        only_a=sum(x and not y for x, y in zip(over_a, over_b, strict=True)),
        only_b=sum(y and not x for x, y in zip(over_a, over_b, strict=True)),
    )
