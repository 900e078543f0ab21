"""The profile pyramid: how much we know about a lead, level by level.

Contact details form the base (without them nobody can call), then firmographics, the
product holding, interactions, and at the peak the prospect's interests. A level counts
only when every level below it is complete, so a lead with known interests but no phone
number is still at the bottom.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import attrs

from leadpipeline._typed import typed
from leadpipeline.lead import Lead

__all__ = ["ProfileLevel", "PyramidLevel", "profile_level"]


class PyramidLevel(enum.StrEnum):
    """The levels of the profile pyramid, from nothing known to the peak."""

    NONE = "none"
    CONTACT = "contact"
    FIRMOGRAPHICS = "firmographics"
    PRODUCT_HOLDING = "product_holding"
    INTERACTIONS = "interactions"
    INTERESTS = "interests"

    @property
    def rank(self) -> int:
        """Position from the bottom: NONE is 0, INTERESTS is 5."""
        return _ORDER.index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, PyramidLevel):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, PyramidLevel):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, PyramidLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PyramidLevel):
            return NotImplemented
        return self.rank < other.rank


_ORDER = tuple(PyramidLevel)


def _contact_gaps(lead: Lead) -> tuple[str, ...]:
    c = lead.contact
    gaps = []
    if not c.last_name:
        gaps.append("contact.last_name")
    if not (c.email or c.phone):
        gaps.append("contact.email or contact.phone")
    return tuple(gaps)


def _firmographic_gaps(lead: Lead) -> tuple[str, ...]:
    c = lead.company
    gaps = []
    if not c.name:
        gaps.append("company.name")
    if not c.industry:
        gaps.append("company.industry")
    if c.employees is None:
        gaps.append("company.employees")
    if not c.country:
        gaps.append("company.country")
    return tuple(gaps)


def _holding_gaps(lead: Lead) -> tuple[str, ...]:
    if lead.holdings or lead.needs.current_product:
        return ()
    return ("holdings or needs.current_product",)


def _interaction_gaps(lead: Lead) -> tuple[str, ...]:
    return () if lead.interactions else ("interactions",)


def _interest_gaps(lead: Lead) -> tuple[str, ...]:
    return () if lead.interests else ("interests",)


_CHECKS: tuple[tuple[PyramidLevel, Callable[[Lead], tuple[str, ...]]], ...] = (
    (PyramidLevel.CONTACT, _contact_gaps),
    (PyramidLevel.FIRMOGRAPHICS, _firmographic_gaps),
    (PyramidLevel.PRODUCT_HOLDING, _holding_gaps),
    (PyramidLevel.INTERACTIONS, _interaction_gaps),
    (PyramidLevel.INTERESTS, _interest_gaps),
)


@attrs.frozen(kw_only=True, field_transformer=typed)
class ProfileLevel:
    """Where a lead stands on the pyramid and what the next level still needs.

    `level` is the highest level whose own data and every level below are complete.
    `next_level` is None at the peak; `missing` then is empty. `complete_above` lists
    higher levels whose own data is there but does not count yet.
    """

    level: PyramidLevel
    next_level: PyramidLevel | None
    missing: tuple[str, ...]
    complete_above: tuple[PyramidLevel, ...] = ()

    def at_least(self, level: PyramidLevel) -> bool:
        """Whether the lead has reached `level`."""
        return self.level >= level


def profile_level(lead: Lead) -> ProfileLevel:
    """How far up the profile pyramid a lead's data reaches, and what blocks the next step.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Contact, Lead, Source
        >>> at = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             contact=Contact(last_name="Lind", email="a.lind@acme.example"))
        >>> result = profile_level(lead)
        >>> result.level.value, result.next_level.value, result.missing[:2]
        ('contact', 'firmographics', ('company.name', 'company.industry'))
    """
    level = PyramidLevel.NONE
    blocked: tuple[PyramidLevel, tuple[str, ...]] | None = None
    above: list[PyramidLevel] = []
    for candidate, gaps_of in _CHECKS:
        gaps = gaps_of(lead)
        if blocked is None:
            if gaps:
                blocked = (candidate, gaps)
            else:
                level = candidate
        elif not gaps:
            above.append(candidate)
    if blocked is None:
        return ProfileLevel(level=level, next_level=None, missing=())
    return ProfileLevel(
        level=level, next_level=blocked[0], missing=blocked[1], complete_above=tuple(above)
    )
