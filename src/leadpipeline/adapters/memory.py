"""`MemoryStore`: the reference `LeadStore`, in process memory.

For tests, notebooks and demos. It raises the same `ConflictError` a database does, so code
tested against it behaves the same against SQLite or a host's own store.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar, cast

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline._unchecked import unchecked_init
from leadpipeline.adapters.ports import (
    LeadKeys,
    claims_of,
    distinct_source_ids,
    normalise_company_name,
    normalise_domain,
    normalise_email,
    refuse_held,
)
from leadpipeline.errors import ConflictError, NotFoundError
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.stages.notify import Notification, OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = ["MemoryStore"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class _Record:
    events: tuple[Event, ...]
    snapshot: Lead
    keys: LeadKeys
    due_at: datetime | None


# Built on every write from a checked transition and events stored before: checking the
# whole history's types again would make a write's cost grow with the lead's history.
_record_from_checked = cast("type[_Record]", unchecked_init(_Record))

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _urgency(record: _Record) -> tuple[bool, datetime, str]:
    due = record.due_at if record.due_at is not None else _EPOCH
    return (record.due_at is None, due, record.snapshot.id)


K = TypeVar("K")


def _emails(keys: LeadKeys) -> tuple[str, ...]:
    return (keys.email,) if keys.email is not None else ()


def _companies(keys: LeadKeys) -> tuple[tuple[str, str], ...]:
    if keys.domain is None or keys.company_name is None:
        return ()
    return ((keys.domain, keys.company_name),)


def _unindex(index: dict[K, set[str]], keys: Iterable[K], lead_id: str) -> None:
    """Take a lead out of an index under each of its old keys, dropping emptied keys."""
    for key in keys:
        held = index.get(key)
        if held is not None:
            held.discard(lead_id)
            if not held:
                del index[key]


class MemoryStore:
    """A thread-safe in-memory `LeadStore`.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import DEFAULT_PLAYBOOK, Capture, Lead, Source
        >>> from leadpipeline.stages import transition
        >>> now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now))
        >>> store = MemoryStore()
        >>> store.record(transition(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=now))
        >>> store.load("L-1").version
        1
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leads: dict[str, _Record] = {}
        # index keys to the leads holding them, kept in step by `_put`, so a capture's
        # lookups cost the same at fifty thousand leads as at one thousand
        self._by_source: dict[str, set[str]] = {}
        self._by_email: dict[str, set[str]] = {}
        self._by_company: dict[tuple[str, str], set[str]] = {}
        self._outbox: dict[int, OutboxEntry] = {}
        self._entries_of: dict[str, list[int]] = {}
        # (next attempt, id) of every undelivered entry, kept sorted: `pending` reads the
        # front instead of sorting the whole outbox on every relay pass
        self._due: list[tuple[datetime, int]] = []
        self._next_id = 1

    # -- reading ------------------------------------------------------------------

    def _record(self, lead_id: str) -> _Record:
        try:
            return self._leads[lead_id]
        except KeyError:
            raise NotFoundError(lead_id) from None

    def load(self, lead_id: str) -> Lead:
        """The current snapshot (see `LeadStore.load`)."""
        with self._lock:
            return self._record(lead_id).snapshot

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (see `LeadStore.history`)."""
        with self._lock:
            return self._record(lead_id).events

    def find_by_source_id(self, source_id: str) -> str | None:
        """The lead captured from or merged with this source record, if any."""
        return self.find_by_source_ids((source_id,)).get(source_id)

    def find_by_source_ids(self, source_ids: Iterable[str]) -> dict[str, str]:
        """The lead of each known source record (see `LeadStore.find_by_source_ids`)."""
        wanted = distinct_source_ids(source_ids)
        with self._lock:
            return {
                source_id: min(found)
                for source_id in wanted
                if (found := self._by_source.get(source_id))
            }

    def find_duplicate(
        self,
        *,
        email: str | None,
        domain: str | None,
        company_name: str | None,
        closed_stages: Iterable[str],
    ) -> str | None:
        """An open lead with the same email, or the same domain and company name."""
        email_n = normalise_email(email)
        domain_n = normalise_domain(domain)
        name_n = normalise_company_name(company_name)
        closed = frozenset(closed_stages)
        with self._lock:
            if email_n is not None:
                found = self._open(self._by_email.get(email_n), closed)
                if found is not None:
                    return found
            if domain_n is not None and name_n is not None:
                return self._open(self._by_company.get((domain_n, name_n)), closed)
        return None

    def _open(self, lead_ids: set[str] | None, closed: frozenset[str]) -> str | None:
        """The first of these leads (by id) that is not in a closed stage (under the lock)."""
        open_ids = [i for i in lead_ids or () if self._leads[i].keys.stage not in closed]
        return min(open_ids) if open_ids else None

    def query(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
        limit: int | None = None,
    ) -> tuple[Lead, ...]:
        """Snapshots matching every given filter, most urgent first (see `LeadStore.query`)."""
        if due_before is not None:
            require_aware("due_before", due_before)
        with self._lock:
            records = list(self._leads.values())
        hits = [
            r
            for r in records
            if (stage is None or r.keys.stage == stage)
            and (owner is None or r.keys.owner == owner)
            and (partner_id is None or partner_id in r.keys.partner_ids)
            and (due_before is None or (r.due_at is not None and r.due_at < due_before))
        ]
        hits.sort(key=_urgency)
        if limit is not None:
            hits = hits[:limit]
        return tuple(r.snapshot for r in hits)

    def count(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
    ) -> int:
        """How many leads `query` with the same filters returns."""
        return len(
            self.query(stage=stage, owner=owner, partner_id=partner_id, due_before=due_before)
        )

    # -- writing ------------------------------------------------------------------

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`)."""
        self.record_many((transition,))

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions all or nothing (see `LeadStore.record_many`)."""
        claimed = claims_of(transitions)
        with self._lock:
            refuse_held(
                claimed, {s: min(held) for s in claimed if (held := self._by_source.get(s))}
            )
            staged: dict[str, _Record] = {}
            for t in transitions:
                current = staged.get(t.lead_id) or self._leads.get(t.lead_id)
                actual = current.snapshot.version if current is not None else None
                if (actual or 0) != t.expected_version:
                    raise ConflictError(
                        lead_id=t.lead_id, expected=t.expected_version, actual=actual
                    )
                before = current.events if current is not None else ()
                if t.rewrites:
                    kept = list(before)
                    for rewrite in t.rewrites:
                        kept[rewrite.version - 1] = rewrite.event
                    before = tuple(kept)
                staged[t.lead_id] = _record_from_checked(
                    events=(*before, *t.events),
                    snapshot=t.after,
                    keys=LeadKeys.of(t.after),
                    due_at=t.due_at,
                )
            for lead_id, record in staged.items():
                self._put(lead_id, record)
            for t in transitions:
                for entry in t.outbox_rewrites:
                    self._rewrite_entry(entry)
                for note in t.notifications:
                    self._add_entry(note)

    def _put(self, lead_id: str, record: _Record) -> None:
        """Store a record and keep the indexes in step (under the lock)."""
        old = self._leads.get(lead_id)
        if old is not None:
            _unindex(self._by_source, old.keys.source_ids, lead_id)
            _unindex(self._by_email, _emails(old.keys), lead_id)
            _unindex(self._by_company, _companies(old.keys), lead_id)
        for source_id in record.keys.source_ids:
            self._by_source.setdefault(source_id, set()).add(lead_id)
        for email in _emails(record.keys):
            self._by_email.setdefault(email, set()).add(lead_id)
        for company in _companies(record.keys):
            self._by_company.setdefault(company, set()).add(lead_id)
        self._leads[lead_id] = record

    def _add_entry(self, note: Notification) -> None:
        entry_id = self._next_id
        self._next_id += 1
        self._outbox[entry_id] = OutboxEntry(
            id=entry_id, notification=note, next_attempt_at=note.created_at
        )
        self._entries_of.setdefault(note.lead_id, []).append(entry_id)
        bisect.insort(self._due, (note.created_at, entry_id))

    def _not_due(self, entry: OutboxEntry) -> None:
        """Take an undelivered entry out of the pending order (under the lock)."""
        key = (entry.next_attempt_at, entry.id)
        at = bisect.bisect_left(self._due, key)
        if at < len(self._due) and self._due[at] == key:
            del self._due[at]

    def _rewrite_entry(self, given: OutboxEntry) -> None:
        """Replace an entry's notification and error text; its delivery state stays."""
        entry = self._outbox.get(given.id)
        if entry is not None and entry.notification.lead_id == given.notification.lead_id:
            self._outbox[given.id] = attrs.evolve(
                entry, notification=given.notification, last_error=given.last_error
            )

    def scrub(self) -> None:
        """Nothing to do: an erasure replaced the only copy (see `LeadStore.scrub`)."""

    # -- the outbox ---------------------------------------------------------------

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, in the order written."""
        with self._lock:
            self._record(lead_id)
            return tuple(self._outbox[i] for i in self._entries_of.get(lead_id, ()))

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries due at or before `now`, oldest first."""
        require_aware("now", now)
        with self._lock:
            due = itertools.takewhile(lambda key: key[0] <= now, self._due)
            return tuple(self._outbox[i] for _, i in itertools.islice(due, max(limit, 0)))

    def _entry(self, entry_id: int) -> OutboxEntry:
        try:
            return self._outbox[entry_id]
        except KeyError:
            raise NotFoundError(str(entry_id), what="outbox entry") from None

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a successful delivery; a second call changes nothing."""
        require_aware("at", at)
        with self._lock:
            entry = self._entry(entry_id)
            if entry.delivered_at is None:
                self._not_due(entry)
                self._outbox[entry_id] = attrs.evolve(
                    entry, attempts=entry.attempts + 1, delivered_at=at
                )

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failed attempt and when to try again."""
        require_aware("retry_at", retry_at)
        with self._lock:
            entry = self._entry(entry_id)
            if entry.delivered_at is None:
                self._not_due(entry)
                self._outbox[entry_id] = attrs.evolve(
                    entry, attempts=entry.attempts + 1, last_error=error, next_attempt_at=retry_at
                )
                bisect.insort(self._due, (retry_at, entry_id))
