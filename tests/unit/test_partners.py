"""Partner matching: candidates ranked with reasons, every other partner refused with reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.lead import Company, Lead, Needs, Source
from leadpipeline.rules.partners import (
    DEFAULT_PARTNER_POLICY,
    GradeWeight,
    Partner,
    PartnerPolicy,
    PartnerRanking,
    RefusalCode,
    check_roster,
    rank_partners,
    tie_break,
)
from leadpipeline.serialization import from_json, structure, to_json

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def a_lead(
    *,
    region: str | None = "DACH",
    country: str | None = "DE",
    interests: tuple[str, ...] = ("crm",),
    budget: float | None = 40_000.0,
    returned_by: tuple[str, ...] = (),
    lapsed_offers: tuple[str, ...] = (),
    lead_id: str = "L-7",
) -> Lead:
    return Lead(
        id=lead_id,
        source=Source(channel="webinar", captured_at=NOW - timedelta(days=60)),
        company=Company(name="Kranz Maschinenbau", region=region, country=country),
        needs=Needs(budget=budget),
        interests=interests,
        stage="sql",
        returned_by=returned_by,
        lapsed_offers=lapsed_offers,
    )


def a_partner(pid: str, **kw: object) -> Partner:
    fields: dict[str, object] = {
        "id": pid,
        "name": f"Partner {pid}",
        "grade": "silver",
        "capacity": 10,
        "regions": frozenset({"DACH"}),
        "product_lines": frozenset({"crm"}),
    }
    fields.update(kw)
    return Partner(**fields)  # type: ignore[arg-type]


def rank(
    lead: Lead, *partners: Partner, excluded: tuple[str, ...] = (), seed: int = 0
) -> PartnerRanking:
    return rank_partners(
        lead, partners, DEFAULT_PARTNER_POLICY, now=NOW, excluded=excluded, seed=seed
    )


class TestRankPartners:
    def test_a_partner_that_returned_the_lead_is_never_ranked_again(self) -> None:
        """A partner in the lead's returned_by is refused even when the caller forgets it."""
        ranking = rank(a_lead(returned_by=("p-nord",)), a_partner("p-nord"), a_partner("p-sued"))
        assert ranking.candidate_ids == ("p-sued",)
        refused = ranking.refused[0]
        assert refused.partner_id == "p-nord"
        assert refused.refusals == (RefusalCode.RETURNED,)
        assert refused.reason == "already returned this lead"

    def test_excluded_partners_are_never_candidates(self) -> None:
        """A partner the caller excludes (it let an offer lapse) is refused with that reason."""
        lead = a_lead(lapsed_offers=("p-nord",))
        ranking = rank(lead, a_partner("p-nord"), a_partner("p-sued"), excluded=("p-nord",))
        assert ranking.candidate_ids == ("p-sued",)
        assert ranking.refused[0].refusals == (RefusalCode.EXCLUDED,)
        assert "lapse" in ranking.reason_for("p-nord")

    def test_a_paused_partner_gets_none(self) -> None:
        """A partner on holiday until next week is refused and the reason names the date."""
        back = NOW + timedelta(days=5)
        ranking = rank(a_lead(), a_partner("p-urlaub", paused_until=back))
        assert ranking.candidate_ids == ()
        assert ranking.refused[0].refusals == (RefusalCode.PAUSED,)
        assert back.isoformat() in ranking.reason_for("p-urlaub")

    def test_a_partner_back_from_its_pause_qualifies(self) -> None:
        """Once its pause has ended, the partner is a candidate again."""
        ranking = rank(a_lead(), a_partner("p-zurueck", paused_until=NOW - timedelta(hours=1)))
        assert ranking.candidate_ids == ("p-zurueck",)

    def test_a_partner_at_capacity_gets_none(self) -> None:
        """A partner holding all ten leads of its period is refused."""
        ranking = rank(a_lead(), a_partner("p-voll", capacity=10, open_leads=10))
        assert ranking.candidate_ids == ()
        assert ranking.refused[0].refusals == (RefusalCode.AT_CAPACITY,)
        assert "10 of 10" in ranking.reason_for("p-voll")

    def test_a_partner_with_zero_capacity_gets_none(self) -> None:
        """Capacity zero means no leads this period."""
        ranking = rank(a_lead(), a_partner("p-null", capacity=0))
        assert ranking.refused[0].refusals == (RefusalCode.AT_CAPACITY,)

    def test_an_inactive_partner_gets_none(self) -> None:
        """A partner that left the programme is refused as inactive."""
        ranking = rank(a_lead(), a_partner("p-alt", active=False))
        assert ranking.refused[0].refusals == (RefusalCode.INACTIVE,)

    def test_a_partner_in_another_region_gets_none(self) -> None:
        """A Nordic partner does not get a DACH lead."""
        ranking = rank(a_lead(), a_partner("p-nordics", regions=frozenset({"Nordics"})))
        assert ranking.refused[0].refusals == (RefusalCode.WRONG_REGION,)
        assert "nordics" in ranking.reason_for("p-nordics")

    def test_region_matches_the_country_too(self) -> None:
        """A partner listing a country serves leads from that country, case-insensitively."""
        ranking = rank(
            a_lead(region=None, country="de"), a_partner("p-de", regions=frozenset({"DE"}))
        )
        assert ranking.candidate_ids == ("p-de",)

    def test_lead_without_region_is_refused_by_regional_partners(self) -> None:
        """With no region or country the lead cannot be matched to a territory."""
        ranking = rank(a_lead(region=None, country=None), a_partner("p-dach"))
        assert "no region or country" in ranking.reason_for("p-dach")

    def test_partner_without_regions_serves_every_region(self) -> None:
        """An empty region set places no territorial restriction."""
        ranking = rank(
            a_lead(region="APAC", country="SG"), a_partner("p-global", regions=frozenset())
        )
        assert ranking.candidate_ids == ("p-global",)
        assert "every region" in ranking.reason_for("p-global")

    def test_no_product_line_match_gets_none(self) -> None:
        """A partner that sells only ERP does not get a CRM lead."""
        ranking = rank(a_lead(), a_partner("p-erp", product_lines=frozenset({"erp"})))
        assert ranking.refused[0].refusals == (RefusalCode.NO_PRODUCT_MATCH,)

    def test_product_lines_come_from_needs_as_well(self) -> None:
        """A need stated in the lead's needs counts as a product line."""
        lead = attrs.evolve(a_lead(interests=()), needs=Needs(needs=("ERP",)))
        ranking = rank(lead, a_partner("p-erp", product_lines=frozenset({"erp"})))
        assert ranking.candidate_ids == ("p-erp",)

    def test_deal_size_out_of_range_gets_none(self) -> None:
        """A 40,000 budget is too small for a partner that starts at 100,000."""
        ranking = rank(a_lead(budget=40_000), a_partner("p-gross", min_deal_size=100_000))
        assert ranking.refused[0].refusals == (RefusalCode.DEAL_SIZE,)
        assert "40,000" in ranking.reason_for("p-gross")

    def test_deal_size_above_the_maximum_gets_none(self) -> None:
        """A 2 million budget is too big for a partner that takes up to 500,000."""
        ranking = rank(a_lead(budget=2e6), a_partner("p-klein", max_deal_size=500_000))
        assert ranking.refused[0].refusals == (RefusalCode.DEAL_SIZE,)

    def test_unknown_budget_is_not_checked_by_default(self) -> None:
        """Without a budget the range is not checked, and the reason says so."""
        ranking = rank(a_lead(budget=None), a_partner("p-gross", min_deal_size=100_000))
        assert ranking.candidate_ids == ("p-gross",)
        assert "not checked" in ranking.reason_for("p-gross")

    def test_unknown_budget_is_refused_when_the_policy_requires_a_deal_size(self) -> None:
        """A strict policy refuses a lead without budget for partners with a range."""
        policy = attrs.evolve(DEFAULT_PARTNER_POLICY, require_deal_size=True)
        ranking = rank_partners(
            a_lead(budget=None),
            (a_partner("p-gross", min_deal_size=100_000), a_partner("p-alle")),
            policy,
            now=NOW,
        )
        assert ranking.candidate_ids == ("p-alle",)
        assert ranking.refused[0].refusals == (RefusalCode.DEAL_SIZE,)

    def test_every_failing_reason_is_listed(self) -> None:
        """A partner failing on several counts names each of them."""
        partner = a_partner(
            "p-nix",
            active=False,
            regions=frozenset({"Benelux"}),
            product_lines=frozenset({"erp"}),
            open_leads=10,
        )
        ranking = rank(a_lead(returned_by=("p-nix",)), partner)
        assert ranking.refused[0].refusals == (
            RefusalCode.RETURNED,
            RefusalCode.INACTIVE,
            RefusalCode.WRONG_REGION,
            RefusalCode.NO_PRODUCT_MATCH,
            RefusalCode.AT_CAPACITY,
        )
        assert len(ranking.refused[0].reasons) == 5

    def test_every_candidate_and_every_refused_partner_carries_a_reason(self) -> None:
        """Nobody is ranked or refused without a reason in words."""
        ranking = rank(
            a_lead(returned_by=("p-1",)),
            a_partner("p-1"),
            a_partner("p-2", grade="gold"),
            a_partner("p-3", open_leads=10),
            a_partner("p-4", grade="bronze"),
        )
        assert ranking.candidate_ids == ("p-2", "p-4")
        assert all(c.reason for c in ranking.candidates)
        assert all(r.reasons and all(r.reasons) for r in ranking.refused)
        assert ranking.reason_for("p-9") == "not on the roster"

    def test_grade_weight_and_free_share_decide_the_order(self) -> None:
        """A half-full gold partner (3 x 0.5) ranks below an empty silver one (2 x 1)."""
        ranking = rank(
            a_lead(),
            a_partner("p-gold", grade="gold", capacity=10, open_leads=5),
            a_partner("p-silver", grade="silver", capacity=4, open_leads=0),
            a_partner("p-bronze", grade="bronze", capacity=1, open_leads=0),
        )
        assert ranking.candidate_ids == ("p-silver", "p-gold", "p-bronze")
        assert [c.score for c in ranking.candidates] == [2.0, 1.5, 1.0]
        assert [c.rank for c in ranking.candidates] == [1, 2, 3]
        assert "gold (weight 3) x 5/10" in ranking.reason_for("p-gold")

    def test_a_partner_back_from_a_pause_is_not_flooded(self) -> None:
        """Leads handed out one by one never push the returning partner past its capacity."""
        returning = a_partner("p-back", grade="gold", capacity=3)
        steady = a_partner("p-steady", grade="silver", capacity=20, open_leads=10)
        roster = [returning, steady]
        winners = []
        for n in range(12):
            ranking = rank_partners(
                a_lead(lead_id=f"L-{n}"), roster, DEFAULT_PARTNER_POLICY, now=NOW
            )
            winner = ranking.candidate_ids[0]
            winners.append(winner)
            roster = [
                attrs.evolve(p, open_leads=p.open_leads + 1) if p.id == winner else p
                for p in roster
            ]
        assert winners[:2] == ["p-back", "p-back"]
        assert winners.count("p-back") == 3
        assert roster[0].open_leads == roster[0].capacity

    def test_exact_ties_are_broken_by_a_stable_hash(self) -> None:
        """Two identical partners are ordered by the SHA-256 of (seed, lead id, partner id)."""
        ranking = rank(a_lead(), a_partner("p-a"), a_partner("p-b"), seed=7)
        expected = sorted(("p-a", "p-b"), key=lambda pid: tie_break(7, "L-7", pid))
        assert ranking.candidate_ids == tuple(expected)
        assert ranking.candidates[0].tie_break == tie_break(7, "L-7", expected[0])

    def test_some_seed_reverses_a_tie(self) -> None:
        """Over a few seeds both orders of a tie occur, so the seed really spreads ties."""
        orders = {
            rank(a_lead(), a_partner("p-a"), a_partner("p-b"), seed=s).candidate_ids
            for s in range(16)
        }
        assert orders == {("p-a", "p-b"), ("p-b", "p-a")}

    def test_top_offers_at_most_the_requested_count(self) -> None:
        """Offering to three partners picks the best three, fewer when fewer qualify."""
        ranking = rank(a_lead(), *(a_partner(f"p-{i}", open_leads=i) for i in range(5)))
        assert ranking.top(DEFAULT_PARTNER_POLICY.offer_count) == ("p-0", "p-1", "p-2")
        assert rank(a_lead(), a_partner("p-0")).top(3) == ("p-0",)

    def test_summary_names_candidates_and_refusals(self) -> None:
        """The one-line summary shows who qualifies and why the others do not."""
        ranking = rank(a_lead(), a_partner("p-1"), a_partner("p-2", active=False))
        assert ranking.summary() == "candidates: p-1; refused: p-2: inactive"

    def test_naive_now_is_refused(self) -> None:
        """A naive `now` is refused by name."""
        with pytest.raises(ValidationError) as err:
            rank_partners(a_lead(), (), DEFAULT_PARTNER_POLICY, now=datetime(2026, 3, 4))
        assert err.value.paths == ("now",)


class TestRoster:
    def test_negative_capacity_is_refused(self) -> None:
        """A partner cannot take a negative number of leads."""
        with pytest.raises(ValidationError) as err:
            a_partner("p-1", capacity=-1)
        assert err.value.paths == ("capacity",)

    def test_negative_capacity_in_a_roster_file_names_the_partner(self) -> None:
        """Loaded from data, the bad capacity is refused at its index in the roster."""
        data = json.loads(to_json((a_partner("p-1"), a_partner("p-2")), tuple[Partner, ...]))
        data[1]["capacity"] = -3
        with pytest.raises(ValidationError) as err:
            structure(data, tuple[Partner, ...])
        assert err.value.paths == ("[1].capacity",)

    def test_naive_pause_is_refused(self) -> None:
        """A pause without a time zone is ambiguous and refused."""
        with pytest.raises(ValidationError) as err:
            a_partner("p-1", paused_until=datetime(2026, 4, 1))
        assert err.value.paths == ("paused_until",)

    def test_inverted_deal_range_is_refused(self) -> None:
        """A maximum deal size below the minimum is a typo."""
        with pytest.raises(ConfigurationError) as err:
            a_partner("p-1", min_deal_size=100_000, max_deal_size=50_000)
        assert err.value.paths == ("max_deal_size",)

    def test_duplicate_partner_ids_are_refused(self) -> None:
        """One id twice on the roster would make rankings ambiguous."""
        with pytest.raises(ConfigurationError) as err:
            check_roster(
                (a_partner("p-1"), a_partner("p-2"), a_partner("p-1")), DEFAULT_PARTNER_POLICY
            )
        assert err.value.paths == ("partners[2].id",)

    def test_unknown_grade_is_refused(self) -> None:
        """A grade without a weight cannot be ranked."""
        with pytest.raises(ConfigurationError) as err:
            rank(a_lead(), a_partner("p-1"), a_partner("p-2", grade="platinum"))
        assert err.value.paths == ("partners[1].grade",)

    def test_partner_round_trips_through_json(self) -> None:
        """A partner with a pause and a deal range survives JSON unchanged."""
        partner = a_partner("p-1", paused_until=NOW, min_deal_size=10_000.0, max_deal_size=90_000.0)
        assert from_json(to_json(partner), Partner) == partner


class TestPartnerPolicy:
    def test_defaults_offer_to_three_for_three_days(self) -> None:
        """The default policy offers a lead to three partners, open for three days."""
        assert DEFAULT_PARTNER_POLICY.offer_count == 3
        assert DEFAULT_PARTNER_POLICY.offer_expiry == timedelta(days=3)
        assert DEFAULT_PARTNER_POLICY.grades == ("gold", "silver", "bronze")

    def test_duplicate_grades_are_refused(self) -> None:
        """A grade weighed twice is refused at its path."""
        with pytest.raises(ConfigurationError) as err:
            PartnerPolicy(
                grade_weights=(
                    GradeWeight(grade="gold", weight=3),
                    GradeWeight(grade="gold", weight=2),
                )
            )
        assert err.value.paths == ("grade_weights[1].grade",)

    def test_zero_weight_is_refused(self) -> None:
        """A weight of zero would rank the grade last forever; use inactive instead."""
        with pytest.raises(ValidationError) as err:
            GradeWeight(grade="gold", weight=0)
        assert err.value.paths == ("weight",)

    def test_non_positive_expiry_is_refused(self) -> None:
        """An offer must stay open for some time."""
        with pytest.raises(ConfigurationError) as err:
            PartnerPolicy(offer_expiry=timedelta(0))
        assert err.value.paths == ("offer_expiry",)

    def test_zero_offer_count_is_refused(self) -> None:
        """Offering to nobody is not an offer."""
        with pytest.raises(ValidationError) as err:
            PartnerPolicy(offer_count=0)
        assert err.value.paths == ("offer_count",)

    def test_policy_round_trips_through_json(self) -> None:
        """The policy, expiry included, survives JSON unchanged."""
        policy = PartnerPolicy(offer_count=2, offer_expiry=timedelta(hours=36))
        assert from_json(to_json(policy), PartnerPolicy) == policy
