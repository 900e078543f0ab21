"""The scoring vocabulary: how a rule tests a field, the rules, decays, groups and grades.

Why: each rule is a small frozen value, so a model is plain data that round-trips through
JSON and TOML; `ScoringModel` checks how the rules fit together, the scorers give them
meaning.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from leadpipeline._checks import non_negative, not_blank, positive
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.lead import InteractionKind

__all__ = [
    "GENERAL_GROUP",
    "CalendarStep",
    "Contains",
    "Decay",
    "DomainIn",
    "EngagementRule",
    "Equals",
    "FitRule",
    "GradeBand",
    "HalfLife",
    "InRange",
    "Match",
    "Missing",
    "NegativeRule",
    "OneOf",
    "PointGroup",
    "Present",
]

GENERAL_GROUP = "general"
"""The group of every rule that names none; it exists in every model, uncapped unless declared."""


def _finite(_: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError.at(attribute.name, f"expected a finite number, got {value!r}")


# --- matchers ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=typed)
class Equals:
    """The field equals this text (case-insensitive); on a list, any item does."""

    value: str = attrs.field(validator=not_blank)


def _non_empty(_: Any, attribute: attrs.Attribute[Any], value: Iterable[str]) -> None:
    items = list(value)
    if not items:
        raise ValidationError.at(attribute.name, "must name at least one value")
    for i, item in enumerate(items):
        if not item.strip():
            raise ValidationError.at(f"{attribute.name}[{i}]", "must not be blank")


@attrs.frozen(kw_only=True, field_transformer=typed)
class OneOf:
    """The field is one of these texts (case-insensitive); on a list, any item is."""

    values: tuple[str, ...] = attrs.field(validator=_non_empty)


@attrs.frozen(kw_only=True, field_transformer=typed)
class InRange:
    """A number between `at_least` and `at_most`, both inclusive; either may be open."""

    at_least: float | None = attrs.field(default=None, validator=_finite)
    at_most: float | None = attrs.field(default=None, validator=_finite)

    def __attrs_post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise ValidationError.at("at_least", "give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValidationError.at("at_most", "must not be below at_least")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Present:
    """The field is known: not None, not blank, not an empty list."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Missing:
    """The field is unknown: None, blank or an empty list."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Contains:
    """The text contains this text (case-insensitive), e.g. a job title with "head of"."""

    text: str = attrs.field(validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class DomainIn:
    """An email address or domain is one of these domains or a subdomain of one."""

    domains: frozenset[str] = attrs.field(validator=_non_empty)


Match = Equals | OneOf | InRange | Present | Missing | Contains | DomainIn
"""How a fit or negative rule tests its field."""


# --- rules -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=typed)
class FitRule:
    """Points for a persona value of the contact or company, e.g. 200-5000 employees: +15.

    `field` is a dotted path on the Lead such as ``"contact.job_title"`` or
    ``"company.annual_revenue.amount"``; the model refuses an unknown path when built.

    Example:
        >>> FitRule(name="mid-size", field="company.employees",
        ...         match=InRange(at_least=200, at_most=5000), points=15).points
        15.0
    """

    name: str = attrs.field(validator=not_blank)
    field: str = attrs.field(validator=not_blank)
    match: Match
    points: float = attrs.field(validator=positive)
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class NegativeRule:
    """Points taken away for a bad sign: a competitor, a free-mail address, a student."""

    name: str = attrs.field(validator=not_blank)
    field: str = attrs.field(validator=not_blank)
    match: Match
    penalty: float = attrs.field(validator=positive)
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class HalfLife:
    """Points halve every `days` days of a touch's age (exponentially, between steps too)."""

    days: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class CalendarStep:
    """Points are multiplied by `factor` once per full calendar step of age.

    A step of one month halves a touch's points on the same day of each following month,
    whatever the month's length (computed with `dateutil.relativedelta`).
    """

    months: int = attrs.field(default=0, validator=non_negative)
    weeks: int = attrs.field(default=0, validator=non_negative)
    days: int = attrs.field(default=0, validator=non_negative)
    factor: float = attrs.field(default=0.5, validator=_finite)

    def __attrs_post_init__(self) -> None:
        if not (self.months or self.weeks or self.days):
            raise ValidationError.at("months", "a step needs months, weeks or days")
        if not 0 <= self.factor < 1:
            raise ValidationError.at("factor", f"must be at least 0 and below 1, got {self.factor}")


Decay = HalfLife | CalendarStep
"""How an interaction's points shrink with its age."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class EngagementRule:
    """Points per touch of one kind, capped, counted within a window and decaying with age.

    Example:
        >>> rule = EngagementRule(name="visits", kind=InteractionKind.SITE_VISIT, points=2,
        ...                       cap=10, within_days=90, decay=HalfLife(days=30))
        >>> rule.decay.days
        30.0
    """

    name: str = attrs.field(validator=not_blank)
    kind: InteractionKind
    points: float = attrs.field(validator=positive)
    cap: float | None = attrs.field(default=None, validator=positive)
    within_days: float | None = attrs.field(default=None, validator=positive)
    decay: Decay | None = None
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class PointGroup:
    """A named group of rules (a product line, an interest) whose points are capped."""

    name: str = attrs.field(validator=not_blank)
    cap: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class GradeBand:
    """A fit grade and the fit points it needs at least."""

    grade: str = attrs.field(validator=not_blank)
    min_fit: float = attrs.field(validator=_finite)
