"""Events built from parts already checked, without running their validators again.

Why: `decide` builds these on every transition from a checked lead, a checked command,
the `now` it checked itself (`require_aware`) and stage names of the playbook's
lifecycle; validating those parts again was over a third of a transition's cost. Each
builder is called as its class is and builds an equal value (see
tests/property/test_trusted_events.py). Only decisions whose every part is checked use
them; a public step function a host may call with its own arguments builds through the
class.
"""

from __future__ import annotations

from typing import cast

from leadpipeline._unchecked import unchecked_init
from leadpipeline.events import InteractionRecorded, LeadCaptured, OwnerChanged, StageChanged

__all__ = ["interaction_recorded", "lead_captured", "owner_changed", "stage_changed"]

# Typed as the classes, so the type checker holds each call to the class's own signature.
interaction_recorded = cast("type[InteractionRecorded]", unchecked_init(InteractionRecorded))
lead_captured = cast("type[LeadCaptured]", unchecked_init(LeadCaptured))
owner_changed = cast("type[OwnerChanged]", unchecked_init(OwnerChanged))
stage_changed = cast("type[StageChanged]", unchecked_init(StageChanged))
