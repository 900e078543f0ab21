"""A store's encoded append holds exactly the texts `to_json` writes for each value."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import (
    Capture,
    Event,
    Lead,
    Party,
    Source,
    ValidationError,
    decide,
    from_json,
    to_json,
)
from leadpipeline.adapters import (
    EncodedSnapshot,
    EncodedTransition,
    LeadKeys,
    email_digest,
    normalise_email,
    party_key,
)
from leadpipeline.events import evolve
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.stages import Transition
from tests.strategies import aware_datetimes, captured_leads, decided_batches, parties

AT = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
WEB = Source(channel="web", captured_at=AT)


def transitions_of(batches: tuple[tuple[Event, ...], ...]) -> list[Transition]:
    """One transition per decided batch, as the shell records them."""
    out: list[Transition] = []
    lead: Lead | None = None
    for batch in batches:
        before = lead.version if lead is not None else 0
        for event in batch:
            lead = evolve(lead, event)
        assert lead is not None
        out.append(Transition(lead_id=lead.id, expected_version=before, events=batch, after=lead))
    return out


def checked(value: Any) -> Any:
    """`value` built again through its class, with every field checked, nested ones too."""
    if not attrs.has(type(value)) or not isinstance(
        value, (EncodedTransition, EncodedSnapshot, LeadKeys)
    ):
        return value
    fields: dict[str, Any] = {
        f.alias: checked(getattr(value, f.name)) for f in attrs.fields(type(value))
    }
    return type(value)(**fields)


def assert_plain(encoded: EncodedTransition) -> None:
    """Every text is `to_json`'s, every key `LeadKeys.of`'s; built as the classes build."""
    written = encoded.transition
    assert encoded == checked(encoded)
    assert type(encoded.snapshot.keys) is LeadKeys
    assert encoded.events == tuple(to_json(e, Event) for e in written.events)
    assert encoded.snapshot.text == to_json(written.after)
    assert encoded.snapshot.lead is written.after
    assert encoded.notifications == tuple(to_json(n) for n in written.notifications)
    keys = LeadKeys.of(written.after)
    assert encoded.snapshot.keys == keys
    assert encoded.snapshot.owner == to_json(keys.owner)
    assert encoded.snapshot.email_digest == email_digest(keys.email)


class TestEncodedTransition:
    @given(decided_batches(max_commands=6))
    def test_texts_are_exactly_to_json(self, batches: tuple[tuple[Event, ...], ...]) -> None:
        """Every transition of a decided history encodes to the texts `to_json` writes."""
        for written in transitions_of(batches):
            assert_plain(EncodedTransition.of(written))

    @given(captured_leads(), aware_datetimes(), st.none() | parties())
    def test_a_capture_shares_its_lead_text(
        self, lead: Lead, now: datetime, actor: Party | None
    ) -> None:
        """A capture's event and snapshot texts read back as the event and the lead."""
        events = decide(None, Capture(lead=lead, actor=actor), DEFAULT_PLAYBOOK, now=now)
        snapshot = evolve(None, events[0])
        encoded = EncodedTransition.of(
            Transition(lead_id=lead.id, expected_version=0, events=events, after=snapshot)
        )
        assert_plain(encoded)
        event: Event = from_json(encoded.events[0], Event)
        lead_back: Lead = from_json(encoded.snapshot.text, Lead)
        assert (event, lead_back) == (events[0], snapshot)

    def test_a_capture_with_another_snapshot_is_encoded_plainly(self) -> None:
        """A first event whose lead differs from the snapshot is not taken as its text."""
        events = decide(None, Capture(lead=Lead(id="L-1", source=WEB)), DEFAULT_PLAYBOOK, now=AT)
        changed = Lead(id="L-1", source=WEB, version=1, notes=("x",))
        encoded = EncodedTransition.of(
            Transition(lead_id="L-1", expected_version=0, events=events, after=changed)
        )
        assert_plain(encoded)


class TestKeys:
    def test_party_key_is_the_json_of_the_party(self) -> None:
        """The owner key is the party's JSON, the same text on every call."""
        party = Party.partner("p-7")
        assert party_key(party) == to_json(party)
        assert party_key(Party.partner("p-7")) is party_key(party)

    @given(st.emails())
    def test_email_digest_matches_however_the_address_is_written(self, email: str) -> None:
        """Case and surrounding blanks do not change the digest; the address is not in it."""
        digest = email_digest(normalise_email(email))
        assert digest == email_digest(normalise_email(f"  {email.upper()} "))
        assert digest is not None
        assert len(digest) == 64
        assert digest == hashlib.sha256(email.lower().encode()).hexdigest()


def test_a_text_a_host_hands_over_is_still_checked() -> None:
    """Only what the store's own encoder made skips the checks; a host's text does not."""
    lead = Lead(id="L-1", source=WEB)
    with pytest.raises(ValidationError, match="text"):
        EncodedSnapshot.of(lead, 123)  # type: ignore[arg-type]
