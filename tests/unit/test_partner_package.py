"""What a partner sees of a lead: no internal notes, no other partners, no scoring internals.

Given a history built by `tests.levels`, when `partner_package` is computed for one
partner, then the package keeps the lead, its expected grade and its processing history,
minus everything the policy keeps inside the company.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from leadpipeline import (
    AddNote,
    Event,
    OfferToPartners,
    PartnerAccept,
    Party,
    PartyKind,
    ReturnLead,
)
from leadpipeline.events import (
    HandedOver,
    LeadCaptured,
    NoteAdded,
    Offered,
    OfferWithdrawn,
    Qualified,
)
from leadpipeline.stages import OTHER_PARTNER, PartnerPackage, partner_package
from tests.levels import (
    OFFERED_AT,
    PLAYBOOK,
    accepted_by,
    allocated_to_partners,
    qualified_lead,
    walk,
)

NOTE = "CFO is hard to reach; our margin floor is 12 percent"
"""An internal note that must never reach a partner."""


def _parties(event: Event) -> list[Party]:
    """Every party an event names: its actor and, for owner changes, both owners."""
    found = [event.actor]
    for name in ("from_owner", "to_owner"):
        value = getattr(event, name, None)
        if isinstance(value, Party):
            found.append(value)
    return found


def _won_by_gold_after_silver_returned() -> tuple[PartnerPackage, tuple[Event, ...]]:
    """Offered to three, silver wins and returns it, gold is re-offered and accepts."""
    lead, history = accepted_by("p-silver", "p-gold", "p-silver", "p-bronze")
    returned_at = OFFERED_AT + timedelta(days=2)
    lead, more = walk(
        lead,
        [
            ReturnLead(
                partner_id="p-silver", reason="project_does_not_fit", comment="needs on-prem"
            ),
            PartnerAccept(partner_id="p-gold"),
        ],
        now=returned_at,
    )
    history += more
    return partner_package(lead, history, PLAYBOOK, partner_id="p-gold"), history


class TestPartnerPackage:
    """The lead as one partner may see it."""

    def test_internal_notes_are_dropped_from_lead_and_history(self) -> None:
        """Notes taken at capture and later never appear in the package."""
        lead, history = allocated_to_partners(qualified_lead(notes=("met at the booth",)))
        lead, more = walk(
            lead,
            [AddNote(text=NOTE), OfferToPartners(partner_ids=("p-gold",))],
            now=OFFERED_AT,
        )
        lead, rest = walk(lead, [PartnerAccept(partner_id="p-gold")], now=OFFERED_AT)
        package = partner_package(lead, history + more + rest, PLAYBOOK, partner_id="p-gold")

        assert not any(isinstance(e, NoteAdded) for e in package.history)
        assert package.lead.notes == ()
        captured = next(e for e in package.history if isinstance(e, LeadCaptured))
        assert captured.lead.notes == ()
        assert NOTE not in repr(package)
        assert "met at the booth" not in repr(package)

    def test_other_partners_offers_are_dropped(self) -> None:
        """Gold's package keeps its own offer and drops silver's and bronze's."""
        lead, history = accepted_by("p-gold", "p-gold", "p-silver", "p-bronze")

        package = partner_package(lead, history, PLAYBOOK, partner_id="p-gold")

        offers = [e for e in package.history if isinstance(e, Offered | OfferWithdrawn)]
        assert [e.partner_id for e in offers] == ["p-gold"]
        assert package.lead.offers == ()
        assert (package.lead.returned_by, package.lead.lapsed_offers) == ((), ())

    def test_other_partners_act_as_another_partner(self) -> None:
        """Events silver acted in are attributed to "another partner" in gold's package."""
        package, history = _won_by_gold_after_silver_returned()

        actors = {e.actor.partner_id for e in package.history if e.actor.kind is PartyKind.PARTNER}

        assert actors == {"p-gold", OTHER_PARTNER}
        assert len(package.history) < len(history)

    def test_a_partner_not_holding_the_lead_sees_another_partner_as_owner(self) -> None:
        """Silver, whose offer gold beat, sees the owner only as "another partner"."""
        lead, history = accepted_by("p-gold", "p-gold", "p-silver")

        package = partner_package(lead, history, PLAYBOOK, partner_id="p-silver")

        assert package.lead.owner == Party.partner(OTHER_PARTNER)

    def test_no_other_partner_id_appears_anywhere(self) -> None:
        """After silver returned the lead, gold's package names neither silver nor bronze."""
        package, _ = _won_by_gold_after_silver_returned()

        for event in package.history:
            for party in _parties(event):
                assert party.partner_id in (None, "p-gold", OTHER_PARTNER), event
        assert "p-silver" not in repr(package)
        assert "p-bronze" not in repr(package)

    def test_scoring_internals_are_hidden_when_the_policy_says_so(self) -> None:
        """With hide_scoring_from_partners, scores and criteria go; the expected grade stays."""
        lead, history = accepted_by("p-gold")

        package = partner_package(lead, history, PLAYBOOK, partner_id="p-gold")

        qualified = [e for e in package.history if isinstance(e, Qualified)]
        handed = [e for e in package.history if isinstance(e, HandedOver)]
        assert len(qualified) == 2
        assert len(handed) == 1
        assert all(e.score is None and e.criteria == () for e in qualified)
        assert all(e.score is None for e in handed)
        assert package.expected_grade == "A"

    def test_the_handover_quality_does_not_spell_out_the_hidden_score(self) -> None:
        """With scoring hidden, the handover's expected-quality text carries no score either."""
        lead, history = accepted_by("p-gold")
        original = next(e for e in history if isinstance(e, HandedOver))
        assert original.score is not None

        package = partner_package(lead, history, PLAYBOOK, partner_id="p-gold")

        handed = next(e for e in package.history if isinstance(e, HandedOver))
        assert f"{original.score:g}" not in handed.expected_quality
        assert "score" not in handed.expected_quality

    def test_scoring_is_shown_when_the_policy_allows_it(self) -> None:
        """With hide_scoring_from_partners off, scores and criteria reach the partner."""
        lead, history = accepted_by("p-gold")
        open_book = attrs.evolve(PLAYBOOK, hide_scoring_from_partners=False)

        package = partner_package(lead, history, open_book, partner_id="p-gold")

        qualified = [e for e in package.history if isinstance(e, Qualified)]
        assert all(e.score is not None and e.criteria for e in qualified)
        assert all(e.score is not None for e in package.history if isinstance(e, HandedOver))
