"""Channel allocation: direct sales or the partner channel, decided so no two teams can both claim.

A `ChannelPolicy` names exactly one authoritative revenue source (an address broker, say).
The lead's revenue counts only when it comes from that source, in the policy's currency and,
optionally, recently enough; anything else is a returned "cannot allocate" outcome, never a
guess and never an exception. Overrides on country, region or product line are checked first,
in order; then the revenue bands, which tile every revenue from zero upwards exactly once.

Every `ChannelDecision` names the rule that decided, the value it used and where that value
came from, so the answer to "why this channel?" is in the decision itself.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from leadpipeline._checks import non_negative, not_blank, positive, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.lead import Lead

__all__ = [
    "DEFAULT_CHANNEL_POLICY",
    "AllocationBlock",
    "Channel",
    "ChannelDecision",
    "ChannelOverride",
    "ChannelPolicy",
    "RevenueBand",
    "channel_decision",
    "lead_product_lines",
]


class Channel(enum.StrEnum):
    """The two routes an SQL can take."""

    DIRECT = "direct"
    PARTNER = "partner"


class AllocationBlock(enum.StrEnum):
    """Why no channel could be decided; the data that is missing, never a guess."""

    REVENUE_MISSING = "authoritative revenue missing"
    REVENUE_STALE = "authoritative revenue stale"
    CURRENCY_MISMATCH = "authoritative revenue in another currency"


def _fold(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v.strip())


def lead_product_lines(lead: Lead) -> frozenset[str]:
    """The product lines a lead is after: its interests and stated needs, case-folded.

    Channel overrides and partner matching read product lines from the same place, so the
    two can never disagree about what a lead wants.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Needs, Source
        >>> at = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             interests=("CRM",), needs=Needs(needs=("analytics",)))
        >>> sorted(lead_product_lines(lead))
        ['analytics', 'crm']
    """
    return _fold((*lead.interests, *lead.needs.needs))


def _text(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


def _money(amount: float, currency: str) -> str:
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{text} {currency}"


@attrs.frozen(kw_only=True, field_transformer=typed)
class RevenueBand:
    """A half-open revenue range ``[min_revenue, max_revenue)`` and the channel it goes to.

    `max_revenue` of None means "and above".

    Example:
        >>> band = RevenueBand(name="enterprise", min_revenue=50e6, channel=Channel.DIRECT)
        >>> band.contains(80e6), band.contains(10e6)
        (True, False)
    """

    name: str = attrs.field(validator=not_blank)
    channel: Channel
    min_revenue: float = attrs.field(default=0.0, validator=non_negative)
    max_revenue: float | None = attrs.field(default=None, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.max_revenue is not None and self.max_revenue <= self.min_revenue:
            raise ConfigurationError.at(
                "max_revenue",
                f"must be above min_revenue {self.min_revenue!r}, got {self.max_revenue!r}",
            )

    def contains(self, amount: float) -> bool:
        """Whether a revenue figure falls in this band (lower bound in, upper bound out)."""
        return self.min_revenue <= amount and (
            self.max_revenue is None or amount < self.max_revenue
        )

    def describe(self, currency: str) -> str:
        """The band as text, e.g. ``[0 EUR, 50,000,000 EUR)``."""
        upper = "and above" if self.max_revenue is None else _money(self.max_revenue, currency)
        return f"[{_money(self.min_revenue, currency)}, {upper})"


@attrs.frozen(kw_only=True, field_transformer=typed)
class ChannelOverride:
    """A channel fixed by country, region or product line, whatever the revenue.

    Each non-empty set must match (case-insensitively): the lead's country is in
    `countries`, its region is in `regions`, and one of its product lines (interests and
    needs) is in `product_lines`. An empty set places no restriction, but at least one set
    must be given.

    Example:
        >>> o = ChannelOverride(name="no direct sales in CH", channel=Channel.PARTNER,
        ...                     countries=frozenset({"CH"}))
        >>> o.criteria()
        'country in CH'
    """

    name: str = attrs.field(validator=not_blank)
    channel: Channel
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    product_lines: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        if not (self.countries or self.regions or self.product_lines):
            raise ConfigurationError.at(
                "countries", "an override needs at least one of countries, regions, product_lines"
            )

    def _sets(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        return _fold(self.countries), _fold(self.regions), _fold(self.product_lines)

    def criteria(self) -> str:
        """The override's conditions as text, for reasons and docs."""
        parts = []
        if self.countries:
            parts.append(f"country in {_text(self.countries)}")
        if self.regions:
            parts.append(f"region in {_text(self.regions)}")
        if self.product_lines:
            parts.append(f"product line in {_text(self.product_lines)}")
        return " and ".join(parts)

    def match(self, lead: Lead) -> tuple[str, str] | None:
        """``(value, data source)`` the override matched on, or None when it does not apply."""
        countries, regions, products = self._sets()
        values: list[str] = []
        fields: list[str] = []
        company = lead.company
        if countries:
            if company.country is None or company.country.strip().casefold() not in countries:
                return None
            values.append(f"country={company.country}")
            fields.append("company.country")
        if regions:
            if company.region is None or company.region.strip().casefold() not in regions:
                return None
            values.append(f"region={company.region}")
            fields.append("company.region")
        if products:
            hits = lead_product_lines(lead) & products
            if not hits:
                return None
            values.append(f"product_line={_text(hits)}")
            fields.append("interests/needs.needs")
        return ", ".join(values), ", ".join(fields)

    def shadows(self, other: ChannelOverride) -> bool:
        """Whether every lead `other` matches is already matched by this override."""
        return all(
            not mine or (bool(theirs) and theirs <= mine)
            for mine, theirs in zip(self._sets(), other._sets(), strict=True)
        )


def _check_bands(bands: tuple[RevenueBand, ...]) -> None:
    if not bands:
        raise ConfigurationError.at("bands", "give at least one revenue band")
    if bands[0].min_revenue != 0:
        raise ConfigurationError.at(
            "bands[0].min_revenue",
            f"the first band must start at 0 so every revenue has a channel, "
            f"got {bands[0].min_revenue!r}",
        )
    names: dict[str, int] = {}
    for i, band in enumerate(bands):
        if band.name in names:
            raise ConfigurationError.at(
                f"bands[{i}].name",
                f"duplicate band name {band.name!r} (also bands[{names[band.name]}])",
            )
        names[band.name] = i
        if i == 0:
            continue
        prev = bands[i - 1]
        if band.min_revenue < prev.min_revenue:
            raise ConfigurationError.at(
                f"bands[{i}].min_revenue",
                f"bands must be in ascending order: {band.min_revenue!r} is below "
                f"bands[{i - 1}].min_revenue {prev.min_revenue!r}",
            )
        if prev.max_revenue is None or band.min_revenue < prev.max_revenue:
            upper = "no upper bound" if prev.max_revenue is None else repr(prev.max_revenue)
            raise ConfigurationError.at(
                f"bands[{i}].min_revenue",
                f"overlaps bands[{i - 1}] {prev.name!r} (which ends at {upper}); "
                f"bands must not overlap",
            )
        if band.min_revenue > prev.max_revenue:
            raise ConfigurationError.at(
                f"bands[{i}].min_revenue",
                f"leaves a gap after bands[{i - 1}] {prev.name!r}, which ends at "
                f"{prev.max_revenue!r}; bands must cover every revenue",
            )
    if bands[-1].max_revenue is not None:
        raise ConfigurationError.at(
            f"bands[{len(bands) - 1}].max_revenue",
            "the last band must be open-ended (no max_revenue) so every revenue has a channel",
        )


def _check_overrides(overrides: tuple[ChannelOverride, ...]) -> None:
    for i, later in enumerate(overrides):
        for j, earlier in enumerate(overrides[:i]):
            if earlier.name == later.name:
                raise ConfigurationError.at(
                    f"overrides[{i}].name", f"duplicate override name {later.name!r}"
                )
            if earlier.shadows(later):
                raise ConfigurationError.at(
                    f"overrides[{i}]",
                    f"never applies: every lead it matches is already taken by "
                    f"overrides[{j}] {earlier.name!r}",
                )


@attrs.frozen(kw_only=True, field_transformer=typed)
class ChannelPolicy:
    """Which channel a lead goes to, from one authoritative revenue source.

    Attributes:
        revenue_source: the only data source whose revenue counts (e.g. "address-broker").
        bands: revenue bands in ascending order, tiling ``[0, inf)`` without overlap or gap.
        currency: the currency the bands are in; revenue in another is not converted.
        max_revenue_age_days: revenue dated more than this many days before `now` (or not
            dated at all) is stale; None accepts any age.
        overrides: country/region/product-line rules checked first, in order.

    Example:
        >>> from leadpipeline.errors import ConfigurationError
        >>> try:
        ...     ChannelPolicy(revenue_source="address-broker", bands=(
        ...         RevenueBand(name="small", channel=Channel.PARTNER, max_revenue=10e6),
        ...         RevenueBand(name="large", channel=Channel.DIRECT, min_revenue=5e6),
        ...     ))
        ... except ConfigurationError as err:
        ...     print(err.paths)
        ('bands[1].min_revenue',)
    """

    revenue_source: str = attrs.field(validator=not_blank)
    bands: tuple[RevenueBand, ...]
    currency: str = attrs.field(default="EUR", validator=not_blank)
    max_revenue_age_days: int | None = attrs.field(default=None, validator=positive)
    overrides: tuple[ChannelOverride, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_bands(self.bands)
        _check_overrides(self.overrides)

    def band_for(self, amount: float) -> RevenueBand:
        """The one band a revenue figure falls in (the bands tile every revenue)."""
        return next(b for b in self.bands if b.contains(amount))


@attrs.frozen(kw_only=True, field_transformer=typed)
class ChannelDecision:
    """The channel chosen for a lead and why, or why none could be chosen.

    Attributes:
        channel: the channel, or None when allocation is blocked.
        rule: the band or override that decided ("" when blocked).
        value: the value the rule was applied to, as text (e.g. "12,000,000 EUR").
        data_source: where that value came from (the policy's revenue source, or the
            lead's field an override read).
        reason: the whole answer to "why?", in words.
        blocked: what was missing when no channel could be chosen.
    """

    channel: Channel | None
    rule: str
    value: str
    data_source: str
    reason: str
    blocked: AllocationBlock | None = None

    @property
    def allocated(self) -> bool:
        """Whether a channel was decided."""
        return self.channel is not None


def _blocked(block: AllocationBlock, source: str, value: str, detail: str) -> ChannelDecision:
    return ChannelDecision(
        channel=None,
        rule="",
        value=value,
        data_source=source,
        reason=f"cannot allocate: {block.value} ({detail})",
        blocked=block,
    )


def channel_decision(lead: Lead, policy: ChannelPolicy, *, now: datetime) -> ChannelDecision:
    """Decide direct or partner for a lead, from the policy's one trusted revenue source.

    Overrides come first; then the revenue band. Revenue from any other source, in another
    currency, or too old gives a blocked decision (``channel is None``) that says what is
    missing, so allocation never guesses.

    Raises:
        ValidationError: when `now` is naive.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Revenue, Source
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             company=Company(annual_revenue=Revenue(amount=2e6, source="crm-estimate")))
        >>> decision = channel_decision(lead, DEFAULT_CHANNEL_POLICY, now=now)
        >>> decision.channel, decision.blocked.value
        (None, 'authoritative revenue missing')
        >>> broker = Revenue(amount=80e6, source="address-broker")
        >>> lead = attrs.evolve(lead, company=Company(annual_revenue=broker))
        >>> decision = channel_decision(lead, DEFAULT_CHANNEL_POLICY, now=now)
        >>> decision.channel.value, decision.rule, decision.value, decision.data_source
        ('direct', 'enterprise', '80,000,000 EUR', 'address-broker')
    """
    require_aware("now", now)
    for override in policy.overrides:
        hit = override.match(lead)
        if hit is not None:
            value, field = hit
            return ChannelDecision(
                channel=override.channel,
                rule=override.name,
                value=value,
                data_source=field,
                reason=(
                    f"override {override.name!r} ({override.criteria()}) matched {value}"
                    f" -> {override.channel.value}"
                ),
            )
    source = policy.revenue_source
    revenue = lead.company.annual_revenue
    if revenue is None:
        return _blocked(
            AllocationBlock.REVENUE_MISSING, source, "", f"the lead has no revenue; need {source!r}"
        )
    amount = _money(revenue.amount, revenue.currency)
    if revenue.source != source:
        return _blocked(
            AllocationBlock.REVENUE_MISSING,
            source,
            "",
            f"the lead's revenue ({amount}) comes from {revenue.source!r}; "
            f"the policy trusts only {source!r}",
        )
    if revenue.currency != policy.currency:
        return _blocked(
            AllocationBlock.CURRENCY_MISMATCH,
            source,
            amount,
            f"revenue is in {revenue.currency}, the bands are in {policy.currency}",
        )
    dated = f"as of {revenue.as_of.isoformat()}" if revenue.as_of else "undated"
    if policy.max_revenue_age_days is not None:
        if revenue.as_of is None:
            return _blocked(
                AllocationBlock.REVENUE_STALE,
                source,
                amount,
                f"the figure has no as-of date; the policy accepts at most "
                f"{policy.max_revenue_age_days} days",
            )
        age = (now.date() - revenue.as_of).days
        if age > policy.max_revenue_age_days:
            return _blocked(
                AllocationBlock.REVENUE_STALE,
                source,
                amount,
                f"{dated} is {age} days old; the policy accepts at most "
                f"{policy.max_revenue_age_days} days",
            )
    band = policy.band_for(revenue.amount)
    return ChannelDecision(
        channel=band.channel,
        rule=band.name,
        value=amount,
        data_source=source,
        reason=(
            f"revenue {amount} ({source}, {dated}) is in band {band.name!r} "
            f"{band.describe(policy.currency)} -> {band.channel.value}"
        ),
    )


DEFAULT_CHANNEL_POLICY = ChannelPolicy(
    revenue_source="address-broker",
    bands=(
        RevenueBand(name="mid-market", channel=Channel.PARTNER, max_revenue=50_000_000.0),
        RevenueBand(name="enterprise", channel=Channel.DIRECT, min_revenue=50_000_000.0),
    ),
)
"""Revenue from the address broker decides: below 50 million EUR the partner channel,
from 50 million EUR direct sales. Any age of figure is accepted; set
`max_revenue_age_days` to refuse stale ones."""
