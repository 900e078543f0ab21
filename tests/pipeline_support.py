"""Shared builders for the pipeline tests: trade-fair leads, a partner roster, a consumer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Playbook,
    Revenue,
    Source,
)
from leadpipeline.adapters.notification import Notification
from leadpipeline.rules import Partner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday morning of the trade fair."""

ROSTER = tuple(
    Partner(id=pid, name=name, grade=grade, capacity=50, regions=frozenset({"north"}))
    for pid, name, grade in (
        ("p-gold", "Nordlicht IT", "gold"),
        ("p-silver", "Fjord Systems", "silver"),
        ("p-bronze", "Kiel Consulting", "bronze"),
    )
)
PLAYBOOK = Playbook(partners=ROSTER)


def fair_lead(
    n: int,
    *,
    at: datetime = T0,
    source_id: str | None = None,
    email: str | None = None,
    company: str | None = None,
    domain: str | None = None,
    lead_id: str | None = None,
) -> Lead:
    """A visitor scanned at the stand, qualified enough to become an MQL and go to a partner."""
    return Lead(
        id=lead_id or f"L-{n}",
        source=Source(
            channel="exhibition",
            campaign="fair-2026",
            captured_at=at,
            source_id=source_id if source_id is not None else f"badge-{n}",
        ),
        contact=Contact(
            first_name="Ada",
            last_name=f"Lind{n}",
            email=email if email is not None else f"ada.lind{n}@acme{n}.example",
            phone="+49 40 555 0100",
            job_title="Head of Operations",
        ),
        company=Company(
            name=company if company is not None else f"Acme {n}",
            domain=domain if domain is not None else f"acme{n}.example",
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
            Interaction(kind=InteractionKind.FORM_SUBMIT, at=at),
            Interaction(kind=InteractionKind.WEBINAR, at=at),
        ),
    )


class DedupConsumer:
    """A receiver that applies each notification once per idempotency key, kept in a file.

    It survives restarts (the file is its memory), like a real consumer's processed-keys
    table; `applied` counts effects, `seen` counts deliveries including duplicates.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, int]:
        if not self.path.exists():
            return {}
        data: dict[str, int] = json.loads(self.path.read_text())
        return data

    def deliver(self, notification: Notification) -> None:
        """Record one delivery; the effect is applied only the first time a key arrives."""
        seen = self._load()
        seen[notification.key] = seen.get(notification.key, 0) + 1
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(seen, sort_keys=True))
        tmp.replace(self.path)

    @property
    def applied(self) -> frozenset[str]:
        """Keys whose effect was applied (exactly once each)."""
        return frozenset(self._load())

    @property
    def deliveries(self) -> dict[str, int]:
        """How many times each key arrived (at least once means >= 1)."""
        return self._load()


def to_partner_channel(pipeline: object, n: int) -> str:
    """Capture lead `n` and walk it to the partner channel (SQL, allocated); returns its id."""
    from leadpipeline import Pipeline  # noqa: PLC0415

    assert isinstance(pipeline, Pipeline)
    lead_id = f"L-{n}"
    pipeline.capture(fair_lead(n))
    pipeline.qualify(lead_id)
    pipeline.hand_over(lead_id)
    pipeline.accept(lead_id)
    pipeline.qualify_sql(lead_id)
    pipeline.allocate_channel(lead_id)
    return lead_id
