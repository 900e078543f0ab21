"""Channel allocation: direct or partner, from one authoritative revenue source."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.lead import Company, Lead, Needs, Revenue, Source
from leadpipeline.rules.channels import (
    DEFAULT_CHANNEL_POLICY,
    AllocationBlock,
    Channel,
    ChannelOverride,
    ChannelPolicy,
    RevenueBand,
    channel_decision,
)
from leadpipeline.serialization import from_json, structure, to_json

NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
BROKER = "address-broker"


def a_lead(
    revenue: Revenue | None = None,
    *,
    country: str | None = "DE",
    region: str | None = "DACH",
    interests: tuple[str, ...] = (),
) -> Lead:
    return Lead(
        id="L-100",
        source=Source(channel="exhibition", captured_at=NOW - timedelta(days=30)),
        company=Company(
            name="Hansen Logistik GmbH",
            country=country,
            region=region,
            annual_revenue=revenue,
        ),
        interests=interests,
    )


def broker_revenue(amount: float, **kw: object) -> Revenue:
    return Revenue(amount=amount, source=BROKER, **kw)  # type: ignore[arg-type]


def three_bands(**kw: object) -> ChannelPolicy:
    return ChannelPolicy(
        revenue_source=BROKER,
        bands=(
            RevenueBand(name="small business", channel=Channel.PARTNER, max_revenue=10e6),
            RevenueBand(
                name="mid-market", channel=Channel.PARTNER, min_revenue=10e6, max_revenue=100e6
            ),
            RevenueBand(name="key accounts", channel=Channel.DIRECT, min_revenue=100e6),
        ),
        **kw,  # type: ignore[arg-type]
    )


class TestAllocateChannel:
    def test_broker_revenue_below_the_threshold_goes_to_partners(self) -> None:
        """A 12 million EUR company by the address broker lands in the partner channel."""
        decision = channel_decision(a_lead(broker_revenue(12e6)), DEFAULT_CHANNEL_POLICY, now=NOW)
        assert decision.channel is Channel.PARTNER
        assert decision.rule == "mid-market"
        assert decision.value == "12,000,000 EUR"
        assert decision.data_source == BROKER
        assert decision.blocked is None
        assert decision.allocated

    def test_broker_revenue_above_the_threshold_goes_to_direct_sales(self) -> None:
        """A 250 million EUR company goes to direct sales under the enterprise band."""
        decision = channel_decision(a_lead(broker_revenue(250e6)), DEFAULT_CHANNEL_POLICY, now=NOW)
        assert (decision.channel, decision.rule) == (Channel.DIRECT, "enterprise")

    def test_band_lower_bound_is_inclusive(self) -> None:
        """Exactly 50 million EUR falls in the band that starts there, not the one below."""
        decision = channel_decision(a_lead(broker_revenue(50e6)), DEFAULT_CHANNEL_POLICY, now=NOW)
        assert decision.rule == "enterprise"

    def test_crm_estimate_is_ignored_when_the_policy_trusts_the_address_broker(self) -> None:
        """Revenue from the CRM's own estimate is ignored: cannot allocate, never a guess."""
        lead = a_lead(Revenue(amount=400e6, source="crm-estimate"))
        decision = channel_decision(lead, DEFAULT_CHANNEL_POLICY, now=NOW)
        assert decision.channel is None
        assert decision.blocked is AllocationBlock.REVENUE_MISSING
        assert decision.reason.startswith("cannot allocate: authoritative revenue missing")
        assert "crm-estimate" in decision.reason
        assert decision.data_source == BROKER
        assert not decision.allocated

    def test_no_revenue_at_all_cannot_be_allocated(self) -> None:
        """A lead whose company revenue is unknown is blocked with the source it needs."""
        decision = channel_decision(a_lead(None), DEFAULT_CHANNEL_POLICY, now=NOW)
        assert decision.blocked is AllocationBlock.REVENUE_MISSING
        assert BROKER in decision.reason

    def test_stale_broker_figure_is_refused(self) -> None:
        """A broker figure older than the allowed age blocks allocation as stale."""
        policy = three_bands(max_revenue_age_days=365)
        lead = a_lead(broker_revenue(5e6, as_of=date(2024, 1, 31)))
        decision = channel_decision(lead, policy, now=NOW)
        assert decision.blocked is AllocationBlock.REVENUE_STALE
        assert decision.reason.startswith("cannot allocate: authoritative revenue stale")
        assert "2024-01-31" in decision.reason

    def test_fresh_broker_figure_is_used(self) -> None:
        """A broker figure exactly as old as allowed still decides."""
        policy = three_bands(max_revenue_age_days=365)
        lead = a_lead(broker_revenue(5e6, as_of=NOW.date() - timedelta(days=365)))
        decision = channel_decision(lead, policy, now=NOW)
        assert (decision.channel, decision.rule) == (Channel.PARTNER, "small business")
        assert "as of" in decision.reason

    def test_undated_figure_is_stale_when_an_age_limit_applies(self) -> None:
        """Without an as-of date the age cannot be shown, so the figure is not trusted."""
        policy = three_bands(max_revenue_age_days=365)
        decision = channel_decision(a_lead(broker_revenue(5e6)), policy, now=NOW)
        assert decision.blocked is AllocationBlock.REVENUE_STALE

    def test_revenue_in_another_currency_is_not_converted(self) -> None:
        """A USD figure against EUR bands blocks allocation rather than guessing a rate."""
        lead = a_lead(broker_revenue(80e6, currency="USD"))
        decision = channel_decision(lead, DEFAULT_CHANNEL_POLICY, now=NOW)
        assert decision.blocked is AllocationBlock.CURRENCY_MISMATCH

    def test_country_override_wins_over_revenue(self) -> None:
        """Where there is no direct sales team, even a key account goes to partners."""
        policy = three_bands(
            overrides=(
                ChannelOverride(
                    name="no direct sales in Switzerland",
                    channel=Channel.PARTNER,
                    countries=frozenset({"CH"}),
                ),
            )
        )
        lead = a_lead(broker_revenue(900e6), country="ch")
        decision = channel_decision(lead, policy, now=NOW)
        assert decision.channel is Channel.PARTNER
        assert decision.rule == "no direct sales in Switzerland"
        assert decision.value == "country=ch"
        assert decision.data_source == "company.country"

    def test_product_line_override_needs_no_revenue(self) -> None:
        """A lead for a line only direct sales sells is allocated even without revenue."""
        policy = three_bands(
            overrides=(
                ChannelOverride(
                    name="mainframe is direct only",
                    channel=Channel.DIRECT,
                    product_lines=frozenset({"Mainframe"}),
                ),
            )
        )
        lead = a_lead(None, interests=("mainframe", "crm"))
        decision = channel_decision(lead, policy, now=NOW)
        assert (decision.channel, decision.rule) == (Channel.DIRECT, "mainframe is direct only")
        assert decision.value == "product_line=mainframe"

    def test_override_that_does_not_match_falls_through_to_bands(self) -> None:
        """A German lead is untouched by a Swiss override and goes by revenue."""
        policy = three_bands(
            overrides=(
                ChannelOverride(
                    name="CH partners", channel=Channel.PARTNER, countries=frozenset({"CH"})
                ),
            )
        )
        decision = channel_decision(a_lead(broker_revenue(200e6)), policy, now=NOW)
        assert decision.rule == "key accounts"

    def test_needs_do_not_count_as_revenue(self) -> None:
        """A large budget says nothing about company revenue: still cannot allocate."""
        lead = attrs.evolve(a_lead(None), needs=Needs(budget=5e6))
        assert channel_decision(lead, DEFAULT_CHANNEL_POLICY, now=NOW).channel is None

    def test_naive_now_is_refused(self) -> None:
        """A naive `now` is ambiguous across offices and is refused by field name."""
        with pytest.raises(ValidationError) as err:
            channel_decision(
                a_lead(broker_revenue(1e6)), DEFAULT_CHANNEL_POLICY, now=datetime(2026, 3, 4)
            )
        assert err.value.paths == ("now",)

    def test_other_time_zones_are_accepted(self) -> None:
        """A `now` in any fixed offset works the same as UTC."""
        now = NOW.astimezone(timezone(timedelta(hours=-5)))
        decision = channel_decision(a_lead(broker_revenue(1e6)), DEFAULT_CHANNEL_POLICY, now=now)
        assert decision.channel is Channel.PARTNER


class TestChannelPolicy:
    def test_overlapping_bands_are_refused_with_a_path(self) -> None:
        """A band that starts inside the previous one names its min_revenue."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(
                    RevenueBand(name="a", channel=Channel.PARTNER, max_revenue=10e6),
                    RevenueBand(
                        name="b", channel=Channel.PARTNER, min_revenue=10e6, max_revenue=50e6
                    ),
                    RevenueBand(name="c", channel=Channel.DIRECT, min_revenue=40e6),
                ),
            )
        assert err.value.paths == ("bands[2].min_revenue",)
        assert "overlap" in str(err.value)

    def test_unordered_bands_are_refused(self) -> None:
        """Bands listed high to low are refused so the table reads in one direction."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(
                    RevenueBand(name="a", channel=Channel.PARTNER, max_revenue=10e6),
                    RevenueBand(name="c", channel=Channel.DIRECT, min_revenue=50e6),
                    RevenueBand(
                        name="b", channel=Channel.PARTNER, min_revenue=10e6, max_revenue=50e6
                    ),
                ),
            )
        assert err.value.paths == ("bands[1].min_revenue",)

    def test_open_ended_band_before_another_overlaps(self) -> None:
        """A band without an upper bound cannot be followed by another."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(
                    RevenueBand(name="a", channel=Channel.PARTNER),
                    RevenueBand(name="b", channel=Channel.DIRECT, min_revenue=50e6),
                ),
            )
        assert err.value.paths == ("bands[1].min_revenue",)

    def test_gap_between_bands_is_refused(self) -> None:
        """Revenue in a gap would have no channel, so a gap is refused."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(
                    RevenueBand(name="a", channel=Channel.PARTNER, max_revenue=10e6),
                    RevenueBand(name="b", channel=Channel.DIRECT, min_revenue=20e6),
                ),
            )
        assert err.value.paths == ("bands[1].min_revenue",)
        assert "gap" in str(err.value)

    def test_first_band_must_start_at_zero(self) -> None:
        """A small company must have a channel too."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(RevenueBand(name="a", channel=Channel.DIRECT, min_revenue=1e6),),
            )
        assert err.value.paths == ("bands[0].min_revenue",)

    def test_last_band_must_be_open_ended(self) -> None:
        """The largest companies must have a channel too."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(RevenueBand(name="a", channel=Channel.DIRECT, max_revenue=1e9),),
            )
        assert err.value.paths == ("bands[0].max_revenue",)

    def test_no_bands_is_refused(self) -> None:
        """A policy without bands could never allocate by revenue."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(revenue_source=BROKER, bands=())
        assert err.value.paths == ("bands",)

    def test_duplicate_band_names_are_refused(self) -> None:
        """Two bands with one name would make a decision's `rule` ambiguous."""
        with pytest.raises(ConfigurationError) as err:
            ChannelPolicy(
                revenue_source=BROKER,
                bands=(
                    RevenueBand(name="a", channel=Channel.PARTNER, max_revenue=10e6),
                    RevenueBand(name="a", channel=Channel.DIRECT, min_revenue=10e6),
                ),
            )
        assert err.value.paths == ("bands[1].name",)

    def test_band_upper_bound_must_be_above_lower(self) -> None:
        """An empty band is a typo, refused at its max_revenue."""
        with pytest.raises(ConfigurationError) as err:
            RevenueBand(name="a", channel=Channel.PARTNER, min_revenue=5e6, max_revenue=5e6)
        assert err.value.paths == ("max_revenue",)

    def test_blank_revenue_source_is_refused(self) -> None:
        """The policy must name its one authoritative source."""
        with pytest.raises(ValidationError) as err:
            attrs.evolve(DEFAULT_CHANNEL_POLICY, revenue_source=" ")
        assert err.value.paths == ("revenue_source",)

    def test_shadowed_override_is_refused(self) -> None:
        """An override that an earlier one always catches first could never apply."""
        with pytest.raises(ConfigurationError) as err:
            three_bands(
                overrides=(
                    ChannelOverride(
                        name="DACH partners", channel=Channel.PARTNER, regions=frozenset({"DACH"})
                    ),
                    ChannelOverride(
                        name="DACH mainframe direct",
                        channel=Channel.DIRECT,
                        regions=frozenset({"dach"}),
                        product_lines=frozenset({"mainframe"}),
                    ),
                )
            )
        assert err.value.paths == ("overrides[1]",)

    def test_override_needs_a_criterion(self) -> None:
        """An override without any criterion would match every lead."""
        with pytest.raises(ConfigurationError):
            ChannelOverride(name="all", channel=Channel.DIRECT)

    def test_policy_round_trips_through_json(self) -> None:
        """A policy loaded from JSON equals the one written, overrides included."""
        policy = three_bands(
            max_revenue_age_days=730,
            overrides=(
                ChannelOverride(
                    name="CH partners", channel=Channel.PARTNER, countries=frozenset({"CH"})
                ),
            ),
        )
        assert from_json(to_json(policy), ChannelPolicy) == policy

    def test_overlap_loaded_from_data_names_the_band_path(self) -> None:
        """An overlapping band in a config file is refused at its path."""
        data = json.loads(to_json(three_bands()))
        data["bands"][2]["min_revenue"] = 50e6
        with pytest.raises(ValidationError) as err:
            structure(data, ChannelPolicy)
        assert err.value.paths == ("bands[2].min_revenue",)
