"""What runs on the executors: one Arrow batch of leads in, scores or counts out.

Why: these are plain functions of Arrow batches (no Spark import), so the work Spark
schedules is the library's own door and scorer, and each function can be checked on a
batch without a cluster. A batch holds the export's columns as the mapping names them and,
when touches were given, one nested column with each lead's touches (`TOUCHES`, built
from the group's flat touches by `_groups.in_group`); the batch goes through `read_arrow` with
the mapping unchanged, so the checks and refusals of the single-machine import apply
row by row.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.analytics._columns import on_grid
from leadpipeline.analytics._history import History, capture_of, outcome_of, stages_reached
from leadpipeline.analytics.funnel import Grouping, _key_fn
from leadpipeline.analytics.predictive import FieldSpec, _labels
from leadpipeline.events import Completed, Outcome
from leadpipeline.frames import ColumnMapping, LeadFrame, RowRefusal, read_arrow, score_frame
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.qualification import Definition, assess
from leadpipeline.rules.scoring import ScoringModel

__all__ = [
    "ORDER",
    "REPEATED",
    "TOUCHES",
    "Scored",
    "assessed",
    "attribution_counts",
    "model_counts",
    "read_batch",
    "score_counts",
    "scored",
    "waterfall_counts",
    "what_if_totals",
]

TOUCHES = "__leadpipeline_touches"
"""The nested column of each lead's touches, as structs named by the touch headers."""

REPEATED = "__leadpipeline_repeated"
"""True on a row whose id an earlier row of the table (in the source's order) already gave."""

ORDER = "__leadpipeline_order"
"""Each lead row's place in the source's order, numbered before any shuffle (`_groups`)."""


class Scored:
    """One batch read through the mapping: the frame, where its rows sit, why others did not.

    `table` is the batch under its real names; `kept` the batch rows that went through the
    door (all but repeated ids); `positions` the batch rows of the frame's leads;
    `refusals` holds, per batch row, the refusals' text joined by "; ", or None.
    """

    def __init__(
        self, table: pa.Table, frame: LeadFrame, refusals: list[str | None], kept: np.ndarray
    ) -> None:
        self.table = table
        self.frame = frame
        self.refusals = refusals
        self.kept = kept
        self.positions = kept[np.asarray(frame.leads.column("row").to_numpy()) - 1]

    def at(self, row: int) -> int:
        """The batch row of a row number the door gave (counted from 1)."""
        return int(self.kept[row - 1])

    def spread(self, values: Any, kind: pa.DataType) -> pa.Array:
        """Values of the accepted rows at their batch rows; null on refused rows."""
        array = values if isinstance(values, pa.Array) else pa.array(values, kind)
        if array.type != kind:
            array = array.cast(kind)
        n = self.table.num_rows
        if np.array_equal(self.positions, np.arange(n)):
            return array
        index = np.zeros(n, dtype=np.int64)
        index[self.positions] = np.arange(len(self.positions))
        refused = np.ones(n, dtype=bool)
        refused[self.positions] = False
        return array.take(pa.array(index, mask=refused))


def _flag(table: pa.Table, name: str) -> np.ndarray:
    values = pc.fill_null(table.column(name), False).combine_chunks()
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def read_batch(batch: pa.RecordBatch, mapping: ColumnMapping, names: Sequence[str]) -> Scored:
    """Read one batch through the mapping, its nested touches as the long touch table.

    `names` are the leads' real column names, in order (the batch's are positional). A
    row the driver marked `REPEATED` (its id given on an earlier row of the table) is
    refused, as the local import refuses it, and the rest go through the door.
    """
    table = pa.Table.from_batches([batch])
    extra = table.column_names[len(names) :]
    table = table.rename_columns([*names, *extra])
    repeated = np.zeros(table.num_rows, dtype=bool)
    if REPEATED in table.column_names:
        repeated = _flag(table, REPEATED)
        table = table.drop_columns([REPEATED])
    nested = None
    if TOUCHES in table.column_names:
        nested = table.column(TOUCHES).combine_chunks()
        table = table.drop_columns([TOUCHES])
    kept = np.flatnonzero(~repeated)
    read = table if len(kept) == table.num_rows else table.take(pa.array(kept))
    touches = parents = None
    if nested is not None:
        if len(kept) != table.num_rows:
            nested = nested.take(pa.array(kept))
        parents = np.asarray(pc.list_parent_indices(nested).to_numpy(zero_copy_only=False))
        flat = pc.list_flatten(nested)
        assert mapping.touch_table is not None  # touches are nested only then
        columns = {mapping.touch_table.lead_id: read.column(mapping.id).take(pa.array(parents))}
        columns |= {field.name: flat.field(field.name) for field in flat.type}
        touches = pa.table(columns)
    frame = _in_time_order(read_arrow(read, mapping, touches=touches))
    texts: defaultdict[int, list[str]] = defaultdict(list)  # only the refused rows
    for refusal in frame.refused:
        if refusal.table == "leads":
            texts[int(kept[refusal.row - 1])].append(str(refusal))
        elif parents is not None:
            texts[int(kept[parents[refusal.row - 1]])].append(str(refusal))
    ids = table.column(mapping.id)
    for row in np.flatnonzero(repeated).tolist():
        again = RowRefusal(
            row=row + 1,
            column=mapping.id,
            field="id",
            message="duplicate id: given on an earlier row of the table",
            value=str(ids[row].as_py()),
        )
        texts[row].append(str(again))
    refusals: list[str | None] = [None] * table.num_rows
    for row, said in texts.items():
        refusals[row] = "; ".join(said)
    return Scored(table, frame, refusals, kept)


def _in_time_order(frame: LeadFrame) -> LeadFrame:
    """Each lead's touches by time, then kind: Spark gathers them in no fixed order.

    A lead's points are summed in the order of its touches; one fixed order makes the
    totals the same to the last bit on every run, and equal to the local ones when the
    local touches come in time order.
    """
    touches = frame.touches
    if touches.num_rows < 2:
        return frame
    keys = pa.table(
        {
            "lead": touches.column("lead"),
            "at": touches.column("at"),
            "kind": pc.cast(touches.column("kind"), pa.string()),
        }
    )
    order = pc.sort_indices(
        keys, sort_keys=[("lead", "ascending"), ("at", "ascending"), ("kind", "ascending")]
    )
    return attrs.evolve(frame, touches=touches.take(order))


def _positional(table: pa.Table) -> list[pa.RecordBatch]:
    """The batches under the positional names the driver declared (`_lp0`, ...)."""
    renamed = table.rename_columns([f"_lp{i}" for i in range(table.num_columns)])
    return list(renamed.to_batches())


def _now(read: Scored, now: datetime | str) -> Any:
    if isinstance(now, datetime):
        return now
    return read.table.column(now).take(pa.array(read.positions))


def scored(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    model: ScoringModel,
    now: datetime | str,
    groups: bool,
    rules: bool,
    won: bool,
    keep: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Each batch's scores: total, fit, engagement, grade, groups, rules, won, refused.

    With `keep`, after the batch's own columns; without, alone (a back-test's lean pass).
    """
    for batch in batches:
        read = read_batch(batch, mapping, names)
        scores = score_frame(read.frame, model, now=_now(read, now), rules=rules)
        added = {
            "total": read.spread(scores.totals, pa.float64()),
            "fit": read.spread(scores.fit, pa.float64()),
            "engagement": read.spread(scores.engagement, pa.float64()),
            "grade": read.spread(scores.grades.cast(pa.string()), pa.string()),
        }
        if groups:
            added |= {f"group.{k}": read.spread(v, pa.float64()) for k, v in scores.groups}
        added |= {f"rule.{k}": read.spread(v, pa.float64()) for k, v in scores.rules}
        if won:
            flags = scores.won if scores.won is not None else np.zeros(len(scores), dtype=bool)
            added["won"] = read.spread(flags, pa.bool_())
        added["refused"] = pa.array(read.refusals, pa.string())
        if not keep:
            yield pa.RecordBatch.from_pydict(added)
            continue
        out = read.table
        for name, values in added.items():
            out = out.append_column(name, values)
        yield from _positional(out)


def score_counts(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    model: ScoringModel,
    now: datetime | str,
    step: float | None = None,
) -> Iterator[pa.RecordBatch]:
    """Per distinct total of the batch's accepted leads: how many leads, how many won.

    The sweep's counts, summed here before they leave the worker; refused rows count
    nowhere, as the local import leaves them out. With `step`, the totals are put on
    its grid first, as the local sweep puts them (`on_grid`).
    """
    for batch in batches:
        read = read_batch(batch, mapping, names)
        scores = score_frame(read.frame, model, now=_now(read, now))
        won = scores.won if scores.won is not None else np.zeros(len(scores), dtype=bool)
        points = np.asarray(scores.totals, dtype=np.float64)
        if step is not None:
            points = on_grid(points, step)
        totals, which = np.unique(points, return_inverse=True)
        yield pa.RecordBatch.from_pydict(
            {
                "total": pa.array(totals, pa.float64()),
                "n": pa.array(np.bincount(which, minlength=len(totals)), pa.int64()),
                "w": pa.array(np.bincount(which[won], minlength=len(totals)), pa.int64()),
            }
        )


def what_if_totals(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    models: tuple[ScoringModel, ScoringModel],
    now: datetime | str,
) -> Iterator[pa.RecordBatch]:
    """Per accepted lead: both models' totals and whether it was won; nothing else leaves."""
    for batch in batches:
        read = read_batch(batch, mapping, names)
        at = _now(read, now)
        a = score_frame(read.frame, models[0], now=at)
        b = score_frame(read.frame, models[1], now=at)
        won = a.won if a.won is not None else np.zeros(len(a), dtype=bool)
        yield pa.RecordBatch.from_pydict(
            {"a": pa.array(a.totals), "b": pa.array(b.totals), "won": pa.array(won)}
        )


def _histories(
    batch: pa.RecordBatch, mapping: ColumnMapping, names: Sequence[str], playbook: Playbook
) -> list[History]:
    return list(read_batch(batch, mapping, names).frame.to_histories(playbook).items)


def waterfall_counts(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    playbook: Playbook,
    by: Grouping | None,
    stages: Sequence[str],
) -> Iterator[pa.RecordBatch]:
    """Per group and stage, the leads of the batch that reached it (stage null: all leads)."""
    key: Callable[[History], str] = (lambda _: "") if by is None else _key_fn(by, "by")[1]
    for batch in batches:
        counts: Counter[tuple[str, str | None]] = Counter()
        for history in _histories(batch, mapping, names, playbook):
            group = key(history)
            counts[(group, None)] += 1
            reached = stages_reached(history)
            counts.update((group, s) for s in stages if s in reached)
        yield _counted({"group": pa.string(), "stage": pa.string()}, counts)


def _counted(keys: dict[str, pa.DataType], counts: Counter[Any]) -> pa.RecordBatch:
    rows = list(counts.items())
    columns = {key: pa.array([k[i] for k, _ in rows], keys[key]) for i, key in enumerate(keys)}
    columns["n"] = pa.array([n for _, n in rows], pa.int64())
    return pa.RecordBatch.from_pydict(columns)


def attribution_counts(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    playbook: Playbook,
    sql_stage: str | None,
) -> Iterator[pa.RecordBatch]:
    """Per lead of the batch: its original channel, reached SQL, won, and won revenue."""
    sql = sql_stage if sql_stage is not None else playbook.lifecycle.name_of(Stage.SQL)
    for batch in batches:
        channel, reached, won, revenue = [], [], [], []
        for history in _histories(batch, mapping, names, playbook):
            channel.append(capture_of(history, 0).lead.source.channel)
            reached.append(sql in stages_reached(history))
            won.append(outcome_of(history) is Outcome.WON)
            revenue.append(
                sum(
                    e.revenue or 0.0
                    for e in history
                    if isinstance(e, Completed) and e.outcome is Outcome.WON
                )
            )
        yield pa.RecordBatch.from_pydict(
            {
                "channel": pa.array(channel, pa.string()),
                "sql": pa.array(reached, pa.bool_()),
                "won": pa.array(won, pa.bool_()),
                "revenue": pa.array(revenue, pa.float64()),
            }
        )


def model_counts(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    playbook: Playbook,
    specs: tuple[FieldSpec, ...],
    order: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    """The win model's counts of the batch: per stage, field and value, passed or stopped.

    A row with no stage counts leads; a row with no field counts a stage's leads.
    """
    from leadpipeline.events import replay  # noqa: PLC0415  # kept beside its one use

    for batch in batches:
        counts: Counter[tuple[str | None, str | None, str | None, bool | None]] = Counter()
        for history in _histories(batch, mapping, names, playbook):
            counts[(None, None, None, None)] += 1
            through, stop = _labels(history, order)
            if not through and stop is None:
                continue
            lead = replay(history)
            observed = [(spec.path, spec.value_of(lead)) for spec in specs]
            labelled = [*((s, True) for s in through), *([(stop, False)] if stop else [])]
            for stage, did_pass in labelled:
                counts[(stage, None, None, did_pass)] += 1
                for path, value in observed:
                    counts[(stage, path, value, did_pass)] += 1
        yield _counted(
            {"stage": pa.string(), "path": pa.string(), "value": pa.string(), "passed": pa.bool_()},
            counts,
        )


def assessed(
    batches: Iterable[pa.RecordBatch],
    *,
    mapping: ColumnMapping,
    names: Sequence[str],
    playbook: Playbook,
    definition: Definition,
    now: datetime,
) -> Iterator[pa.RecordBatch]:
    """Each batch with the definition's verdict: qualified, missed criteria and score."""
    in_stage = playbook.lifecycle.name_of(Stage.MQL) if definition == playbook.mql else None
    for batch in batches:
        read = read_batch(batch, mapping, names)
        leads = read.frame.to_leads()
        refusals = list(read.refusals)
        for refusal in leads.refused[len(read.frame.refused) :]:
            refusals[read.at(refusal.row)] = str(refusal)  # a value's constructor refused it
        built = {lead.id: lead for lead in leads}
        qualified: list[bool | None] = []
        missed: list[list[str] | None] = []
        score: list[float | None] = []
        for lead_id in read.frame.leads.column("id").to_pylist():
            lead = built.get(lead_id)
            if lead is None:
                qualified.append(None)
                missed.append(None)
                score.append(None)
                continue
            result = assess(
                lead, definition, playbook.scoring, now=now, currently_in=lead.stage == in_stage
            )
            qualified.append(result.qualified)
            missed.append([r.criterion for r in result.missed])
            score.append(result.score_card.total)
        out = read.table
        out = out.append_column("qualified", read.spread(qualified, pa.bool_()))
        out = out.append_column("missed", read.spread(missed, pa.list_(pa.string())))
        out = out.append_column("score", read.spread(score, pa.float64()))
        out = out.append_column("refused", pa.array(refusals, pa.string()))
        yield from _positional(out)
