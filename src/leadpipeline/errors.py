"""One exception hierarchy, rooted at `LeadPipelineError`.

Every refusal carries structured attributes so a host application can match on
type and fields instead of parsing messages. A raised error never leaves state
half-changed: decisions are pure, and stores write atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "LeadPipelineError",
    "NotFoundError",
    "OfferError",
    "PartnerAccessError",
    "QualificationError",
    "SourceConflictError",
    "StoreError",
    "TransitionError",
    "ValidationError",
]


class LeadPipelineError(Exception):
    """The root of every error this library raises on purpose."""


class ValidationError(LeadPipelineError, ValueError):
    """Input data is malformed; `problems` lists each bad field as ``(path, message)``.

    Example:
        >>> err = ValidationError([("company.annual_revenue.amount", "expected a number")])
        >>> str(err)
        'company.annual_revenue.amount: expected a number'
        >>> err.paths
        ('company.annual_revenue.amount',)
    """

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in self.problems))

    @property
    def paths(self) -> tuple[str, ...]:
        """The field paths that were refused, in the order they were found."""
        return tuple(p for p, _ in self.problems)

    @classmethod
    def at(cls, path: str, message: str) -> ValidationError:
        """One problem at one path."""
        return cls([(path, message)])


class ConfigurationError(ValidationError):
    """A playbook, lifecycle or calendar is inconsistent (e.g. an unreachable stage)."""


class TransitionError(LeadPipelineError):
    """A command is not allowed for the lead as it stands.

    Attributes:
        lead_id: the lead the command was for.
        stage: the lead's current stage.
        command: the refused command, or move (``"accept"``, ``"move_stage: sal -> customer"``).
        allowed: what would have been accepted instead, in the terms of the refusal: for
            a step the lead's stage does not permit, the stages it may move to next
            (``"sal -> sql"`` when `command` is itself a move); for a partner's step, the
            partners it is open to; for an owner a stage does not admit, the party kinds
            it does; for an actor who may not take the step, the party kind that may; for
            a capture, the stage new leads start in; where another step must
            come first or may be taken instead, those steps' commands (``allocate_channel``,
            ``nurture``).
        reason: why it was refused, in words.

    Example:
        >>> from leadpipeline.lifecycle import STANDARD_LIFECYCLE
        >>> try:
        ...     STANDARD_LIFECYCLE.check_move(lead_id="L-1", src="sal", dst="customer",
        ...                                   command="move_stage")
        ... except TransitionError as err:
        ...     print(err.command, err.allowed)
        move_stage: sal -> customer ('sal -> disqualified', 'sal -> nurture', 'sal -> sql')
    """

    def __init__(
        self,
        *,
        lead_id: str,
        stage: str,
        command: str,
        allowed: Sequence[str] = (),
        reason: str = "",
    ) -> None:
        self.lead_id = lead_id
        self.stage = stage
        self.command = command
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.reason = reason
        allowed_text = ", ".join(self.allowed) if self.allowed else "none"
        why = f": {reason}" if reason else ""
        super().__init__(
            f"lead {lead_id!r} in stage {stage!r}: {command!r} is not allowed{why}"
            f" (allowed: {allowed_text})"
        )


class QualificationError(TransitionError):
    """A qualification definition was not met; `assessment` lists the criteria met and missed."""

    def __init__(
        self,
        *,
        lead_id: str,
        stage: str,
        command: str,
        assessment: Any,
        allowed: Sequence[str] = (),
    ) -> None:
        self.assessment = assessment
        missed = ", ".join(r.criterion for r in getattr(assessment, "missed", ()))
        super().__init__(
            lead_id=lead_id,
            stage=stage,
            command=command,
            allowed=allowed,
            reason=f"{getattr(assessment, 'definition', 'definition')} not met; missed: {missed}",
        )


class OfferError(TransitionError):
    """A partner acted on an offer it cannot act on: expired, withdrawn, or won by another."""


class PartnerAccessError(TransitionError):
    """A partner acted on a lead it does not hold."""


class ConflictError(LeadPipelineError):
    """An append was based on a stale version; nothing was written.

    Reload the lead and decide again.
    """

    def __init__(self, *, lead_id: str, expected: int, actual: int | None) -> None:
        self.lead_id = lead_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"lead {lead_id!r}: expected version {expected}, store has "
            f"{'no lead' if actual is None else actual}"
        )


class SourceConflictError(ConflictError):
    """A write claims a source record another lead already holds; nothing was written.

    A source record (a badge scan, a form submission) belongs to one lead per store. The
    shell treats this like any conflict: it looks again, and finds the record
    `already_captured` by the lead that won.

    Attributes:
        source_id: the contested source record.
        held_by: the lead that holds it, when the store knows.
    """

    def __init__(self, *, lead_id: str, version: int, source_id: str, held_by: str | None) -> None:
        self.source_id = source_id
        self.held_by = held_by
        super().__init__(lead_id=lead_id, expected=version, actual=version)
        holder = f"lead {held_by!r}" if held_by else "another lead"
        self.args = (f"lead {lead_id!r}: source record {source_id!r} is held by {holder}",)


class NotFoundError(LeadPipelineError, LookupError):
    """No such lead (or none visible to the caller), or no such other thing (`what`)."""

    def __init__(self, lead_id: str, *, what: str = "lead") -> None:
        self.lead_id = lead_id
        self.what = what
        super().__init__(f"{what} {lead_id!r} not found")


class StoreError(LeadPipelineError):
    """A store cannot be used: a foreign or corrupted file, an unknown schema version.

    `lead_id` names the lead when only that lead's stored rows cannot be read; every
    other lead reads as before.
    """

    def __init__(self, message: str, *, lead_id: str | None = None) -> None:
        self.lead_id = lead_id
        super().__init__(message)
