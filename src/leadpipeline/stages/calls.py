"""The five-minute call: a form submit from a hot lead asks the sales team on duty to call.

One rule, decided once: the playbook's `heat` says what hot is, how fast the call is due
and who is on duty; the decision records a `CallRequested` event with the submit, and both
the call-now notification and the SLA clock on the call read that event, counting from
the submit's own time. A submit recorded alone, captured with its lead (the usual web
form) or merged in from a duplicate capture all ask the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from leadpipeline.events import (
    CallRequested,
    Event,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    evolve,
)
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party
from leadpipeline.playbook import Playbook
from leadpipeline.rules.heat import hot_submit, on_duty
from leadpipeline.rules.sla import deadlines

__all__ = ["CALL_STARTS_ON", "call_requests", "with_call"]

CALL_STARTS_ON = "CallRequested"
"""The event an SLA on the five-minute call starts on."""


def _awaiting_call(history: Sequence[Event], playbook: Playbook) -> bool:
    """Whether an earlier call request is still unanswered: sales was asked already."""
    if not any(type(e).__name__ == CALL_STARTS_ON for e in history):
        return False
    policies = tuple(p for p in playbook.sla_policies if p.starts_on == CALL_STARTS_ON)
    return any(d.met_at is None for d in deadlines(history, policies, playbook.calendar))


def call_requests(
    after: Lead,
    touches: Iterable[Interaction],
    playbook: Playbook,
    *,
    now: datetime,
    actor: Party,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """The call a form submit among `touches` asks for, if the lead was hot when it came.

    `after` is the lead with the touches folded in. Only the latest submit counts, and
    only while it is recent (within the policy's `hot_recent_days` of `now`): an old
    submit brought in by an import asks nobody to call. While an earlier request is
    unanswered (`history` shows its clock open), sales is not asked again.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> at = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
        >>> touches = tuple(Interaction(kind=InteractionKind.SITE_VISIT, at=at - timedelta(hours=h))
        ...                 for h in (1, 2, 3, 4)) + (
        ...     Interaction(kind=InteractionKind.FORM_SUBMIT, at=at),)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             interactions=touches)
        >>> (call,) = call_requests(lead, touches, DEFAULT_PLAYBOOK, now=at,
        ...                         actor=Party.marketing())
        >>> str(call.to), call.due_at.isoformat()
        ('sales/inside-sales', '2026-03-04T12:05:00+00:00')
    """
    policy = playbook.heat
    submits = [t for t in touches if t.kind is InteractionKind.FORM_SUBMIT]
    if not submits:
        return ()
    submit = max(submits, key=lambda t: t.at)
    if now - submit.at > timedelta(days=policy.hot_recent_days):
        return ()
    verdict = hot_submit(after, submit, policy)
    if verdict.call_by is None or _awaiting_call(history, playbook):
        return ()
    return (
        CallRequested(
            lead_id=after.id,
            at=now,
            actor=actor,
            to=on_duty(after, policy),
            submitted_at=submit.at,
            due_at=verdict.call_by,
            reason=verdict.reason,
        ),
    )


def with_call(
    lead: Lead | None,
    event: LeadCaptured | InteractionRecorded | Merged,
    playbook: Playbook,
    *,
    now: datetime,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """`event`, followed by the call the touches it brings ask for (see `call_requests`)."""
    match event:
        case LeadCaptured(lead=first):
            touches: tuple[Interaction, ...] = first.interactions
        case InteractionRecorded(interaction=touch):
            touches = (touch,)
        case Merged(interactions=merged):
            touches = merged
    no_submit = all(t.kind is not InteractionKind.FORM_SUBMIT for t in touches)
    if no_submit and (lead is None or event.lead_id == lead.id):
        return (event,)  # no call: the lead after need not be folded (evolve checks the id)
    after = evolve(lead, event)
    calls = call_requests(after, touches, playbook, now=now, actor=event.actor, history=history)
    return (event, *calls)
