"""Distributed back-tests: each returns the frozen value its single-machine function does.

Why: the rows stay on the executors; only counts come back. The threshold sweep counts
leads and wins per distinct score in Spark and runs the cumulative pass on the driver
(as `sweep_of_counts` does); the what-if sums nine counts; the waterfall and the attribution
count per group where the histories are built. The values are built by the same code the
local functions use, so equal counts give equal values.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812  # the name every Spark user reads

from leadpipeline.analytics.funnel import (
    Funnel,
    Grouping,
    Waterfall,
    _key_fn,
    funnel_of_counts,
)
from leadpipeline.analytics.sources import SourceAttribution, attribution_of_counts
from leadpipeline.analytics.thresholds import ThresholdSweep
from leadpipeline.analytics.what_if import WhatIf, policy_of, what_if_of_counts
from leadpipeline.errors import ValidationError
from leadpipeline.frames import ColumnMapping
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.scoring import ScoringModel
from leadpipeline.spark._partitions import (
    attribution_counts,
    score_counts,
    waterfall_counts,
    what_if_totals,
)
from leadpipeline.spark._plan import prepared, when
from leadpipeline.spark.scoring import has_result

__all__ = ["source_attribution", "threshold_sweep", "waterfall", "what_if"]


def _outcomes(mapping: ColumnMapping) -> None:
    if not has_result(mapping):
        raise ValidationError.at("mapping.outcome.result", "a back-test needs an outcome column")


def threshold_sweep(
    leads: DataFrame,
    model: ScoringModel,
    *,
    now: datetime | str,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    months: float | None = None,
    step: float | None = None,
) -> ThresholdSweep:
    """`leadpipeline.analytics.threshold_sweep` of the scores `score_leads` gives.

    Leads and wins are counted per distinct total in Spark; the driver receives one row
    per distinct score and runs the cumulative pass. Refused rows are left out, as the
    single-machine import leaves them out. `step` sweeps its grid, as the local sweep
    does: the driver then receives one row per grid point that has a lead.

    Raises:
        ValidationError: no outcome column is mapped, `months` or `step` is not
            positive, or what `score_leads` refuses.
    """
    if months is not None and not (math.isfinite(months) and months > 0):
        raise ValidationError.at("months", f"must be a positive number, got {months!r}")
    if step is not None and not (math.isfinite(step) and step > 0):
        raise ValidationError.at("step", f"must be a positive number, got {step!r}")
    at = when(now, leads)
    plan, mapping, names = prepared(leads, mapping, touches)
    _outcomes(mapping)
    work = partial(score_counts, mapping=mapping, names=names, model=model, now=at, step=step)
    counted = (
        plan.run(work, "total double, n long, w long")
        .groupBy("total")
        .agg(F.sum("n").alias("n"), F.sum("w").alias("w"))
    )
    # one row per distinct score, as Arrow columns (no Row object per score), handed on
    # with no other reference so the sweep can let each column go once it is read
    return _sweep_of_columns(counted.toArrow(), months)


def _sweep_of_columns(counted: pa.Table, months: float | None) -> ThresholdSweep:
    """`sweep_of_counts` on columns: sorted and summed in numpy, not in dicts.

    With decayed touches nearly every lead has a score of its own, so the counts can be
    millions of rows; the value holds one entry per distinct score, as the local one does.
    Each column is let go as soon as its tuple is built, so the driver holds little
    beside the value itself.
    """
    totals = np.asarray(counted.column("total").to_numpy())
    n = np.asarray(counted.column("n").to_numpy(), dtype=np.int64)
    w = np.asarray(pc.fill_null(counted.column("w"), 0).to_numpy(), dtype=np.int64)
    del counted  # the caller keeps no other reference: the Arrow columns go now,
    pa.default_memory_pool().release_unused()  # and back to the system, not kept in a pool
    order = np.argsort(totals)
    totals, n, w = totals[order], n[order], w[order]
    del order
    # a memoryview yields Python floats and ints straight into the tuple: no list between
    thresholds: tuple[float, ...] = tuple(totals.data)
    del totals
    volumes = _above(n)
    del n
    wins = _above(w)
    del w
    return ThresholdSweep.of_columns(thresholds, volumes, wins, months=months)


def _above(counts: np.ndarray) -> tuple[int, ...]:
    """The counts at or above each score (`counts` ascending by score, summed in place)."""
    np.cumsum(counts[::-1], out=counts[::-1])
    return tuple(counts.data)


def what_if(
    leads: DataFrame,
    a: ScoringModel | Playbook,
    b: ScoringModel | Playbook,
    *,
    now: datetime | str,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    threshold_a: float | None = None,
    threshold_b: float | None = None,
) -> WhatIf:
    """`leadpipeline.frames.what_if_frame` in Spark: two policies, nine counts summed.

    Raises:
        ValidationError: no outcome column, a side without a threshold, or what
            `score_leads` refuses.
    """
    model_a, threshold_a = policy_of(a, threshold_a, "a")
    model_b, threshold_b = policy_of(b, threshold_b, "b")
    at = when(now, leads)
    plan, mapping, names = prepared(leads, mapping, touches)
    _outcomes(mapping)
    work = partial(what_if_totals, mapping=mapping, names=names, models=(model_a, model_b), now=at)
    totals = plan.run(work, "a double, b double, won boolean")
    over_a, over_b, won = F.col("a") >= threshold_a, F.col("b") >= threshold_b, F.col("won")

    def count(condition: SparkColumn) -> SparkColumn:
        return F.sum(F.when(condition, 1).otherwise(0))

    row = totals.agg(
        F.count(F.lit(1)).alias("leads"),
        count(won).alias("wins"),
        count(over_a).alias("volume_a"),
        count(over_a & won).alias("wins_a"),
        count(over_b).alias("volume_b"),
        count(over_b & won).alias("wins_b"),
        count(over_a & over_b).alias("both"),
        count(over_a & ~over_b).alias("only_a"),
        count(over_b & ~over_a).alias("only_b"),
    ).first()
    assert row is not None  # a global aggregate has one row
    counts = {k: int(v or 0) for k, v in row.asDict().items()}
    return what_if_of_counts(counts, (model_a, threshold_a), (model_b, threshold_b))


def waterfall(
    leads: DataFrame,
    *,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    by: Grouping | None = None,
    stages: Sequence[str] | None = None,
) -> Waterfall:
    """`leadpipeline.analytics.waterfall` of the histories the rows make, counted in Spark.

    Each row becomes the history `LeadFrame.to_histories(playbook)` builds, on an
    executor; the driver receives one count per group and stage.

    Raises:
        ValidationError: no stage to count, an unknown grouping, a missing id column.
    """
    order = tuple(stages) if stages is not None else playbook.lifecycle.waterfall
    if not order:
        path = "stages" if stages is not None else "playbook.lifecycle"
        raise ValidationError.at(path, "name at least one stage")
    name = _key_fn(by, "by")[0] if by is not None else None
    plan, mapping, names = prepared(leads, mapping, touches)
    work = partial(
        waterfall_counts, mapping=mapping, names=names, playbook=playbook, by=by, stages=order
    )
    rows = (
        plan.run(work, "group string, stage string, n long")
        .groupBy("group", "stage")
        .agg(F.sum("n").alias("n"))
        .collect()
    )
    leads_in: dict[str, int] = defaultdict(int)
    reached: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["stage"] is None:
            leads_in[r["group"]] += int(r["n"])
        else:
            reached[r["group"]][r["stage"]] += int(r["n"])

    def funnel(group: str, keys: list[str]) -> Funnel:
        counts = [sum(reached[k][s] for k in keys) for s in order]
        return funnel_of_counts(group, sum(leads_in[k] for k in keys), counts, order)

    total = funnel("all", list(leads_in))
    if name is None:
        return Waterfall(by=None, stages=order, total=total)
    groups = tuple(funnel(k, [k]) for k in sorted(leads_in))
    return Waterfall(by=name, stages=order, total=total, groups=groups)


def source_attribution(
    leads: DataFrame,
    *,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    sql_stage: str | None = None,
) -> SourceAttribution:
    """`leadpipeline.analytics.source_attribution` of the rows' histories, summed in Spark.

    Revenue is summed in Spark's order, so its last digits may differ from a sum in the
    rows' order unless the amounts are whole (as money in cents is).

    Raises:
        ValidationError: a missing id column.
    """
    plan, mapping, names = prepared(leads, mapping, touches)
    work = partial(
        attribution_counts, mapping=mapping, names=names, playbook=playbook, sql_stage=sql_stage
    )
    rows = (
        plan.run(work, "channel string, sql boolean, won boolean, revenue double")
        .groupBy("channel")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("sql").cast("long")).alias("sql"),
            F.sum(F.col("won").cast("long")).alias("won"),
            F.sum("revenue").alias("revenue"),
        )
        .collect()
    )
    return attribution_of_counts(
        {
            r["channel"]: (int(r["n"]), int(r["sql"]), int(r["won"]), float(r["revenue"]))
            for r in rows
        }
    )
