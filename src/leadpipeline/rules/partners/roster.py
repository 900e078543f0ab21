"""The partner roster: who the partners are, what they serve and know, and how they are weighed.

A partner carries the regions it covers, the product lines it sells and its competences
(industries and needs it knows well), so a return reason can ask for the partner that
has what the previous one lacked.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from leadpipeline._checks import aware, non_negative, not_blank, positive
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError

__all__ = [
    "DEFAULT_PARTNER_POLICY",
    "GradeWeight",
    "Partner",
    "PartnerNeed",
    "PartnerPolicy",
    "check_roster",
]


class PartnerNeed(enum.StrEnum):
    """What a return reason asks of the partner a lead goes to next.

    Why: the reason a partner gives decides not only whether a lead goes on to another
    partner but to which one; "project does not fit" asks for a partner that knows the
    lead's industry or needs, "no capacity" for one with room, "outside our territory"
    for one covering the lead's region.
    """

    COMPETENCE = "competence"
    """Its competences cover the lead's industry or one of its stated needs."""
    CAPACITY = "capacity"
    """It has free capacity this period."""
    REGION = "region"
    """It covers the lead's region or country."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Partner:
    """A channel partner on the roster, with what it serves and how much it can take.

    Attributes:
        id: the partner's id (as in ``Party.partner(id)``).
        name: its display name.
        grade: its grade, e.g. "gold"; the policy gives each grade a weight.
        regions: regions or countries it serves (matched against the lead's company
            region and country, case-insensitively); empty serves every region.
        product_lines: product lines it sells (matched against the lead's interests and
            needs); empty sells every line.
        competences: industries and needs it knows well (matched against the lead's
            industry and stated needs, case-insensitively); weighed only when a return
            reason asks for competence; empty claims every competence.
        capacity: leads it can take per period; a hard cap.
        open_leads: leads it holds or has on offer in the current period.
        active: False for a partner no longer taking leads.
        paused_until: on holiday or paused until then; None when not paused.
        min_deal_size: the smallest budget it takes, or None.
        max_deal_size: the largest budget it takes, or None.
        calendar: the playbook calendar its SLA clocks count in (empty: the default).

    Example:
        >>> p = Partner(id="p-1", name="Nordlicht IT", grade="gold", capacity=10, open_leads=4)
        >>> p.free_capacity
        6
    """

    id: str = attrs.field(validator=not_blank)
    name: str = attrs.field(validator=not_blank)
    grade: str = attrs.field(validator=not_blank)
    capacity: int = attrs.field(validator=non_negative)
    open_leads: int = attrs.field(default=0, validator=non_negative)
    regions: frozenset[str] = frozenset()
    product_lines: frozenset[str] = frozenset()
    competences: frozenset[str] = frozenset()
    active: bool = True
    paused_until: datetime | None = attrs.field(default=None, validator=aware)
    min_deal_size: float | None = attrs.field(default=None, validator=non_negative)
    max_deal_size: float | None = attrs.field(default=None, validator=non_negative)
    calendar: str = ""
    """The name of the playbook calendar the partner works to; empty: the default."""

    def __attrs_post_init__(self) -> None:
        if (
            self.min_deal_size is not None
            and self.max_deal_size is not None
            and self.max_deal_size < self.min_deal_size
        ):
            raise ConfigurationError.at(
                "max_deal_size",
                f"must not be below min_deal_size {self.min_deal_size!r}, "
                f"got {self.max_deal_size!r}",
            )

    @property
    def free_capacity(self) -> int:
        """Leads it can still take this period (never negative)."""
        return max(self.capacity - self.open_leads, 0)


@attrs.frozen(kw_only=True, field_transformer=typed)
class GradeWeight:
    """How strongly a partner grade is preferred when ranking."""

    grade: str = attrs.field(validator=not_blank)
    weight: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerPolicy:
    """How partners are ranked and offered a lead.

    Attributes:
        grade_weights: the weight of each grade, each grade once.
        offer_count: how many partners a lead is offered to at once.
        offer_expiry: how long an offer stays open.
        require_deal_size: when True, a lead without a budget is refused by every partner
            with a deal-size range; when False the range is not checked for it.

    Example:
        >>> DEFAULT_PARTNER_POLICY.weight_of("gold"), DEFAULT_PARTNER_POLICY.offer_count
        (3.0, 3)
    """

    grade_weights: tuple[GradeWeight, ...] = (
        GradeWeight(grade="gold", weight=3.0),
        GradeWeight(grade="silver", weight=2.0),
        GradeWeight(grade="bronze", weight=1.0),
    )
    offer_count: int = attrs.field(default=3, validator=positive)
    offer_expiry: timedelta = timedelta(days=3)
    require_deal_size: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.grade_weights:
            raise ConfigurationError.at("grade_weights", "give at least one grade")
        seen: dict[str, int] = {}
        for i, gw in enumerate(self.grade_weights):
            if gw.grade in seen:
                raise ConfigurationError.at(
                    f"grade_weights[{i}].grade",
                    f"duplicate grade {gw.grade!r} (also grade_weights[{seen[gw.grade]}])",
                )
            seen[gw.grade] = i
        if self.offer_expiry <= timedelta(0):
            raise ConfigurationError.at(
                "offer_expiry", f"must be positive, got {self.offer_expiry!r}"
            )

    @property
    def grades(self) -> tuple[str, ...]:
        """The known grades, in policy order."""
        return tuple(gw.grade for gw in self.grade_weights)

    def weight_of(self, grade: str) -> float | None:
        """The weight of a grade, or None for a grade the policy does not know."""
        return next((gw.weight for gw in self.grade_weights if gw.grade == grade), None)


DEFAULT_PARTNER_POLICY = PartnerPolicy()
"""Gold 3, silver 2, bronze 1; offer to three partners at once for three days."""


def check_roster(
    partners: Sequence[Partner], policy: PartnerPolicy, path: str = "partners"
) -> None:
    """Refuse a roster with a partner id twice or a grade the policy cannot weigh.

    Call it when a playbook is built so a bad roster fails early, naming the partner.

    Raises:
        ConfigurationError: at ``<path>[i].id`` or ``<path>[i].grade``.

    Example:
        >>> p = Partner(id="p-1", name="A", grade="platinum", capacity=5)
        >>> try:
        ...     check_roster((p,), DEFAULT_PARTNER_POLICY)
        ... except ConfigurationError as err:
        ...     print(err.paths)
        ('partners[0].grade',)
    """
    seen: dict[str, int] = {}
    for i, partner in enumerate(partners):
        if partner.id in seen:
            raise ConfigurationError.at(
                f"{path}[{i}].id",
                f"duplicate partner id {partner.id!r} (also {path}[{seen[partner.id]}])",
            )
        seen[partner.id] = i
        if policy.weight_of(partner.grade) is None:
            raise ConfigurationError.at(
                f"{path}[{i}].grade",
                f"unknown grade {partner.grade!r}: the policy weighs {', '.join(policy.grades)}",
            )
