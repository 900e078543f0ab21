"""Intake: what a capture does with the lead it is given, and the events it records.

A capture records a new lead, merges it into an open lead it duplicates, or sees that its
source record is known (`admit`): the shell looks up the facts this needs (which lead
holds the source record, which open lead duplicates it), the decision is made here.

Why a step of its own: capture is the one command that may meet its lead already
recorded. A host that retries a capture (a timed-out request, a replayed queue message)
must get the same answer, not an error, so the same lead under the same id is a no-op;
a different lead under a taken id is refused, naming the fields that differ.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._snapshots import with_fields
from leadpipeline._typed import typed
from leadpipeline.errors import LeadIdTakenError, TransitionError, ValidationError
from leadpipeline.events import Event, LeadCaptured
from leadpipeline.lead import Lead, Party
from leadpipeline.playbook import Playbook
from leadpipeline.stages._trusted import lead_captured
from leadpipeline.stages.commands import Capture, Merge

__all__ = ["Admission", "CaptureOutcome", "admit", "capture", "recapture"]


# What only events bring, as a capture resets it; the copy keeps the checked lead's other
# parts, so it checks nothing again.
_NOT_DERIVED: dict[str, Any] = {
    "channel": None,
    "offers": (),
    "returned_by": (),
    "lapsed_offers": (),
    "merged_sources": (),
    "erased": False,
    "version": 0,
}
_derived = operator.attrgetter(*_NOT_DERIVED)
_UNDERIVED = tuple(_NOT_DERIVED.values())


def _first(lead: Lead) -> Lead:
    """The snapshot a capture records: what the source says, nothing derived from a history.

    Offers, returns, merged records, erasure and a channel come only from events, so a
    payload that brings them (to take over another lead's source record, say) loses them.
    """
    if type(lead) is not Lead or type(lead.version) is not int:
        return attrs.evolve(lead, **_NOT_DERIVED)  # a host's subclass: built as it built it
    if _derived(lead) == _UNDERIVED:
        return lead  # a fresh lead, as most captures bring: already its own first snapshot
    return with_fields(lead, **_NOT_DERIVED)


def capture(command: Capture, playbook: Playbook, *, now: datetime) -> tuple[Event, ...]:
    """The `LeadCaptured` event of a new lead, which must start in the first stage.

    Raises:
        TransitionError: the lead is not in the lifecycle's first stage.
        ValidationError: its owner may not own that stage, or `now` is naive.
    """
    require_aware("now", now)  # the one part of the event not checked before
    lead = command.lead
    lifecycle = playbook.lifecycle
    if lead.stage != lifecycle.initial:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command="capture",
            allowed=(lifecycle.initial,),
            reason=f"a new lead starts in {lifecycle.initial!r}",
        )
    if lead.owner.kind not in lifecycle.spec(lead.stage).owners:
        raise ValidationError.at("lead.owner", f"{lead.owner} cannot own stage {lead.stage!r}")
    actor: Party = command.actor or lead.owner
    return (lead_captured(lead_id=lead.id, at=now, actor=actor, lead=_first(lead)),)


def _differences(old: object, new: object, path: str) -> Iterator[str]:
    """The dotted paths at which two values differ, descending into attrs values."""
    if old == new:
        return
    cls = type(old)
    if cls is type(new) and attrs.has(cls):
        for field in attrs.fields(cls):
            sub = f"{path}.{field.name}" if path else field.name
            yield from _differences(getattr(old, field.name), getattr(new, field.name), sub)
        return
    yield path


def recapture(lead: Lead, command: Capture, history: Sequence[Event]) -> tuple[Event, ...]:
    """Nothing, when `command` captures the lead `history` starts with; else a refusal.

    `lead` is the recorded lead and `history` the events it was folded from.

    Raises:
        LeadIdTakenError: the id was captured with a different lead (names the fields).
        TransitionError: no history was given to compare with.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Contact, Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> from leadpipeline.events import replay
        >>> now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> new = Lead(id="L-1", source=Source(channel="web", captured_at=now))
        >>> history = capture(Capture(lead=new), DEFAULT_PLAYBOOK, now=now)
        >>> recapture(replay(history), Capture(lead=new), history)
        ()
        >>> other = attrs.evolve(new, contact=Contact(email="ann@example.com"))
        >>> recapture(replay(history), Capture(lead=other), history)
        Traceback (most recent call last):
        ...
        leadpipeline.errors.LeadIdTakenError: ... (differs in contact.email) (allowed: none)
    """
    first = history[0] if history else None
    if not isinstance(first, LeadCaptured):
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command="capture",
            reason="the lead already exists; merge the duplicate instead",
        )
    differences = tuple(_differences(first.lead, _first(command.lead), ""))
    if differences:
        raise LeadIdTakenError(lead_id=lead.id, stage=lead.stage, differences=differences)
    return ()


class CaptureOutcome(enum.StrEnum):
    """What a capture did with the lead it was given."""

    CAPTURED = "captured"
    """A new lead was recorded."""
    ALREADY_CAPTURED = "already_captured"
    """Its source record was captured before: nothing was written."""
    MERGED = "merged"
    """It duplicated an open lead, which took over its source and touches."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Admission:
    """The decision for one incoming lead: the outcome, the lead it lands on, the command.

    `command` is None when nothing is to be written (the source record is known).
    """

    outcome: CaptureOutcome
    lead_id: str
    command: Capture | Merge | None


def admit(
    lead: Lead,
    playbook: Playbook,
    *,
    known: str | None,
    twin: str | None,
    actor: Party | None = None,
) -> Admission:
    """Decide a capture from what the store knows: the record's holder and any duplicate.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-2", source=Source(channel="web", captured_at=at))
        >>> admit(lead, DEFAULT_PLAYBOOK, known=None, twin="L-1").outcome.value
        'merged'
        >>> admit(lead, DEFAULT_PLAYBOOK, known="L-1", twin=None).command is None
        True
    """
    if known is not None:
        return Admission(outcome=CaptureOutcome.ALREADY_CAPTURED, lead_id=known, command=None)
    if playbook.merge_duplicates and twin is not None and twin != lead.id:
        merge = Merge(source=lead.source, interactions=lead.interactions, actor=actor)
        return Admission(outcome=CaptureOutcome.MERGED, lead_id=twin, command=merge)
    return Admission(
        outcome=CaptureOutcome.CAPTURED, lead_id=lead.id, command=Capture(lead=lead, actor=actor)
    )
