"""Sweeps: the same commands for many leads, one lead's failure never stopping the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from leadpipeline.errors import LeadPipelineError
from leadpipeline.lead import Lead
from leadpipeline.stages import Command, Transition

__all__ = ["act_on_leads"]

logger = logging.getLogger("leadpipeline.pipeline.shell")


class Runs(Protocol):
    """What a sweep needs of the shell: one recorded command at a time."""

    def run(self, lead_id: str, command: Command) -> Transition: ...


def act_on_leads(
    shell: Runs, leads: Iterable[Lead], commands: Callable[[Lead], Iterable[Command]]
) -> tuple[str, ...]:
    """Run each lead's commands in order; the ids of the leads that changed.

    A lead that cannot be read or acted on now is logged and left for the next pass (its
    later commands wait with it); the others go on.
    """
    touched: list[str] = []
    for lead in leads:
        changed = False
        for command in commands(lead):
            try:
                changed = shell.run(lead.id, command).changed or changed
            except LeadPipelineError as exc:
                logger.warning("could not act on %s: %s", lead.id, exc, extra={"lead_id": lead.id})
                break
        if changed:
            touched.append(lead.id)
    return tuple(touched)
