"""Tabular data in and out: column mappings, readers, columnar scoring, frames.

The optional extra ``frames`` (``pip install leadpipeline[frames]``: numpy and pyarrow).
"""

from leadpipeline.frames.frame import Imported, LeadFrame
from leadpipeline.frames.mapping import (
    DEFAULT_MISSING,
    Column,
    ColumnMapping,
    OutcomeColumns,
    TouchColumn,
    TouchTable,
    Unmapped,
    load_mapping,
)
from leadpipeline.frames.reading import read_arrow, read_csv, read_pandas, read_records, stream_csv
from leadpipeline.frames.refusals import RowRefusal, RowsRefusedError

__all__ = [
    "DEFAULT_MISSING",
    "Column",
    "ColumnMapping",
    "Imported",
    "LeadFrame",
    "OutcomeColumns",
    "RowRefusal",
    "RowsRefusedError",
    "TouchColumn",
    "TouchTable",
    "Unmapped",
    "load_mapping",
    "read_arrow",
    "read_csv",
    "read_pandas",
    "read_records",
    "stream_csv",
]
