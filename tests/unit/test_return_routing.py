"""Return reasons choose the next partner: what the reason says the last one lacked."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from leadpipeline.errors import ConfigurationError
from leadpipeline.events import Offered, Returned
from leadpipeline.lead import Company, Lead, Party
from leadpipeline.playbook import Playbook
from leadpipeline.rules.partners import (
    DEFAULT_PARTNER_POLICY,
    Partner,
    PartnerNeed,
    RefusalCode,
    rank_partners,
)
from leadpipeline.rules.returns import ReturnReason, Routing
from leadpipeline.stages.commands import (
    Accept,
    AllocateChannel,
    AssignPartner,
    Capture,
    HandOver,
    Qualify,
    QualifySql,
    ReturnLead,
)
from leadpipeline.stages.partners import return_ranking
from tests.levels import START, kinds, qualified_lead, walk

ROSTER = (
    Partner(
        id="p-holder",
        name="Förde Tech",
        grade="bronze",
        capacity=10,
        competences=frozenset({"retail"}),
    ),
    Partner(
        id="p-logistics",
        name="Hafen Logistik IT",
        grade="gold",
        capacity=10,
        competences=frozenset({"logistics"}),
    ),
    Partner(
        id="p-factory",
        name="Werkhalle Systems",
        grade="silver",
        capacity=10,
        competences=frozenset({"Manufacturing", "automation"}),
    ),
    Partner(
        id="p-general",
        name="Allrounder GmbH",
        grade="bronze",
        capacity=10,
        competences=frozenset({"healthcare"}),
    ),
)
"""A holder that gives the lead back, a gold logistics specialist, a silver partner that
knows manufacturing, and a bronze one that knows only healthcare."""

PLAYBOOK = Playbook(name="competences", partners=ROSTER)
RETURNED_AT = START + timedelta(days=3)


def held_by_partner(lead: Lead | None = None, playbook: Playbook = PLAYBOOK) -> Lead:
    """The manufacturing fair visitor, qualified through SQL and assigned to p-holder."""
    current, _ = walk(
        None,
        [Capture(lead=lead or qualified_lead()), Qualify(), HandOver(to=Party.sales())],
        playbook,
        START,
    )
    current, _ = walk(current, [Accept()], playbook, START + timedelta(hours=2))
    current, _ = walk(current, [QualifySql()], playbook, START + timedelta(days=1))
    current, _ = walk(
        current,
        [AllocateChannel(), AssignPartner(partner_id="p-holder")],
        playbook,
        START + timedelta(days=1, hours=1),
    )
    assert current.owner == Party.partner("p-holder")
    return current


def give_back(lead: Lead, reason: str, playbook: Playbook = PLAYBOOK) -> list[object]:
    _, events = walk(
        lead,
        [ReturnLead(partner_id="p-holder", reason=reason, comment="after the first call")],
        playbook,
        RETURNED_AT,
    )
    return list(events)


def offered_to(events: list[object]) -> list[str]:
    return [e.partner_id for e in events if isinstance(e, Offered)]


class TestReturnReasonsChooseThePartner:
    def test_project_does_not_fit_goes_to_the_partner_whose_competence_matches(self) -> None:
        """'Project does not fit' goes to the competent partner; the ranking says why not gold.

        A partner returns 'project does not fit'; the next offer goes to the partner whose
        competence matches, skipping a higher-ranked one that lacks it.
        """
        lead = held_by_partner()
        ranking = return_ranking(
            lead, PLAYBOOK, partner_id="p-holder", reason="project_does_not_fit", now=RETURNED_AT
        )
        events = give_back(lead, "project_does_not_fit")
        assert offered_to(events) == ["p-factory"] == list(ranking.candidate_ids)
        skipped = ranking.reason_for("p-logistics")
        assert "lacks the competence" in skipped
        assert "project does not fit" in skipped
        assert "knows logistics" in skipped
        assert "manufacturing" in skipped
        (refused,) = [r for r in ranking.refused if r.partner_id == "p-logistics"]
        assert refused.refusals == (RefusalCode.NO_COMPETENCE,)

    def test_the_plain_ranking_would_have_chosen_the_gold_partner(self) -> None:
        """Without the reason's need, the gold logistics partner ranks first: the reason decided."""
        lead = attrs.evolve(held_by_partner(), returned_by=("p-holder",))
        plain = rank_partners(lead, ROSTER, DEFAULT_PARTNER_POLICY, now=RETURNED_AT)
        assert plain.candidate_ids[0] == "p-logistics"

    def test_the_offer_says_why_this_partner_and_names_no_other(self) -> None:
        """The offer records the competence that won it, and no other partner's id."""
        events = give_back(held_by_partner(), "project_does_not_fit")
        (offer,) = [e for e in events if isinstance(e, Offered)]
        assert "competence in manufacturing" in offer.reason
        assert "ranked first of 1" in offer.reason
        for other in ("p-holder", "p-logistics", "p-general"):
            assert other not in offer.reason

    def test_no_capacity_goes_to_the_top_partner_with_room_whatever_it_knows(self) -> None:
        """'No capacity' asks for room, not competence: the gold partner with room gets it."""
        events = give_back(held_by_partner(), "no_capacity")
        assert offered_to(events) == ["p-logistics"]

    def test_no_capacity_skips_a_partner_that_is_full(self) -> None:
        """A full partner is skipped after 'no capacity', and the ranking says the reason asked."""
        full = PLAYBOOK.with_loads({"p-logistics": 10})
        lead = held_by_partner()
        ranking = return_ranking(
            lead, full, partner_id="p-holder", reason="no_capacity", now=RETURNED_AT
        )
        assert ranking.candidate_ids[0] == "p-factory"
        assert ranking.reason_for("p-logistics").startswith(
            "at capacity (after a return for 'no capacity')"
        )
        assert offered_to(give_back(lead, "no_capacity", full)) == ["p-factory"]

    def test_outside_territory_needs_a_lead_region_to_cover(self) -> None:
        """A lead with no region or country cannot be shown to be covered: back to sales."""
        held = held_by_partner()
        lead = attrs.evolve(held, company=attrs.evolve(held.company, region=None, country=None))
        ranking = return_ranking(
            lead, PLAYBOOK, partner_id="p-holder", reason="outside_territory", now=RETURNED_AT
        )
        assert ranking.candidate_ids == ()
        assert "no region to cover" in ranking.reason_for("p-factory")
        events = give_back(lead, "outside_territory")
        assert offered_to(events) == []
        returned = next(e for e in events if isinstance(e, Returned))
        assert returned.routing == Routing.NEXT_PARTNER.value
        assert kinds(events)[1:] == ["StageChanged", "OwnerChanged"]

    def test_no_competent_partner_left_sends_the_lead_back_to_sales(self) -> None:
        """When no remaining partner knows the lead's industry, the fallback routing applies."""
        roster = tuple(p for p in ROSTER if p.id != "p-factory")
        playbook = attrs.evolve(PLAYBOOK, partners=roster)
        events = give_back(held_by_partner(playbook=playbook), "project_does_not_fit", playbook)
        assert offered_to(events) == []
        assert events[-1].to_owner.kind.value == "sales"  # type: ignore[attr-defined]

    def test_a_partner_listing_no_competences_claims_every_one(self) -> None:
        """An empty competence list is a generalist, as an empty region list serves everywhere."""
        generalist = Partner(id="p-any", name="Generalist", grade="silver", capacity=10)
        playbook = attrs.evolve(PLAYBOOK, partners=(*ROSTER, generalist))
        ranking = return_ranking(
            held_by_partner(playbook=playbook),
            playbook,
            partner_id="p-holder",
            reason="project_does_not_fit",
            now=RETURNED_AT,
        )
        assert set(ranking.candidate_ids) == {"p-factory", "p-any"}
        assert "claims every competence" in ranking.reason_for("p-any")


class TestReturnReasonNeeds:
    def test_default_reasons_name_what_the_next_partner_must_have(self) -> None:
        """The three next-partner reasons of the default catalogue each ask for one thing."""
        reasons = {r.code: r.next_partner_needs for r in PLAYBOOK.return_policy.reasons}
        assert reasons["project_does_not_fit"] == {PartnerNeed.COMPETENCE}
        assert reasons["no_capacity"] == {PartnerNeed.CAPACITY}
        assert reasons["outside_territory"] == {PartnerNeed.REGION}
        assert reasons["no_lead"] == frozenset()

    def test_needs_on_a_reason_that_picks_no_partner_are_refused(self) -> None:
        """A nurture reason cannot ask for a competence: no partner is chosen."""
        with pytest.raises(ConfigurationError) as err:
            ReturnReason(
                code="timing",
                label="not buying yet",
                routing=Routing.NURTURE,
                next_partner_needs=frozenset({PartnerNeed.COMPETENCE}),
            )
        assert err.value.paths == ("next_partner_needs",)

    def test_competence_matches_industry_or_a_stated_need_case_insensitively(self) -> None:
        """A partner knowing 'ERP' matches a lead that needs 'erp', whatever its industry."""
        erp = Partner(
            id="p-erp", name="ERP Haus", grade="gold", capacity=5, competences=frozenset({"ERP"})
        )
        lead = qualified_lead()
        lead = attrs.evolve(
            lead,
            company=Company(industry="retail", region="north"),
            needs=attrs.evolve(lead.needs, needs=("erp",)),
        )
        ranking = rank_partners(
            lead,
            (erp,),
            DEFAULT_PARTNER_POLICY,
            now=START,
            needs=(PartnerNeed.COMPETENCE,),
        )
        assert ranking.candidate_ids == ("p-erp",)
        assert "competence in erp" in ranking.reason_for("p-erp")
