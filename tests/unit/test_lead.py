"""The lead and its parts: invariants every value guards on construction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    PartyKind,
    ProductHolding,
    Revenue,
    Source,
    ValidationError,
)
from leadpipeline.lead import Offer

AT = datetime(2026, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
NAIVE = datetime(2026, 3, 4, 10, 0)  # naive on purpose: the point of these tests


def fair_source() -> Source:
    return Source(channel="exhibition", captured_at=AT, campaign="Hannover Messe")


class TestParty:
    def test_partner_needs_an_id(self) -> None:
        """A partner party without a partner_id is refused at partner_id."""
        with pytest.raises(ValidationError) as info:
            Party(kind=PartyKind.PARTNER)
        assert info.value.paths == ("partner_id",)

    @pytest.mark.parametrize(
        "kind", [PartyKind.MARKETING, PartyKind.SALES, PartyKind.CUSTOMER_MARKETING]
    )
    def test_only_partners_have_an_id(self, kind: PartyKind) -> None:
        """Marketing, sales and customer marketing never carry a partner_id."""
        with pytest.raises(ValidationError) as info:
            Party(kind=kind, partner_id="p-17")
        assert info.value.paths == ("partner_id",)

    @pytest.mark.parametrize("field", ["team", "rep"])
    def test_only_sales_has_team_or_rep(self, field: str) -> None:
        """A marketing party with a team or rep is refused."""
        with pytest.raises(ValidationError) as info:
            Party(kind=PartyKind.MARKETING, **{field: "events"})
        assert info.value.paths == ("team",)

    @pytest.mark.parametrize("field", ["team", "rep", "partner_id"])
    def test_blank_names_are_refused(self, field: str) -> None:
        """A blank team, rep or partner id is a mistake, not an absent value."""
        kind = PartyKind.PARTNER if field == "partner_id" else PartyKind.SALES
        with pytest.raises(ValidationError) as info:
            Party(kind=kind, **{field: "  "})
        assert info.value.paths == (field,)

    def test_named_constructors_read_like_the_domain(self) -> None:
        """Party.sales(team="direct") is a sales party of the direct team."""
        direct = Party.sales(team="direct", rep="kim")
        assert (direct.kind, direct.team, direct.rep) == (PartyKind.SALES, "direct", "kim")
        assert str(direct) == "sales/direct/kim"
        assert str(Party.partner("p-17")) == "partner/p-17"
        assert str(Party.customer_marketing()) == "customer_marketing"

    def test_parties_are_values(self) -> None:
        """Two marketing parties are equal and hash alike; a party cannot be changed."""
        assert Party.marketing() == Party.marketing()
        assert len({Party.marketing(), Party.marketing()}) == 1
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            Party.marketing().team = "x"  # type: ignore[misc]


class TestSource:
    def test_source_refuses_naive_capture_time(self) -> None:
        """A badge scan without a timezone is refused at captured_at."""
        with pytest.raises(ValidationError) as info:
            Source(channel="exhibition", captured_at=NAIVE)
        assert info.value.paths == ("captured_at",)

    def test_source_needs_a_channel(self) -> None:
        """A blank channel would lose the lead's origin, so it is refused."""
        with pytest.raises(ValidationError) as info:
            Source(channel=" ", captured_at=AT)
        assert info.value.paths == ("channel",)


class TestContact:
    def test_complete_contact_has_name_and_a_way_to_reach(self) -> None:
        """A last name and a phone make a reachable contact; a name alone does not."""
        assert Contact(last_name="Meyer", phone="+49301234567").is_complete
        assert not Contact(last_name="Meyer").is_complete
        assert not Contact(email="a@b.de").is_complete


class TestRevenue:
    def test_negative_revenue_is_refused(self) -> None:
        """A company cannot earn less than nothing."""
        with pytest.raises(ValidationError) as info:
            Revenue(amount=-1.0, source="broker")
        assert info.value.paths == ("amount",)

    def test_infinite_revenue_is_refused(self) -> None:
        """Revenue must be a finite number."""
        with pytest.raises(ValidationError):
            Revenue(amount=float("inf"), source="broker")

    def test_revenue_names_its_source(self) -> None:
        """A figure without the data source it came from is refused."""
        with pytest.raises(ValidationError) as info:
            Revenue(amount=1e6, source="")
        assert info.value.paths == ("source",)


class TestCompany:
    def test_negative_headcount_is_refused(self) -> None:
        """Employees are counted, never negative."""
        with pytest.raises(ValidationError) as info:
            Company(employees=-3)
        assert info.value.paths == ("employees",)

    def test_firmographics_complete(self) -> None:
        """Name, industry, size and country complete the firmographics; zero staff counts."""
        full = Company(name="Acme", industry="manufacturing", employees=0, country="DE")
        assert full.is_complete
        assert not attrs.evolve(full, country=None).is_complete


class TestNeeds:
    def test_sales_cycle_is_positive(self) -> None:
        """A sales cycle of zero months is refused."""
        with pytest.raises(ValidationError) as info:
            Needs(sales_cycle_months=0)
        assert info.value.paths == ("sales_cycle_months",)

    @pytest.mark.parametrize("field", ["budget", "expected_volume"])
    def test_money_and_volume_are_not_negative(self, field: str) -> None:
        """Budget and expected volume are never negative."""
        with pytest.raises(ValidationError) as info:
            Needs(**{field: -1.0})  # type: ignore[arg-type]
        assert info.value.paths == (field,)


class TestProductHolding:
    def test_holding_names_the_product(self) -> None:
        """A product holding without a product is refused."""
        with pytest.raises(ValidationError) as info:
            ProductHolding(product="", since=date(2020, 1, 1))
        assert info.value.paths == ("product",)


class TestInteraction:
    def test_interaction_refuses_naive_time(self) -> None:
        """A touch without a timezone is refused at `at`."""
        with pytest.raises(ValidationError) as info:
            Interaction(kind=InteractionKind.EXHIBITION, at=NAIVE)
        assert info.value.paths == ("at",)


class TestOffer:
    def test_offer_must_expire_after_it_was_made(self) -> None:
        """An offer that expires when it is made is refused at expires_at."""
        with pytest.raises(ValidationError) as info:
            Offer(partner_id="p-1", offered_at=AT, expires_at=AT)
        assert info.value.paths == ("expires_at",)

    @pytest.mark.parametrize("field", ["offered_at", "expires_at"])
    def test_offer_refuses_naive_times(self, field: str) -> None:
        """Both offer times must carry a timezone."""
        times = {"offered_at": AT, "expires_at": AT + timedelta(days=3)}
        times[field] = NAIVE if field == "offered_at" else NAIVE + timedelta(days=3)
        with pytest.raises(ValidationError) as info:
            Offer(partner_id="p-1", **times)
        assert info.value.paths == (field,)

    def test_offer_compares_instants_across_zones(self) -> None:
        """An offer made 10:00 CET expiring 09:30 UTC the same day expires after it was made."""
        offer = Offer(
            partner_id="p-1", offered_at=AT, expires_at=datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
        )
        assert offer.expires_at > offer.offered_at


NAIVE_CONSTRUCTORS: list[tuple[str, Callable[[], Any], str]] = [
    ("Source", lambda: Source(channel="web", captured_at=NAIVE), "captured_at"),
    ("Interaction", lambda: Interaction(kind=InteractionKind.CALL, at=NAIVE), "at"),
    (
        "Offer.offered_at",
        lambda: Offer(partner_id="p", offered_at=NAIVE, expires_at=AT),
        "offered_at",
    ),
    (
        "Offer.expires_at",
        lambda: Offer(partner_id="p", offered_at=AT, expires_at=NAIVE),
        "expires_at",
    ),
]


class TestNaiveDatetimes:
    @pytest.mark.parametrize(
        ("build", "path"),
        [(b, p) for _, b, p in NAIVE_CONSTRUCTORS],
        ids=[n for n, _, _ in NAIVE_CONSTRUCTORS],
    )
    def test_every_value_refuses_naive_datetimes(self, build: Callable[[], Any], path: str) -> None:
        """Each value with a datetime refuses a naive one, naming the field."""
        with pytest.raises(ValidationError) as info:
            build()
        assert info.value.paths == (path,)


class TestLead:
    def test_new_lead_starts_with_marketing_in_inquiry(self) -> None:
        """A lead captured at an exhibition starts as an inquiry owned by marketing."""
        lead = Lead(id="L-1", source=fair_source())
        assert (lead.stage, lead.owner, lead.version) == ("inquiry", Party.marketing(), 0)
        assert lead.sources == (fair_source(),)

    def test_lead_needs_an_id(self) -> None:
        """A blank id is refused."""
        with pytest.raises(ValidationError) as info:
            Lead(id="", source=fair_source())
        assert info.value.paths == ("id",)

    def test_version_is_not_negative(self) -> None:
        """A lead's version counts events, so it is never negative."""
        with pytest.raises(ValidationError) as info:
            Lead(id="L-1", source=fair_source(), version=-1)
        assert info.value.paths == ("version",)

    def test_offered_to_lists_partners_with_open_offers(self) -> None:
        """The partners holding an offer are listed in offer order."""
        offers = tuple(
            Offer(partner_id=p, offered_at=AT, expires_at=AT + timedelta(days=2))
            for p in ("p-2", "p-1")
        )
        lead = Lead(id="L-1", source=fair_source(), offers=offers)
        assert lead.offered_to == ("p-2", "p-1")

    def test_merged_sources_follow_the_original(self) -> None:
        """The original source always comes first in `sources`."""
        webinar = Source(channel="webinar", captured_at=AT + timedelta(days=7))
        lead = Lead(id="L-1", source=fair_source(), merged_sources=(webinar,))
        assert lead.sources == (fair_source(), webinar)

    def test_lead_is_immutable(self) -> None:
        """A lead changes only by folding events, never by assignment."""
        lead = Lead(id="L-1", source=fair_source())
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            lead.stage = "customer"  # type: ignore[misc]
