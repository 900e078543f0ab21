"""Who must act, and by when: the notifications a transition asks the shell to deliver.

A notification is decided here, with the events that cause it, and recorded in the
store's outbox in the same write; a relay delivers it later, at least once. Recipients
are `Party` values, so a host routes them by kind, team and partner id instead of
parsing text. Every notification carries a stable idempotency `key`: the lead, the
version of the event that caused it, its kind and its recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from leadpipeline._checks import aware, non_negative, not_blank
from leadpipeline._typed import typed
from leadpipeline.events import (
    AllocationBlocked,
    CallRequested,
    Completed,
    Escalated,
    Event,
    HandedOver,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    Reclaimed,
    Rejected,
    Returned,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.playbook import Playbook
from leadpipeline.rules.heat import on_duty
from leadpipeline.rules.sla import EscalationAction
from leadpipeline.stages.calls import CALL_STARTS_ON

__all__ = ["Notification", "OutboxEntry", "notifications_for"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class Notification:
    """A message to one party about one lead, with the deadline to act by.

    `role` narrows who at that party hears it: empty for whoever works the lead, or a
    role such as ``"manager"`` when an SLA escalates above the people who missed it.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> note = Notification.about(
        ...     lead_id="L-1", version=4, kind="handed_over",
        ...     recipient=Party.sales(team="inside-sales"),
        ...     message="New MQL from the trade fair", created_at=at)
        >>> note.key
        'L-1:4:handed_over:sales/inside-sales'
    """

    key: str = attrs.field(validator=not_blank)
    lead_id: str = attrs.field(validator=not_blank)
    kind: str = attrs.field(validator=not_blank)
    recipient: Party
    role: str = ""
    message: str = ""
    due_at: datetime | None = attrs.field(default=None, validator=aware)
    created_at: datetime = attrs.field(validator=aware)

    @classmethod
    def about(
        cls,
        *,
        lead_id: str,
        version: int,
        kind: str,
        recipient: Party,
        message: str,
        created_at: datetime,
        due_at: datetime | None = None,
        role: str = "",
    ) -> Notification:
        """A notification keyed by the lead version that caused it, so a retry reuses the key."""
        whom = f"{recipient}@{role}" if role else str(recipient)
        return cls(
            key=f"{lead_id}:{version}:{kind}:{whom}",
            lead_id=lead_id,
            kind=kind,
            recipient=recipient,
            role=role,
            message=message,
            due_at=due_at,
            created_at=created_at,
        )

    def redacted(self) -> Notification:
        """The notification with its free text replaced, for erasure of personal data.

        Example:
            >>> from datetime import datetime, timezone
            >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
            >>> note = Notification(key="k", lead_id="L-1", kind="offered",
            ...                     recipient=Party.partner("p-7"), message="Call Ann Lee",
            ...                     created_at=at)
            >>> note.redacted().message
            'offered: lead L-1 (personal data erased)'
        """
        return attrs.evolve(
            self, message=f"{self.kind}: lead {self.lead_id} (personal data erased)"
        )


@attrs.frozen(kw_only=True, field_transformer=typed)
class OutboxEntry:
    """A notification waiting in (or delivered from) a store's outbox.

    `attempts` counts delivery attempts so far; a failed entry is tried again at
    `next_attempt_at`; `last_error` says why the last attempt failed.
    """

    id: int
    notification: Notification
    attempts: int = attrs.field(default=0, validator=non_negative)
    next_attempt_at: datetime = attrs.field(validator=aware)
    delivered_at: datetime | None = attrs.field(default=None, validator=aware)
    last_error: str = ""

    @property
    def delivered(self) -> bool:
        """Whether the notification has been handed to the notifier successfully."""
        return self.delivered_at is not None


def _named(event: Escalated, playbook: Playbook) -> str:
    """The recipient the policy's step names (``EscalationStep.target``), if any."""
    for policy in playbook.sla_policies:
        if policy.name == event.policy and 0 <= event.step < len(policy.escalation):
            return policy.escalation[event.step].target
    return ""


def _on_the_call(event: Escalated, playbook: Playbook) -> bool:
    """Whether the escalated clock is the five-minute call's (sales on duty answers it)."""
    return any(
        p.name == event.policy and p.starts_on == CALL_STARTS_ON for p in playbook.sla_policies
    )


def _escalation_recipient(event: Escalated, after: Lead, playbook: Playbook) -> tuple[Party, str]:
    """Who hears of an escalation step, and in which role.

    A step that names its recipient reaches that role at the party that must act; a
    manager step without a name reaches the manager of that party.
    """
    responsible = Party.partner(event.partner_id) if event.partner_id else after.owner
    if _on_the_call(event, playbook):
        # the party asked to call, by the same rule that asked it; not marketing's inquiry
        responsible = on_duty(after, playbook.heat)
    named = _named(event, playbook)
    match event.action:
        case EscalationAction.NOTIFY_MANAGER:
            return responsible, named or "manager"
        case EscalationAction.NOTIFY_OWNER:
            return responsible, named
        case EscalationAction.RETURN_TO_MARKETING:
            return Party.marketing(), ""
        case EscalationAction.REASSIGN:
            return after.owner, ""
        case _:
            return responsible, ""


def notifications_for(
    before: Lead | None,
    events: Sequence[Event],
    after: Lead,
    playbook: Playbook,
    *,
    now: datetime,
    due_at: datetime | None,
) -> tuple[Notification, ...]:
    """Who must act after these events, and by when; keyed by the version that caused it.

    `before` is the lead the events apply to (None for a capture); `due_at` is the lead's
    next deadline after them, which a party taking the lead over must meet.
    """
    out: list[Notification] = []
    start = before.version if before is not None else 0
    lead_id = after.id

    def note(
        version: int,
        kind: str,
        recipient: Party,
        message: str,
        due: datetime | None,
        *,
        role: str = "",
    ) -> None:
        out.append(
            Notification.about(
                lead_id=lead_id,
                version=version,
                kind=kind,
                recipient=recipient,
                role=role,
                message=message,
                created_at=now,
                due_at=due,
            )
        )

    for version, event in enumerate(events, start=start + 1):
        match event:
            case HandedOver(to_owner=to):
                quality = event.expected_quality
                message = f"lead {lead_id} handed over ({quality}): accept or reject"
                note(version, "handed_over", to, message, due_at)
            case Offered(partner_id=pid, expires_at=expires):
                message = f"lead {lead_id} is offered to you until {expires.isoformat()}"
                note(version, "offered", Party.partner(pid), message, expires)
            case OfferWithdrawn(partner_id=pid, expired=expired):
                # the reason may name the partner that won: a partner hears only the gist
                why = "it expired" if expired else "the lead went elsewhere"
                message = f"offer of lead {lead_id} withdrawn: {why}"
                note(version, "offer_withdrawn", Party.partner(pid), message, None)
            case OwnerChanged(to_owner=to) if to.kind in (PartyKind.PARTNER, PartyKind.SALES):
                note(
                    version, "assigned", to, f"you now hold lead {lead_id} ({after.stage})", due_at
                )
            case Rejected(reason=reason):
                message = f"sales rejected lead {lead_id}: {reason}"
                note(version, "rejected", Party.marketing(), message, None)
            case Returned(partner_id=pid, reason=reason):
                message = f"partner {pid} returned lead {lead_id}: {reason}"
                to = after.owner if after.owner.kind is PartyKind.SALES else Party.sales()
                note(version, "returned", to, message, None)
            case Reclaimed(partner_id=pid):
                message = f"lead {lead_id} was reclaimed for lack of response"
                note(version, "reclaimed", Party.partner(pid), message, None)
            case Completed(outcome=outcome):
                team = Party.customer_marketing() if outcome is Outcome.WON else Party.marketing()
                message = f"lead {lead_id} completed: {outcome.value}"
                note(version, "completed", team, message, None)
            case Escalated(policy=policy, action=action):
                recipient, role = _escalation_recipient(event, after, playbook)
                message = f"SLA {policy!r} breached on lead {lead_id}: {action}"
                note(version, "escalated", recipient, message, None, role=role)
            case AllocationBlocked(reason=reason):
                message = f"cannot allocate lead {lead_id}: {reason}"
                note(version, "allocation_blocked", Party.sales(), message, None)
            case CallRequested(to=to, due_at=due):
                # the party whose call stops the clock, due when the SLA on the call is
                message = f"hot lead {lead_id} submitted a form: call now"
                note(version, "call_now", to, message, due)
            case _:
                pass
    return tuple(out)
