"""The candidate rules a fit chooses from, and the matrix of what each did on each lead.

Why: a learned rule must mean on a lead exactly what it meant while fitting. So the
candidates are ordinary rules worth one point (a field value, a band, an unknown value;
touches of a kind, capped, under a decay from the grid), and the matrix is what
`score_frame` says each of them gives each lead. The fit then only sets their points.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.analytics.learned.values import SparseValue
from leadpipeline.analytics.predictive import FieldSpec
from leadpipeline.errors import ValidationError
from leadpipeline.lead import InteractionKind
from leadpipeline.rules.scoring import (
    Decay,
    EngagementRule,
    Equals,
    FitRule,
    HalfLife,
    InRange,
    Missing,
    field_kind,
)

__all__ = ["COUNT_CAPS", "Candidates", "decay_name", "engagement_candidates", "fit_candidates"]

COUNT_CAPS = (1, 3, 10, 30)
"""Touch counts at which the engagement candidates of one kind are capped: together they
bend a kind's points into a curve (the first touches may count more than the thirtieth)."""

_WARNINGS_PER_FIELD = 10


@attrs.frozen(kw_only=True)
class Candidates:
    """Fit candidates with the field and value each stands for, and the rare values."""

    rules: tuple[FitRule, ...]
    sparse: tuple[SparseValue, ...]


def decay_name(decay: Decay | None) -> str:
    """A decay as a few words for rule names and the report.

    Example:
        >>> decay_name(HalfLife(days=30)), decay_name(None)
        ('half-life 30 days', 'none')
    """
    if decay is None:
        return "none"
    if isinstance(decay, HalfLife):
        return f"half-life {decay.days:g} days"
    return f"x{decay.factor:g} every {decay.months}m {decay.weeks}w {decay.days}d"


def _texts(column: pa.Array, kind: str) -> list[list[str]]:
    """Each row's texts, trimmed, blank ones dropped (a list field gives several)."""
    values: list[Any] = column.to_pylist()
    if kind == "texts":
        return [[t.strip() for t in v or () if t and t.strip()] for v in values]
    return [[v.strip()] if isinstance(v, str) and v.strip() else [] for v in values]


def _text_candidates(
    path: str, column: pa.Array, kind: str, min_leads: int
) -> tuple[list[FitRule], list[SparseValue]]:
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    rows = _texts(column, kind)
    for texts in rows:
        for key in {t.casefold() for t in texts}:
            counts[key] += 1
        for t in texts:
            spelling.setdefault(t.casefold(), t)
    rules = [
        FitRule(
            name=f"{path} = {spelling[key]}",
            field=path,
            match=Equals(value=spelling[key]),
            points=1,
        )
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= min_leads
    ]
    rare = sorted(((n, key) for key, n in counts.items() if n < min_leads), reverse=True)
    sparse = [
        SparseValue(field=path, value=spelling[key], leads=n)
        for n, key in rare[:_WARNINGS_PER_FIELD]
    ]
    unknown = sum(1 for texts in rows if not texts)
    rules += _unknown(path, unknown, min_leads)
    return rules, sparse


def _unknown(path: str, unknown: int, min_leads: int) -> list[FitRule]:
    if unknown < min_leads:
        return []
    return [FitRule(name=f"{path} unknown", field=path, match=Missing(), points=1)]


def _number(value: float) -> str:
    """A number as short as it reads, but never so short that two edges look alike.

    Example:
        >>> _number(200.0), _number(1234567.0), _number(0.1)
        ('200', '1234567', '0.1')
    """
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value)).removesuffix(".0")


def _number_candidates(
    spec: FieldSpec, column: pa.Array, bands: int, min_leads: int
) -> list[FitRule]:
    values = np.asarray(
        pc.fill_null(pc.cast(column, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    )
    known = values[~np.isnan(values)]
    if spec.edges:
        edges = list(spec.edges)
    elif len(known):
        cuts = np.quantile(known, [i / bands for i in range(1, bands)])
        edges = sorted({float(c) for c in cuts if c > known.min()})
    else:
        edges = []
    rules = []
    for edge in edges:
        if min_leads <= int((known >= edge).sum()) <= len(known) - min_leads:
            rules.append(
                FitRule(
                    name=f"{spec.path} >= {_number(edge)}",
                    field=spec.path,
                    match=InRange(at_least=edge),
                    points=1,
                )
            )
    return rules + _unknown(spec.path, int(np.isnan(values).sum()), min_leads)


def fit_candidates(
    leads: pa.Table, specs: Sequence[FieldSpec], rows: np.ndarray, *, bands: int, min_leads: int
) -> Candidates:
    """One candidate per value seen in `min_leads` training rows, per band, per unknown.

    `rows` is a boolean mask of the training rows of `leads`.

    A text field gets a rule per value (case-insensitive, as `Equals` tests), a number
    field a rule per band edge ("at least"), so the bands' points add up as a number
    rises; either gets a rule for the value being unknown.

    Raises:
        ValidationError: a field with no column in the frame, or one holding dates.
    """
    rules: list[FitRule] = []
    sparse: list[SparseValue] = []
    chosen = pa.array(rows)
    for i, spec in enumerate(specs):
        if spec.path not in leads.column_names:
            raise ValidationError.at(f"features[{i}]", f"the frame has no column {spec.path!r}")
        column = leads.column(spec.path).combine_chunks().filter(chosen)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        kind = field_kind(spec.path)
        if kind == "number":
            rules += _number_candidates(spec, column, bands, min_leads)
        elif kind in ("text", "texts"):
            found, rare = _text_candidates(spec.path, column, kind, min_leads)
            rules += found
            sparse += rare
        else:
            raise ValidationError.at(f"features[{i}]", f"cannot learn from {kind} values")
    return Candidates(rules=tuple(rules), sparse=tuple(sparse))


def engagement_candidates(
    touches: pa.Table, rows: np.ndarray, decays: Sequence[Decay | None], min_leads: int
) -> dict[str, list[EngagementRule]]:
    """Per decay of the grid, the capped touch rules of every kind enough leads have.

    `rows` marks the training rows, as in `fit_candidates`.

    Each kind gets one rule per cap of `COUNT_CAPS` (one point a touch), so its points can
    follow a curve; the fit keeps the caps that matter.
    """
    if not touches.num_rows:
        return {decay_name(d): [] for d in decays}
    lead = np.asarray(touches.column("lead").to_numpy())
    kinds = touches.column("kind").combine_chunks()
    if pa.types.is_dictionary(kinds.type):
        kinds = kinds.dictionary_decode()
    kind_of = np.asarray(kinds.to_numpy(zero_copy_only=False))
    training = np.asarray(rows, dtype=bool)
    found = []
    for kind in InteractionKind:
        touched = np.unique(lead[(kind_of == kind.value) & training[lead]])
        if len(touched) >= min_leads:
            found.append(kind)
    return {
        decay_name(decay): [
            EngagementRule(
                name=f"{kind.value} x{cap} ({decay_name(decay)})",
                kind=kind,
                points=1,
                cap=cap,
                decay=decay,
            )
            for kind in found
            for cap in COUNT_CAPS
        ]
        for decay in decays
    }
