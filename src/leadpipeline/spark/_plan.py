"""The driver's share of every job: the mapping, the touches nested per lead, the schema.

Why: a long touch table and a lead table meet where Spark puts them. The touches are
grouped by lead id and joined to their lead as one nested column (a shuffle Spark plans
and runs), so every batch an executor reads holds whole leads with all their touches.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812  # the name every Spark user reads
from pyspark.sql.types import DataType, StructField, StructType

from leadpipeline._checks import require_aware
from leadpipeline.errors import ValidationError
from leadpipeline.frames import Column, ColumnMapping, OutcomeColumns, TouchTable
from leadpipeline.frames._fields import lead_fields
from leadpipeline.spark._partitions import REPEATED, TOUCHES

__all__ = [
    "canonical_mapping",
    "col",
    "local_session",
    "named",
    "prepared",
    "schema_with",
    "when",
]

_OUTCOME = ("result", "closed_at", "revenue", "reason", "stage")
_ID = "__leadpipeline_id"
_ORDER = "__leadpipeline_order"


def col(name: str) -> SparkColumn:
    """A column by its exact name: field paths hold dots, which Spark reads as nesting."""
    return F.col(f"`{name}`")


def canonical_mapping(leads: list[str], touches: list[str] | None) -> ColumnMapping:
    """The mapping of columns already named by field path (the tables `to_table` writes).

    ``id``, every column named by a lead field path, ``outcome.*`` and ``reached.*``;
    touches as ``lead_id``, ``kind``, ``at`` and, when present, ``detail``.
    """
    fields = lead_fields()
    named = set(leads)
    outcome: dict[str, Any] = {
        part: f"outcome.{part}" for part in _OUTCOME if f"outcome.{part}" in named
    }
    reached = {c.removeprefix("reached."): c for c in leads if c.startswith("reached.")}
    return ColumnMapping(
        id="id",
        name="field paths",
        columns=tuple(Column(header=c, field=c) for c in leads if c in fields and c != "id"),
        touch_table=None
        if touches is None
        else TouchTable(detail="detail" if "detail" in touches else None),
        outcome=OutcomeColumns(**outcome, reached=reached) if outcome or reached else None,
    )


def prepared(
    leads: DataFrame, mapping: ColumnMapping | None, touches: DataFrame | None
) -> tuple[DataFrame, ColumnMapping, list[str]]:
    """The leads with their touches nested (`TOUCHES`), the mapping, and the leads' names.

    The columns are renamed to plain positional names (``_lp0``, ...) for the trip through
    Spark's Python workers, which cannot resolve names holding dots; the executors give
    each batch its real names back (`read_batch`), and `named` renames the result.

    Raises:
        ValidationError: the id column or a touch column is missing, or touches come
            with a mapping that names no touch table.
    """
    names = list(leads.columns)
    if mapping is None:
        mapping = canonical_mapping(names, None if touches is None else touches.columns)
    if mapping.id not in names:
        raise ValidationError.at("mapping.id", f"the leads have no column {mapping.id!r}")
    plain = leads.toDF(*(f"_lp{i}" for i in range(len(names))))
    key = f"_lp{names.index(mapping.id)}"
    # a repeated id: every row after the first in the source's order is refused, as the
    # local import refuses it (the order is taken before any shuffle)
    first = Window.partitionBy(key).orderBy(_ORDER)
    plain = (
        plain.withColumn(_ORDER, F.monotonically_increasing_id())
        .withColumn(REPEATED, F.row_number().over(first) > 1)
        .drop(_ORDER)
    )
    if touches is None:
        return plain, mapping, names
    table = mapping.touch_table
    if table is None:
        raise ValidationError.at("mapping.touch_table", "touches given, but no touch table mapped")
    parts = [table.at, table.kind, *([table.detail] if table.detail else [])]
    for name in (table.lead_id, *parts):
        if name not in touches.columns:
            raise ValidationError.at("touches", f"the touches have no column {name!r}")
    nested = touches.groupBy(col(table.lead_id).alias(_ID)).agg(
        F.collect_list(F.struct(*(col(p) for p in parts))).alias(TOUCHES)
    )
    return plain.join(nested, plain[key] == nested[_ID], "left").drop(_ID), mapping, names


def schema_with(
    leads: DataFrame | None, added: list[tuple[str, DataType]], *, nullable: bool = True
) -> StructType:
    """The leads' own schema (or none) then the added columns, under positional names."""
    own = list(leads.schema.fields) if leads is not None else []
    plain = [StructField(f"_lp{i}", f.dataType, f.nullable) for i, f in enumerate(own)]
    more = [StructField(f"_lp{len(own) + i}", kind, nullable) for i, (_, kind) in enumerate(added)]
    return StructType([*plain, *more])


def named(result: DataFrame, names: list[str], added: list[tuple[str, DataType]]) -> DataFrame:
    """The result of `schema_with` under its real names again."""
    return result.toDF(*names, *(name for name, _ in added))


def when(now: datetime | str, leads: DataFrame) -> datetime | str:
    """`now` checked: an aware instant, or the name of a timestamp column of the leads.

    Raises:
        ValidationError: a naive instant, or a column the leads do not have.
    """
    if isinstance(now, datetime):
        require_aware("now", now)
    elif now not in leads.columns:
        raise ValidationError.at("now", f"the leads have no column {now!r}")
    return now


def local_session(cores: int = 2, **conf: str) -> SparkSession:
    """A local Spark session whose Python workers run this interpreter.

    For notebooks, tests and benchmarks: ``local[cores]``, no web UI, few shuffle
    partitions; `conf` adds settings (dots as underscores are not translated: pass a
    dict with ``**{"spark.driver.memory": "4g"}``).
    """
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("leadpipeline")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
