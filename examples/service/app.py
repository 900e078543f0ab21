"""The reference service: leadpipeline behind HTTP, on Starlette.

Staff endpoints capture leads, run commands and read a lead and its history; partner
endpoints, scoped by a partner's credential, show and act on that partner's leads only
(another partner's lead is 404, exactly as if it did not exist). The outbox relay runs
as a background task. Every error is `LeadPipelineError.to_dict()` with its
`http_status`; every body is checked against the JSON Schema the OpenAPI document
publishes, then built by `from_json`.

Why a thread pool: the library is synchronous. A command reads and writes the store
(SQLite's file and fsync, or a round trip to PostgreSQL) and decides in Python, so each
call blocks its thread. The routes are ``async`` and hand every library call to
Starlette's thread pool (`run_in_threadpool`, anyio's worker threads, 40 by default), so
a slow write never stalls the event loop and the other requests; the pipeline, its cache
and the shipped stores are safe to share between threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

import jsonschema
from jsonschema.exceptions import best_match
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from examples.service.openapi import (
    HealthReport,
    PartnerCompletion,
    PartnerLeads,
    PartnerReturn,
    RelayPass,
    Unauthorized,
    openapi_document,
)
from examples.service.stores import DEFAULT_STORE_URL, open_store
from leadpipeline import DEFAULT_PLAYBOOK, Command, Event, Lead, Pipeline, Playbook, from_json
from leadpipeline.adapters import CallbackNotifier, Clock, Notifier
from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.pipeline import CaptureOutcome, CaptureResult, PartnerView
from leadpipeline.schema import DIALECT
from leadpipeline.serialization import to_json
from leadpipeline.stages import Capture, Transition

__all__ = ["create_app"]

T = TypeVar("T")
logger = logging.getLogger("examples.service")


def _json(value: object, status: int = 200, as_type: Any = None) -> Response:
    return Response(to_json(value, as_type), status_code=status, media_type="application/json")


def _path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


class Bodies:
    """Request bodies checked against the published schema, then built by `from_json`.

    `from_json` speaks first, for its precise messages; the schema check then refuses what
    the converter would take but the published contract does not (a date written
    without dashes, a repeated member of a set).
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        components = {"$schema": DIALECT, "components": document["components"]}
        self._checkers = {
            name: jsonschema.Draft202012Validator(
                {**components, "$ref": f"#/components/schemas/{name}"},
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            for name in ("Lead", "LeadCommand", "PartnerReturn", "PartnerCompletion")
        }

    def parse(self, body: bytes, cls: type[T] | Any, schema: str) -> T:
        """The value in `body`, or a `ValidationError` naming the field (a 422)."""
        value: T = from_json(body, cls)
        self.check(body, schema)
        return value

    def check(self, body: bytes, schema: str) -> None:
        """Refuse a body (already parsed once) that breaks the published schema."""
        error = best_match(self._checkers[schema].iter_errors(json.loads(body)))
        if error is not None:
            raise ValidationError.at(_path(error.absolute_path), error.message)


class Service:
    """What the routes share: the pipeline, partner credentials and the body checks."""

    def __init__(self, pipeline: Pipeline, partner_keys: Mapping[str, str]) -> None:
        self.pipeline = pipeline
        self._keys = [(k.encode(), pid) for k, pid in partner_keys.items()]
        self.document = openapi_document()
        self.bodies = Bodies(self.document)

    def partner_of(self, request: Request) -> str | None:
        """The partner whose credential the request carries, compared in constant time."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        found = None
        for key, partner_id in self._keys:
            if hmac.compare_digest(key, token.encode()):
                found = partner_id
        return found


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def health(request: Request) -> Response:
    return _json(HealthReport(status="ok"))


async def capture(request: Request) -> Response:
    service = _service(request)
    lead: Lead = service.bodies.parse(await request.body(), Lead, "Lead")
    result: CaptureResult = await run_in_threadpool(service.pipeline.capture, lead)
    return _json(result, 201 if result.outcome is CaptureOutcome.CAPTURED else 200)


async def get_lead(request: Request) -> Response:
    pipeline = _service(request).pipeline
    return _json(await run_in_threadpool(pipeline.get, request.path_params["lead_id"]))


async def history(request: Request) -> Response:
    pipeline = _service(request).pipeline
    events = await run_in_threadpool(pipeline.history, request.path_params["lead_id"])
    return _json(events, as_type=tuple[Event, ...])


async def run_command(request: Request) -> Response:
    service = _service(request)
    body = await request.body()
    command: Command = from_json(body, Command)
    if isinstance(command, Capture):
        raise ValidationError.at("type", "capture a lead with POST /leads, not as a command")
    service.bodies.check(body, "LeadCommand")
    done: Transition = await run_in_threadpool(
        service.pipeline.run, request.path_params["lead_id"], command
    )
    return _json(done)


def _partner_route(
    act: Callable[[Request, Service, PartnerView], Any],
) -> Callable[[Request], Any]:
    """A route for one partner: 401 without a known credential, else `act` on its view."""

    async def route(request: Request) -> Response:
        service = _service(request)
        partner_id = service.partner_of(request)
        if partner_id is None:
            body = Unauthorized(
                type="unauthorized", message="a partner credential is required", status=401
            )
            return _json(body, 401)
        response: Response = await act(request, service, service.pipeline.for_partner(partner_id))
        return response

    return route


async def _partner_leads(request: Request, service: Service, view: PartnerView) -> Response:
    leads = await run_in_threadpool(view.leads)
    return _json(PartnerLeads(lead_ids=tuple(lead.id for lead in leads)))


async def _partner_lead(request: Request, service: Service, view: PartnerView) -> Response:
    return _json(await run_in_threadpool(view.get, request.path_params["lead_id"]))


async def _partner_accept(request: Request, service: Service, view: PartnerView) -> Response:
    lead_id = request.path_params["lead_id"]

    def accept() -> object:
        view.accept(lead_id)
        return view.get(lead_id)

    return _json(await run_in_threadpool(accept))


async def _partner_return(request: Request, service: Service, view: PartnerView) -> Response:
    body: PartnerReturn = service.bodies.parse(await request.body(), PartnerReturn, "PartnerReturn")
    lead_id = request.path_params["lead_id"]
    await run_in_threadpool(
        lambda: view.return_lead(lead_id, reason=body.reason, comment=body.comment)
    )
    return Response(status_code=204)


async def _partner_complete(request: Request, service: Service, view: PartnerView) -> Response:
    body: PartnerCompletion = service.bodies.parse(
        await request.body(), PartnerCompletion, "PartnerCompletion"
    )
    lead_id = request.path_params["lead_id"]
    await run_in_threadpool(
        lambda: view.complete(lead_id, body.outcome, reason=body.reason, revenue=body.revenue)
    )
    return Response(status_code=204)


async def relay(request: Request) -> Response:
    report = await run_in_threadpool(_service(request).pipeline.relay_outbox)
    return _json(RelayPass(delivered=report.delivered, failed=report.failed))


async def openapi(request: Request) -> Response:
    return JSONResponse(_service(request).document)


async def refused(request: Request, exc: Exception) -> Response:
    """Every refusal as data, with the status its error suggests."""
    assert isinstance(exc, LeadPipelineError)
    if exc.http_status >= 500:
        logger.error("request failed: %s", exc, extra={"path": request.url.path})
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


async def _relay_forever(pipeline: Pipeline, every: float) -> None:
    """Deliver the outbox every `every` seconds until cancelled; a failed pass is logged."""
    while True:
        try:
            await run_in_threadpool(pipeline.relay_outbox)
        except Exception:  # a broken pass must not end the loop
            logger.exception("relay pass failed")
        await asyncio.sleep(every)


def _log_notification(notification: object) -> None:
    logger.info("notification %s", to_json(notification))


def create_app(
    *,
    store_url: str = DEFAULT_STORE_URL,
    partner_keys: Mapping[str, str] | None = None,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    notifier: Notifier | None = None,
    clock: Clock | None = None,
    relay_every: float | None = 5.0,
) -> Starlette:
    """The service as an ASGI app; the store opens when the app starts, closes when it stops.

    Args:
        store_url: where leads live (see `examples.service.stores.open_store`).
        partner_keys: each partner credential and the partner id it stands for.
        playbook: the policies decisions consult.
        notifier: where the relay delivers (default: the log).
        clock: what time it is (default: the system clock).
        relay_every: seconds between background relay passes; None runs none.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await run_in_threadpool(open_store, store_url)
        pipeline = Pipeline(
            playbook,
            store=store,
            notifier=notifier or CallbackNotifier(_log_notification),
            clock=clock,
        )
        app.state.service = Service(pipeline, partner_keys or {})
        task = asyncio.create_task(_relay_forever(pipeline, relay_every)) if relay_every else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            close = getattr(store, "close", None)
            if close is not None:
                await run_in_threadpool(close)

    partner = _partner_route
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
        Route("/leads", capture, methods=["POST"]),
        Route("/leads/{lead_id}", get_lead, methods=["GET"]),
        Route("/leads/{lead_id}/history", history, methods=["GET"]),
        Route("/leads/{lead_id}/commands", run_command, methods=["POST"]),
        Route("/partner/leads", partner(_partner_leads), methods=["GET"]),
        Route("/partner/leads/{lead_id}", partner(_partner_lead), methods=["GET"]),
        Route("/partner/leads/{lead_id}/accept", partner(_partner_accept), methods=["POST"]),
        Route("/partner/leads/{lead_id}/return", partner(_partner_return), methods=["POST"]),
        Route("/partner/leads/{lead_id}/complete", partner(_partner_complete), methods=["POST"]),
        Route("/relay", relay, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={LeadPipelineError: refused},
    )
