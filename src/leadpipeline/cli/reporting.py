"""The report a sales manager reads: funnel, journey, SLAs, partners and reasons.

Every figure comes from the stored histories alone (`report_data.gather`), and every stage
is named by the playbook's lifecycle, so a lifecycle with renamed stages reports under its
own names. The text, JSON, CSV and HTML renderings each live in their own module.
"""

from __future__ import annotations

from datetime import datetime

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.cli.report_data import START, Simulation, gather
from leadpipeline.cli.report_text import render_text
from leadpipeline.playbook import Playbook

__all__ = ["START", "report"]


def report(
    store: LeadStore,
    playbook: Playbook,
    *,
    now: datetime | None = None,
    simulation: Simulation | None = None,
) -> str:
    """The funnel, journey, SLA attainment, partner scorecard and reasons of a store, as text.

    Why: the figures a manager reads, from nothing but the stored histories, so the same
    store always prints the same report. `now` (default: the last recorded event) decides
    which SLA clocks count as still open; `simulation` says the data is the demo's.

    Example:
        >>> from leadpipeline.adapters.memory import MemoryStore
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> print(report(MemoryStore(), DEFAULT_PLAYBOOK).splitlines()[0])
        leads: 0 (as of 2026-01-05T08:00:00+00:00, playbook 'standard')
    """
    return render_text(gather(store, playbook, now=now, simulation=simulation))
