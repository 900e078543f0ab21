"""The imperative shell: `Pipeline` loads, asks the core once, and records the answer."""

from leadpipeline.pipeline.cache import LeadCache
from leadpipeline.pipeline.partner_view import PartnerView
from leadpipeline.pipeline.results import CaptureOutcome, CaptureResult, ImportReport, Refusal
from leadpipeline.pipeline.shell import Pipeline
from leadpipeline.pipeline.sweep import StaleSweep

__all__ = [
    "CaptureOutcome",
    "CaptureResult",
    "ImportReport",
    "LeadCache",
    "PartnerView",
    "Pipeline",
    "Refusal",
    "StaleSweep",
]
