"""A lifecycle with every standard stage renamed, for tests that must not rely on names."""

from __future__ import annotations

import attrs

from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle

RENAMES = {
    "inquiry": "lead",
    "mql": "marketing-qualified",
    "sal": "accepted",
    "sql": "qualified",
    "opportunity": "deal",
    "customer": "won",
    "nurture": "recycle",
    "disqualified": "lost",
}
"""Each standard stage's name in the renamed lifecycle."""

RENAMED = Lifecycle(
    stages=tuple(attrs.evolve(s, name=RENAMES[s.name]) for s in STANDARD_LIFECYCLE.stages),
    moves=frozenset((RENAMES[a], RENAMES[b]) for a, b in STANDARD_LIFECYCLE.moves),
    initial=RENAMES[STANDARD_LIFECYCLE.initial],
)
"""The standard waterfall's shape and roles, every stage under another name."""
