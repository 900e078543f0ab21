"""The contract's erasure part: personal data gone everywhere, stages and timings kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from leadpipeline.errors import ConflictError, ValidationError
from leadpipeline.events import ERASED, Event, redact, replay
from leadpipeline.lead import Contact, Interaction, InteractionKind, Lead
from leadpipeline.serialization import to_json
from leadpipeline.stages.commands import AddNote, Erase, MoveStage, RecordInteraction, UpdateProfile
from leadpipeline.testing._support import T0, StoreCase, _note, _pytest, step

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
        note = _note(lead, "handed_over", "sales/inside-sales", T0, f"Call {_NAME} on {_PHONE}")
        return self.do(lead, MoveStage(to_stage="mql"), T0, notifications=(note,))

    def erase(self, lead_id: str, at: datetime) -> tuple[Event, ...]:
        """Erase a lead the way the shell does; returns the history before erasure."""
        before = self.store.history(lead_id)
        lead = self.store.load(lead_id)
        events, _ = step(lead, Erase(), at)
        snapshot = replay([*(redact(e) for e in before), *events])
        self.store.erase(lead_id, events=events, snapshot=snapshot, expected_version=lead.version)
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
        find = self.store.find_duplicate
        assert find(email=None, domain="acme.example", company_name="Acme") == "L-1"
        self.erase("L-1", T0 + timedelta(days=30))
        assert find(email=_EMAIL, domain=None, company_name=None) is None
        assert find(email=None, domain="acme.example", company_name="Acme") is None

    def test_erase_expecting_a_new_lead_conflicts(self) -> None:
        """An erasure that expects version 0 of a stored lead conflicts, as an append does."""
        pytest = _pytest()
        lead = self._personal_lead()
        history = self.store.history("L-1")
        events, erased = step(lead, Erase(), T0)
        snapshot = attrs.evolve(erased, version=len(events))
        with pytest.raises(ConflictError) as caught:
            self.store.erase("L-1", events=events, snapshot=snapshot, expected_version=0)
        assert (caught.value.expected, caught.value.actual) == (0, lead.version)
        assert self.store.history("L-1") == history

    def test_erase_with_a_negative_version_is_invalid(self) -> None:
        """A negative expected version is a programming error, not a retryable conflict."""
        pytest = _pytest()
        lead = self._personal_lead()
        events, erased = step(lead, Erase(), T0)
        snapshot = attrs.evolve(erased, version=len(events) - 1)
        with pytest.raises(ValidationError) as caught:
            self.store.erase("L-1", events=events, snapshot=snapshot, expected_version=-1)
        assert "expected_version" in caught.value.paths
        assert self.store.load("L-1") == lead

    def test_erase_on_a_stale_version_conflicts(self) -> None:
        """An erasure decided on a stale version raises ConflictError and changes nothing."""
        pytest = _pytest()
        lead = self._personal_lead()
        history = self.store.history("L-1")
        stale = replay(history[:-1])
        events, _ = step(stale, Erase(), T0)
        snapshot = replay([*(redact(e) for e in history[:-1]), *events])
        with pytest.raises(ConflictError) as caught:
            self.store.erase(
                "L-1", events=events, snapshot=snapshot, expected_version=stale.version
            )
        assert (caught.value.expected, caught.value.actual) == (stale.version, lead.version)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == lead
