"""A lead's next snapshot, built without validators: the one costly step of a fold.

Why: every part a snapshot takes was checked, in the lead before it or in the event
folded in, so checking the whole lead again per event would be most of a fold's cost.
The events a lead gets most (a stage or owner change, a touch, its capture) each have a
copier of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from leadpipeline._unchecked import unchecked_copy, unchecked_replace
from leadpipeline.lead import Interaction, Lead, Party

__all__ = ["bump", "with_fields", "with_owner", "with_stage", "with_touches", "with_version"]

with_fields = unchecked_copy(Lead)
"""`with_fields(lead, **changes)`: the lead with the fields given by keyword replaced."""

with_stage: Callable[[Lead, str, int], Lead] = unchecked_replace(Lead, ("stage", "version"))
"""`with_stage(lead, stage, version)`: the lead moved to `stage`."""

with_owner: Callable[[Lead, Party, int], Lead] = unchecked_replace(Lead, ("owner", "version"))
"""`with_owner(lead, owner, version)`: the lead handed to `owner`."""

with_touches: Callable[[Lead, tuple[Interaction, ...], int], Lead] = unchecked_replace(
    Lead, ("interactions", "version")
)
"""`with_touches(lead, interactions, version)`: the lead with its touches replaced."""

with_version: Callable[[Lead, int], Lead] = unchecked_replace(Lead, ("version",))
"""`with_version(lead, version)`: the lead as it is, counted as `version`."""


def bump(lead: Lead, **changes: object) -> Lead:
    """The next snapshot: one more event folded in, with the fields it changes."""
    return with_fields(lead, version=lead.version + 1, **changes)
