"""Properties of the transfer levels, over random walks of channel commands.

A walk starts from an SQL of `tests.levels` (partner channel, or direct sales) and decides
random transfer commands at advancing times: assignments, offers, acceptances, returns,
expiry sweeps, reclaims, completions, nurture and merges. Refused commands leave the lead
as it was; accepted ones are folded event by event so each invariant is checked at every
point of the history, not only at the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import (
    AllocateChannel,
    AssignPartner,
    Command,
    Complete,
    Event,
    ExpireOffers,
    Lead,
    LeadPipelineError,
    Merge,
    Nurture,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Party,
    PartyKind,
    Reclaim,
    ReturnLead,
    Revenue,
    decide,
    replay,
)
from leadpipeline.events import Offered, OwnerChanged, evolve
from leadpipeline.rules import Partner, Routing, channel_decision, rank_partners
from tests.levels import (
    OFFERED_AT,
    PLAYBOOK,
    ROSTER,
    allocated_to_partners,
    enterprise_lead,
    sql,
    walk,
)
from tests.strategies import aware_datetimes, leads, sources

PARTNER_IDS = (*(p.id for p in ROSTER), "p-unknown")
RETURN_CODES = PLAYBOOK.return_policy.codes
ONWARD_CODES = tuple(
    r.code for r in PLAYBOOK.return_policy.reasons if r.routing is Routing.NEXT_PARTNER
)
"""Return reasons that keep the lead in the partner channel, so walks go on after them."""


def _direct_start() -> tuple[Lead, tuple[Event, ...]]:
    """The enterprise SQL allocated to direct sales, with its history."""
    lead, history = sql(enterprise_lead())
    lead, more = walk(lead, [AllocateChannel()])
    return lead, history + more


_PARTNER_START = allocated_to_partners()
_DIRECT_START = _direct_start()


@attrs.frozen(kw_only=True)
class Step:
    """One decided command: the lead before, the events, and each intermediate lead."""

    command: Command
    before: Lead
    events: tuple[Event, ...]
    leads: tuple[Lead, ...]

    @property
    def after(self) -> Lead:
        """The lead once every event of the step is folded in."""
        return self.leads[-1] if self.leads else self.before


@attrs.frozen(kw_only=True)
class Walk:
    """A random walk: where it started, its full history, and every step taken."""

    start: Lead
    history: tuple[Event, ...]
    steps: tuple[Step, ...]

    @property
    def end(self) -> Lead:
        """The lead at the end of the walk."""
        return self.steps[-1].after if self.steps else self.start


def _completions() -> st.SearchStrategy[Command]:
    """A report of the outcome, by the current owner or by a named partner."""
    return st.builds(
        Complete,
        outcome=st.sampled_from(Outcome),
        reason=st.sampled_from(["", "chose a competitor"]),
        actor=st.none() | st.sampled_from(PARTNER_IDS).map(Party.partner),
    )


def _near(ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A partner id, usually one of `ids` (the ones that matter now), sometimes any other."""
    return st.sampled_from([*ids, *ids, *ids, *PARTNER_IDS])


def _command(draw: st.DrawFn, lead: Lead) -> Command:
    """A transfer command that is often, not always, allowed for `lead` as it stands."""
    holder = (lead.owner.partner_id,) if lead.owner.partner_id else ()
    seed = st.integers(min_value=0, max_value=3)
    if lead.offers:
        likely = ["accept"] * 4 + ["expire", "offer", "assign", "return"]
    elif lead.owner.kind is PartyKind.PARTNER:
        likely = ["return"] * 4 + ["reclaim", "reclaim", "accept", "offer", "expire"]
    else:
        likely = ["offer"] * 3 + ["assign", "assign", "allocate", "accept", "return", "expire"]
    kind = draw(st.sampled_from([*likely, "merge"]))
    command: Command
    match kind:
        case "assign":
            partner = draw(st.none() | st.sampled_from(PARTNER_IDS))
            command = AssignPartner(partner_id=partner, seed=draw(seed))
        case "offer":
            chosen = draw(st.lists(st.sampled_from(PARTNER_IDS), unique=True, max_size=3))
            command = OfferToPartners(partner_ids=tuple(chosen), seed=draw(seed))
        case "accept":
            command = PartnerAccept(partner_id=draw(_near(lead.offered_to)))
        case "return":
            command = ReturnLead(
                partner_id=draw(_near(holder)),
                reason=draw(st.sampled_from(RETURN_CODES) | st.sampled_from(ONWARD_CODES)),
                comment=draw(st.sampled_from(["fully booked", "needs on-prem", " "])),
                seed=draw(seed),
            )
        case "expire":
            command = ExpireOffers(seed=draw(seed))
        case "reclaim":
            command = Reclaim(partner_id=draw(_near(holder)), reason="not_responding", seed=0)
        case "complete":
            command = draw(_completions())
        case "allocate":
            command = AllocateChannel()
        case _:
            command = Merge(source=draw(sources()))
    return command


def _endings() -> st.SearchStrategy[Command]:
    """How a walk may end: a last sweep, nurture, or a completion."""
    return st.one_of(
        st.just(ExpireOffers()), st.just(Nurture(reason="project on hold")), _completions()
    )


@st.composite
def walks(draw: st.DrawFn, max_steps: int = 30) -> Walk:
    """A random walk of transfer commands from an allocated SQL, refusals skipped."""
    start, history = draw(st.sampled_from([_PARTNER_START, _PARTNER_START, _DIRECT_START]))
    lead = start
    now = OFFERED_AT
    steps: list[Step] = []
    events: list[Event] = list(history)
    count = draw(st.integers(min_value=5, max_value=max_steps))
    for i in range(count + 1):
        now += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)))
        # ending the sales process closes the transfers, so it may only end a walk
        command = _command(draw, lead) if i < count else draw(_endings())
        try:
            decided = decide(lead, command, PLAYBOOK, now=now)
        except LeadPipelineError:
            continue  # a refusal: nothing to fold, the lead stays as it was
        folded: list[Lead] = []
        current = lead
        for event in decided:
            current = evolve(current, event)
            folded.append(current)
        steps.append(Step(command=command, before=lead, events=decided, leads=tuple(folded)))
        events.extend(decided)
        lead = current
    return Walk(start=start, history=tuple(events), steps=tuple(steps))


def _points(step: Step) -> list[tuple[Lead, Event, Lead]]:
    """(lead before, event, lead after) for each event of a step."""
    befores = (step.before, *step.leads[:-1]) if step.leads else ()
    return list(zip(befores, step.events, step.leads, strict=True))


class TestOneOwner:
    """Exactly one party holds the lead at every point of a transfer walk."""

    @given(walks())
    def test_every_owner_change_starts_from_the_current_owner(self, walk_: Walk) -> None:
        """Each OwnerChanged hands over from the party that held the lead just before it."""
        for step in walk_.steps:
            for before, event, _ in _points(step):
                if isinstance(event, OwnerChanged):
                    assert event.from_owner == before.owner
                    assert event.to_owner != before.owner

    @given(walks())
    def test_the_owner_may_always_own_the_stage(self, walk_: Walk) -> None:
        """After every decision the single owner is a party the lifecycle allows for the stage."""
        lifecycle = PLAYBOOK.lifecycle
        for step in walk_.steps:
            assert step.after.owner.kind in lifecycle.spec(step.after.stage).owners

    @given(walks())
    def test_a_partner_holding_the_lead_shares_it_with_no_open_offer(self, walk_: Walk) -> None:
        """While a partner holds the lead, no other partner has an offer it could accept."""
        for step in walk_.steps:
            if step.after.owner.kind is PartyKind.PARTNER:
                assert step.after.offers == ()

    @given(walks())
    def test_the_history_replays_to_the_walked_lead(self, walk_: Walk) -> None:
        """Folding the whole history from the capture gives the lead the walk ended with."""
        assert replay(walk_.history) == walk_.end


class TestNoReofferAfterReturn:
    """A partner that gave the lead back is never offered it again."""

    @given(walks())
    def test_no_offer_goes_to_a_partner_that_returned_the_lead(self, walk_: Walk) -> None:
        """No Offered event names a partner already in the lead's returned_by."""
        for step in walk_.steps:
            for before, event, after in _points(step):
                if isinstance(event, Offered):
                    assert event.partner_id not in before.returned_by
                    assert event.partner_id not in after.returned_by

    @given(walks())
    def test_returned_by_only_grows(self, walk_: Walk) -> None:
        """Once a partner returned the lead, it stays remembered for the rest of the walk."""
        for step in walk_.steps:
            assert set(step.before.returned_by) <= set(step.after.returned_by)
            assert not set(step.after.offered_to) & set(step.after.returned_by)


class TestSourceKept:
    """No decision ever drops where the lead first came from."""

    @given(walks())
    def test_the_original_source_survives_every_decision(self, walk_: Walk) -> None:
        """The first source stays the lead's source, ahead of every merged one, at each step."""
        original = walk_.start.source
        for step in walk_.steps:
            for _, _, after in _points(step):
                assert after.source == original
                assert after.sources[0] == original
                assert set(step.before.merged_sources) <= set(after.merged_sources)


_GRADES = st.sampled_from(["gold", "silver", "bronze"])
_REGIONS = st.frozensets(st.sampled_from(["north", "south", "DE"]), max_size=2)


@st.composite
def rosters(draw: st.DrawFn) -> tuple[Partner, ...]:
    """Up to six partners with mixed grades, load, regions, activity and pauses."""
    ids = draw(st.lists(st.sampled_from([f"p-{n}" for n in range(1, 9)]), unique=True, max_size=6))
    roster = []
    for pid in ids:
        capacity = draw(st.integers(min_value=0, max_value=10))
        roster.append(
            Partner(
                id=pid,
                name=f"Partner {pid}",
                grade=draw(_GRADES),
                capacity=capacity,
                open_leads=draw(st.integers(min_value=0, max_value=12)),
                regions=draw(_REGIONS),
                active=draw(st.booleans()),
                paused_until=draw(
                    st.none()
                    | st.sampled_from(
                        [OFFERED_AT - timedelta(days=1), OFFERED_AT + timedelta(days=1)]
                    )
                ),
                min_deal_size=draw(st.none() | st.sampled_from([10_000.0, 200_000.0])),
            )
        )
    return tuple(roster)


_REVENUES = st.builds(
    Revenue,
    amount=st.floats(min_value=0, max_value=2e9, allow_nan=False),
    source=st.sampled_from(["address-broker", "crm-estimate"]),
    currency=st.sampled_from(["EUR", "USD"]),
)


@st.composite
def sql_leads(draw: st.DrawFn) -> Lead:
    """Any SQL held by sales, with revenue from the trusted source or another one."""
    lead = draw(leads(stage="sql", owner=Party.sales()))
    revenue = draw(st.none() | _REVENUES)
    return attrs.evolve(
        lead,
        company=attrs.evolve(lead.company, annual_revenue=revenue),
        offers=(),
        channel=None,
    )


class TestDeterminism:
    """The same input always gives the same allocation, ranking and offers."""

    @given(sql_leads(), aware_datetimes())
    def test_allocation_decides_the_same_way_twice(self, lead: Lead, now: datetime) -> None:
        """Deciding AllocateChannel twice on the same lead gives equal events and decisions."""
        first = decide(lead, AllocateChannel(), PLAYBOOK, now=now)
        second = decide(lead, AllocateChannel(), PLAYBOOK, now=now)

        assert first == second
        policy = PLAYBOOK.channel_policy
        assert channel_decision(lead, policy, now=now) == channel_decision(lead, policy, now=now)

    @given(sql_leads(), rosters(), st.integers(min_value=0, max_value=5), st.data())
    def test_ranking_is_the_same_for_the_same_input_in_any_roster_order(
        self, lead: Lead, roster: tuple[Partner, ...], seed: int, data: st.DataObject
    ) -> None:
        """Ranking twice gives equal results, and reordering the roster keeps the candidates."""
        policy = PLAYBOOK.partner_policy
        now = OFFERED_AT
        first = rank_partners(lead, roster, policy, now=now, seed=seed)
        again = rank_partners(lead, roster, policy, now=now, seed=seed)
        shuffled = data.draw(st.permutations(roster))
        reordered = rank_partners(lead, shuffled, policy, now=now, seed=seed)

        assert first == again
        assert reordered.candidates == first.candidates
        assert set(reordered.refused) == set(first.refused)

    @given(rosters(), st.integers(min_value=0, max_value=5))
    def test_offers_go_to_the_same_partners_for_the_same_input(
        self, roster: tuple[Partner, ...], seed: int
    ) -> None:
        """Offering the lead twice with the same roster and seed names the same partners."""
        playbook = attrs.evolve(PLAYBOOK, partners=roster)
        lead, _ = _PARTNER_START
        outcomes: list[object] = []
        for _ in range(2):
            try:
                outcomes.append(decide(lead, OfferToPartners(seed=seed), playbook, now=OFFERED_AT))
            except LeadPipelineError as err:
                outcomes.append((type(err), str(err)))
        assert outcomes[0] == outcomes[1]
