"""The imperative shell: load, decide, append with the expected version, notify.

Every method follows one path: load the lead and its version, let the pure core decide,
append the events together with the new snapshot and the notifications in one atomic
write, and leave delivery to the outbox relay. A stale version raises `ConflictError`
(after a few fresh retries) and nothing is written, so no update is ever lost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from leadpipeline.adapters.clock import Clock, SystemClock
from leadpipeline.adapters.memory import MemoryStore
from leadpipeline.adapters.notification import Notification, Notifier, RecordingNotifier
from leadpipeline.adapters.protocols import AppendRequest, LeadStore
from leadpipeline.adapters.relay import RelayReport, relay_outbox
from leadpipeline.errors import ConflictError, LeadPipelineError, NotFoundError, ValidationError
from leadpipeline.events import (
    AllocationBlocked,
    Completed,
    Escalated,
    Event,
    HandedOver,
    InteractionRecorded,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    Reclaimed,
    Rejected,
    Returned,
    evolve,
    redact,
    replay,
)
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party, PartyKind
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.heat import heat
from leadpipeline.rules.sla import breaches, deadlines
from leadpipeline.stages.commands import (
    Accept,
    AllocateChannel,
    AssignPartner,
    Capture,
    Command,
    Complete,
    Disqualify,
    Erase,
    Escalate,
    ExpireOffers,
    HandOver,
    Merge,
    Nurture,
    OfferToPartners,
    PartnerAccept,
    Qualify,
    QualifySql,
    RecordInteraction,
    Reject,
    ReturnLead,
)
from leadpipeline.stages.decide import decide
from leadpipeline.stages.packages import PartnerPackage, partner_package

__all__ = ["CaptureResult", "ImportReport", "PartnerView", "Pipeline", "Refusal"]


@attrs.frozen(kw_only=True)
class CaptureResult:
    """What capture did: `captured` a new lead, found it `already_captured`, or `merged` it."""

    lead: Lead
    outcome: str


@attrs.frozen(kw_only=True)
class Refusal:
    """One record a batch import refused, and why."""

    index: int
    lead_id: str
    reason: str


@attrs.frozen(kw_only=True)
class ImportReport:
    """The result of `capture_many`: what was captured, skipped as known, and refused."""

    captured: tuple[str, ...] = ()
    already_captured: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()


def _recipient(party: Party) -> str:
    return str(party)


def notifications_for(
    before: Lead | None,
    events: Sequence[Event],
    after: Lead,
    playbook: Playbook,
    *,
    now: datetime,
    due_at: datetime | None,
) -> tuple[Notification, ...]:
    """Who must act after these events, and by when; keyed by the version that caused it.

    `before` is the lead the events apply to (None for a capture).
    """
    out: list[Notification] = []
    start = before.version if before is not None else 0

    def note(version: int, kind: str, recipient: str, message: str, due: datetime | None) -> None:
        out.append(
            Notification.about(
                lead_id=after.id,
                version=version,
                kind=kind,
                recipient=recipient,
                message=message,
                created_at=now,
                due_at=due,
            )
        )

    for offset, event in enumerate(events, start=1):
        version = start + offset
        match event:
            case HandedOver(to_owner=to):
                note(
                    version,
                    "handed_over",
                    _recipient(to),
                    f"lead {after.id} handed over ({event.expected_quality}): accept or reject",
                    due_at,
                )
            case Offered(partner_id=pid, expires_at=expires):
                note(
                    version,
                    "offered",
                    f"partner/{pid}",
                    f"lead {after.id} is offered to you until {expires.isoformat()}",
                    expires,
                )
            case OfferWithdrawn(partner_id=pid, reason=reason):
                note(
                    version,
                    "offer_withdrawn",
                    f"partner/{pid}",
                    f"offer of lead {after.id} withdrawn: {reason}",
                    None,
                )
            case OwnerChanged(to_owner=to) if to.kind in (PartyKind.PARTNER, PartyKind.SALES):
                note(
                    version,
                    "assigned",
                    _recipient(to),
                    f"you now hold lead {after.id} ({after.stage})",
                    due_at,
                )
            case Rejected(reason=reason):
                note(
                    version,
                    "rejected",
                    "marketing",
                    f"sales rejected lead {after.id}: {reason}",
                    None,
                )
            case Returned(partner_id=pid, reason=reason):
                note(
                    version,
                    "returned",
                    "sales",
                    f"partner {pid} returned lead {after.id}: {reason}",
                    None,
                )
            case Reclaimed(partner_id=pid):
                note(
                    version,
                    "reclaimed",
                    f"partner/{pid}",
                    f"lead {after.id} was reclaimed for lack of response",
                    None,
                )
            case Completed(outcome=outcome):
                team = "customer_marketing" if outcome is Outcome.WON else "marketing"
                note(
                    version, "completed", team, f"lead {after.id} completed: {outcome.value}", None
                )
            case Escalated(policy=policy, action=action, target=target):
                note(
                    version,
                    "escalated",
                    target or _recipient(after.owner),
                    f"SLA {policy!r} breached on lead {after.id}: {action}",
                    None,
                )
            case AllocationBlocked(reason=reason):
                note(
                    version,
                    "allocation_blocked",
                    "sales",
                    f"cannot allocate lead {after.id}: {reason}",
                    None,
                )
            case InteractionRecorded(interaction=i) if i.kind is InteractionKind.FORM_SUBMIT:
                hot = heat(after, now, playbook.heat)
                if hot.call_within is not None:
                    note(
                        version,
                        "call_now",
                        _recipient(after.owner),
                        f"hot lead {after.id} submitted a form: call now",
                        i.at + hot.call_within,
                    )
            case _:
                pass
    return tuple(out)


_NEEDS_LOADS = (AssignPartner, OfferToPartners, ReturnLead, ExpireOffers)
"""Commands whose decision weighs partners' current open-lead counts."""

_MakeCommand = Callable[[Lead, tuple[Event, ...]], "Command | None"]
"""Builds the command to decide from the lead and history just loaded (None: no-op)."""


class _LeadCache:
    """The last snapshot each lead was written or read at, with the history it folds.

    A lead's events up to a version never change (erasure appends an event, so it makes
    a new version), so a cached history of the same version is exact. A cached snapshot
    may be stale when another process wrote since; the append's version check catches
    that, and the shell then decides again on a fresh load.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Lead, tuple[Event, ...]]] = OrderedDict()

    def get(self, lead_id: str) -> tuple[Lead, tuple[Event, ...]] | None:
        with self._lock:
            found = self._items.get(lead_id)
            if found is not None:
                self._items.move_to_end(lead_id)
            return found

    def history(self, lead: Lead) -> tuple[Event, ...] | None:
        found = self.get(lead.id)
        if found is None or found[0].version != lead.version:
            return None
        return found[1]

    def put(self, lead: Lead, history: tuple[Event, ...]) -> None:
        if self._size <= 0 or len(history) != lead.version:
            return
        with self._lock:
            self._items[lead.id] = (lead, history)
            self._items.move_to_end(lead.id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def put_many(self, items: Iterable[tuple[Lead, tuple[Event, ...]]]) -> None:
        """Cache the last `size` of many writes (the earlier ones would be evicted at once)."""
        for lead, history in deque(items, maxlen=max(self._size, 0)):
            self.put(lead, history)

    def drop(self, lead_id: str) -> None:
        with self._lock:
            self._items.pop(lead_id, None)


class Pipeline:
    """One method per command; each call is one atomic, versioned write.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline import Lead, Source
        >>> from leadpipeline.adapters import MemoryStore, SimulatedClock
        >>> clock = SimulatedClock(datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc))
        >>> pipeline = Pipeline(store=MemoryStore(), clock=clock)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=clock.now()))
        >>> pipeline.capture(lead).outcome
        'captured'
        >>> pipeline.nurture("L-1", reason="no project this year").stage
        'nurture'
    """

    def __init__(
        self,
        playbook: Playbook = DEFAULT_PLAYBOOK,
        store: LeadStore | None = None,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
        *,
        conflict_retries: int = 3,
        cache_size: int = 4096,
    ) -> None:
        self.playbook = playbook
        self.store: LeadStore = store if store is not None else MemoryStore()
        self.notifier: Notifier = notifier if notifier is not None else RecordingNotifier()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.conflict_retries = conflict_retries
        self._cache = _LeadCache(cache_size)
        # Serialises this process's check-then-write of captures (see `capture`).
        self._capture_lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        """The current snapshot of a lead."""
        return self.store.load(lead_id)

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """The full history of a lead, oldest first."""
        return self.store.history(lead_id)

    def for_partner(self, partner_id: str) -> PartnerView:
        """A view that sees and acts only on leads this partner holds or is offered."""
        return PartnerView(self, partner_id)

    # -- the write path --------------------------------------------------------------------

    def _due_at(self, history: Sequence[Event], lead: Lead) -> datetime | None:
        """The lead's next deadline: an open SLA clock or an offer's expiry."""
        due = [
            d.due_at
            for d in deadlines(history, self.playbook.sla_policies, self.playbook.calendar)
            if d.met_at is None and d.due_at is not None and d.paused_at is None
        ]
        due += [o.expires_at for o in lead.offers]
        return min(due) if due else None

    def _playbook_with_loads(self) -> Playbook:
        """The playbook with each partner's open-lead count read from the store."""
        if not self.playbook.partners:
            return self.playbook
        partners = tuple(
            attrs.evolve(p, open_leads=self.store.count(partner_id=p.id))
            for p in self.playbook.partners
        )
        return attrs.evolve(self.playbook, partners=partners)

    def _history_of(self, lead: Lead) -> tuple[Event, ...]:
        """The history `lead` was folded from: cached per version, else read from the store.

        A lead's events up to a version never change (erasure appends an event, so it
        makes a new version), so a cached history of the same version is exact.
        """
        cached = self._cache.history(lead)
        if cached is not None:
            return cached
        # another writer may have appended after `load`: keep the events `lead` was made of
        history = self.store.history(lead.id)[: lead.version]
        self._cache.put(lead, history)
        return history

    def _request(
        self,
        before: Lead | None,
        events: tuple[Event, ...],
        history: tuple[Event, ...],
        now: datetime,
    ) -> AppendRequest:
        """The append that records `events`: new snapshot, notifications and next deadline."""
        after = before
        for event in events:
            after = evolve(after, event)
        assert after is not None  # decide returned at least one event
        due = self._due_at((*history, *events), after)
        notes = notifications_for(before, events, after, self.playbook, now=now, due_at=due)
        return AppendRequest(
            lead_id=after.id,
            expected_version=before.version if before is not None else 0,
            events=events,
            snapshot=after,
            notifications=notes,
            due_at=due,
        )

    def _write(
        self,
        before: Lead | None,
        events: tuple[Event, ...],
        history: tuple[Event, ...],
        now: datetime,
    ) -> Lead:
        request = self._request(before, events, history, now)
        self.store.append(
            request.lead_id,
            expected_version=request.expected_version,
            events=request.events,
            snapshot=request.snapshot,
            notifications=request.notifications,
            due_at=request.due_at,
        )
        after = request.snapshot
        self._cache.put(after, (*history, *events))
        return after

    def _run(self, lead_id: str, make: _MakeCommand) -> Lead:
        """Load, build the command from what was loaded, decide, append; retry on conflict.

        `make` sees the lead and its history on every attempt, so checks (partner
        visibility, SLA breaches, an already merged source) never go stale; it returns
        None when there is nothing to do. The first attempt may decide on the cached
        snapshot this pipeline last wrote; anything but a successful write on it (a
        refusal, a no-op, a conflict) is decided again on a fresh load.
        """
        attempts = self.conflict_retries + 1
        cached = self._cache.get(lead_id)
        attempt = 0
        while True:
            if cached is not None:
                lead, history = cached
            else:
                lead = self.store.load(lead_id)
                history = self._history_of(lead)
            try:
                command = make(lead, history)
                if command is None:
                    events: tuple[Event, ...] = ()
                else:
                    playbook = (
                        self._playbook_with_loads()
                        if isinstance(command, _NEEDS_LOADS)
                        else self.playbook
                    )
                    now = self.clock.now()
                    events = decide(lead, command, playbook, now=now)
                if not events:
                    if cached is None:
                        return lead
                    cached = None  # maybe stale: look again before saying "nothing to do"
                    continue
                return self._write(lead, events, history, now)
            except ConflictError:
                attempt += 1
                cached = None
                self._cache.drop(lead_id)
                if attempt == attempts:
                    raise
            except LeadPipelineError:
                if cached is None:
                    raise
                cached = None  # refused on a maybe stale snapshot: decide again on a fresh one
                self._cache.drop(lead_id)

    def execute(self, lead_id: str, command: Command) -> Lead:
        """Load, decide, append; retried on a concurrent write, then `ConflictError`.

        Raises:
            NotFoundError: no such lead.
            TransitionError: the command is not allowed (nothing is written).
            ConflictError: another writer kept winning the race (nothing is written).
        """
        return self._run(lead_id, lambda _lead, _history: command)

    def capture(self, lead: Lead, *, actor: Party | None = None) -> CaptureResult:
        """Bring a lead in; the same source record twice yields one lead, duplicates merge.

        The check for a known source id or a duplicate and the write are one step for
        every thread of this process; a capture from another process that wins the race
        shows up as a `ConflictError` on the new lead's first write, after which the
        checks run again (the same source record becomes `already_captured`).

        Raises:
            ConflictError: the lead id is taken by an unrelated lead (nothing is written).
        """
        with self._capture_lock:
            attempts = self.conflict_retries + 1
            for attempt in range(attempts):
                found = self._known_or_merged(lead, actor)
                if found is not None:
                    return found
                now = self.clock.now()
                events = decide(None, Capture(lead=lead, actor=actor), self.playbook, now=now)
                try:
                    return CaptureResult(
                        lead=self._write(None, events, (), now), outcome="captured"
                    )
                except ConflictError:
                    if attempt == attempts - 1:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _known_or_merged(self, lead: Lead, actor: Party | None) -> CaptureResult | None:
        """`already_captured` for a known source record, `merged` into a duplicate, or None."""
        source_id = lead.source.source_id
        if source_id is not None and (known := self.store.find_by_source_id(source_id)):
            return CaptureResult(lead=self.store.load(known), outcome="already_captured")
        if not self.playbook.merge_duplicates:
            return None
        twin = self.store.find_duplicate(
            email=lead.contact.email, domain=lead.company.domain, company_name=lead.company.name
        )
        if twin is None or twin == lead.id:
            return None
        merge = Merge(source=lead.source, interactions=lead.interactions, actor=actor)
        outcome = "merged"

        def merge_unless_known(current: Lead, _history: tuple[Event, ...]) -> Command | None:
            nonlocal outcome
            if source_id is not None and any(s.source_id == source_id for s in current.sources):
                outcome = "already_captured"  # a concurrent capture merged it first
                return None
            outcome = "merged"
            return merge

        merged = self._run(twin, merge_unless_known)
        return CaptureResult(lead=merged, outcome=outcome)

    def capture_many(self, leads: Iterable[Lead], *, atomic: bool = True) -> ImportReport:
        """Import a batch in one write: all or nothing, or refusing bad records one by one.

        With `atomic=True` any bad record raises `ValidationError` naming every refused
        record (`[index]`) and nothing is written. With `atomic=False` the good records are
        written and the report lists each refused one with its reason. Records whose source
        id is already known are skipped as already captured. Duplicates by email or
        company are not merged here: capture them one by one to merge them.
        """
        batch = list(leads)
        with self._capture_lock:
            refused_ids: dict[int, str] = {}
            attempts = self.conflict_retries + 1
            for attempt in range(attempts):
                report, requests, index_of = self._plan_import(batch, refused_ids)
                if report.refused and atomic:
                    raise ValidationError((f"[{r.index}]", r.reason) for r in report.refused)
                try:
                    if requests:
                        self.store.append_many(requests)
                except ConflictError as exc:
                    # the lead id exists already (or was just taken by another process)
                    if attempt == attempts - 1 or exc.lead_id not in index_of:
                        raise
                    refused_ids[index_of[exc.lead_id]] = (
                        f"lead id {exc.lead_id!r} is already taken by another lead"
                    )
                    continue
                self._cache.put_many((r.snapshot, r.events) for r in requests)
                return report
        raise AssertionError("unreachable")  # pragma: no cover

    def _plan_import(
        self, batch: Sequence[Lead], taken: dict[int, str]
    ) -> tuple[ImportReport, list[AppendRequest], dict[str, int]]:
        """Decide every record of a batch: the appends to make and what was skipped or refused."""
        now = self.clock.now()
        requests: list[AppendRequest] = []
        index_of: dict[str, int] = {}
        captured: list[str] = []
        known: list[str] = []
        refused: list[Refusal] = []
        known_sources = set(
            self.store.find_by_source_ids(
                lead.source.source_id for lead in batch if lead.source.source_id is not None
            )
        )
        for index, lead in enumerate(batch):
            source_id = lead.source.source_id
            if source_id is not None and source_id in known_sources:
                known.append(lead.id)
                continue
            try:
                if index in taken:
                    raise ValidationError.at("id", taken[index])
                if lead.id in index_of:
                    raise ValidationError.at(
                        "id", f"lead id {lead.id!r} appears twice in the batch"
                    )
                events = decide(None, Capture(lead=lead), self.playbook, now=now)
                requests.append(self._request(None, events, (), now))
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
        return report, requests, index_of

    # -- one method per command ------------------------------------------------------------

    def record_interaction(
        self, lead_id: str, interaction: Interaction, *, actor: Party | None = None
    ) -> Lead:
        """Record a touch; a form submit from a hot lead asks for a call within minutes."""
        return self.execute(lead_id, RecordInteraction(interaction=interaction, actor=actor))

    def qualify(self, lead_id: str) -> Lead:
        """Qualify as MQL against the playbook's MQL definition."""
        return self.execute(lead_id, Qualify())

    def hand_over(self, lead_id: str, *, to: Party | None = None) -> Lead:
        """Marketing hands an MQL to sales."""
        return self.execute(lead_id, HandOver(to=to or Party.sales()))

    def accept(self, lead_id: str, *, actor: Party | None = None) -> Lead:
        """Sales accepts a handed-over lead (SAL)."""
        return self.execute(lead_id, Accept(actor=actor))

    def reject(self, lead_id: str, *, reason: str, comment: str = "") -> Lead:
        """Sales rejects a handed-over lead with a reason code; it goes to nurture."""
        return self.execute(lead_id, Reject(reason=reason, comment=comment))

    def qualify_sql(self, lead_id: str) -> Lead:
        """Sales qualifies a SAL as SQL."""
        return self.execute(lead_id, QualifySql())

    def allocate(self, lead_id: str) -> Lead:
        """Decide direct sales or the partner channel."""
        return self.execute(lead_id, AllocateChannel())

    def assign_partner(self, lead_id: str, partner_id: str | None = None, *, seed: int = 0) -> Lead:
        """Give the lead to one partner (the best-ranked when none is named)."""
        return self.execute(lead_id, AssignPartner(partner_id=partner_id, seed=seed))

    def offer(
        self,
        lead_id: str,
        partner_ids: Sequence[str] = (),
        *,
        expires_in: timedelta | None = None,
        seed: int = 0,
    ) -> Lead:
        """Offer the lead to several partners; the first to accept wins."""
        return self.execute(
            lead_id,
            OfferToPartners(partner_ids=tuple(partner_ids), expires_in=expires_in, seed=seed),
        )

    def partner_accept(self, lead_id: str, partner_id: str) -> Lead:
        """A partner accepts its offer."""
        return self.execute(lead_id, PartnerAccept(partner_id=partner_id))

    def return_lead(self, lead_id: str, partner_id: str, *, reason: str, comment: str) -> Lead:
        """A partner returns a lead with a reason code and a comment."""
        return self.execute(
            lead_id, ReturnLead(partner_id=partner_id, reason=reason, comment=comment)
        )

    def expire_offers(self, lead_id: str) -> Lead:
        """Withdraw lapsed offers and route the lead onward."""
        return self.execute(lead_id, ExpireOffers())

    def complete(
        self,
        lead_id: str,
        outcome: Outcome,
        *,
        reason: str = "",
        revenue: float | None = None,
        actor: Party | None = None,
    ) -> Lead:
        """The working party reports won or lost."""
        return self.execute(
            lead_id, Complete(outcome=outcome, reason=reason, revenue=revenue, actor=actor)
        )

    def nurture(self, lead_id: str, *, reason: str) -> Lead:
        """Send the lead back to marketing for regular communication."""
        return self.execute(lead_id, Nurture(reason=reason))

    def disqualify(self, lead_id: str, *, reason: str) -> Lead:
        """Drop the lead with a reason."""
        return self.execute(lead_id, Disqualify(reason=reason))

    def erase(self, lead_id: str) -> Lead:
        """Erase personal data from snapshot, history and pending notifications.

        Stages, owners and timings stay, so funnel figures survive. Retried on a
        concurrent write like every command.
        """
        attempts = self.conflict_retries + 1
        for attempt in range(attempts):
            lead = self.store.load(lead_id)
            events = decide(lead, Erase(), self.playbook, now=self.clock.now())
            if not events:
                return lead
            history = self.store.history(lead_id)[: lead.version]
            snapshot = replay((*(redact(e) for e in history), *events))
            self._cache.drop(lead_id)
            try:
                self.store.erase(
                    lead_id, events=events, snapshot=snapshot, expected_version=lead.version
                )
            except ConflictError:
                if attempt == attempts - 1:
                    raise
                continue
            finally:
                self._cache.drop(lead_id)  # no unredacted copy stays in memory
            return snapshot
        raise AssertionError("unreachable")  # pragma: no cover

    def escalate(self, lead_id: str) -> Lead:
        """Record breaches of this lead's SLAs and escalate each due step once."""

        def escalation(_lead: Lead, history: tuple[Event, ...]) -> Command | None:
            found = breaches(
                history, self.playbook.sla_policies, self.playbook.calendar, self.clock.now()
            )
            if not any(not b.recorded or b.pending for b in found):
                return None
            return Escalate(breaches=found)

        return self._run(lead_id, escalation)

    def escalate_breaches(self) -> tuple[str, ...]:
        """Escalate every lead whose next deadline has passed; returns the lead ids touched."""
        now = self.clock.now()
        touched: list[str] = []
        for lead in self.store.query(due_before=now):
            before = lead.version
            if lead.offers:
                self.expire_offers(lead.id)
            if self.escalate(lead.id).version != before:
                touched.append(lead.id)
        return tuple(touched)

    def relay_outbox(self, *, limit: int = 100) -> RelayReport:
        """Deliver pending notifications at least once, retrying failures with backoff."""
        return relay_outbox(self.store, self.notifier, now=self.clock.now(), limit=limit)


class PartnerView:
    """What one partner may see and do: leads it holds or is offered, nothing else.

    Any other lead raises `NotFoundError`, exactly as if it did not exist, and nothing
    about it changes. Visibility is checked on the lead as loaded for each write
    attempt, so a lead taken away meanwhile is refused the same way.
    """

    def __init__(self, pipeline: Pipeline, partner_id: str) -> None:
        self._pipeline = pipeline
        self.partner_id = partner_id

    def _visible(self, lead: Lead) -> bool:
        return lead.owner == Party.partner(self.partner_id) or self.partner_id in lead.offered_to

    def _load(self, lead_id: str) -> Lead:
        lead = self._pipeline.store.load(lead_id)
        if not self._visible(lead):
            raise NotFoundError(lead_id)
        return lead

    def _act(self, lead_id: str, command: Command) -> Lead:
        def visible_only(lead: Lead, _history: tuple[Event, ...]) -> Command:
            if not self._visible(lead):
                raise NotFoundError(lead_id)
            return command

        return self._pipeline._run(lead_id, visible_only)  # the view is part of the shell

    def get(self, lead_id: str) -> PartnerPackage:
        """The lead as this partner may see it."""
        lead = self._load(lead_id)
        return partner_package(
            lead,
            self._pipeline.store.history(lead_id)[: lead.version],
            self._pipeline.playbook,
            partner_id=self.partner_id,
        )

    def leads(self) -> tuple[Lead, ...]:
        """Leads this partner holds or is offered."""
        return tuple(
            lead
            for lead in self._pipeline.store.query(partner_id=self.partner_id)
            if self._visible(lead)
        )

    def outbox(self, lead_id: str) -> tuple[Notification, ...]:
        """Notifications addressed to this partner about one of its leads."""
        self._load(lead_id)
        me = f"partner/{self.partner_id}"
        return tuple(
            e.notification
            for e in self._pipeline.store.outbox(lead_id)
            if e.notification.recipient == me
        )

    def accept(self, lead_id: str) -> Lead:
        """Accept an offer."""
        return self._act(lead_id, PartnerAccept(partner_id=self.partner_id))

    def return_lead(self, lead_id: str, *, reason: str, comment: str) -> Lead:
        """Return a lead with a reason code and a comment."""
        return self._act(
            lead_id, ReturnLead(partner_id=self.partner_id, reason=reason, comment=comment)
        )

    def complete(
        self, lead_id: str, outcome: Outcome, *, reason: str = "", revenue: float | None = None
    ) -> Lead:
        """Report the end of the sales process."""
        return self._act(
            lead_id,
            Complete(
                outcome=outcome,
                reason=reason,
                revenue=revenue,
                actor=Party.partner(self.partner_id),
            ),
        )
