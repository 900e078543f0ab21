"""Columnar scoring: a model applied to whole columns, with the totals `score_totals` gives.

Why: a back-test over a million leads needs totals, not `Lead` values; building the
values costs far more than the arithmetic. `score_frame` is a pure function of columns
(an Arrow table or a mapping of arrays), the touches as a long table, a model and `now`,
so it runs as well in a notebook as inside a Spark partition. Its totals equal
`score_totals` on the leads the same rows make, to the last bit but for the rounding of
a power (a property test holds it to 1e-9); see docs/frames.md for the one case where
a column cannot carry what a lead can (a touch's own time zone, for calendar-month decay).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline._checks import require_aware
from leadpipeline.analytics.what_if import WhatIf, compare, policy_of
from leadpipeline.errors import ValidationError
from leadpipeline.frames._engagement import engagement_points
from leadpipeline.frames._fit import Columns, rule_mask
from leadpipeline.frames.frame import LeadFrame
from leadpipeline.lead import InteractionKind
from leadpipeline.playbook import Playbook
from leadpipeline.rules.scoring import GENERAL_GROUP, FitRule, NegativeRule, ScoringModel

__all__ = ["FrameScores", "score_frame", "what_if_frame"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_KINDS = frozenset(k.value for k in InteractionKind)


@attrs.frozen(kw_only=True, eq=False)
class FrameScores:
    """A model's scores of a frame's leads, as columns in the leads' order.

    `totals`, `fit` (fit and negative rules) and `engagement` (after each rule's cap) are
    what each lead's `ScoreCard` says; `groups` holds each group's capped points and
    `rules`, when asked for, each rule's contribution (0 where it did not fire). `won` is
    the outcome column (won or not) when the frame has one: with it, `threshold_sweep`
    and `suggest_threshold` take these scores as they are.
    """

    model: str
    lead_ids: pa.Array
    totals: np.ndarray
    fit: np.ndarray
    engagement: np.ndarray
    grades: pa.Array
    groups: tuple[tuple[str, np.ndarray], ...]
    rules: tuple[tuple[str, np.ndarray], ...] = ()
    won: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.totals)

    def pairs(self) -> list[tuple[float, bool]]:
        """``(score, won)`` per lead, the plain input of `threshold_sweep`.

        Raises:
            ValidationError: the frame had no outcome column.
        """
        if self.won is None:
            raise ValidationError.at("won", "the frame has no outcome column (outcome.result)")
        return list(zip(self.totals.tolist(), self.won.tolist(), strict=True))

    def to_table(self) -> pa.Table:
        """One row per lead: id, scores, grade, ``group.<name>``, ``rule.<name>``, ``won``."""
        columns: dict[str, Any] = {
            "lead_id": self.lead_ids,
            "total": self.totals,
            "fit": self.fit,
            "engagement": self.engagement,
            "grade": self.grades,
        }
        columns |= {f"group.{name}": values for name, values in self.groups}
        columns |= {f"rule.{name}": values for name, values in self.rules}
        if self.won is not None:
            columns["won"] = self.won
        return pa.table(columns)


def _as_array(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(values, from_pandas=True)


def _columns_of(table: Any) -> dict[str, pa.Array]:
    if isinstance(table, pa.Table | pa.RecordBatch):
        return {name: _as_array(table.column(name)) for name in table.column_names}
    if isinstance(table, Mapping):
        return {str(name): _as_array(values) for name, values in table.items()}
    raise ValidationError.at(
        "leads", f"expected an Arrow table or a mapping of columns, got {type(table).__name__}"
    )


def _micros(at: pa.Array, where: str) -> np.ndarray:
    """Instants as microseconds since the epoch (UTC); naive instants are refused."""
    if not pa.types.is_timestamp(at.type):
        raise ValidationError.at(where, f"expected timestamps with a time zone, got {at.type}")
    if at.type.tz is None:
        raise ValidationError.at(where, "naive timestamps refused: give them a time zone")
    if at.null_count:
        raise ValidationError.at(where, "a touch without a time")
    if at.type.unit != "us":
        at = pc.cast(at, pa.timestamp("us", tz="UTC"))
    return np.asarray(at.view(pa.int64()).to_numpy())  # the zone names no offset: UTC inside


def _now_micros(now: Any, n: int) -> int | np.ndarray:
    if isinstance(now, datetime):
        require_aware("now", now)
        return (now - _EPOCH) // _US
    values = _as_array(now) if not isinstance(now, np.ndarray) else pa.array(now)
    if (
        pa.types.is_timestamp(values.type)
        and values.type.tz is None
        and isinstance(now, np.ndarray)
    ):
        values = values.cast(pa.timestamp(values.type.unit, tz="UTC"))  # numpy has no zones: UTC
    if len(values) != n:
        raise ValidationError.at("now", f"expected one instant per lead ({n}), got {len(values)}")
    if values.null_count:
        raise ValidationError.at("now", "every lead needs an instant")
    return _micros(values, "now")


def _touch_arrays(
    touches: Any, ids: pa.Array | None, n: int
) -> tuple[np.ndarray, np.ndarray, dict[str, int], np.ndarray]:
    """The touch table as lead rows, kind codes (with their names) and microseconds."""
    columns = _columns_of(touches)
    if "lead" in columns:
        rows = columns["lead"]
        if rows.type not in {pa.int32(), pa.int64()}:
            rows = pc.cast(rows, pa.int64())
        lead = np.asarray(rows.to_numpy(zero_copy_only=False))
    elif "lead_id" in columns and ids is not None:
        found = pc.index_in(columns["lead_id"], value_set=ids)
        if found.null_count:
            missing = columns["lead_id"].filter(pc.is_null(found))[0].as_py()
            raise ValidationError.at("touches.lead_id", f"no lead with id {missing!r}")
        lead = np.asarray(found.to_numpy(zero_copy_only=False)).astype(np.int64)
    else:
        raise ValidationError.at("touches", "expected a lead column (row) or lead_id (with ids)")
    if len(lead) and (lead.min() < 0 or lead.max() >= n):
        raise ValidationError.at("touches.lead", f"a row outside the {n} leads")
    kind = columns["kind"]
    encoded = kind if pa.types.is_dictionary(kind.type) else pc.dictionary_encode(kind)
    assert isinstance(encoded, pa.DictionaryArray)
    names = [str(v) for v in encoded.dictionary.to_pylist()]
    for name in names:
        if name not in _KINDS:
            raise ValidationError.at("touches.kind", f"unknown interaction kind {name!r}")
    if encoded.indices.null_count:
        raise ValidationError.at("touches.kind", "a touch without a kind")
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    return (
        lead,
        codes,
        {name: i for i, name in enumerate(names)},
        _micros(columns["at"], "touches.at"),
    )


def _grades(model: ScoringModel, fit: np.ndarray) -> pa.Array:
    """`ScoringModel.grade_for` on a column: the best band whose minimum the fit reaches."""
    grades = np.full(len(fit), len(model.grade_bands), dtype=np.int32)
    for i in reversed(range(len(model.grade_bands))):
        grades[fit >= model.grade_bands[i].min_fit] = i
    return pa.DictionaryArray.from_arrays(pa.array(grades), pa.array(list(model.grades)))


def _fit_points(
    table: Columns, model: ScoringModel, index: dict[str, int], *, want_rules: bool
) -> tuple[np.ndarray, list[np.ndarray], list[tuple[str, np.ndarray]]]:
    """The fit and negative rules: the fit, each group's fit points, and each rule's share."""
    n = table.n
    groups = [np.zeros(n) for _ in index]
    fit = np.zeros(n)
    per_rule: list[tuple[str, np.ndarray]] = []
    fit_rules: tuple[FitRule | NegativeRule, ...] = (*model.fit, *model.negative)
    one_group = len({rule.group for rule in fit_rules}) == 1
    for i, rule in enumerate(fit_rules):
        where = f"fit[{i}]" if i < len(model.fit) else f"negative[{i - len(model.fit)}]"
        mask = rule_mask(table, rule.field, rule.match, where)
        points = float(rule.points) if isinstance(rule, FitRule) else -float(rule.penalty)
        np.add(fit, points, out=fit, where=mask)
        if not one_group:
            group = groups[index[rule.group]]
            np.add(group, points, out=group, where=mask)
        if want_rules:
            per_rule.append((rule.name, np.where(mask, points, 0.0)))
    if one_group and fit_rules:  # the group's fit points are the fit, added alike
        groups[index[fit_rules[0].group]] = fit.copy()
    return fit, groups, per_rule


def score_frame(
    leads: LeadFrame | pa.Table | Mapping[str, Any],
    model: ScoringModel,
    *,
    now: datetime | Sequence[datetime] | pa.Array | np.ndarray,
    touches: pa.Table | Mapping[str, Any] | None = None,
    rules: bool = False,
) -> FrameScores:
    """Score every lead of a frame on its columns, without building `Lead` values.

    `leads` has one column per lead field read by the model, named by its path
    (``company.employees``), and ``id``; a field without a column holds what a lead
    built without it holds. `touches` is the long table: ``lead`` (the lead's row) or
    ``lead_id``, ``kind`` and ``at`` (timestamps with a zone); a `LeadFrame` brings its
    own. `now` is one instant, or one per lead (for a back-test "as the decision saw
    it"). With `rules`, each rule's contribution comes back as a column too.

    Raises:
        ValidationError: a naive `now` or touch time, an unknown kind, a touch of no
            lead, or a rule reading a required field the frame lacks.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> table = pa.table({"id": ["L-1", "L-2"], "source.channel": ["exhibition", "web"],
        ...                   "company.employees": [800, None]})
        >>> score_frame(table, DEFAULT_SCORING_MODEL, now=now).totals.tolist()
        [20.0, 0.0]
    """
    if isinstance(leads, LeadFrame):
        touches = leads.touches if touches is None else touches
        leads = leads.leads
    columns = _columns_of(leads)
    n = len(next(iter(columns.values()))) if columns else 0
    ids = columns.get("id")
    now_us = _now_micros(now, n)
    if touches is not None:
        lead, kinds, codes, at = _touch_arrays(touches, ids, n)
    else:
        lead = kinds = at = np.zeros(0, dtype=np.int64)
        codes = {}
    table = Columns(columns, n, lead)

    declared = {g.name: g.cap for g in model.groups}
    names = (GENERAL_GROUP, *(g.name for g in model.groups if g.name != GENERAL_GROUP))
    index = {name: i for i, name in enumerate(names)}
    fit, groups, per_rule = _fit_points(table, model, index, want_rules=rules)
    now_touch = now_us[lead] if isinstance(now_us, np.ndarray) else now_us
    raw = engagement_points(model.engagement, codes, lead, kinds, at, now=now_touch, n=n)
    caps = [math.inf if r.cap is None else float(r.cap) for r in model.engagement]
    np.minimum(raw, np.array(caps).reshape(-1, 1), out=raw)
    engagement = np.zeros(n)
    for j, rule_e in enumerate(model.engagement):  # added in the cards' order, to the bit
        groups[index[rule_e.group]] += raw[j]
        engagement += raw[j]
    total = np.zeros(n)
    capped_groups: list[tuple[str, np.ndarray]] = []
    for name, values in zip(names, groups, strict=True):
        cap = declared.get(name)
        kept = values if cap is None else np.minimum(values, cap)
        total += kept
        capped_groups.append((name, kept))
    if model.cap is not None:
        total = np.where(total > model.cap, model.cap, total)
    if model.floor is not None:
        total = np.where(total < model.floor, model.floor, total)
    engaged = [(r.name, raw[j]) for j, r in enumerate(model.engagement)]
    ordered = per_rule[: len(model.fit)] + engaged + per_rule[len(model.fit) :]
    result = columns.get("outcome.result")
    return FrameScores(
        model=model.name,
        lead_ids=ids if ids is not None else pa.array(range(n)),
        totals=total,
        fit=fit,
        engagement=engagement,
        grades=_grades(model, fit),
        groups=tuple(capped_groups),
        rules=tuple(ordered) if rules else (),
        won=None if result is None else np.asarray(pc.fill_null(pc.equal(result, "won"), False)),
    )


def what_if_frame(
    leads: LeadFrame | pa.Table | Mapping[str, Any],
    a: ScoringModel | Playbook,
    b: ScoringModel | Playbook,
    *,
    now: datetime | Sequence[datetime] | pa.Array | np.ndarray,
    touches: pa.Table | Mapping[str, Any] | None = None,
    threshold_a: float | None = None,
    threshold_b: float | None = None,
) -> WhatIf:
    """`leadpipeline.analytics.what_if` on columns: two policies, the same leads, no `Lead`.

    Each side is scored with `score_frame` at `now`; a `Playbook` side brings its scoring
    model and, unless a threshold is given, its MQL definition's score threshold. Wins
    come from the frame's outcome column.

    Raises:
        ValidationError: the frame has no outcome column, or a side has no threshold.
    """
    model_a, threshold_a = policy_of(a, threshold_a, "a")
    model_b, threshold_b = policy_of(b, threshold_b, "b")
    scores_a = score_frame(leads, model_a, now=now, touches=touches)
    scores_b = score_frame(leads, model_b, now=now, touches=touches)
    if scores_a.won is None:
        raise ValidationError.at("won", "the frame has no outcome column (outcome.result)")
    won = scores_a.won.tolist()
    return compare(
        won,
        (model_a, threshold_a, scores_a.totals.tolist()),
        (model_b, threshold_b, scores_b.totals.tolist()),
    )
