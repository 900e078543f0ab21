"""The stale sweep: ask the core about every lead marketing holds, record what it decides.

Why a module of its own: the sweep is a batch over the store, like escalation, but its
question is the playbook's stale policy. The core decides per lead (`SweepStale`); this
only walks the leads, records each answer through the one write path, and sums it up.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Protocol

import attrs

from leadpipeline._checks import aware
from leadpipeline._typed import typed
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.events import Disqualified, Nurtured
from leadpipeline.lead import Party
from leadpipeline.pipeline._sweeps import act_on_each
from leadpipeline.playbook import Playbook
from leadpipeline.stages import STALE_RULE, Command, SweepStale, Transition

__all__ = ["StaleSweep", "sweep_stale"]

logger = logging.getLogger(__name__)


class Sweeps(Protocol):
    """What the sweep needs of the shell: its playbook, its store, one write at a time."""

    playbook: Playbook
    store: LeadStore

    def run(self, lead_id: str, command: Command, *, now: datetime | None = None) -> Transition: ...


@attrs.frozen(kw_only=True, field_transformer=typed)
class StaleSweep:
    """What a stale sweep did: how many leads it judged, which it recycled or dropped.

    Each recycled or dropped lead has a `Nurtured` or `Disqualified` event in its history
    with the reason (score, period, ceiling); `failed` lists leads that could not be
    judged now (logged), left for the next sweep.
    """

    now: datetime = attrs.field(validator=aware)
    checked: int
    recycled: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for logs and reports."""
        return (
            f"stale sweep at {self.now.isoformat()}: {self.checked} checked, "
            f"{len(self.recycled)} recycled to nurture, {len(self.dropped)} dropped, "
            f"{len(self.failed)} failed"
        )


def sweep_stale(pipeline: Sweeps, *, now: datetime) -> StaleSweep:
    """Recycle or drop every stale lead marketing holds, as of `now` (`Pipeline.sweep_stale`)."""
    recycled: list[str] = []
    dropped: list[str] = []
    failed: list[str] = []
    closed = pipeline.playbook.lifecycle.closed_stages
    # done leads (won or dropped) are never stale: not worth a load each
    leads = [
        lead for lead in pipeline.store.query(owner=Party.marketing()) if lead.stage not in closed
    ]
    run = partial(pipeline.run, now=now)
    for turn in act_on_each(run, leads, lambda _: (SweepStale(),), log=logger):
        if turn.failed:
            failed.append(turn.lead.id)
        for event in (e for done in turn.done for e in done.events):
            if isinstance(event, Nurtured) and event.rule == STALE_RULE:
                recycled.append(turn.lead.id)
            elif isinstance(event, Disqualified) and event.rule == STALE_RULE:
                dropped.append(turn.lead.id)
    return StaleSweep(
        now=now,
        checked=len(leads),
        recycled=tuple(recycled),
        dropped=tuple(dropped),
        failed=tuple(failed),
    )
