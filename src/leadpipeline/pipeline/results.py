"""What the shell's batch and capture calls report back, as values."""

from __future__ import annotations

import enum

import attrs

from leadpipeline._typed import typed
from leadpipeline.lead import Lead

__all__ = ["CaptureOutcome", "CaptureResult", "ImportReport", "Refusal"]


class CaptureOutcome(enum.StrEnum):
    """What a capture did with the lead it was given."""

    CAPTURED = "captured"
    """A new lead was recorded."""
    ALREADY_CAPTURED = "already_captured"
    """Its source record was captured before: nothing was written."""
    MERGED = "merged"
    """It duplicated an open lead, which took over its source and touches."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class CaptureResult:
    """The lead a capture ended with, and what the capture did."""

    lead: Lead
    outcome: CaptureOutcome


@attrs.frozen(kw_only=True, field_transformer=typed)
class Refusal:
    """One record a batch import refused, and why."""

    index: int
    lead_id: str
    reason: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class ImportReport:
    """The result of `capture_many`: what was captured, skipped as known, and refused."""

    captured: tuple[str, ...] = ()
    already_captured: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()
