"""What the contract classes share: the test clock, events decided as the shell would, a base.

`captured` and `step` build histories through `decide`, the way the shell does, so the
contract checks a store against values it will really be given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.events import Event, Offered, evolve, replay
from leadpipeline.lead import Company, Contact, Lead, Party, Source
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.stages.commands import Capture, Command, MoveStage
from leadpipeline.stages.decide import decide
from leadpipeline.stages.notify import Notification
from leadpipeline.stages.transition import Transition

__all__ = ["CLOSED_STAGES", "T0", "StoreCase", "captured", "step"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday morning, when the trade-fair leads are imported."""

CLOSED_STAGES = DEFAULT_PLAYBOOK.lifecycle.closed_stages
"""Stages never matched as duplicates: the shell passes its lifecycle's."""


def _pytest() -> ModuleType:
    import pytest  # noqa: PLC0415  # imported late so this module loads without pytest

    return pytest


def captured(
    lead_id: str,
    *,
    at: datetime = T0,
    email: str | None = None,
    last_name: str = "Berg",
    company: str | None = None,
    domain: str | None = None,
    source_id: str | None = None,
) -> tuple[tuple[Event, ...], Lead]:
    """The events and snapshot of a freshly captured lead, decided as the shell would."""
    lead = Lead(
        id=lead_id,
        source=Source(channel="exhibition", captured_at=at, source_id=source_id),
        contact=Contact(first_name="Eva", last_name=last_name, email=email),
        company=Company(name=company, domain=domain),
    )
    events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=at)
    return events, replay(events)


def step(lead: Lead, command: Command, at: datetime) -> tuple[tuple[Event, ...], Lead]:
    """The events a command decides on `lead`, and the lead after them."""
    events = decide(lead, command, DEFAULT_PLAYBOOK, now=at)
    after = lead
    for event in events:
        after = evolve(after, event)
    return events, after


def _note(lead: Lead, kind: str, recipient: Party, at: datetime, message: str = "") -> Notification:
    return Notification.about(
        lead_id=lead.id,
        version=lead.version,
        kind=kind,
        recipient=recipient,
        message=message or f"{kind} {lead.id}",
        created_at=at,
        due_at=at + timedelta(hours=4),
    )


class StoreCase:
    """The store under test, made fresh for each test, and the helpers that write to it.

    The contract's parts (writing, reading, the outbox, erasure) each extend this class;
    `LeadStoreContract` combines them.
    """

    store: LeadStore

    def make_store(self) -> LeadStore:
        """A new, empty store for one test."""
        raise NotImplementedError

    def close_store(self, store: LeadStore) -> None:
        """Release the store after a test; calls ``store.close()`` when it has one."""
        close = getattr(store, "close", None)
        if callable(close):
            close()

    def setup_method(self, method: Any) -> None:
        """Give each test its own empty store."""
        self.store = self.make_store()

    def teardown_method(self, method: Any) -> None:
        """Release the test's store."""
        self.close_store(self.store)

    # -- helpers ------------------------------------------------------------------

    def record(
        self,
        lead_id: str,
        *,
        expected_version: int,
        events: tuple[Event, ...],
        after: Lead,
        notifications: Sequence[Notification] = (),
        due_at: datetime | None = None,
    ) -> None:
        """Record a transition built by hand, as a test of the store alone needs."""
        self.store.record(
            Transition(
                lead_id=lead_id,
                expected_version=expected_version,
                events=events,
                after=after,
                notifications=tuple(notifications),
                due_at=due_at,
            )
        )

    def new(self, lead_id: str, **fields: Any) -> Lead:
        """Capture a lead into the store and return its snapshot."""
        events, lead = captured(lead_id, **fields)
        self.record(lead_id, expected_version=0, events=events, after=lead)
        return lead

    def do(
        self,
        lead: Lead,
        command: Command,
        at: datetime,
        *,
        notifications: Sequence[Notification] = (),
        due_at: datetime | None = None,
    ) -> Lead:
        """Decide `command` on `lead`, append the events, and return the new snapshot."""
        events, after = step(lead, command, at)
        self.record(
            lead.id,
            expected_version=lead.version,
            events=events,
            after=after,
            notifications=notifications,
            due_at=due_at,
        )
        return after

    def to_opportunity(self, lead: Lead, owner: Party, at: datetime) -> Lead:
        """Walk a lead down the waterfall to an opportunity held by `owner`."""
        for stage in ("mql", "sal", "sql"):
            lead = self.do(lead, MoveStage(to_stage=stage), at)
        return self.do(lead, MoveStage(to_stage="opportunity", owner=owner), at)

    def offer(self, lead: Lead, partner_id: str, at: datetime) -> Lead:
        """Record an open offer of the lead to one partner."""
        event = Offered(
            lead_id=lead.id,
            at=at,
            actor=Party.sales(),
            partner_id=partner_id,
            expires_at=at + timedelta(days=3),
        )
        after = evolve(lead, event)
        self.record(lead.id, expected_version=lead.version, events=(event,), after=after)
        return after
