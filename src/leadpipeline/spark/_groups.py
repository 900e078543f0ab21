"""What an executor does with one group before it reads it: repeats flagged, touches nested.

Why: the leads and touches arrive hashed by id into groups (a shuffle per table, see
`_plan.prepared`), so every row of an id and every touch of it meet in one group. Here,
in Arrow and numpy alone (no Spark import), each group becomes the one batch the
functions of `_partitions` read: what a window over the id and a join of touches grouped
per lead would give, without the JVM building either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.spark._partitions import ORDER, REPEATED, TOUCHES

__all__ = ["in_group"]


def _repeated(ids: pa.ChunkedArray | pa.Array, order: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """True on each row whose id a row earlier in the source's order gave (nulls are one id)."""
    n = len(ids)
    repeated = np.zeros(n, dtype=bool)
    if n < 2:
        return repeated
    keys = pa.table({"id": ids, "order": order})
    sort = pc.sort_indices(keys, sort_keys=[("id", "ascending"), ("order", "ascending")])
    ranked = pc.take(ids, sort)
    if isinstance(ranked, pa.ChunkedArray):
        ranked = ranked.combine_chunks()
    before, after = ranked[:-1], ranked[1:]
    both_null = pc.and_(pc.is_null(before), pc.is_null(after))
    same = pc.fill_null(pc.or_kleene(pc.equal(before, after), both_null), False)
    later = np.asarray(sort.to_numpy(zero_copy_only=False))[1:]
    repeated[later[np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)]] = True
    return repeated


def _nested(
    ids: pa.Array, repeated: np.ndarray, touches: pa.Table, names: Sequence[str]
) -> pa.ListArray:
    """Each lead row's touches as one list (what a join of touches grouped per id gives).

    `touches` holds the lead key first, then the touch columns `names` name. A touch goes
    to the first row of its id; a touch of no lead in the group is left out, as the join
    leaves it out.
    """
    firsts = np.flatnonzero(~repeated)
    found = pc.index_in(touches.column(0), value_set=ids.take(pa.array(firsts)), skip_nulls=True)
    matched = pc.is_valid(found)
    parents = firsts[np.asarray(pc.drop_null(found).to_numpy(zero_copy_only=False))]
    order = np.argsort(parents, kind="stable")
    taken = touches.filter(matched).take(pa.array(order))
    counts = np.bincount(parents, minlength=len(ids))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    fields = [taken.column(i + 1).combine_chunks() for i in range(len(names))]
    flat = pa.StructArray.from_arrays(fields, names=list(names))
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def in_group(
    leads: pa.Table,
    touches: pa.Table | None = None,
    *,
    work: Callable[[Iterable[pa.RecordBatch]], Iterator[pa.RecordBatch]],
    width: int,
    key: int,
    touch_names: Sequence[str],
    schema: pa.Schema,
) -> pa.Table:
    """One group of leads (and their touches) as the one batch `work` reads.

    `leads` holds the leads' `width` columns, then `ORDER` (and the group key); `key`
    is the position of the id. Rows repeating an id are flagged `REPEATED` here, where
    every row of an id meets (the group is a hash of the id), and the touches are nested
    per lead (`TOUCHES`), so `read_batch` reads what a window and a join would give.
    """
    if leads.num_rows == 0:
        return schema.empty_table()
    ids = leads.column(key).combine_chunks()
    repeated = _repeated(ids, leads.column(ORDER))
    columns = [leads.column(i) for i in range(width)]
    labels = [leads.column_names[i] for i in range(width)]
    columns.append(pa.chunked_array([pa.array(repeated)]))
    labels.append(REPEATED)
    if touches is not None:
        columns.append(pa.chunked_array([_nested(ids, repeated, touches, touch_names)]))
        labels.append(TOUCHES)
    batch = pa.table(columns, names=labels).combine_chunks().to_batches()
    out = list(work(batch[:1] if batch else []))
    return pa.Table.from_batches(out) if out else schema.empty_table()
