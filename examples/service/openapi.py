"""The service's OpenAPI 3.1 document, built from leadpipeline's JSON Schemas.

OpenAPI 3.1 speaks JSON Schema draft 2020-12, the dialect `leadpipeline.schema` writes,
so every definition goes into ``components/schemas`` unchanged but for where its
references point. The service's own request and response bodies are small attrs classes
whose schemas come from the same generator.
"""

from __future__ import annotations

from typing import Any

import attrs

from leadpipeline.events import Outcome
from leadpipeline.schema import definitions
from leadpipeline.serialization import tag_of
from leadpipeline.stages import Capture

__all__ = [
    "HealthReport",
    "PartnerCompletion",
    "PartnerLeads",
    "PartnerReturn",
    "RelayPass",
    "Unauthorized",
    "openapi_document",
]

Schema = dict[str, Any]
PREFIX = "#/components/schemas/"


@attrs.frozen(kw_only=True)
class PartnerReturn:
    """A partner gives a lead back: a reason code from the playbook and a comment."""

    reason: str
    comment: str


@attrs.frozen(kw_only=True)
class PartnerCompletion:
    """A partner reports the end of the sales process: won or lost."""

    outcome: Outcome
    reason: str = ""
    revenue: float | None = None


@attrs.frozen(kw_only=True)
class PartnerLeads:
    """The leads a partner holds or is offered, by id."""

    lead_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class RelayPass:
    """What one pass of the outbox relay did."""

    delivered: int
    failed: int


@attrs.frozen(kw_only=True)
class HealthReport:
    """The service answers."""

    status: str


@attrs.frozen(kw_only=True)
class Unauthorized:
    """No partner credential, or one the service does not know."""

    type: str
    message: str
    status: int


def _ref(name: str) -> Schema:
    return {"$ref": f"{PREFIX}{name}"}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Schema]:
    why = {
        401: "No partner credential, or an unknown one.",
        403: "The caller may not take this step on this lead.",
        404: "No such lead (or none visible to this partner).",
        409: "Refused in the lead's current state, or the id is taken by another lead.",
        422: "The body is malformed; `path` names the field.",
    }
    return {str(s): _json(_ref("Unauthorized" if s == 401 else "Error"), why[s]) for s in statuses}


LEAD_ID: Schema = {
    "name": "lead_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "example": "L-1",
}
PARTNER: list[dict[str, list[str]]] = [{"partnerKey": []}]


def _paths() -> Schema:
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Whether the service answers.",
                "responses": {"200": _json(_ref("HealthReport"), "It does.")},
            }
        },
        "/leads": {
            "post": {
                "operationId": "captureLead",
                "summary": "Capture a lead; the same lead again is already_captured.",
                "requestBody": {"required": True, **_json(_ref("Lead"), "The new lead.")},
                "responses": {
                    "201": _json(_ref("CaptureResult"), "Captured."),
                    "200": _json(_ref("CaptureResult"), "Already captured, or merged."),
                    **_errors(409, 422),
                },
            }
        },
        "/leads/{lead_id}": {
            "parameters": [LEAD_ID],
            "get": {
                "operationId": "getLead",
                "summary": "The lead as it stands.",
                "responses": {"200": _json(_ref("Lead"), "The lead."), **_errors(404)},
            },
        },
        "/leads/{lead_id}/history": {
            "parameters": [LEAD_ID],
            "get": {
                "operationId": "getHistory",
                "summary": "Every event of the lead, oldest first.",
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Event")}, "The history."),
                    **_errors(404),
                },
            },
        },
        "/leads/{lead_id}/commands": {
            "parameters": [LEAD_ID],
            "post": {
                "operationId": "runCommand",
                "summary": "Decide and record one command; the transition that was recorded.",
                "requestBody": {
                    "required": True,
                    **_json(_ref("LeadCommand"), "Any command but a capture."),
                },
                "responses": {
                    "200": _json(_ref("Transition"), "Recorded (no events: a no-op)."),
                    **_errors(403, 404, 409, 422),
                },
            },
        },
        "/partner/leads": {
            "get": {
                "operationId": "partnerLeads",
                "summary": "The leads this partner holds or is offered.",
                "security": PARTNER,
                "responses": {"200": _json(_ref("PartnerLeads"), "Their ids."), **_errors(401)},
            }
        },
        "/partner/leads/{lead_id}": {
            "parameters": [LEAD_ID],
            "get": {
                "operationId": "partnerLead",
                "summary": "A lead as this partner may see it.",
                "security": PARTNER,
                "responses": {
                    "200": _json(_ref("PartnerPackage"), "What the partner sees."),
                    **_errors(401, 404),
                },
            },
        },
        "/partner/leads/{lead_id}/accept": {
            "parameters": [LEAD_ID],
            "post": {
                "operationId": "partnerAccept",
                "summary": "Accept an offer.",
                "security": PARTNER,
                "responses": {
                    "200": _json(_ref("PartnerPackage"), "The lead, now the partner's."),
                    **_errors(401, 404, 409),
                },
            },
        },
        "/partner/leads/{lead_id}/return": {
            "parameters": [LEAD_ID],
            "post": {
                "operationId": "partnerReturn",
                "summary": "Give the lead back with a reason code and a comment.",
                "security": PARTNER,
                "requestBody": {"required": True, **_json(_ref("PartnerReturn"), "Why.")},
                "responses": {"204": {"description": "Returned."}, **_errors(401, 404, 409, 422)},
            },
        },
        "/partner/leads/{lead_id}/complete": {
            "parameters": [LEAD_ID],
            "post": {
                "operationId": "partnerComplete",
                "summary": "Report the deal won or lost.",
                "security": PARTNER,
                "requestBody": {"required": True, **_json(_ref("PartnerCompletion"), "How.")},
                "responses": {
                    "204": {"description": "Completed."},
                    **_errors(401, 404, 409, 422),
                },
            },
        },
        "/relay": {
            "post": {
                "operationId": "relayOutbox",
                "summary": "Run one pass of the outbox relay now (it also runs in the background).",
                "responses": {"200": _json(_ref("RelayPass"), "What the pass did.")},
            }
        },
    }


def lead_command(command: Schema) -> Schema:
    """The command union without its capture member: a capture has its own endpoint."""
    capture = tag_of(Capture)
    return {
        **command,
        "title": "LeadCommand",
        "description": "Any command but a capture, with its 'type' tag.",
        "oneOf": [m for m in command["oneOf"] if m["properties"]["type"]["const"] != capture],
    }


def component_schemas() -> dict[str, Schema]:
    """Every schema the document refers to, under ``components/schemas``."""
    schemas = definitions(
        "lead",
        "command",
        "event",
        "transition",
        "capture_result",
        "partner_package",
        "error",
        PartnerReturn,
        PartnerCompletion,
        PartnerLeads,
        RelayPass,
        HealthReport,
        Unauthorized,
        ref_prefix=PREFIX,
    )
    schemas["LeadCommand"] = lead_command(schemas["Command"])
    return schemas


def openapi_document() -> Schema:
    """The whole OpenAPI 3.1 document of the reference service."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "leadpipeline reference service",
            "version": "1",
            "description": "Capture leads, run commands, and let partners act on their leads. "
            "Every schema is generated by leadpipeline.schema.",
        },
        "paths": _paths(),
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "partnerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner's credential: `Authorization: Bearer <key>`.",
                }
            },
        },
    }
