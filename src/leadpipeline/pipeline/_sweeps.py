"""Sweeps: the same commands for many leads, one lead's failure never stopping the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import attrs

from leadpipeline.errors import LeadPipelineError
from leadpipeline.lead import Lead
from leadpipeline.stages import Command, Transition

__all__ = ["Acted", "act_on_each"]

logger = logging.getLogger("leadpipeline.pipeline.shell")


@attrs.frozen
class Acted:
    """What one lead's turn in a sweep recorded, and whether it stopped on a refusal."""

    lead: Lead
    done: tuple[Transition, ...]
    failed: bool

    @property
    def changed(self) -> bool:
        """Whether any of the lead's commands wrote something."""
        return any(t.changed for t in self.done)


def act_on_each(
    run: Callable[[str, Command], Transition],
    leads: Iterable[Lead],
    commands: Callable[[Lead], Iterable[Command]],
    *,
    log: logging.Logger = logger,
) -> Iterator[Acted]:
    """Run each lead's commands in order through `run`, yielding what each lead's turn did.

    A lead that cannot be read or acted on now is logged on `log` and left for the next
    pass (its later commands wait with it); the others go on.
    """
    for lead in leads:
        done: list[Transition] = []
        failed = False
        for command in commands(lead):
            try:
                done.append(run(lead.id, command))
            except LeadPipelineError as exc:
                log.warning("could not act on %s: %s", lead.id, exc, extra={"lead_id": lead.id})
                failed = True
                break
        yield Acted(lead, tuple(done), failed)
