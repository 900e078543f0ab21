"""Shared builders for the four transfer levels: a well-qualified lead, a partner roster, a walk.

The tests of handover, channel decisions, partner packages and the transfer properties all
start from the same fair visitor and the same five partners, so each test only states the
steps that matter to it. Everything goes through `decide` and `evolve`: no shell, no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest

from leadpipeline import (
    Accept,
    AllocateChannel,
    Capture,
    Command,
    Company,
    Contact,
    Event,
    HandOver,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    OfferToPartners,
    PartnerAccept,
    Party,
    Playbook,
    ProductHolding,
    Qualify,
    QualifySql,
    Revenue,
    Source,
    decide,
)
from leadpipeline.events import evolve
from leadpipeline.rules import Partner

__all__ = [
    "ELIGIBLE",
    "LEAD_ID",
    "OFFERED_AT",
    "PLAYBOOK",
    "ROSTER",
    "START",
    "accepted_by",
    "allocated_to_partners",
    "enterprise_lead",
    "handed_over",
    "kinds",
    "offered",
    "qualified_lead",
    "refusal",
    "sal",
    "sql",
    "walk",
]

_E = TypeVar("_E", bound=Exception)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""A Monday morning at the trade fair; every example starts here."""

LEAD_ID = "L-fair-1"

ROSTER: tuple[Partner, ...] = (
    Partner(
        id="p-gold", name="Nordlicht IT", grade="gold", capacity=10, regions=frozenset({"north"})
    ),
    Partner(
        id="p-silver",
        name="Hanse Systems",
        grade="silver",
        capacity=10,
        regions=frozenset({"north"}),
    ),
    Partner(
        id="p-bronze", name="Elbe Data", grade="bronze", capacity=10, regions=frozenset({"north"})
    ),
    Partner(
        id="p-spare", name="Kiel Soft", grade="bronze", capacity=10, regions=frozenset({"north"})
    ),
    Partner(
        id="p-south", name="Isar Consult", grade="gold", capacity=10, regions=frozenset({"south"})
    ),
)
"""Five partners: four serve the north (gold, silver, two bronze), one serves only the south."""

ELIGIBLE = ("p-gold", "p-silver", "p-bronze", "p-spare")
"""The partners that may take the fair visitor: every one serving the north."""

PLAYBOOK = Playbook(name="fair", partners=ROSTER)
"""The standard policies with the roster above (hide scoring from partners: on)."""


def qualified_lead(**changes: Any) -> Lead:
    """A fair visitor who meets the MQL and SQL definitions, inside the handover window.

    Revenue of 30 million EUR from the address broker puts it in the partner channel; the
    purchase decision on 1 October 2026 opens the six-month handover window on 1 February.
    Pass `changes` to alter any field of the lead.
    """
    lead = Lead(
        id=LEAD_ID,
        source=Source(
            channel="exhibition", campaign="fair-2026", source_id="badge-0042", captured_at=START
        ),
        contact=Contact(
            first_name="Ada",
            last_name="Lind",
            email="ada.lind@acme.example",
            job_title="Head of Operations",
        ),
        company=Company(
            name="Acme Tools",
            domain="acme.example",
            industry="manufacturing",
            employees=800,
            country="DE",
            region="north",
            annual_revenue=Revenue(amount=30e6, source="address-broker"),
        ),
        needs=Needs(
            budget=120_000,
            purchase_decision=date(2026, 10, 1),
            expected_volume=400,
            current_product="legacy suite",
        ),
        holdings=(ProductHolding(product="legacy suite", vendor="OldCo"),),
        interactions=(
            Interaction(kind=InteractionKind.EXHIBITION, at=START),
            Interaction(kind=InteractionKind.FORM_SUBMIT, at=START),
            Interaction(kind=InteractionKind.WEBINAR, at=START),
        ),
        interests=("automation",),
    )
    return attrs.evolve(lead, **changes)


def enterprise_lead() -> Lead:
    """The fair visitor from a company of 900 million EUR: the direct-sales revenue band."""
    lead = qualified_lead()
    revenue = Revenue(amount=900e6, source="address-broker")
    return attrs.evolve(lead, company=attrs.evolve(lead.company, annual_revenue=revenue))


def walk(
    lead: Lead | None,
    commands: Iterable[Command],
    playbook: Playbook = PLAYBOOK,
    now: datetime = START,
) -> tuple[Lead, tuple[Event, ...]]:
    """Decide each command at `now` and fold its events in; return the lead and all events.

    A refused command raises, exactly as `decide` does, so a walk either completes or says
    which step was refused.
    """
    events: list[Event] = []
    for command in commands:
        decided = decide(lead, command, playbook, now=now)
        for event in decided:
            lead = evolve(lead, event)
        events.extend(decided)
    assert lead is not None, "a walk needs a lead or a Capture command"
    return lead, tuple(events)


def kinds(events: Iterable[Event]) -> list[str]:
    """The event type names, in order: how the examples state what a decision recorded."""
    return [type(e).__name__ for e in events]


def handed_over(lead: Lead | None = None) -> tuple[Lead, tuple[Event, ...]]:
    """Captured, qualified as MQL and handed to inside sales (level one, before the answer)."""
    return walk(
        None,
        [
            Capture(lead=lead or qualified_lead()),
            Qualify(),
            HandOver(to=Party.sales(team="inside-sales")),
        ],
    )


def sal(lead: Lead | None = None) -> tuple[Lead, tuple[Event, ...]]:
    """Handed over and accepted by sales."""
    current, history = handed_over(lead)
    current, more = walk(current, [Accept()], now=START + timedelta(hours=2))
    return current, history + more


def sql(lead: Lead | None = None) -> tuple[Lead, tuple[Event, ...]]:
    """Accepted and qualified by sales as SQL, the channel not decided yet."""
    current, history = sal(lead)
    current, more = walk(current, [QualifySql()], now=START + timedelta(days=1))
    return current, history + more


def allocated_to_partners(lead: Lead | None = None) -> tuple[Lead, tuple[Event, ...]]:
    """An SQL allocated to the partner channel, held by sales until a partner takes it."""
    current, history = sql(lead)
    current, more = walk(current, [AllocateChannel()], now=START + timedelta(days=1, hours=1))
    return current, history + more


OFFERED_AT = START + timedelta(days=2)
"""When `offered` puts the lead on offer; the default offers lapse three days later."""


def offered(*partner_ids: str) -> tuple[Lead, tuple[Event, ...]]:
    """The partner-channel SQL offered to the named partners (the best three by default)."""
    current, history = allocated_to_partners()
    current, more = walk(current, [OfferToPartners(partner_ids=partner_ids)], now=OFFERED_AT)
    return current, history + more


def accepted_by(partner_id: str, *offered_to: str) -> tuple[Lead, tuple[Event, ...]]:
    """Offered to `offered_to` (or just the winner) and accepted by `partner_id`."""
    current, history = offered(*(offered_to or (partner_id,)))
    current, more = walk(
        current, [PartnerAccept(partner_id=partner_id)], now=OFFERED_AT + timedelta(hours=4)
    )
    return current, history + more


def refusal(
    lead: Lead,
    command: Command,
    error: type[_E],
    playbook: Playbook = PLAYBOOK,
    now: datetime = START,
) -> _E:
    """Decide a command that must be refused and return the error it raised.

    `decide` raising means no event exists to fold, so the lead stays exactly as it was;
    callers check the error's type and attributes.
    """
    with pytest.raises(error) as info:
        decide(lead, command, playbook, now=now)
    return info.value
