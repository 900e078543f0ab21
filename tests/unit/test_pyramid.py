"""Unit tests for the profile pyramid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    ProductHolding,
    Source,
)
from leadpipeline.rules.pyramid import PyramidLevel, profile_level

AT = datetime(2026, 3, 4, tzinfo=UTC)
CONTACT = Contact(last_name="Lind", phone="+49 30 1234")
COMPANY = Company(name="Acme", industry="machinery", employees=400, country="DE")
HOLDING = (ProductHolding(product="legacy ERP", vendor="Other Corp"),)
TOUCH = (Interaction(kind=InteractionKind.SITE_VISIT, at=AT),)


def lead(**parts: Any) -> Lead:
    return Lead(id="L-1", source=Source(channel="web", captured_at=AT), **parts)


class TestProfileLevel:
    def test_nothing_known_is_level_none(self) -> None:
        """A bare capture is below the pyramid and needs a name and a way to reach it."""
        result = profile_level(lead())
        assert result.level is PyramidLevel.NONE
        assert result.next_level is PyramidLevel.CONTACT
        assert result.missing == ("contact.last_name", "contact.email or contact.phone")

    def test_each_level_in_turn(self) -> None:
        """Adding each level's data climbs one level at a time up to the peak."""
        steps: list[tuple[dict[str, Any], PyramidLevel]] = [
            ({"contact": CONTACT}, PyramidLevel.CONTACT),
            ({"company": COMPANY}, PyramidLevel.FIRMOGRAPHICS),
            ({"holdings": HOLDING}, PyramidLevel.PRODUCT_HOLDING),
            ({"interactions": TOUCH}, PyramidLevel.INTERACTIONS),
            ({"interests": ("cloud",)}, PyramidLevel.INTERESTS),
        ]
        parts: dict[str, object] = {}
        for added, expected in steps:
            parts.update(added)
            assert profile_level(lead(**parts)).level is expected

    def test_peak_has_nothing_missing(self) -> None:
        """A complete profile has no next level and nothing missing."""
        result = profile_level(
            lead(
                contact=CONTACT,
                company=COMPANY,
                holdings=HOLDING,
                interactions=TOUCH,
                interests=("cloud",),
            )
        )
        assert (result.next_level, result.missing) == (None, ())

    def test_level_counts_only_when_all_below_are_complete(self) -> None:
        """Known interests and touches do not count while the firmographics are incomplete."""
        result = profile_level(
            lead(
                contact=CONTACT,
                company=Company(name="Acme"),
                interactions=TOUCH,
                interests=("cloud",),
            )
        )
        assert result.level is PyramidLevel.CONTACT
        assert result.missing == ("company.industry", "company.employees", "company.country")
        assert result.complete_above == (PyramidLevel.INTERACTIONS, PyramidLevel.INTERESTS)

    def test_current_product_counts_as_product_holding(self) -> None:
        """A known current product completes the product-holding level."""
        result = profile_level(
            lead(contact=CONTACT, company=COMPANY, needs=Needs(current_product="spreadsheets"))
        )
        assert result.level is PyramidLevel.PRODUCT_HOLDING
        assert result.missing == ("interactions",)

    def test_levels_are_ordered(self) -> None:
        """Levels compare by their height on the pyramid, not alphabetically."""
        assert PyramidLevel.INTERESTS > PyramidLevel.CONTACT
        assert profile_level(lead(contact=CONTACT)).at_least(PyramidLevel.CONTACT)
