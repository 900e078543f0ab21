"""The lead and its parts: who the prospect is, where it came from, and where it stands.

Values only. A lead changes by folding events (`leadpipeline.events.evolve`), never
by mutation, so the snapshot and its history can never disagree.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from leadpipeline._checks import as_float, aware, non_negative, not_blank, positive
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError

__all__ = [
    "Company",
    "Contact",
    "Interaction",
    "InteractionKind",
    "Lead",
    "Needs",
    "Offer",
    "Party",
    "PartyKind",
    "ProductHolding",
    "Revenue",
    "Source",
]


class PartyKind(enum.StrEnum):
    """The kinds of party that can own a lead."""

    MARKETING = "marketing"
    SALES = "sales"
    PARTNER = "partner"
    CUSTOMER_MARKETING = "customer_marketing"


@attrs.frozen(kw_only=True, field_transformer=typed)
class Party:
    """Who holds a lead: marketing, a sales team or rep, one partner, or customer marketing.

    A lead has exactly one owner, so this is one value, never a list.

    Example:
        >>> Party.partner("p-17")
        Party(kind=<PartyKind.PARTNER: 'partner'>, team=None, rep=None, partner_id='p-17')
        >>> str(Party.sales(team="inside-sales"))
        'sales/inside-sales'
    """

    kind: PartyKind
    team: str | None = attrs.field(default=None, validator=not_blank)
    rep: str | None = attrs.field(default=None, validator=not_blank)
    partner_id: str | None = attrs.field(default=None, validator=not_blank)

    def __attrs_post_init__(self) -> None:
        if (self.kind is PartyKind.PARTNER) != (self.partner_id is not None):
            raise ValidationError.at(
                "partner_id", "a partner party needs a partner_id, and only a partner has one"
            )
        if self.kind is not PartyKind.SALES and (self.team or self.rep):
            raise ValidationError.at("team", "only sales parties have a team or rep")

    @classmethod
    def marketing(cls) -> Party:
        """Marketing: owns inquiries, MQLs and nurture."""
        return cls(kind=PartyKind.MARKETING)

    @classmethod
    def sales(cls, *, team: str | None = None, rep: str | None = None) -> Party:
        """Sales: inside sales, pre-sales or direct sales, optionally a team and rep."""
        return cls(kind=PartyKind.SALES, team=team, rep=rep)

    @classmethod
    def partner(cls, partner_id: str) -> Party:
        """One channel partner, by its id."""
        return cls(kind=PartyKind.PARTNER, partner_id=partner_id)

    @classmethod
    def customer_marketing(cls) -> Party:
        """Existing-customer marketing: takes over once a lead is won."""
        return cls(kind=PartyKind.CUSTOMER_MARKETING)

    def __str__(self) -> str:
        parts = [self.kind.value]
        parts += [p for p in (self.team, self.rep, self.partner_id) if p]
        return "/".join(parts)


@attrs.frozen(kw_only=True, field_transformer=typed)
class Source:
    """Where a lead first came from; kept forever because it predicts buying potential.

    `source_id` is the id the originating system gave the record (a badge scan, a form
    submission id); capturing the same source record twice yields one lead.
    """

    channel: str = attrs.field(validator=not_blank)
    captured_at: datetime = attrs.field(validator=aware)
    campaign: str | None = None
    source_id: str | None = attrs.field(default=None, validator=not_blank)


ERASED = "<erased>"
"""The tombstone that replaces personal data after erasure."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Contact:
    """The person: the base of the profile pyramid, needed before anything else."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None

    @property
    def is_complete(self) -> bool:
        """A contact is reachable when it has a name and an email or phone."""
        return bool(self.last_name and (self.email or self.phone))

    def erased(self) -> Contact:
        """The contact with every personal field given replaced by the tombstone."""

        def tomb(value: str | None) -> str | None:
            return None if value is None else ERASED

        return Contact(
            first_name=tomb(self.first_name),
            last_name=tomb(self.last_name),
            email=tomb(self.email),
            phone=tomb(self.phone),
            job_title=self.job_title,
        )


@attrs.frozen(kw_only=True, field_transformer=typed)
class Revenue:
    """A company's annual revenue, with the data source it came from and its as-of date.

    Channel allocation trusts only the one source a policy names, so the source travels
    with the figure.
    """

    amount: float = attrs.field(converter=as_float, validator=non_negative)
    currency: str = attrs.field(default="EUR", validator=not_blank)
    source: str = attrs.field(validator=not_blank)
    as_of: date | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Company:
    """Firmographics: the second level of the profile pyramid."""

    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = attrs.field(default=None, validator=non_negative)
    country: str | None = None
    region: str | None = None
    annual_revenue: Revenue | None = None

    @property
    def is_complete(self) -> bool:
        """Firmographics count when name, industry, size and country are known."""
        return bool(self.name and self.industry and self.employees is not None and self.country)


@attrs.frozen(kw_only=True, field_transformer=typed)
class Needs:
    """What the prospect wants and when: the MQL criteria of the source texts."""

    budget: float | None = attrs.field(default=None, converter=as_float, validator=non_negative)
    needs: tuple[str, ...] = ()
    purchase_decision: date | None = None
    expected_volume: float | None = attrs.field(
        default=None, converter=as_float, validator=non_negative
    )
    current_product: str | None = None
    sales_cycle_months: int | None = attrs.field(default=None, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class ProductHolding:
    """A product the prospect already uses (ours or a competitor's)."""

    product: str = attrs.field(validator=not_blank)
    vendor: str | None = None
    since: date | None = None


class InteractionKind(enum.StrEnum):
    """Touches that show intent; scoring rules award points per kind."""

    SITE_VISIT = "site_visit"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    EMAIL_REPLY = "email_reply"
    SOCIAL = "social"
    FORM_SUBMIT = "form_submit"
    WEBINAR = "webinar"
    EXHIBITION = "exhibition"
    DOWNLOAD = "download"
    CALL = "call"
    MEETING = "meeting"


@attrs.frozen(kw_only=True, field_transformer=typed)
class Interaction:
    """One touch between the prospect and the company."""

    kind: InteractionKind
    at: datetime = attrs.field(validator=aware)
    detail: str = ""

    def erased(self) -> Interaction:
        """The touch with its detail (free text about a person) replaced by the tombstone."""
        return attrs.evolve(self, detail=ERASED) if self.detail else self


@attrs.frozen(kw_only=True, field_transformer=typed)
class Offer:
    """A pending offer of the lead to one partner, open until `expires_at`."""

    partner_id: str = attrs.field(validator=not_blank)
    offered_at: datetime = attrs.field(validator=aware)
    expires_at: datetime = attrs.field(validator=aware)

    def __attrs_post_init__(self) -> None:
        if self.expires_at <= self.offered_at:
            raise ValidationError.at("expires_at", "an offer must expire after it was made")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Lead:
    """A prospect on its way from first touch to customer.

    `owner` is a single `Party`: exactly one party is responsible at any time.
    `channel` is the allocated sales channel (direct or partner), once decided.
    `returned_by` remembers partners that gave the lead back, so it is never offered to
    them again; `lapsed_offers` those who let an offer expire. `version` counts the events
    folded into this snapshot.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=at))
        >>> lead.stage, str(lead.owner), lead.version
        ('inquiry', 'marketing', 0)
    """

    id: str = attrs.field(validator=not_blank)
    source: Source
    contact: Contact = Contact()
    company: Company = Company()
    needs: Needs = Needs()
    holdings: tuple[ProductHolding, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    interests: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    stage: str = attrs.field(default="inquiry", validator=not_blank)
    owner: Party = attrs.field(factory=Party.marketing)
    channel: str | None = None
    offers: tuple[Offer, ...] = ()
    returned_by: tuple[str, ...] = ()
    lapsed_offers: tuple[str, ...] = ()
    merged_sources: tuple[Source, ...] = ()
    erased: bool = False
    version: int = attrs.field(default=0, validator=non_negative)

    @property
    def sources(self) -> tuple[Source, ...]:
        """The original source first, then any merged in from duplicates."""
        return (self.source, *self.merged_sources)

    @property
    def offered_to(self) -> tuple[str, ...]:
        """Partner ids holding an open offer."""
        return tuple(o.partner_id for o in self.offers)
