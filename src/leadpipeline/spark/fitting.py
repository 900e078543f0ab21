"""Fitting the naive Bayes win model on a cluster: counts in Spark, the model on the driver.

Why: the model is plain counts, so fitting is counting. Each row's history is labelled
(passed or stopped per stage) on an executor; Spark sums the counts; the driver builds
the same `PredictiveModel` `fit_predictive` builds, which saves as JSON for a service.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from functools import partial

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812  # the name every Spark user reads

from leadpipeline.analytics.predictive import FieldSpec, PredictiveModel, _specs, model_of_counts
from leadpipeline.errors import ValidationError
from leadpipeline.frames import ColumnMapping
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.spark._partitions import model_counts
from leadpipeline.spark._plan import prepared

__all__ = ["fit_predictive"]


def fit_predictive(
    leads: DataFrame,
    fields: Sequence[str | FieldSpec],
    *,
    mapping: ColumnMapping | None = None,
    touches: DataFrame | None = None,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    bins: Mapping[str, Sequence[float]] | None = None,
    stages: Sequence[str] | None = None,
    alpha: float = 1.0,
) -> PredictiveModel:
    """`leadpipeline.analytics.fit_predictive` of the rows' histories, counted in Spark.

    The histories are those `LeadFrame.to_histories(playbook)` builds; the waterfall is
    the playbook's lifecycle's unless `stages` replaces it.

    Raises:
        ValidationError: fewer than two stages, a field or bin the model refuses, a
            missing id column.
    """
    order = tuple(stages) if stages is not None else playbook.lifecycle.waterfall
    if len(order) < 2:
        path = "stages" if stages is not None else "playbook.lifecycle"
        raise ValidationError.at(path, "a waterfall needs at least two stages")
    specs = _specs(fields, bins or {})
    plan, mapping, names = prepared(leads, mapping, touches)
    work = partial(
        model_counts, mapping=mapping, names=names, playbook=playbook, specs=specs, order=order
    )
    rows = (
        plan.run(work, "stage string, path string, value string, passed boolean, n long")
        .groupBy("stage", "path", "value", "passed")
        .agg(F.sum("n").alias("n"))
        .collect()
    )
    count = 0
    passed: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    values: dict[tuple[str, str], Counter[tuple[str, bool]]] = defaultdict(Counter)
    for r in rows:
        n = int(r["n"])
        if r["stage"] is None:
            count += n
        elif r["path"] is None:
            (passed if r["passed"] else stopped)[r["stage"]] += n
        else:
            values[(r["stage"], r["path"])][(r["value"], bool(r["passed"]))] += n
    return model_of_counts(specs, order, passed, stopped, values, alpha=alpha, leads=count)
