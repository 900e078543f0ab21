"""The storage port: what the shell needs from a database, stated as a contract.

`LeadStore` is a `typing.Protocol`; a host application implements it for its own database
and proves it with `leadpipeline.testing.LeadStoreContract`. A store records the values it
is given and decides nothing: every write is one `Transition` the core decided, and the
store appends its events, saves the lead after it, and queues its notifications, all at
once, or refuses a stale version. The shipped `MemoryStore`, `SqliteStore` and
`PostgresStore` all pass the contract suite.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, cast

import attrs

from leadpipeline._typed import typed
from leadpipeline._unchecked import unchecked_init
from leadpipeline.errors import SourceConflictError, ValidationError
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.stages.notify import OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = [
    "LeadKeys",
    "LeadStore",
    "Outbox",
    "claims_of",
    "distinct_source_ids",
    "normalise_company_name",
    "normalise_domain",
    "normalise_email",
    "refuse_held",
]


def normalise_email(email: str | None) -> str | None:
    """The form emails are compared in: stripped and lower-cased; None for blank.

    Example:
        >>> normalise_email("  Ann.Lee@Example.COM ")
        'ann.lee@example.com'
    """
    if email is None or not email.strip():
        return None
    return email.strip().lower()


def normalise_domain(domain: str | None) -> str | None:
    """The form company domains are compared in: lower-cased, without ``www.``.

    Example:
        >>> normalise_domain(" WWW.Example.com. ")
        'example.com'
    """
    if domain is None:
        return None
    value = domain.strip().lower().rstrip(".").removeprefix("www.")
    return value or None


def normalise_company_name(name: str | None) -> str | None:
    """The form company names are compared in: case-folded, single spaces.

    Example:
        >>> normalise_company_name("  ACME   Tools ")
        'acme tools'
    """
    if name is None:
        return None
    value = " ".join(name.casefold().split())
    return value or None


def distinct_source_ids(source_ids: Iterable[str]) -> list[str]:
    """The distinct ids asked of `LeadStore.find_by_source_ids`, in order.

    A lone string is refused: it is an iterable of its letters, never what was meant.

    Example:
        >>> distinct_source_ids(["badge-1", "form-7", "badge-1"])
        ['badge-1', 'form-7']
        >>> distinct_source_ids("badge-1")
        Traceback (most recent call last):
        ...
        leadpipeline.errors.ValidationError: source_ids: expected a collection ... 'badge-1'
    """
    if isinstance(source_ids, str):
        raise ValidationError.at(
            "source_ids", f"expected a collection of source ids, not the string {source_ids!r}"
        )
    given: list[object] = list(source_ids)  # typed loosely: callers' data is checked here
    problems = [
        (f"source_ids[{i}]", f"expected a string, got {type(s).__name__} {s!r}")
        for i, s in enumerate(given)
        if not isinstance(s, str)
    ]
    if problems:
        raise ValidationError(problems)
    return list(dict.fromkeys(typing.cast("list[str]", given)))


def claims_of(transitions: Sequence[Transition]) -> dict[str, Transition]:
    """Each source record the transitions claim, with the one claiming it.

    Raises:
        SourceConflictError: two leads of one batch claim the same record (nothing of the
            batch may be written).
    """
    claimed: dict[str, Transition] = {}
    for transition in transitions:
        for source in transition.claimed_sources:
            first = claimed.setdefault(source, transition)
            if first.lead_id != transition.lead_id:
                raise SourceConflictError(
                    lead_id=transition.lead_id,
                    version=transition.expected_version,
                    source_id=source,
                    held_by=first.lead_id,
                )
    return claimed


def refuse_held(claimed: dict[str, Transition], holders: Mapping[str, str]) -> None:
    """Refuse a claim on a record another lead holds (`holders`: source id to lead id)."""
    for source, transition in claimed.items():
        holder = holders.get(source)
        if holder is not None and holder != transition.lead_id:
            raise SourceConflictError(
                lead_id=transition.lead_id,
                version=transition.expected_version,
                source_id=source,
                held_by=holder,
            )


@attrs.frozen(kw_only=True, field_transformer=typed)
class LeadKeys:
    """What a store indexes about a snapshot, computed the same way by every adapter.

    Erased leads carry no email key and no company key: a person who asked to be
    forgotten is never matched to a new capture.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Contact, Source
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at, source_id="f-9"),
        ...             contact=Contact(email="Ann@Example.com"))
        >>> keys = LeadKeys.of(lead)
        >>> keys.email, keys.source_ids
        ('ann@example.com', ('f-9',))
    """

    stage: str
    owner: Party
    partner_ids: tuple[str, ...]
    source_ids: tuple[str, ...]
    email: str | None
    domain: str | None
    company_name: str | None

    @classmethod
    def of(cls, lead: Lead) -> LeadKeys:
        """The index keys of one snapshot.

        Every key is read or normalised from the checked lead, so for a plain `Lead` the
        value is built without checking its fields again (it is built on every write).
        """
        build = _built_from_checked if type(lead) is Lead and cls is LeadKeys else cls
        held = (lead.owner.partner_id,) if lead.owner.partner_id else ()
        partners = tuple(sorted({*held, *lead.offered_to})) if lead.offers else held
        first = lead.source.source_id
        if lead.merged_sources:
            sources = tuple(sorted({s.source_id for s in lead.sources if s.source_id}))
        else:  # the common case: one source, no set to build
            sources = (first,) if first else ()
        if lead.erased:
            return build(
                stage=lead.stage,
                owner=lead.owner,
                partner_ids=partners,
                source_ids=sources,
                email=None,
                domain=None,
                company_name=None,
            )
        return build(
            stage=lead.stage,
            owner=lead.owner,
            partner_ids=partners,
            source_ids=sources,
            email=normalise_email(lead.contact.email),
            domain=normalise_domain(lead.company.domain),
            company_name=normalise_company_name(lead.company.name),
        )


_built_from_checked = cast("type[LeadKeys]", unchecked_init(LeadKeys))


class Outbox(Protocol):
    """The part of a store a relay needs: undelivered notifications and their fate."""

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries whose `next_attempt_at` is at or before `now`, oldest first.

        Ordered by `next_attempt_at`, then `id`; at most `limit` of them.
        """

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a successful delivery (counted as an attempt); a second call is a no-op.

        Raises:
            NotFoundError: no such entry.
        """

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failed attempt: count it, keep `error`, try again at `retry_at`.

        Raises:
            NotFoundError: no such entry.
        """


class LeadStore(Outbox, Protocol):
    """Where leads live: an append-only history per lead, a snapshot, and an outbox.

    Contract (checked by `leadpipeline.testing.LeadStoreContract`):

    - Versions: a lead's version is the number of events in its history; its events are
      numbered 1, 2, ... and `load(...).version` is the store version.
    - Optimistic concurrency: every write names the version it was decided on. A stale
      version raises `ConflictError(lead_id=, expected=, actual=)` and writes nothing;
      the caller reloads and decides again. No update is ever lost.
    - Atomicity: events, snapshot, index keys and outbox entries of one write land
      together or not at all.
    - Values are frozen; nothing a store returns can be changed by the caller.
    """

    def load(self, lead_id: str) -> Lead:
        """The current snapshot; `lead.version` is the store version.

        Raises:
            NotFoundError: no such lead.
        """

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (event `i` made version `i + 1`).

        Raises:
            NotFoundError: no such lead.
        """

    def record(self, transition: Transition) -> None:
        """Write one transition atomically: everything in it, or nothing.

        Appends `transition.events` as versions ``expected_version + 1 ...``, replaces
        the stored events named by `transition.rewrites`, saves `transition.after` as the
        snapshot with its index keys (`LeadKeys.of`) and `due_at`, replaces the body and
        error text of the outbox entries in `transition.outbox_rewrites` (their attempts
        and delivery state stay), and queues `transition.notifications`. When
        `transition.erases`, no copy of the replaced values may survive in the store's
        files once `record` returns (or, where the database needs it, once the store's
        documented scrub has run).

        Raises:
            ConflictError: the store's version is not `transition.expected_version` (or
                the lead exists and 0 was expected); nothing was written.
        """

    def scrub(self) -> None:
        """Remove from the store's files what erasures left in them; cheap when nothing is due.

        `record` of an erasure replaces every stored copy of the personal data; a
        database may still hold the old bytes in free space or a log until it rewrites
        them. `scrub` does that rewrite (or returns at once when no erasure is waiting
        for it). The shell calls it after each erasure, and again when an erasure is
        repeated; hosts may also run it as maintenance.

        Raises:
            StoreError: the database could not finish now (busy); the erasure itself is
                recorded, and a later call finishes the scrub.
        """

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions all or nothing (batch import); same errors as `record`.

        Transitions of the same lead apply in order, each expecting the previous one's
        version.
        """

    def find_by_source_id(self, source_id: str) -> str | None:
        """The lead captured from (or merged with) this source record, for idempotent capture.

        Matches the captured source's `source_id` and every merged source's `source_id`.
        A record belongs to one lead: `record` refuses a claim on a record another lead
        holds with `SourceConflictError` (see `Transition.claimed_sources`).
        """

    def find_by_source_ids(self, source_ids: Iterable[str]) -> dict[str, str]:
        """`find_by_source_id` for many source records at once, for a batch import.

        Returns the lead id of every given source id that is known, the same answer
        `find_by_source_id` gives for it; unknown ones are absent. Meant as one lookup
        for the batch rather than one per record; the shipped stores answer from one
        consistent view (a batch import rechecks in its write, so this is not required).

        Raises:
            ValidationError: `source_ids` is a single string (see `distinct_source_ids`).
        """

    def find_duplicate(
        self,
        *,
        email: str | None,
        domain: str | None,
        company_name: str | None,
        closed_stages: Iterable[str],
    ) -> str | None:
        """An open lead that a new capture duplicates, or None.

        A lead is open when its stage is not one of `closed_stages` (the shell passes
        `Lifecycle.closed_stages`: won and dropped leads) and it is not erased. It
        matches on the normalised email (`normalise_email`) first; failing that, on both
        the normalised domain and company name. Among several matches the smallest lead
        id wins.
        """

    def query(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
        limit: int | None = None,
    ) -> tuple[Lead, ...]:
        """Snapshots matching every given filter, the most urgent first.

        `owner` matches the owning party exactly; `partner_id` matches leads that partner
        holds or has an open offer for; `due_before` matches leads with a `due_at` before
        it. Ordered by `due_at` (leads with none last), then lead id.
        """

    def count(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
    ) -> int:
        """How many leads `query` with the same filters returns, without loading them.

        The shell counts each partner's open leads this way before allocating one.
        """

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, delivered or not, in the order written.

        Raises:
            NotFoundError: no such lead.
        """
