"""Properties of channel allocation and partner ranking: deterministic, fair, within capacity."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline.lead import Company, Lead, Needs, Revenue, Source
from leadpipeline.rules.channels import (
    AllocationBlock,
    Channel,
    ChannelPolicy,
    RevenueBand,
    channel_decision,
)
from leadpipeline.rules.partners import (
    DEFAULT_PARTNER_POLICY,
    Partner,
    PartnerRanking,
    rank_partners,
)

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
SOURCES = ("address-broker", "crm-estimate", "web-form")
REGIONS = ("DACH", "Nordics", "Benelux")
LINES = ("crm", "erp", "bi")
PARTNER_IDS = tuple(f"p-{i}" for i in range(8))

# --- strategies ----------------------------------------------------------------------------

amounts = st.floats(min_value=0, max_value=1e10, allow_nan=False, allow_infinity=False)


@st.composite
def channel_policies(draw: st.DrawFn) -> ChannelPolicy:
    """Bands tiling [0, inf) at random cut points, each with a random channel."""
    cuts = sorted(draw(st.sets(st.integers(1, 10_000), max_size=5)))
    bounds = [0, *cuts]
    bands = tuple(
        RevenueBand(
            name=f"band-{i}",
            channel=draw(st.sampled_from(Channel)),
            min_revenue=float(low) * 1e5,
            max_revenue=None if i == len(bounds) - 1 else float(bounds[i + 1]) * 1e5,
        )
        for i, low in enumerate(bounds)
    )
    return ChannelPolicy(
        revenue_source="address-broker",
        bands=bands,
        max_revenue_age_days=draw(st.none() | st.integers(1, 1000)),
    )


@st.composite
def revenues(draw: st.DrawFn) -> Revenue | None:
    """Revenue from any source, in EUR or USD, dated or not; sometimes none."""
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    return Revenue(
        amount=draw(amounts),
        source=draw(st.sampled_from(SOURCES)),
        currency=draw(st.sampled_from(("EUR", "EUR", "USD"))),
        as_of=draw(st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 3, 4))),
    )


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    """An SQL with random firmographics, product interests, budget and return history."""
    return Lead(
        id=draw(st.sampled_from(("L-1", "L-2", "L-3", "L-42"))),
        source=Source(channel="web", captured_at=NOW - timedelta(days=10)),
        company=Company(
            region=draw(st.none() | st.sampled_from(REGIONS)),
            country=draw(st.none() | st.sampled_from(("DE", "AT", "NL"))),
            annual_revenue=draw(revenues()),
        ),
        needs=Needs(budget=draw(st.none() | st.floats(0, 1e6))),
        interests=tuple(draw(st.sets(st.sampled_from(LINES), max_size=2))),
        returned_by=tuple(draw(st.sets(st.sampled_from(PARTNER_IDS), max_size=3))),
        stage="sql",
    )


@st.composite
def partners(draw: st.DrawFn, pid: str) -> Partner:
    """A partner with small capacities, so equal scores (exact ties) are common."""
    capacity = draw(st.integers(0, 4))
    low = draw(st.none() | st.floats(0, 5e5))
    high = draw(st.none() | st.floats(low or 0, 1e6))
    return Partner(
        id=pid,
        name=f"Partner {pid}",
        grade=draw(st.sampled_from(DEFAULT_PARTNER_POLICY.grades)),
        capacity=capacity,
        open_leads=draw(st.integers(0, 5)),
        regions=frozenset(draw(st.sets(st.sampled_from(REGIONS), max_size=2))),
        product_lines=frozenset(draw(st.sets(st.sampled_from(LINES), max_size=2))),
        active=draw(st.booleans() | st.just(True)),
        paused_until=draw(st.none() | st.integers(-10, 10).map(lambda d: NOW + timedelta(days=d))),
        min_deal_size=low,
        max_deal_size=high,
    )


@st.composite
def rosters(draw: st.DrawFn) -> tuple[Partner, ...]:
    """Up to eight partners with unique ids."""
    ids = draw(st.lists(st.sampled_from(PARTNER_IDS), unique=True, max_size=8))
    return tuple(draw(partners(pid)) for pid in ids)


def _rank(
    lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str], seed: int
) -> PartnerRanking:
    return rank_partners(
        lead, roster, DEFAULT_PARTNER_POLICY, now=NOW, excluded=tuple(excluded), seed=seed
    )


excluded_sets = st.frozensets(st.sampled_from(PARTNER_IDS), max_size=4)
seeds = st.integers(-(2**63), 2**63)

# --- channel allocation --------------------------------------------------------------------


class TestAllocationProperties:
    @given(leads(), channel_policies())
    def test_allocation_is_deterministic(self, lead: Lead, policy: ChannelPolicy) -> None:
        """The same lead, policy and `now` always give the same decision."""
        assert channel_decision(lead, policy, now=NOW) == channel_decision(lead, policy, now=NOW)

    @given(leads(), channel_policies())
    def test_exactly_one_outcome_with_its_explanation(
        self, lead: Lead, policy: ChannelPolicy
    ) -> None:
        """A decision either names a channel with its rule and value, or says what is missing."""
        decision = channel_decision(lead, policy, now=NOW)
        assert decision.reason
        assert decision.data_source == policy.revenue_source
        if decision.channel is None:
            assert decision.blocked is not None
            assert decision.reason.startswith(f"cannot allocate: {decision.blocked.value}")
            assert decision.rule == ""
        else:
            assert decision.blocked is None
            assert decision.rule in {b.name for b in policy.bands}
            assert decision.value

    @given(leads(), channel_policies())
    def test_only_the_authoritative_source_ever_decides(
        self, lead: Lead, policy: ChannelPolicy
    ) -> None:
        """Revenue from any other source, or none, never yields a channel."""
        revenue = lead.company.annual_revenue
        decision = channel_decision(lead, policy, now=NOW)
        if revenue is None or revenue.source != policy.revenue_source:
            assert decision.blocked is AllocationBlock.REVENUE_MISSING

    @given(amounts, channel_policies())
    def test_fresh_authoritative_revenue_always_finds_its_one_band(
        self, amount: float, policy: ChannelPolicy
    ) -> None:
        """Bands tile every revenue: a fresh broker figure gets the one band containing it."""
        lead = Lead(
            id="L-1",
            source=Source(channel="web", captured_at=NOW),
            company=Company(
                annual_revenue=Revenue(amount=amount, source="address-broker", as_of=NOW.date())
            ),
        )
        decision = channel_decision(lead, policy, now=NOW)
        containing = [b for b in policy.bands if b.contains(amount)]
        assert len(containing) == 1
        assert (decision.rule, decision.channel) == (containing[0].name, containing[0].channel)


# --- partner ranking -----------------------------------------------------------------------


class TestRankingProperties:
    @given(leads(), rosters(), excluded_sets, seeds)
    def test_ranking_is_deterministic(
        self, lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str], seed: int
    ) -> None:
        """The same lead, roster, exclusions and seed always give the same ranking."""
        assert _rank(lead, roster, excluded, seed) == _rank(lead, roster, excluded, seed)

    @given(leads(), rosters(), excluded_sets, seeds)
    def test_excluded_and_returning_partners_are_never_candidates(
        self, lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str], seed: int
    ) -> None:
        """Neither a partner the caller excludes nor one that returned the lead is ranked."""
        ranking = _rank(lead, roster, excluded, seed)
        assert not set(ranking.candidate_ids) & (excluded | set(lead.returned_by))

    @given(leads(), rosters(), excluded_sets, seeds)
    def test_every_partner_gets_one_verdict_with_a_reason(
        self, lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str], seed: int
    ) -> None:
        """Each roster partner is either ranked or refused, never both, and always says why."""
        ranking = _rank(lead, roster, excluded, seed)
        assert sorted((*ranking.candidate_ids, *ranking.refused_ids)) == sorted(
            p.id for p in roster
        )
        assert all(c.reason for c in ranking.candidates)
        assert all(r.refusals and len(r.refusals) == len(r.reasons) for r in ranking.refused)
        assert all(all(r.reasons) for r in ranking.refused)

    @given(leads(), rosters(), excluded_sets, seeds)
    def test_ranking_never_exceeds_capacity(
        self, lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str], seed: int
    ) -> None:
        """Only partners with free capacity, active and not paused, are ranked."""
        by_id = {p.id: p for p in roster}
        for pid in _rank(lead, roster, excluded, seed).candidate_ids:
            partner = by_id[pid]
            assert partner.open_leads < partner.capacity
            assert partner.active
            assert partner.paused_until is None or partner.paused_until <= NOW

    @given(rosters(), st.integers(0, 40), seeds)
    def test_handing_out_leads_one_by_one_never_overfills_a_partner(
        self, roster: tuple[Partner, ...], count: int, seed: int
    ) -> None:
        """Giving each lead to the top candidate keeps every partner within its capacity."""
        current = {p.id: p for p in roster}
        for n in range(count):
            lead = Lead(
                id=f"L-{n}",
                source=Source(channel="web", captured_at=NOW),
                company=Company(region="DACH", country="DE"),
                interests=LINES,
            )
            ranking = _rank(lead, tuple(current.values()), frozenset(), seed)
            if not ranking.candidate_ids:
                break
            top = current[ranking.candidate_ids[0]]
            current[top.id] = attrs.evolve(top, open_leads=top.open_leads + 1)
        for pid, partner in current.items():
            original = next(p for p in roster if p.id == pid)
            assert partner.open_leads <= max(partner.capacity, original.open_leads)

    @given(leads(), rosters(), excluded_sets)
    def test_scores_never_increase_down_the_ranking(
        self, lead: Lead, roster: tuple[Partner, ...], excluded: frozenset[str]
    ) -> None:
        """Candidates come best first, numbered from one."""
        ranking = _rank(lead, roster, excluded, 0)
        scores = [c.score for c in ranking.candidates]
        assert scores == sorted(scores, reverse=True)
        assert [c.rank for c in ranking.candidates] == list(range(1, len(scores) + 1))

    @given(leads(), rosters(), excluded_sets, seeds, seeds)
    def test_changing_the_seed_only_reorders_exact_ties(
        self,
        lead: Lead,
        roster: tuple[Partner, ...],
        excluded: frozenset[str],
        seed_a: int,
        seed_b: int,
    ) -> None:
        """Two seeds agree on refusals and on which partners hold each score level."""
        a = _rank(lead, roster, excluded, seed_a)
        b = _rank(lead, roster, excluded, seed_b)
        assert a.refused == b.refused

        def levels(r: PartnerRanking) -> list[tuple[float, frozenset[str]]]:
            return [
                (score, frozenset(c.partner_id for c in group))
                for score, group in itertools.groupby(r.candidates, key=lambda c: c.score)
            ]

        assert levels(a) == levels(b)
