"""What the shell's batch and capture calls report back, as values."""

from __future__ import annotations

import attrs

from leadpipeline._typed import typed
from leadpipeline.lead import Lead
from leadpipeline.stages.intake import CaptureOutcome

__all__ = ["CaptureOutcome", "CaptureResult", "ImportReport", "Refusal"]


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
