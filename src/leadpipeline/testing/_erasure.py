"""The contract's erasure part: personal data gone everywhere, stages and timings kept."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import attrs

from leadpipeline.errors import ConflictError, ValidationError
from leadpipeline.events import ERASED, Event, replay
from leadpipeline.lead import Contact, Interaction, InteractionKind, Lead, Party
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.serialization import to_json
from leadpipeline.stages.commands import AddNote, Erase, MoveStage, RecordInteraction, UpdateProfile
from leadpipeline.stages.transition import Transition, transition
from leadpipeline.testing._support import CLOSED_STAGES, T0, StoreCase, _note, _pytest

__all__ = ["ErasureContract"]

_EMAIL = "annika.lindqvist@example.com"
_NAME = "Lindqvist"
_PHONE = "+46 8 555 0101"


class ErasureContract(StoreCase):
    """Erasure removes personal data everywhere and keeps the shape of the history."""

    def _personal_lead(self) -> Lead:
        lead = self.new("L-1", email=_EMAIL, last_name=_NAME, company="Acme", domain="acme.example")
        touch = Interaction(
            kind=InteractionKind.FORM_SUBMIT, at=T0, detail=f"quote request from {_EMAIL}"
        )
        lead = self.do(lead, RecordInteraction(interaction=touch), T0)
        lead = self.do(
            lead,
            UpdateProfile(contact=Contact(last_name=_NAME, email=_EMAIL, phone=_PHONE)),
            T0 + timedelta(minutes=1),
        )
        lead = self.do(lead, AddNote(text=f"{_NAME} prefers calls on {_PHONE}"), T0)
        note = _note(
            lead, "handed_over", Party.sales(team="inside-sales"), T0, f"Call {_NAME} on {_PHONE}"
        )
        return self.do(lead, MoveStage(to_stage="mql"), T0, notifications=(note,))

    def plan_erasure(self, lead_id: str, at: datetime) -> Transition:
        """The erasure the core decides for the lead as stored, as the shell asks for it."""
        return transition(
            self.store.load(lead_id),
            Erase(),
            DEFAULT_PLAYBOOK,
            now=at,
            history=self.store.history(lead_id),
            outbox=self.store.outbox(lead_id),
        )

    def erase(self, lead_id: str, at: datetime) -> tuple[Event, ...]:
        """Erase a lead the way the shell does (record, then scrub); the history before."""
        before = self.store.history(lead_id)
        self.store.record(self.plan_erasure(lead_id, at))
        self.store.scrub()
        return before

    def test_erase_removes_personal_data_everywhere(self) -> None:
        """After erasure no stored event, snapshot or outbox entry holds the personal data."""
        self._personal_lead()
        self.erase("L-1", T0 + timedelta(days=30))
        stored = [
            to_json(self.store.history("L-1"), tuple[Event, ...]),
            to_json(self.store.load("L-1")),
            *(to_json(e) for e in self.store.outbox("L-1")),
        ]
        for text in stored:
            for secret in (_EMAIL, _NAME, _PHONE):
                assert secret not in text
        lead = self.store.load("L-1")
        assert lead.erased
        assert lead.contact.email == ERASED

    def test_erase_keeps_stages_and_timings(self) -> None:
        """Erasure keeps every event's kind, time and stage, and appends the erasure event."""
        before_lead = self._personal_lead()
        before = self.erase("L-1", T0 + timedelta(days=30))
        after = self.store.history("L-1")
        assert len(after) == len(before) + 1
        assert [(type(e), e.at) for e in after[:-1]] == [(type(e), e.at) for e in before]
        assert type(after[-1]).__name__ == "PersonalDataErased"
        lead = self.store.load("L-1")
        assert (lead.stage, lead.owner, lead.version) == (
            before_lead.stage,
            before_lead.owner,
            before_lead.version + 1,
        )
        assert self.store.query(stage="mql") == (lead,)

    def test_erased_lead_is_no_duplicate(self) -> None:
        """An erased person is never matched to a new capture, by email or by company."""
        self._personal_lead()
        find = functools.partial(self.store.find_duplicate, closed_stages=CLOSED_STAGES)
        assert find(email=None, domain="acme.example", company_name="Acme") == "L-1"
        self.erase("L-1", T0 + timedelta(days=30))
        assert find(email=_EMAIL, domain=None, company_name=None) is None
        assert find(email=None, domain="acme.example", company_name="Acme") is None

    def test_scrub_is_cheap_to_repeat_and_changes_no_lead(self) -> None:
        """Scrubbing with nothing due, or twice after one erasure, leaves every lead as it was."""
        self.store.scrub()
        lead = self._personal_lead()
        self.erase("L-1", T0 + timedelta(days=30))
        erased = self.store.load("L-1")
        self.store.scrub()
        assert self.store.load("L-1") == erased
        assert erased.version == lead.version + 1

    def test_erase_keeps_each_entrys_delivery_state(self) -> None:
        """Erasure rewrites an outbox entry's text and error, never its attempts or delivery."""
        self._personal_lead()
        (entry,) = self.store.outbox("L-1")
        retry_at = T0 + timedelta(minutes=5)
        self.store.mark_failed(entry.id, error=f"mailbox of {_EMAIL} full", retry_at=retry_at)
        self.erase("L-1", T0 + timedelta(days=30))
        (after,) = self.store.outbox("L-1")
        assert (after.id, after.attempts, after.next_attempt_at) == (entry.id, 1, retry_at)
        assert after.delivered_at is None
        assert after.last_error == ERASED
        assert _NAME not in after.notification.message
        assert after.notification.key == entry.notification.key

    def test_erase_after_a_concurrent_write_conflicts(self) -> None:
        """An erasure planned before another write landed conflicts and changes nothing."""
        pytest = _pytest()
        self._personal_lead()
        planned = self.plan_erasure("L-1", T0 + timedelta(days=30))
        lead = self.do(self.store.load("L-1"), AddNote(text=f"call {_NAME} again"), T0)
        history = self.store.history("L-1")
        with pytest.raises(ConflictError) as caught:
            self.store.record(planned)
        assert (caught.value.expected, caught.value.actual) == (lead.version - 1, lead.version)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == lead

    def test_erase_with_a_negative_version_is_invalid(self) -> None:
        """A negative expected version is a programming error, not a retryable conflict."""
        pytest = _pytest()
        lead = self._personal_lead()
        planned = self.plan_erasure("L-1", T0)
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(planned, expected_version=-1)
        assert "expected_version" in caught.value.paths
        assert self.store.load("L-1") == lead

    def test_erase_on_a_stale_version_conflicts(self) -> None:
        """An erasure decided on a stale version raises ConflictError and changes nothing."""
        pytest = _pytest()
        lead = self._personal_lead()
        history = self.store.history("L-1")
        stale = replay(history[:-1])
        planned = transition(stale, Erase(), DEFAULT_PLAYBOOK, now=T0, history=history[:-1])
        with pytest.raises(ConflictError) as caught:
            self.store.record(planned)
        assert (caught.value.expected, caught.value.actual) == (stale.version, lead.version)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == lead
