"""A batch import decided record by record: what to write, skip or refuse, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.lead import Lead
from leadpipeline.pipeline.results import ImportReport, Refusal
from leadpipeline.playbook import Playbook
from leadpipeline.stages import Capture, Transition, transition

__all__ = ["plan_import"]


def plan_import(  # the batch and what earlier attempts learned of it
    batch: Sequence[Lead],
    playbook: Playbook,
    *,
    now: datetime,
    known_sources: set[str],
    taken: dict[int, str],
    repeated: set[int],
) -> tuple[ImportReport, list[Transition], dict[str, int]]:
    """Decide every record of a batch: the writes to make and what was skipped or refused.

    `known_sources` are the batch's source ids some lead holds already; `taken` maps a
    record to why its id is refused, `repeated` holds records already captured under
    their ids (both learned from conflicts of earlier attempts).
    """
    planned: list[Transition] = []
    index_of: dict[str, int] = {}
    captured: list[str] = []
    known: list[str] = []
    refused: list[Refusal] = []
    known_sources = set(known_sources)
    for index, lead in enumerate(batch):
        source_id = lead.source.source_id
        if index in repeated or (source_id is not None and source_id in known_sources):
            known.append(lead.id)
            continue
        try:
            if index in taken:
                raise ValidationError.at("id", taken[index])
            if lead.id in index_of:
                raise ValidationError.at("id", f"lead id {lead.id!r} appears twice in the batch")
            planned.append(transition(None, Capture(lead=lead), playbook, now=now))
        except LeadPipelineError as exc:
            refused.append(Refusal(index=index, lead_id=lead.id, reason=str(exc)))
            continue
        index_of[lead.id] = index
        if source_id is not None:
            known_sources.add(source_id)
        captured.append(lead.id)
    report = ImportReport(
        captured=tuple(captured), already_captured=tuple(known), refused=tuple(refused)
    )
    return report, planned, index_of
