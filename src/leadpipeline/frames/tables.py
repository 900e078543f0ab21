"""Values out as tables: leads, score cards, assessments, histories, SLA deadlines, breaches.

Why: one story for frames. `to_table` turns the library's values into Arrow tables with
stable column names (a lead's columns are its field paths, the same names the readers
and `score_frame` use, so a table of leads can be scored as it is); `to_frame` is the
same as a pandas DataFrame, and hands the analytics results (funnels, sweeps, what-ifs)
to `leadpipeline.analytics.notebook.to_frame`, so one call covers everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from leadpipeline.analytics.thresholds import ScoredOutcome
from leadpipeline.events import Event
from leadpipeline.frames._convert import ARROW_TYPES
from leadpipeline.frames._fields import lead_fields
from leadpipeline.frames.frame import LeadFrame
from leadpipeline.frames.scoring import FrameScores
from leadpipeline.lead import Lead
from leadpipeline.rules.qualification import Assessment
from leadpipeline.rules.scoring import ScoreCard
from leadpipeline.rules.sla import Breach, Deadline
from leadpipeline.serialization import tag_of, unstructure

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["lead_frame", "to_frame", "to_table"]


def _value(lead: Lead, path: str) -> Any:
    value: Any = lead
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    if isinstance(value, tuple):
        return list(value)
    return value


def lead_frame(leads: Iterable[Lead]) -> LeadFrame:
    """Lead values as a `LeadFrame`: one column per field, their touches as the long table.

    The inverse of `LeadFrame.to_leads` for every field a column can feed, so leads from
    anywhere can be scored with `score_frame` or written out with `to_table`.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Source
        >>> at = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> frame = lead_frame([Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...                          company=Company(employees=800))])
        >>> frame.leads.column("company.employees").to_pylist()
        [800]
    """
    items = list(leads)
    specs = lead_fields()
    columns: dict[str, pa.Array] = {
        "id": pa.array([lead.id for lead in items], pa.string()),
        "row": pa.array(range(1, len(items) + 1), pa.int64()),
    }
    for path, spec in specs.items():
        if path == "id":
            continue
        columns[path] = pa.array([_value(lead, path) for lead in items], ARROW_TYPES[spec.kind])
    rows, kinds, instants, details = [], [], [], []
    for i, lead in enumerate(items):
        for touch in lead.interactions:
            rows.append(i)
            kinds.append(touch.kind.value)
            instants.append(touch.at.astimezone(UTC))
            details.append(touch.detail)
    touches = pa.table(
        {
            "lead": pa.array(rows, pa.int32()),
            "kind": pa.array(kinds, pa.string()).dictionary_encode(),
            "at": pa.array(instants, ARROW_TYPES[lead_fields()["source.captured_at"].kind]),
            "detail": pa.array(details, pa.string()),
        }
    )
    return LeadFrame(leads=pa.table(columns), touches=touches, mapping=None, read=len(items))


def _cards(cards: Sequence[ScoreCard], rules: bool) -> pa.Table:
    groups = list(dict.fromkeys(g.name for card in cards for g in card.groups))
    columns: dict[str, list[Any]] = {
        "lead_id": [c.lead_id for c in cards],
        "at": [c.at for c in cards],
        "model": [c.model for c in cards],
        "total": [c.total for c in cards],
        "fit": [c.fit for c in cards],
        "engagement": [c.engagement for c in cards],
        "grade": [c.grade for c in cards],
    }
    for name in groups:
        columns[f"group.{name}"] = [card.group(name) for card in cards]
    if rules:
        names = list(dict.fromkeys(c.rule for card in cards for c in card.contributions))
        for name in names:
            columns[f"rule.{name}"] = [
                sum(c.points for c in card.contributions if c.rule == name) for card in cards
            ]
    return pa.table(columns)


def _assessments(items: Sequence[Assessment]) -> pa.Table:
    rows = [
        {
            "lead_id": a.score_card.lead_id,
            "definition": a.definition,
            "at": a.at,
            "qualified": a.qualified,
            "criterion": r.criterion,
            "met": r.met,
            "observed": r.observed,
        }
        for a in items
        for r in a.results
    ]
    return pa.Table.from_pylist(rows) if rows else pa.table({"lead_id": pa.array([], pa.string())})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | str | int | float | bool) or value is None:
        return value
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


def _events(histories: Sequence[Sequence[Event]]) -> pa.Table:
    rows = []
    for history in histories:
        for position, event in enumerate(history):
            data = unstructure(event)
            rows.append(
                {
                    "lead_id": event.lead_id,
                    "position": position,
                    "type": tag_of(type(event)),
                    "at": event.at,
                    "actor": str(event.actor),
                    "details": "; ".join(
                        f"{k}={_plain(v) if not isinstance(v, dict | list) else v}"
                        for k, v in data.items()
                        if k not in ("lead_id", "at", "actor") and v not in (None, "", [])
                    ),
                }
            )
    return pa.Table.from_pylist(rows) if rows else pa.table({"lead_id": pa.array([], pa.string())})


def _deadlines(items: Sequence[Deadline]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "lead_id": d.lead_id,
                "policy": d.policy,
                "partner_id": d.partner_id,
                "started_at": d.started_at,
                "due_at": d.due_at,
                "met_at": d.met_at,
                "stopped_by": d.stopped_by,
                "paused_at": d.paused_at,
                "remaining_s": None if d.remaining is None else d.remaining.total_seconds(),
                "late_s": None if d.late is None else d.late.total_seconds(),
                "calendar": d.calendar,
            }
            for d in items
        ]
    )


def _breaches(items: Sequence[Breach]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "lead_id": b.deadline.lead_id,
                "policy": b.policy,
                "partner_id": b.partner_id,
                "started_at": b.started_at,
                "due_at": b.due_at,
                "now": b.now,
                "late_s": b.late.total_seconds(),
                "open": b.open,
                "recorded": b.recorded,
                "pending_steps": len(b.pending),
                "calendar": b.calendar,
            }
            for b in items
        ]
    )


def to_table(values: Any, *, rules: bool = False) -> pa.Table:
    """The library's values as an Arrow table, one row per item.

    Leads give one row per lead and one column per field path (as `lead_frame`); score
    cards one row per lead with ``group.<name>`` columns (and ``rule.<name>`` with
    `rules`); assessments one row per criterion; histories (a history, or a list of
    them) one row per event; deadlines and breaches one row each; a `LeadFrame` its
    leads; `FrameScores` its columns; `scored_outcomes` one row per lead (id, score, won).

    Raises:
        TypeError: values of a kind this does not know.
    """
    if isinstance(values, FrameScores):
        return values.to_table()
    if isinstance(values, LeadFrame):
        return values.leads
    items = list(values)
    if not items:
        return pa.table({})
    first = items[0]
    if isinstance(first, Lead):
        return lead_frame(items).leads
    if isinstance(first, ScoreCard):
        return _cards(items, rules)
    if isinstance(first, Assessment):
        return _assessments(items)
    if isinstance(first, Deadline):
        return _deadlines(items)
    if isinstance(first, Breach):
        return _breaches(items)
    if isinstance(first, ScoredOutcome):  # what `scored_outcomes` returns: a back-test's rows
        return pa.table(
            {
                "lead_id": [o.lead_id for o in items],
                "score": pa.array([o.score for o in items], pa.float64()),
                "won": pa.array([o.won for o in items], pa.bool_()),
            }
        )
    if attrs.has(type(first)) and hasattr(first, "lead_id") and hasattr(first, "actor"):
        return _events([items])
    if isinstance(first, Sequence):
        return _events(items)
    raise TypeError(
        f"to_table does not know {type(first).__name__} values; it takes leads, score cards,"
        " assessments, histories, deadlines, breaches, scored outcomes, a LeadFrame or"
        " FrameScores"
    )


def to_frame(values: Any, *, rules: bool = False) -> pd.DataFrame:
    """Any value `to_table` knows, or any analytics result, as a pandas DataFrame.

    Raises:
        ImportError: pandas is not installed (``pip install leadpipeline[notebook]``).
    """
    from leadpipeline.analytics import notebook  # noqa: PLC0415  # pandas loads only when used

    if isinstance(values, notebook.AnalyticsResult):
        return notebook.to_frame(values)
    notebook._need("pandas")
    return to_table(values, rules=rules).to_pandas()
