"""The driver's share of every job: the mapping, the groups of leads and touches, the schema.

Why: a long touch table and a lead table meet where Spark puts them. Both are hashed by
lead id into groups (one shuffle per table, sorted on a small integer) and cogrouped, so
each group an executor reads holds every row of its ids and all their touches; a window
over the id and a join of touches nested per lead in the JVM cost about four times as much.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import pyarrow as pa
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  # the name every Spark user reads
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import DataType, StructField, StructType

from leadpipeline._checks import require_aware
from leadpipeline.errors import ValidationError
from leadpipeline.frames import Column, ColumnMapping, OutcomeColumns, TouchTable
from leadpipeline.frames._fields import lead_fields
from leadpipeline.spark._groups import in_group
from leadpipeline.spark._partitions import ORDER

__all__ = [
    "Prepared",
    "canonical_mapping",
    "col",
    "local_session",
    "named",
    "prepared",
    "schema_with",
    "when",
]

_OUTCOME = ("result", "closed_at", "revenue", "reason", "stage")
_GROUP = "__leadpipeline_group"
_PER_PARTITION = 8


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


class Prepared:
    """The leads (and touches) of a job, grouped so each lead meets its touches and repeats.

    `run` hands each group to a function of Arrow batches (see `_partitions`); `mapping`
    is the mapping the executors read with, `names` the leads' real column names.
    """

    def __init__(
        self,
        leads: DataFrame,
        touches: DataFrame | None,
        mapping: ColumnMapping,
        names: list[str],
        touch_names: list[str],
    ) -> None:
        self.leads = leads
        self.touches = touches
        self.mapping = mapping
        self.names = names
        self.touch_names = touch_names

    def run(self, work: Callable[..., Any], schema: StructType | str) -> DataFrame:
        """`work` (batches in, batches out) on every group; its output as one DataFrame."""
        struct = StructType.fromDDL(schema) if isinstance(schema, str) else schema
        assert isinstance(struct, StructType)  # a row of columns, as every caller declares
        grouped = partial(
            in_group,
            work=work,
            width=len(self.names),
            key=self.names.index(self.mapping.id),
            touch_names=self.touch_names,
            schema=to_arrow_schema(struct, timezone="UTC"),
        )
        leads = self.leads.groupBy(_GROUP)
        if self.touches is None:

            def alone(group: pa.Table) -> pa.Table:  # typed: Spark reads the hints
                return grouped(group)

            return leads.applyInArrow(alone, struct)

        def together(group: pa.Table, touches: pa.Table) -> pa.Table:
            return grouped(group, touches)

        return leads.cogroup(self.touches.groupBy(_GROUP)).applyInArrow(together, struct)


def _groups(session: SparkSession) -> int:
    """How many groups the leads are hashed into: a few per shuffle partition."""
    partitions = session.conf.get("spark.sql.shuffle.partitions") or "200"
    return max(1, _PER_PARTITION * int(partitions))


def prepared(
    leads: DataFrame, mapping: ColumnMapping | None, touches: DataFrame | None
) -> tuple[Prepared, ColumnMapping, list[str]]:
    """The leads hashed into groups by id with their touches, the mapping, the leads' names.

    One shuffle per table brings every row of an id and every touch of it into one group
    (a hash of the id); each group's leads are numbered in the source's order before the
    shuffle, so a repeated id is refused on every row after its first (`in_group`). The
    columns are renamed to plain positional names (``_lp0``, ...) for the trip through
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
    groups = _groups(leads.sparkSession)
    id_field = leads.schema.fields[names.index(mapping.id)]
    plain = leads.toDF(*(f"_lp{i}" for i in range(len(names)))).select(
        "*",
        F.monotonically_increasing_id().alias(ORDER),  # the source's order, before any shuffle
        F.pmod(F.xxhash64(F.col(f"_lp{names.index(mapping.id)}")), F.lit(groups)).alias(_GROUP),
    )
    if touches is None:
        return Prepared(plain, None, mapping, names, []), mapping, names
    table = mapping.touch_table
    if table is None:
        raise ValidationError.at("mapping.touch_table", "touches given, but no touch table mapped")
    parts = [table.at, table.kind, *([table.detail] if table.detail else [])]
    for name in (table.lead_id, *parts):
        if name not in touches.columns:
            raise ValidationError.at("touches", f"the touches have no column {name!r}")
    key = col(table.lead_id)
    if touches.schema[table.lead_id].dataType != id_field.dataType:
        key = key.cast(id_field.dataType)  # equal ids hash alike, as a join compares them
    flat = touches.select(
        key.alias("_lt"),
        *(col(p).alias(f"_lt{i}") for i, p in enumerate(parts)),
    ).select("*", F.pmod(F.xxhash64(F.col("_lt")), F.lit(groups)).alias(_GROUP))
    return Prepared(plain, flat, mapping, names, parts), mapping, names


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

    PySpark starts its Python workers with ``PYSPARK_PYTHON`` (else whatever ``python3``
    the ``PATH`` finds, which outside an activated virtual environment lacks the
    library), not with the ``spark.pyspark.python`` setting; so when it is unset, this
    sets it to the running interpreter for this process.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
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
