"""Assessment in bulk: which leads meet a qualification definition now, and what each misses.

Why: a nightly job hands over every lead that became an MQL since yesterday; the ones that
did not need the missed criteria to act on (ask for the purchase timing, nurture). Each
lead is built and assessed with `assess` on an executor, exactly as one lead is alone.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pyspark.sql import DataFrame
from pyspark.sql.types import ArrayType, BooleanType, DoubleType, StringType

from leadpipeline._checks import require_aware
from leadpipeline.frames import ColumnMapping
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.qualification import Definition
from leadpipeline.spark._partitions import assessed
from leadpipeline.spark._plan import named, prepared, schema_with

__all__ = ["assess_leads"]


def assess_leads(
    leads: DataFrame,
    *,
    now: datetime,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    definition: Definition | None = None,
) -> DataFrame:
    """The leads with ``qualified``, ``missed`` (criteria as text), ``score`` and ``refused``.

    The definition is the playbook's MQL unless another is given; scores come from the
    playbook's scoring model at `now`. A lead whose stage is the MQL stage is assessed as
    already in it (score thresholds use their exit value), as the pipeline does.

    Raises:
        ValidationError: a naive `now`, a missing id or touch column.
    """
    require_aware("now", now)
    plan, mapping, names = prepared(leads, mapping, touches)
    added = [
        ("qualified", BooleanType()),
        ("missed", ArrayType(StringType())),
        ("score", DoubleType()),
        ("refused", StringType()),
    ]
    work = partial(
        assessed,
        mapping=mapping,
        names=names,
        playbook=playbook,
        definition=definition if definition is not None else playbook.mql,
        now=now,
    )
    return named(plan.run(work, schema_with(leads, added)), names, added)
