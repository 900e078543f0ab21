"""The imperative shell: load, decide, append with the expected version, notify.

Every method follows one path: load the lead and its version, let the pure core decide,
append the events together with the new snapshot and the notifications in one atomic
write, and leave delivery to the outbox relay. A stale version raises `ConflictError`
(after a few fresh retries) and nothing is written, so no update is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    before: Lead,
    events: Sequence[Event],
    after: Lead,
    playbook: Playbook,
    *,
    now: datetime,
    due_at: datetime | None,
) -> tuple[Notification, ...]:
    """Who must act after these events, and by when; keyed by the version that caused it."""
    out: list[Notification] = []

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
        version = before.version + offset
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
    ) -> None:
        self.playbook = playbook
        self.store: LeadStore = store if store is not None else MemoryStore()
        self.notifier: Notifier = notifier if notifier is not None else RecordingNotifier()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.conflict_retries = conflict_retries

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
            attrs.evolve(p, open_leads=len(self.store.query(partner_id=p.id)))
            for p in self.playbook.partners
        )
        return attrs.evolve(self.playbook, partners=partners)

    def _write(
        self, before: Lead | None, events: tuple[Event, ...], history: tuple[Event, ...]
    ) -> Lead:
        now = self.clock.now()
        after = before
        for event in events:
            after = evolve(after, event)
        assert after is not None  # decide returned at least one event
        base = before if before is not None else attrs.evolve(after, version=0)
        due = self._due_at((*history, *events), after)
        notes = notifications_for(base, events, after, self.playbook, now=now, due_at=due)
        self.store.append(
            after.id,
            expected_version=before.version if before is not None else 0,
            events=events,
            snapshot=after,
            notifications=notes,
            due_at=due,
        )
        return after

    def execute(self, lead_id: str, command: Command) -> Lead:
        """Load, decide, append; retried on a concurrent write, then `ConflictError`.

        Raises:
            NotFoundError: no such lead.
            TransitionError: the command is not allowed (nothing is written).
            ConflictError: another writer kept winning the race.
        """
        attempts = self.conflict_retries + 1
        for attempt in range(attempts):
            lead = self.store.load(lead_id)
            playbook = (
                self._playbook_with_loads()
                if isinstance(command, AssignPartner | OfferToPartners | ReturnLead | ExpireOffers)
                else self.playbook
            )
            events = decide(lead, command, playbook, now=self.clock.now())
            if not events:
                return lead
            try:
                return self._write(lead, events, self.store.history(lead_id))
            except ConflictError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def capture(self, lead: Lead, *, actor: Party | None = None) -> CaptureResult:
        """Bring a lead in; the same source record twice yields one lead, duplicates merge."""
        source_id = lead.source.source_id
        if source_id is not None and (known := self.store.find_by_source_id(source_id)):
            return CaptureResult(lead=self.store.load(known), outcome="already_captured")
        if self.playbook.merge_duplicates:
            twin = self.store.find_duplicate(
                email=lead.contact.email, domain=lead.company.domain, company_name=lead.company.name
            )
            if twin is not None and twin != lead.id:
                merged = self.execute(
                    twin, Merge(source=lead.source, interactions=lead.interactions, actor=actor)
                )
                return CaptureResult(lead=merged, outcome="merged")
        events = decide(None, Capture(lead=lead, actor=actor), self.playbook, now=self.clock.now())
        return CaptureResult(lead=self._write(None, events, ()), outcome="captured")

    def capture_many(self, leads: Iterable[Lead], *, atomic: bool = True) -> ImportReport:
        """Import a batch in one write: all or nothing, or refusing bad records one by one.

        With `atomic=True` any bad record raises `ValidationError` naming every refused
        record (`[index]`) and nothing is written. With `atomic=False` the good records are
        written and the report lists each refused one with its reason. Records whose source
        id is already known are skipped as already captured.
        """
        now = self.clock.now()
        requests: list[AppendRequest] = []
        captured: list[str] = []
        known: list[str] = []
        refused: list[Refusal] = []
        seen_ids: set[str] = set()
        seen_sources: set[str] = set()
        for index, lead in enumerate(leads):
            source_id = lead.source.source_id
            if source_id is not None and (
                source_id in seen_sources or self.store.find_by_source_id(source_id)
            ):
                known.append(lead.id)
                continue
            try:
                if lead.id in seen_ids:
                    raise ValidationError.at(
                        "id", f"lead id {lead.id!r} appears twice in the batch"
                    )
                events = decide(None, Capture(lead=lead), self.playbook, now=now)
                after = evolve(None, events[0])
                requests.append(
                    AppendRequest(
                        lead_id=lead.id,
                        expected_version=0,
                        events=events,
                        snapshot=after,
                        due_at=self._due_at(events, after),
                    )
                )
            except LeadPipelineError as exc:
                refused.append(Refusal(index=index, lead_id=lead.id, reason=str(exc)))
                continue
            seen_ids.add(lead.id)
            if source_id is not None:
                seen_sources.add(source_id)
            captured.append(lead.id)
        if refused and atomic:
            raise ValidationError((f"[{r.index}]", r.reason) for r in refused)
        if requests:
            self.store.append_many(requests)
        return ImportReport(
            captured=tuple(captured), already_captured=tuple(known), refused=tuple(refused)
        )

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
        """Erase personal data from snapshot, history and pending notifications."""
        from leadpipeline.events import redact, replay  # noqa: PLC0415  # erasure only

        lead = self.store.load(lead_id)
        events = decide(lead, Erase(), self.playbook, now=self.clock.now())
        if not events:
            return lead
        redacted = tuple(redact(e) for e in self.store.history(lead_id))
        snapshot = replay((*redacted, *events))
        self.store.erase(lead_id, events=events, snapshot=snapshot, expected_version=lead.version)
        return snapshot

    def escalate(self, lead_id: str) -> Lead:
        """Record breaches of this lead's SLAs and escalate each due step once."""
        now = self.clock.now()
        history = self.store.history(lead_id)
        found = breaches(history, self.playbook.sla_policies, self.playbook.calendar, now)
        if not any(not b.recorded or b.pending for b in found):
            return self.store.load(lead_id)
        return self.execute(lead_id, Escalate(breaches=found))

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

    Any other lead raises `NotFoundError`, exactly as if it did not exist.
    """

    def __init__(self, pipeline: Pipeline, partner_id: str) -> None:
        self._pipeline = pipeline
        self.partner_id = partner_id

    def _visible(self, lead: Lead) -> bool:
        return lead.owner == Party.partner(self.partner_id) or self.partner_id in lead.offered_to

    def get(self, lead_id: str) -> PartnerPackage:
        """The lead as this partner may see it."""
        lead = self._pipeline.store.load(lead_id)
        if not self._visible(lead):
            raise NotFoundError(lead_id)
        return partner_package(
            lead,
            self._pipeline.store.history(lead_id),
            self._pipeline.playbook,
            partner_id=self.partner_id,
        )

    def leads(self) -> tuple[Lead, ...]:
        """Leads this partner holds or is offered."""
        return self._pipeline.store.query(partner_id=self.partner_id)

    def outbox(self, lead_id: str) -> tuple[Notification, ...]:
        """Notifications addressed to this partner about one of its leads."""
        self.get(lead_id)
        me = f"partner/{self.partner_id}"
        return tuple(
            e.notification
            for e in self._pipeline.store.outbox(lead_id)
            if e.notification.recipient == me
        )

    def accept(self, lead_id: str) -> Lead:
        """Accept an offer."""
        self.get(lead_id)
        return self._pipeline.partner_accept(lead_id, self.partner_id)

    def return_lead(self, lead_id: str, *, reason: str, comment: str) -> Lead:
        """Return a lead with a reason code and a comment."""
        self.get(lead_id)
        return self._pipeline.return_lead(lead_id, self.partner_id, reason=reason, comment=comment)

    def complete(
        self, lead_id: str, outcome: Outcome, *, reason: str = "", revenue: float | None = None
    ) -> Lead:
        """Report the end of the sales process."""
        self.get(lead_id)
        return self._pipeline.complete(
            lead_id, outcome, reason=reason, revenue=revenue, actor=Party.partner(self.partner_id)
        )
