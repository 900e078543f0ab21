"""A transition as SQLite rows: the lead's row with its index columns, and what changed.

Kept apart from the store so the row layout and the write that touches only changed
columns can be read (and tested) on their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from leadpipeline._checks import require_aware
from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.adapters.encoding import EncodedSnapshot, EncodedTransition, party_key
from leadpipeline.lead import Party
from leadpipeline.stages.transition import Transition

__all__ = [
    "CHUNK",
    "INDEXED",
    "Row",
    "Write",
    "chunks",
    "filters",
    "holders",
    "instant",
    "micros",
    "read_stored",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICRO


def instant(micros: int) -> datetime:
    return _EPOCH + micros * _MICRO


INDEXED = ("stage", "owner", "email_key", "domain_norm", "name_norm", "due_at")
"""The indexed columns of `leads`, in the order `Row.columns` carries them."""
_DUE = INDEXED.index("due_at")


class Row(NamedTuple):
    """A lead's row in `leads` and its rows in `lead_partners` and `lead_sources`."""

    lead_id: str
    version: int
    columns: tuple[Any, ...]  # the values of INDEXED, in that order
    partners: tuple[str, ...]
    sources: tuple[str, ...]
    snapshot: str = ""

    @property
    def due_at(self) -> int | None:
        due: int | None = self.columns[_DUE]
        return due

    @classmethod
    def of(cls, encoded: EncodedSnapshot, due_at: int | None) -> Row:
        keys = encoded.keys
        # in the order of INDEXED: stage, owner, email_key, domain_norm, name_norm, due_at
        columns = (
            keys.stage,
            encoded.owner,
            encoded.email_digest,
            keys.domain,
            keys.company_name,
            due_at,
        )
        return cls(
            encoded.lead.id,
            encoded.lead.version,
            columns,
            keys.partner_ids,
            keys.source_ids,
            encoded.text,
        )


class Write(NamedTuple):
    """One transition reduced to the rows it writes (see `Row`)."""

    lead_id: str
    expected_version: int
    events: tuple[tuple[str, int, str], ...]
    row: Row
    outbox: tuple[tuple[str, str, int], ...]
    rewrites: tuple[tuple[str, str, int], ...]
    outbox_rewrites: tuple[tuple[str, str, int, str], ...]

    @classmethod
    def of(cls, transition: Transition, texts: SnapshotTexts | None = None) -> Write:
        encoded = EncodedTransition.of(transition, texts)
        lead_id, expected = transition.lead_id, transition.expected_version
        due = transition.due_at
        return cls(
            lead_id,
            expected,
            tuple([(lead_id, expected + i, body) for i, body in enumerate(encoded.events, 1)]),
            Row.of(encoded.snapshot, micros(due) if due is not None else None),
            tuple(
                (lead_id, body, micros(note.created_at))
                for note, body in zip(transition.notifications, encoded.notifications, strict=True)
            ),
            tuple((body, lead_id, version) for version, body in encoded.rewrites),
            tuple(
                (body, error, entry_id, lead_id)
                for entry_id, body, error in encoded.outbox_rewrites
            ),
        )


CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def filters(
    stage: str | None, owner: Party | None, partner_id: str | None, due_before: datetime | None
) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters shared by `query` and `count`."""
    where, params = ["1"], list[Any]()
    if stage is not None:
        where.append("stage = ?")
        params.append(stage)
    if owner is not None:
        where.append("owner = ?")
        params.append(party_key(owner))
    if partner_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM lead_partners p "
            "WHERE p.lead_id = leads.lead_id AND p.partner_id = ?)"
        )
        params.append(partner_id)
    if due_before is not None:
        require_aware("due_before", due_before)
        where.append("due_at IS NOT NULL AND due_at < ?")
        params.append(micros(due_before))
    return " AND ".join(where), params


def read_stored(conn: sqlite3.Connection, lead_ids: Iterable[str]) -> dict[str, Row]:
    """What the file holds now for these leads (absent ones are missing from the result)."""
    wanted = list(dict.fromkeys(lead_ids))
    found: dict[str, tuple[int, tuple[Any, ...]]] = {}
    partners: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for part in chunks(wanted):
        marks = ",".join("?" * len(part))
        for lead_id, version, *columns in conn.execute(
            f"SELECT lead_id, version, {', '.join(INDEXED)} FROM leads WHERE lead_id IN ({marks})",
            part,
        ):
            found[lead_id] = (version, tuple(columns))
    known = list(found)
    for part in chunks(known):
        marks = ",".join("?" * len(part))
        for lead_id, partner_id in conn.execute(
            f"SELECT lead_id, partner_id FROM lead_partners WHERE lead_id IN ({marks})", part
        ):
            partners.setdefault(lead_id, []).append(partner_id)
        for lead_id, source_id in conn.execute(
            f"SELECT lead_id, source_id FROM lead_sources WHERE lead_id IN ({marks})", part
        ):
            sources.setdefault(lead_id, []).append(source_id)
    return {
        lead_id: Row(
            lead_id,
            version,
            columns,
            tuple(partners.get(lead_id, ())),
            tuple(sources.get(lead_id, ())),
        )
        for lead_id, (version, columns) in found.items()
    }


def holders(conn: sqlite3.Connection, sources: Sequence[str]) -> dict[str, str]:
    """The lead holding each of these source records, where one does."""
    found: dict[str, str] = {}
    for part in chunks(sources):
        marks = ",".join("?" * len(part))
        found.update(
            conn.execute(
                f"SELECT source_id, lead_id FROM lead_sources WHERE source_id IN ({marks})", part
            ).fetchall()
        )
    return found
