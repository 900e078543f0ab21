"""The texts and keys a store writes for one append, made the same way by every store.

A store that keeps JSON (SQLite, PostgreSQL, a host's own database) needs the events,
the snapshot and the notifications as JSON texts, and the snapshot's index keys.
`EncodedAppend.of` makes them once, outside any transaction, so the write itself holds
its lock only as long as the database needs.
"""

from __future__ import annotations

import functools
import hashlib
import operator

import attrs

from leadpipeline.adapters.protocols import AppendRequest, LeadKeys
from leadpipeline.events import Event, LeadCaptured
from leadpipeline.lead import Lead, Party
from leadpipeline.serialization import dumps, to_json, unstructure

__all__ = ["EncodedAppend", "EncodedSnapshot", "email_digest", "party_key"]

_BUT_VERSION = operator.attrgetter(*(a.name for a in attrs.fields(Lead) if a.name != "version"))


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


@attrs.frozen(kw_only=True)
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
        return cls(
            lead=lead,
            text=to_json(lead) if text is None else text,
            keys=keys,
            owner=party_key(keys.owner),
            email_digest=email_digest(keys.email),
        )


@attrs.frozen(kw_only=True)
class EncodedAppend:
    """One `AppendRequest` as a store writes it: JSON texts and the snapshot's keys.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import Capture, Lead, Source, decide, evolve, DEFAULT_PLAYBOOK
        >>> from leadpipeline.adapters import AppendRequest
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=at)
        >>> request = AppendRequest(lead_id="L-1", expected_version=0, events=events,
        ...                         snapshot=evolve(None, events[0]))
        >>> encoded = EncodedAppend.of(request)
        >>> encoded.snapshot.owner, encoded.snapshot.text.endswith('"version": 1}')
        ('{"kind": "marketing", "team": null, "rep": null, "partner_id": null}', True)
    """

    request: AppendRequest
    events: tuple[str, ...]
    snapshot: EncodedSnapshot
    notifications: tuple[str, ...]

    @classmethod
    def of(cls, request: AppendRequest) -> EncodedAppend:
        """Encode a request; the texts are exactly what `to_json` gives for each value."""
        events, snapshot = _texts(request)
        return cls(
            request=request,
            events=events,
            snapshot=EncodedSnapshot.of(request.snapshot, snapshot),
            notifications=tuple(to_json(n) for n in request.notifications),
        )


def _texts(request: AppendRequest) -> tuple[tuple[str, ...], str]:
    """The events' and the snapshot's JSON texts."""
    shared = _capture_texts(request)
    if shared is not None:
        return shared
    return tuple(to_json(e, Event) for e in request.events), to_json(request.snapshot)


def _capture_texts(request: AppendRequest) -> tuple[tuple[str, ...], str] | None:
    """A capture's texts with its lead encoded once for the event and the snapshot.

    A new lead's first event carries the lead at version 0 and its snapshot is the same
    lead at version 1: the two texts share everything but their last member, ``version``.
    None when the request is not such a capture.
    """
    first = request.events[0] if request.events else None
    snapshot = request.snapshot
    if not (
        isinstance(first, LeadCaptured)
        and request.expected_version == 0
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
    rest = (to_json(e, Event) for e in request.events[1:])
    return (captured, *rest), f'{body}, "version": {snapshot.version}}}'
