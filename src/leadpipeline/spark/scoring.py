"""Scoring a Spark DataFrame of leads with a `ScoringModel`, group by group.

Why: at tens of millions of leads the work must run where the rows are. Each group of
leads (a hash of the id) goes through `read_arrow` with the mapping and `score_frame` on
an executor (`applyInArrow`), so the totals are the single-machine totals of the same
rows; Spark schedules the groups.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pyspark.sql import DataFrame
from pyspark.sql.types import BooleanType, DataType, DoubleType, StringType

from leadpipeline.frames import ColumnMapping
from leadpipeline.rules.scoring import GENERAL_GROUP, ScoringModel
from leadpipeline.spark._partitions import scored
from leadpipeline.spark._plan import named, prepared, schema_with, when

__all__ = ["score_leads"]


def score_columns(
    model: ScoringModel, mapping: ColumnMapping, *, groups: bool, rules: bool
) -> list[tuple[str, DataType]]:
    """The columns scoring adds, in the order `scored` writes them."""
    added: list[tuple[str, DataType]] = [
        ("total", DoubleType()),
        ("fit", DoubleType()),
        ("engagement", DoubleType()),
        ("grade", StringType()),
    ]
    if groups:
        names = (GENERAL_GROUP, *(g.name for g in model.groups if g.name != GENERAL_GROUP))
        added += [(f"group.{name}", DoubleType()) for name in names]
    if rules:
        ordered = [r.name for r in model.fit]
        ordered += [r.name for r in model.engagement] + [r.name for r in model.negative]
        added += [(f"rule.{name}", DoubleType()) for name in ordered]
    if has_result(mapping):
        added.append(("won", BooleanType()))
    added.append(("refused", StringType()))
    return added


def has_result(mapping: ColumnMapping) -> bool:
    """Whether the mapping reads an outcome result (won, lost or open)."""
    return mapping.outcome is not None and mapping.outcome.result is not None


def score_leads(
    leads: DataFrame,
    model: ScoringModel,
    *,
    now: datetime | str,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    groups: bool = True,
    rules: bool = False,
) -> DataFrame:
    """The leads with their scores: ``total``, ``fit``, ``engagement``, ``grade`` and more.

    `leads` holds the export's columns as `mapping` names them (without a mapping,
    columns named by field path, as `leadpipeline.frames.to_table` writes them);
    `touches` is the long table of touches the mapping's `touch_table` describes. `now`
    is one instant, or the name of a timestamp column holding each lead's. Added columns:
    ``group.<name>`` per group (with `groups`), ``rule.<name>`` per rule (with `rules`),
    ``won`` when an outcome result is mapped, and ``refused``: why a row was refused,
    its scores then null (null on every accepted row). Lazy, like any transformation:
    nothing runs until an action.

    Raises:
        ValidationError: a naive `now`, a missing id, touch or `now` column, or touches
            without a mapped touch table.
    """
    at = when(now, leads)
    plan, mapping, names = prepared(leads, mapping, touches)
    added = score_columns(model, mapping, groups=groups, rules=rules)
    work = partial(
        scored,
        mapping=mapping,
        names=names,
        model=model,
        now=at,
        groups=groups,
        rules=rules,
        won=has_result(mapping),
    )
    return named(plan.run(work, schema_with(leads, added)), names, added)
