"""The shell adds nothing to the decisions: stored state always equals a pure replay."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from leadpipeline import (
    Accept,
    AllocateChannel,
    AssignPartner,
    Capture,
    Command,
    Complete,
    Disqualify,
    Escalate,
    ExpireOffers,
    HandOver,
    Interaction,
    InteractionKind,
    Lead,
    Merge,
    Nurture,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Pipeline,
    Qualify,
    QualifySql,
    RecordInteraction,
    Reject,
    ReturnLead,
    decide,
    replay,
)
from leadpipeline.adapters import MemoryStore, SimulatedClock, SqliteStore
from leadpipeline.adapters.ports import LeadKeys, normalise_email
from leadpipeline.errors import LeadPipelineError
from leadpipeline.events import Event, redact
from leadpipeline.lifecycle import STANDARD_LIFECYCLE
from leadpipeline.rules.sla import breaches
from leadpipeline.stages.commands import Erase
from tests.pipeline_support import PLAYBOOK, T0, fair_lead

PARTNERS = [p.id for p in PLAYBOOK.partners]
LOADED = (AssignPartner, OfferToPartners, ReturnLead, ExpireOffers)
STEPS = st.sampled_from(
    [timedelta(minutes=5), timedelta(hours=3), timedelta(days=1), timedelta(days=4)]
)


class PipelineMachine(RuleBasedStateMachine):
    """Random commands through Pipeline on two stores, beside a pure decide+evolve model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="leadpipeline-stateful-"))
        self.clock = SimulatedClock(T0)
        self.sqlite = SqliteStore(self.folder / "leads.db")
        self.pipelines = [
            Pipeline(PLAYBOOK, store=MemoryStore(), clock=self.clock),
            Pipeline(PLAYBOOK, store=self.sqlite, clock=self.clock),
        ]
        self.model: dict[str, tuple[Event, ...]] = {}
        self.next = 1

    def teardown(self) -> None:
        self.sqlite.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the pure model --------------------------------------------------------------------

    def lead(self, lead_id: str) -> Lead:
        return replay(self.model[lead_id])

    def playbook_for(self, command: Command) -> Any:
        if not isinstance(command, LOADED):
            return PLAYBOOK
        snapshots = [self.lead(i) for i in self.model]
        partners = tuple(
            attrs.evolve(p, open_leads=sum(p.id in LeadKeys.of(s).partner_ids for s in snapshots))
            for p in PLAYBOOK.partners
        )
        return attrs.evolve(PLAYBOOK, partners=partners)

    def twin(self, lead: Lead) -> str | None:
        email = normalise_email(lead.contact.email)
        found = [
            i
            for i in self.model
            if (s := self.lead(i)).stage not in STANDARD_LIFECYCLE.closed_stages
            and not s.erased
            and normalise_email(s.contact.email) == email
        ]
        return min(found) if found else None

    def stored(self, lead_id: str) -> list[Any]:
        return [
            (p.store.load(lead_id), p.store.history(lead_id), p.store.outbox(lead_id))
            for p in self.pipelines
        ]

    def run(
        self,
        lead_id: str,
        command: Command,
        call: Callable[[Pipeline], Lead],
        *,
        erase: bool = False,
    ) -> None:
        """Decide purely; run through both pipelines; a refusal must change nothing."""
        now = self.clock.now()
        history = self.model[lead_id]
        refusal: type[LeadPipelineError] | None = None
        events: tuple[Event, ...] = ()
        try:
            events = decide(
                replay(history), command, self.playbook_for(command), now=now, history=history
            )
        except LeadPipelineError as exc:
            refusal = type(exc)
        if refusal is not None:
            before = self.stored(lead_id)
            for pipeline in self.pipelines:
                with pytest.raises(refusal) as refused:
                    call(pipeline)
                assert type(refused.value) is refusal
            assert self.stored(lead_id) == before
            return
        if events:
            base = tuple(redact(e) for e in history) if erase else history
            self.model[lead_id] = (*base, *events)
        for pipeline in self.pipelines:
            assert call(pipeline) == self.lead(lead_id)

    # -- rules -----------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < 3)
    @rule()
    def capture(self) -> None:
        lead = fair_lead(self.next, at=self.clock.now())
        self.next += 1
        self.capture_lead(lead)

    def capture_lead(self, lead: Lead) -> None:
        twin = self.twin(lead)
        outcomes = {p.capture(lead).outcome for p in self.pipelines}
        if twin is not None:
            assert outcomes == {"merged"}
            merge = Merge(source=lead.source, interactions=lead.interactions)
            events = decide(
                self.lead(twin), merge, PLAYBOOK, now=self.clock.now(), history=self.model[twin]
            )
            self.model[twin] = (*self.model[twin], *events)
        else:
            assert outcomes == {"captured"}
            self.model[lead.id] = decide(None, Capture(lead=lead), PLAYBOOK, now=self.clock.now())

    @precondition(lambda self: 0 < len(self.model) < 4)
    @rule(data=st.data())
    def rescan_or_duplicate(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(sorted(self.model)))
        original = self.model[lead_id][0].lead  # type: ignore[union-attr]
        if data.draw(st.booleans()):
            again = attrs.evolve(original, id=f"X-{self.next}")
            before = [self.stored(i) for i in sorted(self.model)]
            assert {p.capture(again).outcome for p in self.pipelines} == {"already_captured"}
            assert [self.stored(i) for i in sorted(self.model)] == before
        else:
            n = self.next
            self.next += 1
            self.capture_lead(fair_lead(n, at=self.clock.now(), email=original.contact.email))

    @rule(step=STEPS)
    def time_passes(self, step: timedelta) -> None:
        self.clock.advance(step)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def command(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(sorted(self.model)))
        pid = data.draw(st.sampled_from(PARTNERS))
        kind = data.draw(st.sampled_from(list(InteractionKind)))
        touch = Interaction(kind=kind, at=self.clock.now())
        some = tuple(data.draw(st.lists(st.sampled_from(PARTNERS), unique=True, max_size=2)))
        outcome = data.draw(st.sampled_from(list(Outcome)))
        choices: list[tuple[Command, Callable[[Pipeline], Lead]]] = [
            (RecordInteraction(interaction=touch), lambda p: p.record_interaction(lead_id, touch)),
            (Qualify(), lambda p: p.qualify(lead_id)),
            (HandOver(), lambda p: p.hand_over(lead_id)),
            (Accept(), lambda p: p.accept(lead_id)),
            (Reject(reason="no_budget"), lambda p: p.reject(lead_id, reason="no_budget")),
            (QualifySql(), lambda p: p.qualify_sql(lead_id)),
            (AllocateChannel(), lambda p: p.allocate_channel(lead_id)),
            (AssignPartner(partner_id=pid), lambda p: p.assign_partner(lead_id, pid)),
            (OfferToPartners(partner_ids=some), lambda p: p.offer_to_partners(lead_id, some)),
            (PartnerAccept(partner_id=pid), lambda p: p.partner_accept(lead_id, pid)),
            (
                ReturnLead(partner_id=pid, reason="project_does_not_fit", comment="no fit"),
                lambda p: p.return_lead(
                    lead_id, pid, reason="project_does_not_fit", comment="no fit"
                ),
            ),
            (ExpireOffers(), lambda p: p.expire_offers(lead_id)),
            (Complete(outcome=outcome), lambda p: p.complete(lead_id, outcome)),
            (Nurture(reason="later"), lambda p: p.nurture(lead_id, reason="later")),
            (Disqualify(reason="student"), lambda p: p.disqualify(lead_id, reason="student")),
        ]
        command, call = data.draw(st.sampled_from(choices))
        self.run(lead_id, command, call)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        """The next step of the happy path for the lead's stage, so deep stages are reached."""
        lead_id = data.draw(st.sampled_from(sorted(self.model)))
        lead = self.lead(lead_id)
        pid = data.draw(st.sampled_from(lead.offered_to or tuple(PARTNERS)))
        steps: dict[str, tuple[Command, Callable[[Pipeline], Lead]]] = {
            "inquiry": (Qualify(), lambda p: p.qualify(lead_id)),
            "nurture": (Qualify(), lambda p: p.qualify(lead_id)),
            "sal": (QualifySql(), lambda p: p.qualify_sql(lead_id)),
            "opportunity": (
                Complete(outcome=Outcome.WON, revenue=50_000.0),
                lambda p: p.complete(lead_id, Outcome.WON, revenue=50_000.0),
            ),
        }
        step: tuple[Command, Callable[[Pipeline], Lead]]
        if lead.stage == "mql":
            step = (
                (HandOver(), lambda p: p.hand_over(lead_id))
                if lead.owner.kind.value == "marketing"
                else (Accept(), lambda p: p.accept(lead_id))
            )
        elif lead.stage == "sql" and lead.channel is None:
            step = (AllocateChannel(), lambda p: p.allocate_channel(lead_id))
        elif lead.stage == "sql" and lead.offers:
            step = (PartnerAccept(partner_id=pid), lambda p: p.partner_accept(lead_id, pid))
        elif lead.stage == "sql":
            step = (OfferToPartners(), lambda p: p.offer_to_partners(lead_id))
        elif lead.stage in steps:
            step = steps[lead.stage]
        else:
            return
        event(f"progress from {lead.stage}")
        self.run(lead_id, *step)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def escalate(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(sorted(self.model)))
        found = breaches(
            self.model[lead_id], PLAYBOOK.sla_policies, PLAYBOOK.calendar, now=self.clock.now()
        )
        if not any(not b.recorded or b.pending for b in found):
            for pipeline in self.pipelines:
                assert pipeline.escalate(lead_id) == self.lead(lead_id)
            return
        self.run(lead_id, Escalate(breaches=found), lambda p: p.escalate(lead_id))

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(sorted(self.model)))
        self.run(lead_id, Erase(), lambda p: p.erase(lead_id), erase=True)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def stores_equal_the_pure_replay(self) -> None:
        for lead_id, events in self.model.items():
            for pipeline in self.pipelines:
                assert pipeline.store.history(lead_id) == events
                assert pipeline.store.load(lead_id) == replay(events)
        ids = sorted(self.model)
        for pipeline in self.pipelines:
            assert sorted(lead.id for lead in pipeline.store.query()) == ids


PipelineMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=50, deadline=None)
TestPipelineStateful = PipelineMachine.TestCase
