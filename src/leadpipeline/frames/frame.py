"""What a reader returns: the accepted rows as canonical columns, and every refused row.

Why: one import serves two uses. A back-test scores a million rows on columns and never
needs a `Lead`; a host that captures leads needs the values. A `LeadFrame` holds the
accepted rows once, as an Arrow table whose columns are named by lead field paths, with
the touches as a long table, and builds `Lead` values or histories only when asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs
import pyarrow as pa

from leadpipeline.analytics._history import History
from leadpipeline.frames._build import build_histories, build_leads
from leadpipeline.frames.mapping import ColumnMapping
from leadpipeline.frames.refusals import RowRefusal
from leadpipeline.lead import Lead
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook

__all__ = ["Imported", "LeadFrame"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Imported(Generic[T]):
    """Values built from a frame, and every row refused on the way (the frame's included)."""

    items: tuple[T, ...]
    refused: tuple[RowRefusal, ...] = ()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen(kw_only=True, eq=False)
class LeadFrame:
    """The accepted rows of an import, as columns, with the touches and the refusals.

    `leads` has one row per accepted lead: ``id``, ``row`` (the record number in the
    source), and one column per mapped field, named by its path (``company.employees``),
    plus the outcome columns (``outcome.result``, ``reached.mql``, ...). Instants are UTC
    microseconds. `touches` has one row per touch: ``lead`` (the row of `leads`), ``kind``
    and ``at``, grouped by lead in the order the source gave them.
    `read` counts the records read; `refused` lists every refused row.
    """

    leads: pa.Table
    touches: pa.Table
    mapping: ColumnMapping | None
    read: int
    refused: tuple[RowRefusal, ...] = ()

    def __len__(self) -> int:
        return int(self.leads.num_rows)

    def to_leads(self) -> Imported[Lead]:
        """The accepted rows as `Lead` values, each with its touches as interactions.

        Example:
            >>> from leadpipeline.frames import ColumnMapping, Column, read_records
            >>> mapping = ColumnMapping(id="id", columns=(
            ...     Column(header="channel", field="source.channel"),
            ...     Column(header="created", field="source.captured_at"),
            ...     Column(header="title", field="contact.job_title")))
            >>> frame = read_records([{"id": "L-1", "channel": "web",
            ...                        "created": "2026-03-01T10:00:00Z", "title": float("nan")}],
            ...                      mapping)
            >>> [lead.contact.job_title for lead in frame.to_leads()]
            [None]
        """
        leads, refused = build_leads(self)
        return Imported(items=leads, refused=(*self.refused, *refused))

    def to_histories(self, playbook: Playbook = DEFAULT_PLAYBOOK) -> Imported[History]:
        """Each accepted row as a history for back-tests, decided with `playbook`.

        The lead is captured with its touches; it then moves along the lifecycle's
        waterfall to the furthest stage its outcome columns show, each step at its
        ``reached`` date (or the step before's), and a won or lost result completes it
        at ``closed_at``. A row whose steps the playbook refuses is refused, not bent.
        """
        histories, refused = build_histories(self, playbook)
        return Imported(items=histories, refused=(*self.refused, *refused))
