"""The texts and keys a store writes for one transition, made the same way by every store.

A store that keeps JSON (SQLite, PostgreSQL, a host's own database) needs the events,
the snapshot and the notifications as JSON texts, and the snapshot's index keys.
`EncodedTransition.of` makes them once, outside any transaction, so the write itself
holds its lock only as long as the database needs.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar, cast

import attrs

from leadpipeline._typed import typed
from leadpipeline._unchecked import unchecked_init
from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.adapters.ports import LeadKeys
from leadpipeline.errors import LeadPipelineError, StoreError
from leadpipeline.events import Event, LeadCaptured
from leadpipeline.lead import Lead, Party
from leadpipeline.serialization import dumps, to_json, unstructure
from leadpipeline.stages.notify import OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = [
    "UNREADABLE_NOTE",
    "UNREADABLE_PAUSE",
    "EncodedSnapshot",
    "EncodedTransition",
    "email_digest",
    "party_key",
    "read_back",
    "readable",
    "unreadable_ids",
]

T = TypeVar("T")
_log = logging.getLogger("leadpipeline.adapters")

_BUT_VERSION = operator.attrgetter(*(a.name for a in attrs.fields(Lead) if a.name != "version"))


_UNREADABLE = (LeadPipelineError, ValueError, TypeError, KeyError, AttributeError, RecursionError)
"""What decoding a damaged row raises: every one becomes that lead's `StoreError`."""


def read_back(lead_id: str, what: str, read: Callable[[], T]) -> T:
    """Decode one stored row of a lead; a row that cannot be read fails for that lead alone.

    Raises:
        StoreError: naming the lead and what could not be read (never a `ValidationError`:
            the input was the store's own file, not the caller's).

    Example:
        >>> from leadpipeline.lead import Lead
        >>> from leadpipeline.serialization import from_json
        >>> read_back("L-1", "snapshot", lambda: from_json('{"id": 1}', Lead))
        Traceback (most recent call last):
        ...
        leadpipeline.errors.StoreError: lead 'L-1': its stored snapshot cannot be read (...)
    """
    try:
        return read()
    except (
        LeadPipelineError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        RecursionError,
    ) as exc:
        raise StoreError(
            f"lead {lead_id!r}: its stored {what} cannot be read ({exc})", lead_id=lead_id
        ) from None


def readable(
    rows: Iterable[tuple[str, Any]], what: str, decode: Callable[[Any], T]
) -> tuple[T, ...]:
    """Decode `(lead_id, data)` rows, leaving out (and logging) any that cannot be read.

    Why: one corrupted row must never make a query over every lead fail; the lead it
    belongs to still fails alone when loaded.
    """
    out: list[T] = []
    for lead_id, data in rows:
        try:
            out.append(read_back(lead_id, what, functools.partial(decode, data)))
        except StoreError as exc:
            _log.warning("%s", exc, extra={"lead_id": lead_id})
    return tuple(out)


UNREADABLE_NOTE = "the stored notification cannot be read"
"""The error recorded on an outbox entry whose stored body cannot be decoded."""

UNREADABLE_PAUSE = timedelta(days=1)
"""How long such an entry waits before it is tried again, so it never crowds the rest."""


def unreadable_ids(rows: Sequence[Sequence[Any]], kept: Sequence[OutboxEntry]) -> list[int]:
    """The ids of outbox rows (id first) that `readable` left out of `kept`."""
    seen = {entry.id for entry in kept}
    return [row[0] for row in rows if row[0] not in seen]


@functools.lru_cache(maxsize=1024)
def party_key(party: Party) -> str:
    """The JSON text a store indexes an owner by; parties repeat, so it is made once each.

    Example:
        >>> party_key(Party.partner("p-1"))
        '{"kind": "partner", "team": null, "rep": null, "partner_id": "p-1"}'
    """
    return to_json(party)


def email_digest(email: str | None) -> str | None:
    """The SHA-256 digest a store indexes a normalised email by, never the address itself.

    B-tree pages keep old divider keys after a delete, so an index entry may outlive an
    erasure in the file's free space. Indexing a digest keeps the address itself out of
    every index page; the digest is a pseudonym, not an anonymisation: whoever knows an
    address can compute it and test whether it was once stored.

    Example:
        >>> email_digest("ann@example.com")[:12]
        '71d4f55f72fa'
        >>> email_digest(None) is None
        True
    """
    if email is None:
        return None
    return hashlib.sha256(email.encode()).hexdigest()


@attrs.frozen(kw_only=True, field_transformer=typed)
class EncodedSnapshot:
    """A snapshot as a store writes it: its JSON text and what to index it by.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import Contact, Lead, Source
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             contact=Contact(email="Ann@Example.com"))
        >>> encoded = EncodedSnapshot.of(lead)
        >>> encoded.keys.email, encoded.email_digest == email_digest("ann@example.com")
        ('ann@example.com', True)
    """

    lead: Lead
    text: str
    keys: LeadKeys
    owner: str
    email_digest: str | None

    @classmethod
    def of(cls, lead: Lead, text: str | None = None) -> EncodedSnapshot:
        """Encode a snapshot; `text` is its `to_json` text when the caller has it already."""
        keys = LeadKeys.of(lead)
        plain = type(lead) is Lead and cls is EncodedSnapshot and type(text) in (str, type(None))
        build = _snapshot_from_checked if plain else cls
        return build(
            lead=lead,
            text=to_json(lead) if text is None else text,
            keys=keys,
            owner=party_key(keys.owner),
            email_digest=email_digest(keys.email),
        )


@attrs.frozen(kw_only=True, field_transformer=typed)
class EncodedTransition:
    """One `Transition` as a store writes it: JSON texts and the snapshot's keys.

    `rewrites` pairs each replaced event's version with its new text;
    `outbox_rewrites` each replaced outbox entry's id with its new body and error text.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import DEFAULT_PLAYBOOK, Capture, Lead, Source
        >>> from leadpipeline.stages import transition
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> encoded = EncodedTransition.of(
        ...     transition(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=at))
        >>> encoded.snapshot.owner, encoded.snapshot.text.endswith('"version": 1}')
        ('{"kind": "marketing", "team": null, "rep": null, "partner_id": null}', True)
    """

    transition: Transition
    events: tuple[str, ...]
    snapshot: EncodedSnapshot
    notifications: tuple[str, ...]
    rewrites: tuple[tuple[int, str], ...] = ()
    outbox_rewrites: tuple[tuple[int, str, str], ...] = ()

    @classmethod
    def of(cls, transition: Transition, texts: SnapshotTexts | None = None) -> EncodedTransition:
        """Encode a transition; the texts are exactly what `to_json` gives for each value.

        `texts`, when given, makes the snapshot's text from the fields that changed since
        the last one it made for this lead (an erasure's is made whole, and forgotten).
        """
        events, snapshot = _texts(transition, texts)
        checked = type(transition) is Transition and cls is EncodedTransition
        build = _transition_from_checked if checked else cls
        return build(
            transition=transition,
            events=events,
            snapshot=EncodedSnapshot.of(transition.after, snapshot),
            notifications=tuple(to_json(n) for n in transition.notifications),
            rewrites=tuple((r.version, to_json(r.event, Event)) for r in transition.rewrites),
            outbox_rewrites=tuple(
                (e.id, to_json(e.notification), e.last_error) for e in transition.outbox_rewrites
            ),
        )


# Built on every write from checked values and the texts encoded from them: their fields
# are not checked again (for plain `Lead` and `Transition` values; others are built as is).
_snapshot_from_checked = cast("type[EncodedSnapshot]", unchecked_init(EncodedSnapshot))
_transition_from_checked = cast("type[EncodedTransition]", unchecked_init(EncodedTransition))


def _texts(transition: Transition, texts: SnapshotTexts | None) -> tuple[tuple[str, ...], str]:
    """The events' and the snapshot's JSON texts."""
    shared = _capture_texts(transition)
    if shared is not None:
        return shared
    events = tuple(to_json(e, Event) for e in transition.events)
    if texts is None or transition.erases:
        if texts is not None:
            texts.forget(transition.lead_id)  # no copy of erased values stays in memory
        return events, to_json(transition.after)
    return events, texts.text(transition.after)


def _capture_texts(transition: Transition) -> tuple[tuple[str, ...], str] | None:
    """A capture's texts with its lead encoded once for the event and the snapshot.

    A new lead's first event carries the lead at version 0 and its snapshot is the same
    lead at version 1: the two texts share everything but their last member, ``version``.
    None when the transition is not such a capture.
    """
    first = transition.events[0] if transition.events else None
    snapshot = transition.after
    if not (
        isinstance(first, LeadCaptured)
        and transition.expected_version == 0
        and all(map(operator.is_, _BUT_VERSION(first.lead), _BUT_VERSION(snapshot)))
    ):
        return None
    envelope = unstructure(first, Event)
    lead = envelope["lead"]
    if next(reversed(envelope)) != "lead" or next(reversed(lead)) != "version":
        return None
    del envelope["lead"], lead["version"]
    body = dumps(lead)[:-1]
    captured = f'{dumps(envelope)[:-1]}, "lead": {body}, "version": {first.lead.version}}}}}'
    rest = (to_json(e, Event) for e in transition.events[1:])
    return (captured, *rest), f'{body}, "version": {snapshot.version}}}'
