"""The partner scorecard: each partner's offers, accepts, returns and wins."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, median, rate
from leadpipeline.events import (
    Completed,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    PartnerAccepted,
    Reclaimed,
    Returned,
)
from leadpipeline.lead import Party, PartyKind

__all__ = ["PartnerScorecard", "PartnerStats", "ReasonCount", "partner_scorecard"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class ReasonCount:
    """How often one reason was given."""

    reason: str
    count: int


@attrs.frozen(kw_only=True, field_transformer=typed)
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


@attrs.frozen(kw_only=True, field_transformer=typed)
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
        captured = capture_of(h, i)
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
                acceptance_rate=rate(t.accepts, t.offers),
                median_time_to_accept=median(t.to_accept),
                returns=sum(t.returns.values()),
                returns_by_reason=tuple(
                    ReasonCount(reason=r, count=c) for r, c in sorted(t.returns.items())
                ),
                reclaims=t.reclaims,
                completed=t.completed,
                wins=t.wins,
                win_rate=rate(t.wins, t.completed),
                median_time_to_complete=median(t.to_complete),
            )
            for pid, t in sorted(tallies.items())
        )
    )
