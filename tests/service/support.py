"""Shared pieces of the reference service's tests: partner keys and a lead's walk."""

from __future__ import annotations

from typing import Any

from leadpipeline import to_json
from tests.pipeline_support import fair_lead

KEYS = {"key-gold": "p-gold", "key-silver": "p-silver", "key-bronze": "p-bronze"}
"""Each partner's credential, as the service is configured in the tests."""


def auth(partner_id: str) -> dict[str, str]:
    """The Authorization header of one partner."""
    key = next(k for k, pid in KEYS.items() if pid == partner_id)
    return {"Authorization": f"Bearer {key}"}


def command(client: Any, lead_id: str, body: dict[str, Any]) -> Any:
    """POST one command; fail unless the service recorded it."""
    response = client.post(f"/leads/{lead_id}/commands", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def offered(client: Any, n: int, partners: tuple[str, ...] = ("p-gold",)) -> str:
    """Capture fair lead `n` and walk it until it is offered to `partners`; its id."""
    lead = fair_lead(n)
    assert client.post("/leads", content=to_json(lead)).status_code == 201
    for body in (
        {"type": "qualify"},
        {"type": "hand_over", "to": {"kind": "sales"}},
        {"type": "accept"},
        {"type": "qualify_sql"},
        {"type": "allocate_channel"},
        {"type": "offer_to_partners", "partner_ids": list(partners)},
    ):
        command(client, lead.id, body)
    return lead.id
