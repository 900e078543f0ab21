"""Scoring, back-tests, model fitting and assessment on Apache Spark.

The optional extra ``spark`` (``pip install leadpipeline[spark]``: pyspark, with the
frames extra). Each function takes Spark DataFrames as an export holds them and a
`leadpipeline.frames.ColumnMapping` (or columns named by field path), and runs the
library's own columnar door and scorer group by group on the executors through Arrow
(`applyInArrow` on the leads hashed by id, cogrouped with their touches), on Spark's
scheduling. Results equal the single-machine ones on the same rows: `score_leads` and
`assess_leads` return DataFrames; `threshold_sweep`, `what_if`, `waterfall`,
`source_attribution` and `fit_predictive` return the frozen values the local functions
return, from counts aggregated in Spark (the driver never collects rows).

The modules: `scoring`, `backtests`, `fitting`, `assessment`; `local_session` starts a
local session whose workers run this interpreter. See docs/spark.md.
"""

import importlib.util

INSTALL_HINT = "leadpipeline.spark needs pyspark: pip install leadpipeline[spark]"
"""The message of the ImportError raised when the extra is not installed."""

for _name in ("pyspark", "numpy", "pyarrow"):
    if importlib.util.find_spec(_name) is None:
        raise ImportError(INSTALL_HINT, name=_name)

from leadpipeline.spark._plan import canonical_mapping, local_session  # noqa: E402
from leadpipeline.spark.assessment import assess_leads  # noqa: E402
from leadpipeline.spark.backtests import (  # noqa: E402
    source_attribution,
    threshold_sweep,
    waterfall,
    what_if,
)
from leadpipeline.spark.fitting import fit_predictive  # noqa: E402
from leadpipeline.spark.scoring import score_leads  # noqa: E402

__all__ = [
    "INSTALL_HINT",
    "assess_leads",
    "canonical_mapping",
    "fit_predictive",
    "local_session",
    "score_leads",
    "source_attribution",
    "threshold_sweep",
    "waterfall",
    "what_if",
]
