"""A state machine drives random basic commands through decide + evolve on the waterfall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import attrs
import pytest
from hypothesis import event as note_event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    AddNote,
    Capture,
    Command,
    Company,
    Contact,
    Disqualify,
    Erase,
    Event,
    Interaction,
    Lead,
    MoveStage,
    Nurture,
    Party,
    PartyKind,
    RecordInteraction,
    Source,
    TransitionError,
    UpdateProfile,
    ValidationError,
    decide,
    replay,
)
from leadpipeline.events import (
    Disqualified,
    InteractionRecorded,
    LeadCaptured,
    NoteAdded,
    Nurtured,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PersonalDataErased,
    ProfileUpdated,
    Rejected,
    StageChanged,
    evolve,
)
from leadpipeline.lifecycle import STANDARD_LIFECYCLE
from tests.strategies import (
    captured_leads,
    companies,
    contacts,
    identifiers,
    interactions,
    parties,
    timezones,
    words,
)

# The waterfall written out by hand, so the test checks STANDARD_LIFECYCLE rather than
# trusting it.
WATERFALL: dict[str, set[str]] = {
    "inquiry": {"mql", "nurture", "disqualified"},
    "mql": {"sal", "inquiry", "nurture", "disqualified"},
    "sal": {"sql", "nurture", "disqualified"},
    "sql": {"opportunity", "nurture", "disqualified"},
    "opportunity": {"sql", "customer", "nurture", "disqualified"},
    "customer": set(),
    "nurture": {"mql", "disqualified"},
    "disqualified": {"nurture"},
}
FORWARD = {
    "inquiry": "mql",
    "mql": "sal",
    "sal": "sql",
    "sql": "opportunity",
    "opportunity": "customer",
    "customer": "customer",
    "nurture": "mql",
    "disqualified": "nurture",
}
OWNERS: dict[str, set[PartyKind]] = {
    "inquiry": {PartyKind.MARKETING},
    "mql": {PartyKind.MARKETING, PartyKind.SALES},
    "sal": {PartyKind.SALES},
    "sql": {PartyKind.SALES},
    "opportunity": {PartyKind.SALES, PartyKind.PARTNER},
    "customer": {PartyKind.CUSTOMER_MARKETING},
    "nurture": {PartyKind.MARKETING},
    "disqualified": {PartyKind.MARKETING},
}
DEFAULT_OWNER = {
    PartyKind.MARKETING: Party.marketing(),
    PartyKind.SALES: Party.sales(),
    PartyKind.CUSTOMER_MARKETING: Party.customer_marketing(),
}
STAGE_NAMES = [*sorted(WATERFALL), "won", "lost", "INQUIRY", "sql ", "partner"]


def _destinations(allowed: tuple[str, ...]) -> set[str]:
    """The target stages named by a TransitionError's `allowed` (``"a -> b"`` or ``"b"``)."""
    return {entry.split(" -> ")[-1] for entry in allowed}


CLOSED = frozenset({"customer", "disqualified"})
REJECTION_CODES = tuple(r.code for r in DEFAULT_PLAYBOOK.rejection_reasons)


def _hand_back_allowed(current: Party, new: Party, target: str) -> tuple[str, ...]:
    """The decisions a generic move must use instead, when it would give the lead back."""
    if target in CLOSED:
        return ()
    if current.kind is PartyKind.SALES and new.kind is PartyKind.MARKETING:
        return ("reject", "nurture")
    if current.kind is PartyKind.PARTNER and new.kind in (PartyKind.SALES, PartyKind.MARKETING):
        return ("return_lead", "reclaim")
    return ()


def _expected_owner(current: Party, target: str, explicit: Party | None) -> Party:
    if explicit is not None:
        return explicit
    if current.kind in OWNERS[target]:
        return current
    for kind in (PartyKind.MARKETING, PartyKind.SALES, PartyKind.CUSTOMER_MARKETING):
        if kind in OWNERS[target]:
            return DEFAULT_OWNER[kind]
    raise AssertionError(f"no default owner for {target}")  # pragma: no cover


class LeadLifecycleMachine(RuleBasedStateMachine):
    """One lead, its history, and a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.history: tuple[Event, ...] = ()
        self.lead: Lead | None = None
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.captured: Lead | None = None

    # --- helpers ------------------------------------------------------------------------

    @property
    def current(self) -> Lead:
        assert self.lead is not None
        return self.lead

    def _tick(self, minutes: int, zone: tzinfo) -> datetime:
        self.now = (self.now + timedelta(minutes=minutes)).astimezone(zone)
        return self.now

    def _apply(self, events: tuple[Event, ...]) -> None:
        lead = self.lead
        for event in events:
            assert lead is None or event.lead_id == lead.id
            assert event.at == self.now
            lead = evolve(lead, event)
        self.lead = lead
        self.history = (*self.history, *events)

    def _decide(self, command: Command) -> tuple[Event, ...]:
        return decide(self.lead, command, DEFAULT_PLAYBOOK, now=self.now)

    def _refused(self, command: Command) -> TransitionError:
        before = self.lead
        with pytest.raises(TransitionError) as info:
            self._decide(command)
        assert self.lead == before
        error = info.value
        assert error.lead_id == self.current.id
        assert error.stage == self.current.stage
        return error

    # --- rules --------------------------------------------------------------------------

    @initialize(lead=captured_leads())
    def capture(self, lead: Lead) -> None:
        self.now = lead.source.captured_at
        events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=self.now)
        assert [type(e) for e in events] == [LeadCaptured]
        self.captured = lead
        self._apply(events)
        assert self.current.stage == "inquiry"
        assert self.current.version == 1

    @rule(minutes=st.integers(0, 60 * 24 * 30), zone=timezones(), interaction=interactions())
    def record_interaction(self, minutes: int, zone: tzinfo, interaction: Interaction) -> None:
        self._tick(minutes, zone)
        before = self.current
        events = self._decide(RecordInteraction(interaction=interaction))
        assert [type(e) for e in events] == [InteractionRecorded]
        self._apply(events)
        assert self.current.interactions == (*before.interactions, interaction)
        assert (self.current.stage, self.current.owner) == (before.stage, before.owner)

    @rule(
        minutes=st.integers(0, 60 * 24 * 30),
        zone=timezones(),
        to_stage=st.sampled_from(STAGE_NAMES),
        owner=st.none() | parties(),
        reason=st.sampled_from(["", "budget confirmed", "meeting booked"]),
    )
    def move_stage(
        self, minutes: int, zone: tzinfo, to_stage: str, owner: Party | None, reason: str
    ) -> None:
        self._tick(minutes, zone)
        self._move(to_stage, owner, reason)

    @rule(minutes=st.integers(0, 60 * 24 * 30), zone=timezones(), data=st.data())
    def advance(self, minutes: int, zone: tzinfo, data: st.DataObject) -> None:
        """A few legal moves, mostly forward, so the machine walks deep into the waterfall."""
        self._tick(minutes, zone)
        for _ in range(data.draw(st.integers(1, 5), label="steps")):
            stage = self.current.stage
            nexts = sorted(WATERFALL[stage]) or [stage]
            to_stage = data.draw(
                st.sampled_from([FORWARD[stage]]) | st.sampled_from(nexts), label="to_stage"
            )
            kinds = frozenset(OWNERS[to_stage])
            owner = data.draw(st.none() | parties(kinds=kinds), label="owner")
            self._move(to_stage, owner, "next step")

    def _move(self, to_stage: str, owner: Party | None, reason: str) -> None:
        lead = self.current
        command = MoveStage(to_stage=to_stage, reason=reason, owner=owner)
        if to_stage not in WATERFALL:
            error = self._refused(command)
            assert to_stage in error.command
            assert "unknown stage" in error.reason
            assert _destinations(error.allowed) == WATERFALL[lead.stage]
            return
        if to_stage != lead.stage and to_stage not in WATERFALL[lead.stage]:
            error = self._refused(command)
            assert error.command == f"move_stage: {lead.stage} -> {to_stage}"
            assert set(error.allowed) == {f"{lead.stage} -> {d}" for d in WATERFALL[lead.stage]}
            return
        new_owner = _expected_owner(lead.owner, to_stage, owner)
        if new_owner.kind not in OWNERS[to_stage]:
            error = self._refused(command)
            assert set(error.allowed) == {k.value for k in OWNERS[to_stage]}
            return
        instead = _hand_back_allowed(lead.owner, new_owner, to_stage)
        if instead:
            error = self._refused(command)
            assert error.allowed == instead
            note_event("generic hand-back refused")
            return
        events = self._decide(command)
        expected: list[type] = []
        if to_stage != lead.stage:
            expected.append(StageChanged)
        if new_owner != lead.owner:
            expected.append(OwnerChanged)
        assert [type(e) for e in events] == expected
        for event in events:
            if isinstance(event, StageChanged):
                assert (event.from_stage, event.to_stage, event.reason) == (
                    lead.stage,
                    to_stage,
                    reason,
                )
            if isinstance(event, OwnerChanged):
                assert (event.from_owner, event.to_owner) == (lead.owner, new_owner)
        self._apply(events)
        assert self.current.stage == to_stage
        assert self.current.owner == new_owner
        note_event(f"moved to {to_stage}")

    def _drop(self, command: Nurture | Disqualify, target: str, marker: type) -> None:
        lead = self.current
        if isinstance(command, Nurture) and lead.owner.kind is PartyKind.PARTNER:
            assert self._refused(command).allowed == ("return_lead", "reclaim")
            return
        hand_back = isinstance(command, Nurture) and lead.owner.kind is PartyKind.SALES
        if hand_back and command.reason not in REJECTION_CODES:
            before = self.lead
            with pytest.raises(ValidationError) as info:
                self._decide(command)
            assert info.value.paths == ("reason",)
            assert self.lead == before
            return
        if target != lead.stage and target not in WATERFALL[lead.stage]:
            error = self._refused(command)
            assert _destinations(error.allowed) == WATERFALL[lead.stage]
            return
        events = self._decide(command)
        withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
        assert sorted(e.partner_id for e in withdrawn) == sorted(lead.offered_to)
        rest = [type(e) for e in events[len(withdrawn) :]]
        expected: list[type] = [Rejected, marker] if hand_back else [marker]
        if target != lead.stage:
            expected.append(StageChanged)
        if lead.owner != Party.marketing():
            expected.append(OwnerChanged)
        assert rest == expected
        self._apply(events)
        assert self.current.stage == target
        assert self.current.owner == Party.marketing()
        assert self.current.offers == ()

    @rule(
        minutes=st.integers(0, 60 * 24 * 90),
        zone=timezones(),
        reason=words() | st.sampled_from(REJECTION_CODES),
    )
    def nurture(self, minutes: int, zone: tzinfo, reason: str) -> None:
        self._tick(minutes, zone)
        self._drop(Nurture(reason=reason), "nurture", Nurtured)

    @rule(minutes=st.integers(0, 60 * 24 * 90), zone=timezones(), reason=words())
    def disqualify(self, minutes: int, zone: tzinfo, reason: str) -> None:
        self._tick(minutes, zone)
        self._drop(Disqualify(reason=reason), "disqualified", Disqualified)

    @rule(minutes=st.integers(0, 600), zone=timezones(), text=words())
    def add_note(self, minutes: int, zone: tzinfo, text: str) -> None:
        self._tick(minutes, zone)
        before = self.current
        events = self._decide(AddNote(text=text))
        assert [type(e) for e in events] == [NoteAdded]
        self._apply(events)
        assert self.current.notes == (*before.notes, text)

    @rule(
        minutes=st.integers(0, 600),
        zone=timezones(),
        contact=st.none() | contacts(),
        company=st.none() | companies(),
    )
    def update_profile(
        self, minutes: int, zone: tzinfo, contact: Contact | None, company: Company | None
    ) -> None:
        self._tick(minutes, zone)
        before = self.current
        events = self._decide(UpdateProfile(contact=contact, company=company))
        assert [type(e) for e in events] == [ProfileUpdated]
        self._apply(events)
        assert self.current.contact == (contact if contact is not None else before.contact)
        assert self.current.company == (company if company is not None else before.company)
        assert self.current.needs == before.needs

    @rule(minutes=st.integers(0, 600), zone=timezones())
    def erase(self, minutes: int, zone: tzinfo) -> None:
        self._tick(minutes, zone)
        before = self.current
        events = self._decide(Erase())
        if before.erased:
            assert events == ()
            return
        assert [type(e) for e in events] == [PersonalDataErased]
        self._apply(events)
        assert self.current.erased
        assert self.current.notes == ()
        assert (self.current.stage, self.current.owner) == (before.stage, before.owner)

    @precondition(lambda self: self.lead is not None and self.lead.stage in {"sql", "opportunity"})
    @rule(minutes=st.integers(0, 600), zone=timezones(), partner=identifiers("p-"))
    def partner_offered(self, minutes: int, zone: tzinfo, partner: str) -> None:
        """Stands in for OfferToPartners (not yet decided here): an offer event is given."""
        self._tick(minutes, zone)
        event = Offered(
            lead_id=self.current.id,
            at=self.now,
            actor=Party.sales(),
            partner_id=partner,
            expires_at=self.now + timedelta(days=3),
        )
        self._apply((event,))
        assert partner in self.current.offered_to

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def one_owner_valid_for_the_stage(self) -> None:
        if self.lead is not None:
            assert isinstance(self.lead.owner, Party)
            assert self.lead.owner.kind in OWNERS[self.lead.stage]
            assert self.lead.owner.kind in STANDARD_LIFECYCLE.spec(self.lead.stage).owners

    @invariant()
    def source_unchanged(self) -> None:
        if self.lead is not None and self.captured is not None:
            assert self.lead.source == self.captured.source

    @invariant()
    def version_counts_history(self) -> None:
        if self.lead is not None:
            assert self.lead.version == len(self.history)

    @invariant()
    def replay_agrees(self) -> None:
        if self.history:
            assert replay(self.history) == self.lead

    @invariant()
    def waterfall_matches_the_standard_lifecycle(self) -> None:
        if self.lead is not None:
            stage = self.lead.stage
            assert set(STANDARD_LIFECYCLE.allowed_from(stage)) == WATERFALL[stage]


TestLeadLifecycle = LeadLifecycleMachine.TestCase


class TestMachineHelpers:
    def test_destinations_reads_both_allowed_spellings(self) -> None:
        """Allowed moves spelled ``"sal -> sql"`` and plain ``"sql"`` name the same target."""
        assert _destinations(("sal -> sql", "nurture")) == {"sql", "nurture"}

    def test_erased_lead_keeps_its_stage(self) -> None:
        """A lead erased in SQL is still in SQL with its sales owner (the rule's premise)."""
        at = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
        lead = attrs.evolve(
            Lead(id="L-9", source=Source(channel="exhibition", captured_at=at)),
            stage="sql",
            owner=Party.sales(),
            version=3,
        )
        (event,) = decide(lead, Erase(), DEFAULT_PLAYBOOK, now=at)
        erased = evolve(lead, event)
        assert (erased.stage, erased.owner, erased.erased) == ("sql", Party.sales(), True)
