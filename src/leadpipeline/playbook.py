"""The playbook: every policy of the organisation in one value.

Stages, scoring, qualification definitions, channel bands, the partner roster, return
reasons, SLAs and the business calendar live here as data, so a playbook can be loaded from
TOML, diffed, versioned, and tweaked with `attrs.evolve` in a notebook.
"""

from __future__ import annotations

import attrs

from leadpipeline.stages.lifecycle import STANDARD_LIFECYCLE, Lifecycle

__all__ = ["DEFAULT_PLAYBOOK", "Playbook"]


@attrs.frozen(kw_only=True)
class Playbook:
    """All policy values the decisions consult.

    Example:
        >>> import attrs
        >>> custom = attrs.evolve(DEFAULT_PLAYBOOK, name="emea")
        >>> custom.lifecycle is DEFAULT_PLAYBOOK.lifecycle
        True
    """

    name: str = "standard"
    lifecycle: Lifecycle = STANDARD_LIFECYCLE


DEFAULT_PLAYBOOK = Playbook()
"""The standard waterfall with the defaults drawn from the source texts."""
