"""Stale leads acted on: recycled to nurture or dropped, with the reason, by the playbook.

Marketing holds the leads that are still being worked up (inquiries, MQLs, nurture). One
whose low score has not moved for the playbook's period is recycled to nurture, or
dropped when the policy says so or when recycling it once did not help; the event says
why, with the score and the period (`rule="stale"` marks it as the playbook's doing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadpipeline.errors import ValidationError
from leadpipeline.events import Disqualified, Event, Nurtured
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.stale import StaleAction, staleness
from leadpipeline.stages.moves import to_role

__all__ = ["STALE_RULE", "sweep_stale"]

STALE_RULE = "stale"
"""The `rule` of the `Nurtured` and `Disqualified` events a stale sweep records."""


def sweep_stale(
    lead: Lead, playbook: Playbook, history: Sequence[Event], *, now: datetime
) -> tuple[Event, ...]:
    """The events that recycle or drop `lead` if it is stale; nothing if it is not.

    Only a lead marketing holds in an open stage is judged. With the RECYCLE action a
    lead goes to nurture; one already in nurture (or that cannot move there) is
    disqualified, since recycling did not help.

    Raises:
        ValidationError: `history` is not the events `lead` was folded from.

    Example:
        >>> from datetime import timedelta, timezone
        >>> from leadpipeline.events import LeadCaptured, replay
        >>> from leadpipeline.lead import Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> start = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> first = Lead(id="L-1", source=Source(channel="web", captured_at=start))
        >>> history = (LeadCaptured(lead_id="L-1", at=start, actor=Party.marketing(),
        ...                         lead=first),)
        >>> events = sweep_stale(replay(history), DEFAULT_PLAYBOOK, history,
        ...                      now=start + timedelta(days=61))
        >>> [type(e).__name__ for e in events], events[0].rule
        (['Nurtured', 'StageChanged'], 'stale')
    """
    if len(history) != lead.version:
        raise ValidationError.at(
            "history", f"sweep_stale needs the {lead.version} events of lead {lead.id!r}"
        )
    lifecycle = playbook.lifecycle
    if lead.owner.kind is not PartyKind.MARKETING or lead.stage in lifecycle.closed_stages:
        return ()
    found = staleness(history, playbook.stale, playbook.scoring, now=now)
    if not found.stale:
        return ()
    actor = Party.marketing()
    reason = f"stale: {found.reason}"
    nurture = lifecycle.names_of(Stage.NURTURE)
    if (
        playbook.stale.action is StaleAction.RECYCLE
        and nurture
        and lifecycle.can_move(lead.stage, nurture[0])
    ):
        moved = to_role(
            lead,
            playbook,
            Stage.NURTURE,
            command="sweep_stale",
            now=now,
            actor=actor,
            reason=reason,
        )
        return (
            Nurtured(lead_id=lead.id, at=now, actor=actor, reason=reason, rule=STALE_RULE),
            *moved,
        )
    dropped = lifecycle.names_of(Stage.DISQUALIFIED)
    if not dropped or not lifecycle.can_move(lead.stage, dropped[0]):
        return ()
    if playbook.stale.action is StaleAction.RECYCLE:
        reason = f"{reason}; recycled before without progress"
    moved = to_role(
        lead,
        playbook,
        Stage.DISQUALIFIED,
        command="sweep_stale",
        now=now,
        actor=actor,
        reason=reason,
    )
    return (
        Disqualified(lead_id=lead.id, at=now, actor=actor, reason=reason, rule=STALE_RULE),
        *moved,
    )
