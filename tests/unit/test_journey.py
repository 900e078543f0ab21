"""A lead's whole journey, from the exhibition stand to customer marketing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from leadpipeline import (
    Accept,
    AllocateChannel,
    Capture,
    Command,
    Company,
    Complete,
    Contact,
    Event,
    HandOver,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Party,
    Playbook,
    ProductHolding,
    Qualify,
    QualifySql,
    ReturnLead,
    Revenue,
    Source,
    decide,
    replay,
)
from leadpipeline.events import evolve
from leadpipeline.rules import Partner

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ROSTER = tuple(
    Partner(id=pid, name=name, grade=grade, capacity=10, regions=frozenset({"north"}))
    for pid, name, grade in (
        ("p-gold", "Gold Partner", "gold"),
        ("p-silver", "Silver Partner", "silver"),
        ("p-bronze", "Bronze Partner", "bronze"),
        ("p-spare", "Spare Partner", "bronze"),
    )
)
PLAYBOOK = Playbook(partners=ROSTER)


def exhibition_lead() -> Lead:
    """A visitor scanned at the trade fair stand, with a project in the coming months."""
    return Lead(
        id="L-fair-1",
        source=Source(channel="exhibition", campaign="fair-2026", captured_at=START),
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
            purchase_decision=date(2026, 8, 1),
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


def run(
    steps: list[tuple[timedelta, Command]],
) -> tuple[Lead, list[tuple[str, tuple[Event, ...]]]]:
    """Decide and evolve each command at its time; return the lead and events per step."""
    lead: Lead | None = None
    log: list[tuple[str, tuple[Event, ...]]] = []
    for offset, command in steps:
        events = decide(lead, command, PLAYBOOK, now=START + offset)
        for event in events:
            lead = evolve(lead, event)
        log.append((type(command).__name__, events))
    assert lead is not None
    return lead, log


def names(events: tuple[Event, ...]) -> list[str]:
    return [type(e).__name__ for e in events]


class TestWholeJourney:
    def test_exhibition_lead_is_won_by_the_second_partner(self) -> None:
        """Capture, MQL, SAL, SQL, offer to three, a return, a re-offer, a win."""
        lead, log = run(
            [
                (timedelta(0), Capture(lead=exhibition_lead())),
                (timedelta(hours=1), Qualify()),
                (timedelta(hours=2), HandOver(to=Party.sales(team="inside-sales"))),
                (timedelta(hours=5), Accept()),
                (timedelta(days=1), QualifySql()),
                (timedelta(days=1, hours=1), AllocateChannel()),
                (timedelta(days=1, hours=2), OfferToPartners(seed=7)),
            ]
        )
        offered = [e.partner_id for e in log[-1][1]]
        assert len(offered) == 3
        first = offered[0]
        lead, more = run_from(
            lead,
            [
                (timedelta(days=2), PartnerAccept(partner_id=first)),
                (
                    timedelta(days=9),
                    ReturnLead(
                        partner_id=first,
                        reason="project_does_not_fit",
                        comment="they need on-premise hosting we do not offer",
                    ),
                ),
            ],
        )
        reoffer = more[-1][1][-1]
        second = reoffer.partner_id  # type: ignore[union-attr]
        assert second != first
        lead, rest = run_from(
            lead,
            [
                (timedelta(days=10), PartnerAccept(partner_id=second)),
                (
                    timedelta(days=40),
                    Complete(outcome=Outcome.WON, revenue=95_000, actor=Party.partner(second)),
                ),
            ],
        )
        log += more + rest
        assert [(step, names(events)) for step, events in log] == [
            ("Capture", ["LeadCaptured"]),
            ("Qualify", ["Qualified", "StageChanged"]),
            ("HandOver", ["HandedOver", "OwnerChanged"]),
            ("Accept", ["Accepted", "StageChanged"]),
            ("QualifySql", ["Qualified", "StageChanged"]),
            ("AllocateChannel", ["ChannelAllocated"]),
            ("OfferToPartners", ["Offered", "Offered", "Offered"]),
            (
                "PartnerAccept",
                [
                    "StageChanged",
                    "OwnerChanged",
                    "PartnerAccepted",
                    "OfferWithdrawn",
                    "OfferWithdrawn",
                ],
            ),
            ("ReturnLead", ["Returned", "StageChanged", "OwnerChanged", "Offered"]),
            ("PartnerAccept", ["StageChanged", "OwnerChanged", "PartnerAccepted"]),
            ("Complete", ["Completed", "StageChanged", "OwnerChanged"]),
        ]
        assert lead.stage == "customer"
        assert lead.owner == Party.customer_marketing()
        assert lead.source.channel == "exhibition"
        assert lead.returned_by == (first,)
        history = [e for _, events in log for e in events]
        assert replay(history) == lead

    def test_the_returning_partner_is_never_offered_the_lead_again(self) -> None:
        """After "project does not fit", the re-offer skips the partner who returned it."""
        lead, log = run(
            [
                (timedelta(0), Capture(lead=exhibition_lead())),
                (timedelta(hours=1), Qualify()),
                (timedelta(hours=2), HandOver()),
                (timedelta(hours=3), Accept()),
                (timedelta(hours=4), QualifySql()),
                (timedelta(hours=5), AllocateChannel()),
                (timedelta(hours=6), OfferToPartners(partner_ids=("p-gold",))),
                (timedelta(hours=7), PartnerAccept(partner_id="p-gold")),
                (
                    timedelta(days=3),
                    ReturnLead(partner_id="p-gold", reason="project_does_not_fit", comment="n/a"),
                ),
            ]
        )
        assert names(log[-1][1])[-1] == "Offered"
        assert lead.offered_to
        assert "p-gold" not in lead.offered_to


def run_from(
    lead: Lead, steps: list[tuple[timedelta, Command]]
) -> tuple[Lead, list[tuple[str, tuple[Event, ...]]]]:
    """Continue a journey from an existing lead."""
    log: list[tuple[str, tuple[Event, ...]]] = []
    for offset, command in steps:
        events = decide(lead, command, PLAYBOOK, now=START + offset)
        for event in events:
            lead = evolve(lead, event)
        log.append((type(command).__name__, events))
    return lead, log


class TestDirectChannel:
    def test_a_lost_deal_goes_back_to_marketing(self) -> None:
        """Direct sales loses an enterprise deal: marketing nurtures the lead, reason kept."""
        lead, log = run(
            [
                (timedelta(0), Capture(lead=enterprise_lead())),
                (timedelta(hours=1), Qualify()),
                (timedelta(hours=2), HandOver()),
                (timedelta(hours=3), Accept()),
                (timedelta(hours=4), QualifySql()),
                (timedelta(hours=5), AllocateChannel()),
                (timedelta(days=30), Complete(outcome=Outcome.LOST, reason="budget frozen")),
            ]
        )
        assert names(log[5][1]) == ["ChannelAllocated", "StageChanged", "OwnerChanged"]
        assert names(log[6][1]) == ["Completed", "Nurtured", "StageChanged", "OwnerChanged"]
        assert (lead.stage, lead.owner) == ("nurture", Party.marketing())


def enterprise_lead() -> Lead:
    """The fair visitor again, but from a company above the direct-sales revenue band."""
    big = exhibition_lead()
    return Lead(
        id=big.id,
        source=big.source,
        contact=big.contact,
        company=Company(
            name="Megacorp",
            industry="energy",
            employees=20_000,
            country="DE",
            region="north",
            annual_revenue=Revenue(amount=900e6, source="address-broker"),
        ),
        needs=big.needs,
        holdings=big.holdings,
        interactions=big.interactions,
    )
