"""What a capture does with the lead it is given: record it, merge it, or see it is known.

The shell looks up the two facts this needs (which lead holds the source record, which
open lead the person or company duplicates); the decision itself is made here.
"""

from __future__ import annotations

import enum

import attrs

from leadpipeline._typed import typed
from leadpipeline.lead import Lead, Party
from leadpipeline.playbook import Playbook
from leadpipeline.stages.commands import Capture, Merge

__all__ = ["Admission", "CaptureOutcome", "admit"]


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
