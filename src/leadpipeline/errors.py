"""One exception hierarchy, rooted at `LeadPipelineError`.

Every refusal carries structured attributes so a host application can match on
type and fields instead of parsing messages. A raised error never leaves state
half-changed: decisions are pure, and stores write atomically.

Errors are data at a service's edge: `to_dict()` gives the type, message, field path,
suggested HTTP status and the structured details, and `http_status` says which status a
service answers with (the table is in docs/service.md). The JSON Schema of that body is
`leadpipeline.schema.json_schema("error")`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "LeadIdTakenError",
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


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class LeadPipelineError(Exception):
    """The root of every error this library raises on purpose.

    Example:
        >>> NotFoundError("L-9").to_dict()
        {'type': 'not_found_error', 'message': "lead 'L-9' not found", 'path': None,
         'status': 404, 'details': {'lead_id': 'L-9', 'what': 'lead'}}
    """

    http_status: ClassVar[int] = 500
    """The HTTP status a service answers with: a failure of ours unless a subclass says."""

    @property
    def path(self) -> str | None:
        """The field path of the refused input (``""`` for the whole of it), if any."""
        return None

    def details(self) -> dict[str, Any]:
        """The error's structured attributes as plain data (strings, numbers, lists)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The error as a response body: type, message, path, status and details."""
        return {
            "type": _snake(type(self).__name__),
            "message": str(self),
            "path": self.path,
            "status": self.http_status,
            "details": self.details(),
        }


class ValidationError(LeadPipelineError, ValueError):
    """Input data is malformed; `problems` lists each bad field as ``(path, message)``.

    Example:
        >>> err = ValidationError([("company.annual_revenue.amount", "expected a number")])
        >>> str(err)
        'company.annual_revenue.amount: expected a number'
        >>> err.paths
        ('company.annual_revenue.amount',)
    """

    http_status: ClassVar[int] = 422

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in self.problems))

    @property
    def paths(self) -> tuple[str, ...]:
        """The field paths that were refused, in the order they were found."""
        return tuple(p for p, _ in self.problems)

    @property
    def path(self) -> str | None:
        """The first refused field path."""
        return self.problems[0][0] if self.problems else None

    def details(self) -> dict[str, Any]:
        """Every problem with its path."""
        return {"problems": [{"path": p, "message": m} for p, m in self.problems]}

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

    http_status: ClassVar[int] = 409

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

    def details(self) -> dict[str, Any]:
        """The lead, its stage, the refused command, what is allowed instead, and why."""
        return {
            "lead_id": self.lead_id,
            "stage": self.stage,
            "command": self.command,
            "allowed": list(self.allowed),
            "reason": self.reason,
        }


class QualificationError(TransitionError):
    """A qualification definition was not met; `assessment` lists the criteria met and missed.

    `problems` names each missed criterion with what was observed, in the shape of
    `ValidationError.problems`, so a host reports both alike.
    """

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

    @property
    def definition(self) -> str:
        """The name of the definition that was not met (``"mql"``, ``"sql"``)."""
        return str(getattr(self.assessment, "definition", ""))

    @property
    def missed(self) -> tuple[Any, ...]:
        """The `CriterionResult` of each missed criterion."""
        return tuple(getattr(self.assessment, "missed", ()))

    @property
    def problems(self) -> tuple[tuple[str, str], ...]:
        """Each missed criterion as ``(criterion, what was observed)``."""
        return tuple(
            (r.criterion, f"not met (observed: {r.observed})" if r.observed else "not met")
            for r in self.missed
        )

    def details(self) -> dict[str, Any]:
        """The refusal's details plus the definition and every criterion met and missed."""
        return {
            **super().details(),
            "definition": self.definition,
            "met": [r.criterion for r in getattr(self.assessment, "met", ())],
            "missed": [{"criterion": r.criterion, "observed": r.observed} for r in self.missed],
        }


class OfferError(TransitionError):
    """A partner acted on an offer it cannot act on: expired, withdrawn, or won by another."""


class PartnerAccessError(TransitionError):
    """A partner acted on a lead it does not hold."""

    http_status: ClassVar[int] = 403


class LeadIdTakenError(TransitionError):
    """A capture named a lead id already captured with a different lead; nothing is written.

    Capturing the same lead again is harmless (`already_captured`); `differences` lists the
    field paths where this lead differs from the one captured first.
    """

    def __init__(self, *, lead_id: str, stage: str, differences: Sequence[str]) -> None:
        self.differences: tuple[str, ...] = tuple(differences)
        super().__init__(
            lead_id=lead_id,
            stage=stage,
            command="capture",
            reason="the id was captured before with a different lead (differs in "
            f"{', '.join(self.differences) or 'nothing'})",
        )

    def details(self) -> dict[str, Any]:
        """The refusal's details plus the differing field paths."""
        return {**super().details(), "differences": list(self.differences)}


class ConflictError(LeadPipelineError):
    """An append was based on a stale version; nothing was written.

    Reload the lead and decide again.
    """

    http_status: ClassVar[int] = 409

    def __init__(self, *, lead_id: str, expected: int, actual: int | None) -> None:
        self.lead_id = lead_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"lead {lead_id!r}: expected version {expected}, store has "
            f"{'no lead' if actual is None else actual}"
        )

    def details(self) -> dict[str, Any]:
        """The lead, the version the write expected and the one the store holds."""
        return {"lead_id": self.lead_id, "expected": self.expected, "actual": self.actual}


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

    def details(self) -> dict[str, Any]:
        """The lead, the contested source record, and the lead that holds it."""
        return {"lead_id": self.lead_id, "source_id": self.source_id, "held_by": self.held_by}


class NotFoundError(LeadPipelineError, LookupError):
    """No such lead (or none visible to the caller), or no such other thing (`what`)."""

    http_status: ClassVar[int] = 404

    def __init__(self, lead_id: str, *, what: str = "lead") -> None:
        self.lead_id = lead_id
        self.what = what
        super().__init__(f"{what} {lead_id!r} not found")

    def details(self) -> dict[str, Any]:
        """What was looked for, and its id."""
        return {"lead_id": self.lead_id, "what": self.what}


class StoreError(LeadPipelineError):
    """A store cannot be used: a foreign or corrupted file, an unknown schema version.

    `lead_id` names the lead when only that lead's stored rows cannot be read; every
    other lead reads as before.
    """

    def __init__(self, message: str, *, lead_id: str | None = None) -> None:
        self.lead_id = lead_id
        super().__init__(message)
