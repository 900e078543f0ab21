"""Tabular data in and out: column mappings, readers, columnar scoring and frames.

The optional extra ``frames`` (``pip install leadpipeline[frames]``: numpy and pyarrow);
the core never imports this package. Data enters through one door: a `ColumnMapping`
(a plain value, loadable from TOML) says which column feeds which lead field; the
readers (`read_csv`, `stream_csv`, `read_records`, `read_pandas`, `read_arrow`) check
every cell at once and return a `LeadFrame` of accepted rows, with every refused row
reported by row, column and field path. A frame gives `Lead` values or histories on
request, or is scored as it is: `score_frame` computes on columns the totals
`score_totals` gives, and `threshold_sweep` takes its result. `to_table` and `to_frame`
turn values (leads, score cards, assessments, histories, SLA deadlines and breaches) and
analytics results into Arrow tables or pandas DataFrames.

The modules: `mapping` (the mapping values), `reading` (the readers), `frame` (what they
return), `refusals`, `scoring` (`score_frame`), `tables` (`to_table`, `to_frame`).
"""

import importlib.util

INSTALL_HINT = "leadpipeline.frames needs numpy and pyarrow: pip install leadpipeline[frames]"
"""The message of the ImportError raised when the extra is not installed."""

for _name in ("numpy", "pyarrow"):
    if importlib.util.find_spec(_name) is None:
        raise ImportError(INSTALL_HINT, name=_name)

from leadpipeline.frames.frame import Imported, LeadFrame  # noqa: E402  # after the check above
from leadpipeline.frames.mapping import (  # noqa: E402
    DEFAULT_MISSING,
    Column,
    ColumnMapping,
    OutcomeColumns,
    TouchColumn,
    TouchCount,
    TouchTable,
    Unmapped,
    load_mapping,
)
from leadpipeline.frames.reading import (  # noqa: E402
    read_arrow,
    read_csv,
    read_pandas,
    read_records,
    stream_csv,
)
from leadpipeline.frames.refusals import RowRefusal, RowsRefusedError  # noqa: E402
from leadpipeline.frames.scoring import FrameScores, score_frame, what_if_frame  # noqa: E402
from leadpipeline.frames.tables import lead_frame, to_frame, to_table  # noqa: E402

__all__ = [
    "DEFAULT_MISSING",
    "INSTALL_HINT",
    "Column",
    "ColumnMapping",
    "FrameScores",
    "Imported",
    "LeadFrame",
    "OutcomeColumns",
    "RowRefusal",
    "RowsRefusedError",
    "TouchColumn",
    "TouchCount",
    "TouchTable",
    "Unmapped",
    "lead_frame",
    "load_mapping",
    "read_arrow",
    "read_csv",
    "read_pandas",
    "read_records",
    "score_frame",
    "stream_csv",
    "to_frame",
    "to_table",
    "what_if_frame",
]
