"""Values from canonical columns: `Lead` values with their touches, and back-test histories.

Why: the columns were checked at the door, so building values is a loop of constructors
(which still guard their invariants: a row one of them refuses is reported, never half
built). Histories are decided by the core (`decide`, `evolve`) from the outcome columns,
so an imported history is one the playbook itself would have recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from leadpipeline.errors import LeadPipelineError
from leadpipeline.events import Event, Outcome, evolve
from leadpipeline.frames.mapping import ColumnMapping
from leadpipeline.frames.refusals import RowRefusal
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Revenue,
    Source,
)
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.stages import Capture, Complete, MoveStage, decide

__all__ = ["build_histories", "build_leads", "touches_by_lead"]


class Rows(Protocol):
    """What building values reads of an import: a `LeadFrame` is one."""

    @property
    def leads(self) -> pa.Table: ...

    @property
    def touches(self) -> pa.Table: ...

    @property
    def mapping(self) -> ColumnMapping | None: ...


_PARTS: dict[str, Callable[..., Any]] = {
    "source": Source,
    "contact": Contact,
    "company": Company,
    "company.annual_revenue": Revenue,
    "needs": Needs,
}


def touches_by_lead(frame: Rows) -> list[tuple[Interaction, ...]]:
    """Each lead's touches as interactions, in the frame's order."""
    n = frame.leads.num_rows
    touches = frame.touches
    if not touches.num_rows:
        return [()] * n
    rows = np.asarray(touches.column("lead").to_numpy())
    kinds = {k.value: k for k in InteractionKind}
    kind = [kinds[k] for k in touches.column("kind").to_pylist()]
    at = touches.column("at").to_pylist()
    detail = touches.column("detail").to_pylist() if "detail" in touches.column_names else None
    built = [
        Interaction(kind=k, at=t, detail=d or "")
        for k, t, d in zip(kind, at, detail or [None] * len(at), strict=True)
    ]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    return [tuple(built[bounds[i] : bounds[i + 1]]) for i in range(n)]


def build_leads(frame: Rows) -> tuple[tuple[Lead, ...], tuple[RowRefusal, ...]]:
    """Every accepted row as a `Lead`; a row a constructor refuses is reported instead."""
    table = frame.leads
    parts: dict[str, list[tuple[str, list[Any]]]] = {}
    top: dict[str, list[Any]] = {}
    for name in table.column_names:
        if name in ("id", "row") or name.startswith(("outcome.", "reached.")):
            continue
        parent, _, attr = name.rpartition(".")
        values = table.column(name).to_pylist()
        if parent:
            parts.setdefault(parent, []).append((attr, values))
        else:
            top[attr] = values
    revenue = parts.pop("company.annual_revenue", None)
    if revenue is not None:
        parts.setdefault("company", [])
    ids = table.column("id").to_pylist()
    rows = table.column("row").to_pylist()
    touches = touches_by_lead(frame)
    leads: list[Lead] = []
    refused: list[RowRefusal] = []
    for i, lead_id in enumerate(ids):
        try:
            fields: dict[str, Any] = {name: tuple(values[i]) for name, values in top.items()}
            for parent, columns in parts.items():
                given = {a: c[i] for a, c in columns if c[i] is not None}
                if parent == "company" and revenue is not None:
                    money = {a: c[i] for a, c in revenue if c[i] is not None}
                    if "amount" in money:
                        given["annual_revenue"] = Revenue(**money)
                if "needs" in given:
                    given["needs"] = tuple(given["needs"])
                fields[parent] = _PARTS[parent](**given)
            leads.append(Lead(id=lead_id, interactions=touches[i], **fields))
        except (LeadPipelineError, TypeError, ValueError) as exc:
            paths = getattr(exc, "paths", ("",))
            refused.append(
                RowRefusal(row=rows[i], column="", field=paths[0] or "lead", message=str(exc))
            )
    return tuple(leads), tuple(refused)


# --- histories ----------------------------------------------------------------------------


class _RefusedError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


def _history(
    lead: Lead, outcome: dict[str, Any], playbook: Playbook, lost_reason: str
) -> tuple[Event, ...]:
    events: list[Event] = []
    current: Lead | None = None

    def apply(command: Any, at: datetime) -> None:
        nonlocal current
        for event in decide(current, command, playbook, now=at):
            current = evolve(current, event)
            events.append(event)

    last = lead.source.captured_at
    apply(Capture(lead=lead), last)
    waterfall = playbook.lifecycle.waterfall
    names = playbook.lifecycle.names_of(Stage.OPPORTUNITY, Stage.CUSTOMER)
    opportunity, customer = (waterfall.index(n) if n in waterfall else None for n in names)
    target = 0
    stage = outcome.get("outcome.stage")
    if stage is not None:
        if stage not in waterfall:
            raise _RefusedError("outcome.stage", f"{stage!r} is not on the waterfall {waterfall}")
        target = waterfall.index(stage)
    for i, name in enumerate(waterfall):
        if outcome.get(f"reached.{name}") is not None:
            target = max(target, i)
    result = outcome.get("outcome.result")
    if customer is not None and target >= customer:
        if result == "lost":
            raise _RefusedError("outcome.result", "lost, yet the lead reached the customer stage")
        result = "won"
    if result in ("won", "lost"):
        if opportunity is None:
            raise _RefusedError("outcome.result", "the lifecycle has no opportunity stage to close")
        target = max(target, opportunity)
    if opportunity is not None:
        target = min(target, opportunity)
    for name in waterfall[1 : target + 1]:
        at = outcome.get(f"reached.{name}") or last
        if at < last:
            raise _RefusedError(f"reached.{name}", f"{at.isoformat()} is before the step before")
        apply(MoveStage(to_stage=name), at)
        last = at
    if result in ("won", "lost"):
        at = outcome.get("outcome.closed_at") or last
        if at < last:
            raise _RefusedError("outcome.closed_at", f"{at.isoformat()} is before the step before")
        reason = outcome.get("outcome.reason") or ("" if result == "won" else lost_reason)
        apply(
            Complete(
                outcome=Outcome(result), reason=reason, revenue=outcome.get("outcome.revenue")
            ),
            at,
        )
    return tuple(events)


def build_histories(
    frame: Rows, playbook: Playbook
) -> tuple[tuple[tuple[Event, ...], ...], tuple[RowRefusal, ...]]:
    """Every accepted row as a history decided by `playbook`; refused rows are reported."""
    leads, refused_leads = build_leads(frame)
    table = frame.leads
    names = [c for c in table.column_names if c.startswith(("outcome.", "reached."))]
    data = {name: table.column(name).to_pylist() for name in names}
    rows = table.column("row").to_pylist()
    built_ids = {lead.id for lead in leads}
    ids = table.column("id").to_pylist()
    index = [i for i, lead_id in enumerate(ids) if lead_id in built_ids]
    outcome = frame.mapping.outcome if frame.mapping is not None else None
    lost_reason = outcome.lost_reason if outcome is not None else "lost"
    histories: list[tuple[Event, ...]] = []
    refused: list[RowRefusal] = list(refused_leads)
    for lead, i in zip(leads, index, strict=True):
        values = {name: data[name][i] for name in names}
        try:
            histories.append(_history(lead, values, playbook, lost_reason))
        except _RefusedError as exc:
            refused.append(
                RowRefusal(
                    row=rows[i],
                    column=_header(frame, exc.field),
                    field=exc.field,
                    message=exc.message,
                )
            )
        except LeadPipelineError as exc:
            refused.append(RowRefusal(row=rows[i], column="", field="outcome", message=str(exc)))
    return tuple(histories), tuple(refused)


def _header(frame: Rows, name: str) -> str:
    outcome = frame.mapping.outcome if frame.mapping is not None else None
    if outcome is None:
        return ""
    for header, canonical, _ in outcome.columns():
        if canonical == name:
            return header
    return ""
