"""Trade-fair visitors for the store benchmarks: each good enough to become an MQL."""

from __future__ import annotations

from datetime import date, datetime

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Revenue,
    Source,
)


def fair_lead(
    lead_id: str,
    n: int,
    at: datetime,
    *,
    second_touch: InteractionKind = InteractionKind.FORM_SUBMIT,
) -> Lead:
    """Visitor `n` met at the stand at `at`, with a project this year, touched twice."""
    return Lead(
        id=lead_id,
        source=Source(channel="exhibition", captured_at=at, source_id=f"badge-{lead_id}"),
        contact=Contact(
            first_name="Ada",
            last_name=f"Lind{n}",
            email=f"ada.lind.{lead_id.lower()}@acme{n}.example",
            job_title="Head of Operations",
        ),
        company=Company(
            name=f"Acme Tools {lead_id}",
            domain=f"acme-{lead_id.lower()}.example",
            industry="manufacturing",
            employees=800,
            country="DE",
            region="north",
            annual_revenue=Revenue(amount=30e6, source="address-broker"),
        ),
        needs=Needs(
            budget=120_000.0,
            purchase_decision=date(2026, 8, 1),
            expected_volume=400.0,
            current_product="legacy suite",
        ),
        interactions=(
            Interaction(kind=InteractionKind.EXHIBITION, at=at),
            Interaction(kind=second_touch, at=at),
        ),
    )
