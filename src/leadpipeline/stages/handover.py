"""Level one of the four transfers: marketing qualifies and hands over; sales accepts or rejects.

Also sales' own qualification of an accepted lead (SAL to SQL). Every decision records its
evidence (criteria met and missed, the score card) in the events, so the reason for a
handover travels with the lead.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import QualificationError, TransitionError, ValidationError
from leadpipeline.events import (
    Accepted,
    Event,
    HandedOver,
    Nurtured,
    Qualified,
    Rejected,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.qualification import Assessment, Definition, OnMiss, assess
from leadpipeline.rules.returns import find_rejection_reason
from leadpipeline.rules.scoring import ScoreCard
from leadpipeline.rules.timing import TimingStatus, TimingVerdict, timing
from leadpipeline.stages.commands import Nurture, command_name
from leadpipeline.stages.moves import to_role, withdraw_offers

__all__ = [
    "HandoverPackage",
    "accept",
    "expected_quality",
    "hand_back",
    "hand_over",
    "handover_package",
    "qualify",
    "qualify_sql",
    "reject",
]


@attrs.frozen(kw_only=True, field_transformer=typed)
class HandoverPackage:
    """What sales receives with a lead: the lead, why it qualified, and its history so far."""

    lead: Lead
    score_card: ScoreCard
    assessment: Assessment
    timing: TimingVerdict
    expected_quality: str
    history: tuple[Event, ...]


def expected_quality(card: ScoreCard) -> str:
    """The quality sales can expect, in words: the fit grade and the total score."""
    return f"grade {card.grade}, score {card.total:g}"


def _qualify_against(
    lead: Lead,
    definition: Definition,
    playbook: Playbook,
    *,
    now: datetime,
    command: str,
    currently_in: bool,
) -> Assessment:
    result = assess(lead, definition, playbook.scoring, currently_in=currently_in, now=now)
    if not result.qualified:
        raise QualificationError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            assessment=result,
        )
    return result


def _qualified_event(lead: Lead, result: Assessment, *, now: datetime, actor: Party) -> Qualified:
    return Qualified(
        lead_id=lead.id,
        at=now,
        actor=actor,
        definition=result.definition,
        score=result.score_card.total,
        grade=result.score_card.grade,
        criteria=result.results,
    )


def qualify(lead: Lead, playbook: Playbook, *, now: datetime, actor: Party) -> tuple[Event, ...]:
    """Inquiry (or nurture) to MQL when the MQL definition is met; the evidence is recorded."""
    lifecycle = playbook.lifecycle
    target = lifecycle.name_of(Stage.MQL)
    lifecycle.check_move(lead_id=lead.id, src=lead.stage, dst=target, command="qualify")
    result = _qualify_against(
        lead, playbook.mql, playbook, now=now, command="qualify", currently_in=False
    )
    moved = to_role(
        lead,
        playbook,
        Stage.MQL,
        command="qualify",
        now=now,
        actor=actor,
        reason="MQL criteria met",
        owner=Party.marketing(),
    )
    return (_qualified_event(lead, result, now=now, actor=actor), *moved)


def _require(
    lead: Lead, playbook: Playbook, role: Stage, command: str, *, owner: PartyKind, actor: Party
) -> None:
    """The lead is in `role`'s stage, held by `owner`, and `owner` is the one acting."""
    stage = playbook.lifecycle.name_of(role)
    if lead.stage != stage or lead.owner.kind is not owner:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=playbook.lifecycle.allowed_from(lead.stage),
            reason=f"needs a lead in {stage!r} held by {owner.value}; it is held by {lead.owner}",
        )
    if actor.kind is not owner:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=(owner.value,),
            reason=f"only {owner.value} may {command.replace('_', ' ')}, not {actor}",
        )


def hand_over(
    lead: Lead, playbook: Playbook, *, to: Party, now: datetime, actor: Party
) -> tuple[Event, ...]:
    """Marketing passes an MQL to sales once the MQL definition holds and the window is open.

    A lead whose purchase decision is still far off is "too early" even with a high
    score: the handover is refused with the date the window opens.
    """
    _require(lead, playbook, Stage.MQL, "hand_over", owner=PartyKind.MARKETING, actor=actor)
    if to.kind is not PartyKind.SALES:
        raise ValidationError.at("to", f"marketing hands over to sales, not to {to}")
    result = _qualify_against(
        lead, playbook.mql, playbook, now=now, command="hand_over", currently_in=True
    )
    verdict = timing(lead, playbook.default_sales_cycle_months, now=now)
    if verdict.status is TimingStatus.TOO_EARLY and playbook.enforce_handover_window:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command="hand_over",
            allowed=(command_name(Nurture),),
            reason=f"too early: {verdict.reason}",
        )
    card = result.score_card
    return (
        HandedOver(
            lead_id=lead.id,
            at=now,
            actor=actor,
            to_owner=to,
            score=card.total,
            grade=card.grade,
            expected_quality=expected_quality(card),
        ),
        *to_role(
            lead,
            playbook,
            Stage.MQL,
            command="hand_over",
            now=now,
            actor=actor,
            reason="handed over to sales",
            owner=to,
        ),
    )


def handover_package(
    lead: Lead, history: tuple[Event, ...], playbook: Playbook, *, now: datetime
) -> HandoverPackage:
    """Everything sales needs to judge a handed-over lead, computed from values alone."""
    result = assess(lead, playbook.mql, playbook.scoring, currently_in=True, now=now)
    return HandoverPackage(
        lead=lead,
        score_card=result.score_card,
        assessment=result,
        timing=timing(lead, playbook.default_sales_cycle_months, now=now),
        expected_quality=expected_quality(result.score_card),
        history=history,
    )


def accept(lead: Lead, playbook: Playbook, *, now: datetime, actor: Party) -> tuple[Event, ...]:
    """Sales accepts a handed-over MQL against the SAL definition: it becomes SAL.

    A lead that misses the SAL definition is refused with the assessment, or, when the
    playbook's `on_sal_miss` says warn, accepted with the missed criteria recorded.
    """
    _require(lead, playbook, Stage.MQL, "accept", owner=PartyKind.SALES, actor=actor)
    result = assess(lead, playbook.sal, playbook.scoring, currently_in=False, now=now)
    warning = ""
    if not result.qualified:
        if playbook.on_sal_miss is OnMiss.REFUSE:
            raise QualificationError(
                lead_id=lead.id,
                stage=lead.stage,
                command="accept",
                assessment=result,
                allowed=("reject",),
            )
        missed = "; ".join(f"{r.criterion} ({r.observed})" for r in result.missed)
        warning = f"accepted below the {result.definition} definition; missed: {missed}"
    return (
        Accepted(lead_id=lead.id, at=now, actor=actor, criteria=result.results, warning=warning),
        *to_role(
            lead,
            playbook,
            Stage.SAL,
            command="accept",
            now=now,
            actor=actor,
            reason="accepted by sales",
        ),
    )


def hand_back(
    lead: Lead,
    playbook: Playbook,
    *,
    reason: str,
    comment: str,
    now: datetime,
    actor: Party,
    command: str,
    nurtured: str | None = None,
) -> tuple[Event, ...]:
    """Sales gives a lead back to marketing for nurture, with a reason from the catalogue.

    The one decision behind every move from sales to marketing (a rejected handover, a
    lead sales sends to nurture, one the SLA desk returns unanswered): the reason must be
    a code of `playbook.rejection_reasons`, a `Rejected` event records it (which tells
    marketing and stops sales' clocks), and open offers are withdrawn. `nurtured`, when
    given, also records a `Nurtured` event with that text.

    Raises:
        ValidationError: at ``reason`` for a blank or unknown code, naming the catalogue.
        TransitionError: the lifecycle has no move from the lead's stage to nurture.
    """
    find_rejection_reason(reason, playbook.rejection_reasons)
    moved = to_role(
        lead,
        playbook,
        Stage.NURTURE,
        command=command,
        now=now,
        actor=actor,
        reason=f"rejected by sales: {reason}",
        owner=Party.marketing(),
    )
    marker: tuple[Event, ...] = ()
    if nurtured is not None:
        marker = (Nurtured(lead_id=lead.id, at=now, actor=actor, reason=nurtured),)
    withdrawn = withdraw_offers(lead, now=now, actor=actor, reason="lead handed back to marketing")
    return (
        *withdrawn,
        Rejected(lead_id=lead.id, at=now, actor=actor, reason=reason, comment=comment),
        *marker,
        *moved,
    )


def reject(
    lead: Lead,
    playbook: Playbook,
    *,
    reason: str,
    comment: str,
    now: datetime,
    actor: Party,
) -> tuple[Event, ...]:
    """Sales rejects a handed-over MQL with a reason from the playbook; it goes to nurture."""
    _require(lead, playbook, Stage.MQL, "reject", owner=PartyKind.SALES, actor=actor)
    return hand_back(
        lead, playbook, reason=reason, comment=comment, now=now, actor=actor, command="reject"
    )


def qualify_sql(
    lead: Lead, playbook: Playbook, *, now: datetime, actor: Party
) -> tuple[Event, ...]:
    """Inside sales or pre-sales qualifies a SAL as SQL; the evidence is recorded."""
    _require(lead, playbook, Stage.SAL, "qualify_sql", owner=PartyKind.SALES, actor=actor)
    result = _qualify_against(
        lead, playbook.sql, playbook, now=now, command="qualify_sql", currently_in=False
    )
    return (
        _qualified_event(lead, result, now=now, actor=actor),
        *to_role(
            lead,
            playbook,
            Stage.SQL,
            command="qualify_sql",
            now=now,
            actor=actor,
            reason="SQL criteria met",
        ),
    )
