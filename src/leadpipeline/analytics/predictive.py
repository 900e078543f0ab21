"""A naive Bayes win model learned from lead histories, explainable field by field.

The model is plain data: counts per stage, per field, per value. It round-trips through
`to_json`/`from_json`, so a notebook can fit it, save it, and a service can load it.

How leads are counted (the stage rule): the waterfall is walked stage by stage, and each
stage before the last (the customer stage, the win) has its own table of leads that
*passed* it and leads that *stopped* at it.

- A lead passes stage *s* when it later reached a further waterfall stage (a stage it
  skipped counts as passed).
- A lead stops at *s* when *s* is the furthest waterfall stage it reached and it is closed
  without winning: its last `Completed` says lost, or it now sits outside the waterfall
  (nurture, disqualified).
- A lead still open counts as passing the stages behind it and not at all where it is.
- Won leads (last `Completed` won, or the last waterfall stage reached) pass every stage
  before the last.

So a lead that died at MQL is a loss only at MQL, not a loss for the stages it passed,
and never a loss for SQL, which it never saw. The win probability of a lead at stage *s* is
the product of its chances to pass *s* and every later stage before the last.

Field values are read from the lead as replayed at the end of its history. A missing value
is its own category, ``"(missing)"``; a value never seen in training adds no evidence.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import attrs

from leadpipeline._checks import positive
from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, outcome_of, stages_reached
from leadpipeline.errors import ValidationError
from leadpipeline.events import Outcome, replay
from leadpipeline.lead import Lead
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle
from leadpipeline.rules.scoring import field_kind

__all__ = [
    "MISSING",
    "FieldContribution",
    "FieldCounts",
    "FieldSpec",
    "Prediction",
    "PredictiveModel",
    "StageCounts",
    "StageStep",
    "ValueCounts",
    "fit_predictive",
    "predict",
]

MISSING = "(missing)"
"""The category of a field with no value."""


def _ascending(_: Any, attribute: attrs.Attribute[Any], value: tuple[float, ...]) -> None:
    if any(not math.isfinite(v) for v in value):
        raise ValidationError.at(attribute.name, "bin edges must be finite numbers")
    if any(b <= a for a, b in pairwise(value)):
        raise ValidationError.at(attribute.name, f"bin edges must rise strictly, got {value!r}")


@attrs.frozen(kw_only=True, field_transformer=typed)
class FieldSpec:
    """A dotted field of the lead to learn from; numeric fields are binned by `edges`."""

    path: str
    edges: tuple[float, ...] = attrs.field(default=(), validator=_ascending)

    def __attrs_post_init__(self) -> None:
        kind = field_kind(self.path)
        if self.edges and kind != "number":
            raise ValidationError.at("edges", f"{self.path!r} holds {kind}, not a number")

    def value_of(self, lead: Lead) -> str:
        """The category this lead falls into for this field."""
        value: Any = lead
        for part in self.path.split("."):
            value = getattr(value, part)
            if value is None:
                return MISSING
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float) and self.edges:
            return _bin(float(value), self.edges)
        if isinstance(value, tuple):
            return ",".join(sorted(str(v) for v in value)) if value else MISSING
        return str(value)


def _bin(value: float, edges: tuple[float, ...]) -> str:
    i = bisect_right(edges, value)
    if i == 0:
        return f"<{edges[0]:g}"
    if i == len(edges):
        return f">={edges[-1]:g}"
    return f"[{edges[i - 1]:g}, {edges[i]:g})"


@attrs.frozen(kw_only=True, field_transformer=typed)
class ValueCounts:
    """Leads with one field value that passed or stopped at a stage."""

    value: str
    passed: int
    stopped: int


@attrs.frozen(kw_only=True, field_transformer=typed)
class FieldCounts:
    """The value counts of one field at one stage."""

    path: str
    values: tuple[ValueCounts, ...]


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageCounts:
    """One stage's table: leads that passed it, stopped at it, and their field values."""

    stage: str
    passed: int
    stopped: int
    fields: tuple[FieldCounts, ...]


@attrs.frozen(kw_only=True, field_transformer=typed)
class PredictiveModel:
    """Laplace-smoothed naive Bayes counts per waterfall stage; plain data.

    `waterfall` lists the stages in order, the last being the win; `stages` holds the table
    of every stage but the last.
    """

    fields: tuple[FieldSpec, ...]
    waterfall: tuple[str, ...]
    stages: tuple[StageCounts, ...]
    alpha: float = attrs.field(default=1.0, validator=positive)
    leads: int = 0

    def stage(self, name: str) -> StageCounts:
        """The table of one stage.

        Raises:
            KeyError: no table for that stage (the last stage has none).
        """
        for s in self.stages:
            if s.stage == name:
                return s
        raise KeyError(name)


@attrs.frozen(kw_only=True, field_transformer=typed)
class FieldContribution:
    """How much one field value moved the log-odds (positive: towards winning)."""

    field: str
    value: str
    log_odds: float


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageStep:
    """The chance to pass one stage: its prior log-odds plus each field's evidence."""

    stage: str
    probability: float
    prior_log_odds: float
    contributions: tuple[FieldContribution, ...]


@attrs.frozen(kw_only=True, field_transformer=typed)
class Prediction:
    """A lead's win probability and why.

    `steps` are exact: each step's probability is the logistic of its prior plus its
    contributions, and `probability` is the product of the steps. `contributions` sums each
    field's evidence over the steps, to rank what matters most for this lead.
    """

    lead_id: str
    stage: str
    probability: float
    steps: tuple[StageStep, ...]
    contributions: tuple[FieldContribution, ...]

    def explain(self) -> str:
        """The prediction as lines of text, strongest evidence first."""
        lines = [f"{self.lead_id} at {self.stage}: win probability {self.probability:.1%}"]
        for c in sorted(self.contributions, key=lambda c: (-abs(c.log_odds), c.field)):
            lines.append(f"  {c.log_odds:+.2f} {c.field} = {c.value}")
        return "\n".join(lines)


def _specs(
    fields: Sequence[str | FieldSpec], bins: Mapping[str, Sequence[float]]
) -> tuple[FieldSpec, ...]:
    specs = []
    for i, f in enumerate(fields):
        try:
            spec = (
                f
                if isinstance(f, FieldSpec)
                else FieldSpec(path=f, edges=tuple(float(e) for e in bins.get(f, ())))
            )
        except ValidationError as exc:
            raise ValidationError([(f"fields[{i}]", m) for _, m in exc.problems]) from None
        specs.append(spec)
    return tuple(specs)


def _labels(history: History, order: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The stages this lead passed, and the stage it stopped at (None while open)."""
    reached = stages_reached(history)
    indices = [i for i, s in enumerate(order) if s in reached]
    if not indices:
        return [], None
    furthest = indices[-1]
    outcome = outcome_of(history)
    if outcome is Outcome.WON or furthest == len(order) - 1:
        return list(order[:-1]), None
    passed = list(order[:furthest])
    current = replay(history).stage
    closed = outcome is Outcome.LOST or current not in order
    return passed, order[furthest] if closed else None


def fit_predictive(
    histories: Iterable[History],
    fields: Sequence[str | FieldSpec],
    *,
    bins: Mapping[str, Sequence[float]] | None = None,
    stages: Sequence[str] | None = None,
    lifecycle: Lifecycle = STANDARD_LIFECYCLE,
    alpha: float = 1.0,
) -> PredictiveModel:
    """Learn per-stage pass/stop counts for each field value (see the module for the rule).

    `fields` are dotted lead paths such as ``"source.channel"`` or ``"company.industry"``;
    `bins` maps numeric paths to their ascending bin edges. The stages walked are the
    waterfall of `lifecycle` (by the names it gives them); `stages` replaces that order.
    `alpha` is the Laplace smoothing added to every count.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import Completed, LeadCaptured, Outcome
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> def history(lead_id, channel, outcome):
        ...     lead = Lead(id=lead_id, source=Source(channel=channel, captured_at=at))
        ...     return (LeadCaptured(lead_id=lead_id, at=at, actor=Party.marketing(), lead=lead),
        ...             Completed(lead_id=lead_id, at=at, actor=Party.sales(), outcome=outcome))
        >>> model = fit_predictive([history("L-1", "referral", Outcome.WON),
        ...                         history("L-2", "web", Outcome.LOST)], ["source.channel"])
        >>> inquiry = model.stage("inquiry")
        >>> inquiry.passed, inquiry.stopped
        (1, 1)
    """
    order = tuple(stages) if stages is not None else lifecycle.waterfall
    if len(order) < 2:
        path = "stages" if stages is not None else "lifecycle"
        raise ValidationError.at(path, "a waterfall needs at least two stages")
    specs = _specs(fields, bins or {})
    passed: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    values: dict[tuple[str, str], Counter[tuple[str, bool]]] = defaultdict(Counter)
    count = 0
    for i, h in enumerate(histories):
        capture_of(h, i)
        count += 1
        through, stop = _labels(h, order)
        if not through and stop is None:
            continue
        lead = replay(h)
        observed = [(spec.path, spec.value_of(lead)) for spec in specs]
        for stage, did_pass in [*((s, True) for s in through), *([(stop, False)] if stop else [])]:
            (passed if did_pass else stopped)[stage] += 1
            for path, value in observed:
                values[(stage, path)][(value, did_pass)] += 1
    return model_of_counts(specs, order, passed, stopped, values, alpha=alpha, leads=count)


def model_of_counts(
    specs: tuple[FieldSpec, ...],
    order: tuple[str, ...],
    passed: Mapping[str, int],
    stopped: Mapping[str, int],
    values: Mapping[tuple[str, str], Mapping[tuple[str, bool], int]],
    *,
    alpha: float,
    leads: int,
) -> PredictiveModel:
    """The `PredictiveModel` of counted leads, wherever they were counted.

    `passed` and `stopped` count per stage; `values` per stage and field path, per
    ``(value, passed)``. Shared with `leadpipeline.spark.fit_predictive`.
    """
    tables = []
    for stage in order[:-1]:
        field_tables = []
        for spec in specs:
            counts = values.get((stage, spec.path), {})
            seen = sorted({v for v, _ in counts})
            field_tables.append(
                FieldCounts(
                    path=spec.path,
                    values=tuple(
                        ValueCounts(
                            value=v,
                            passed=counts.get((v, True), 0),
                            stopped=counts.get((v, False), 0),
                        )
                        for v in seen
                    ),
                )
            )
        tables.append(
            StageCounts(
                stage=stage,
                passed=passed.get(stage, 0),
                stopped=stopped.get(stage, 0),
                fields=tuple(field_tables),
            )
        )
    return PredictiveModel(
        fields=specs, waterfall=order, stages=tuple(tables), alpha=alpha, leads=leads
    )


def _step(table: StageCounts, model: PredictiveModel, observed: Sequence[str]) -> StageStep:
    a = model.alpha
    prior = math.log((table.passed + a) / (table.stopped + a))
    contributions = []
    for spec, field_table, value in zip(model.fields, table.fields, observed, strict=True):
        row = next((r for r in field_table.values if r.value == value), None)
        if row is None:
            evidence = 0.0  # never seen at this stage: no evidence either way
        else:
            k = len(field_table.values) + 1  # the seen values and one for the unseen
            p_pass = (row.passed + a) / (table.passed + a * k)
            p_stop = (row.stopped + a) / (table.stopped + a * k)
            evidence = math.log(p_pass / p_stop)
        contributions.append(FieldContribution(field=spec.path, value=value, log_odds=evidence))
    logit = prior + sum(c.log_odds for c in contributions)
    return StageStep(
        stage=table.stage,
        probability=1.0 / (1.0 + math.exp(-logit)),
        prior_log_odds=prior,
        contributions=tuple(contributions),
    )


def predict(model: PredictiveModel, lead: Lead, *, stage: str | None = None) -> Prediction:
    """The chance this lead is won, from the stage it is in, with each field's evidence.

    `stage` overrides the lead's stage; a lead outside the waterfall (nurture,
    disqualified) is predicted from the first stage, as it must qualify again.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import Completed, LeadCaptured, Outcome
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> def history(lead_id, channel, outcome):
        ...     lead = Lead(id=lead_id, source=Source(channel=channel, captured_at=at))
        ...     return (LeadCaptured(lead_id=lead_id, at=at, actor=Party.marketing(), lead=lead),
        ...             Completed(lead_id=lead_id, at=at, actor=Party.sales(), outcome=outcome))
        >>> model = fit_predictive([history("L-1", "referral", Outcome.WON),
        ...                         history("L-2", "web", Outcome.LOST)], ["source.channel"])
        >>> new = Lead(id="L-3", source=Source(channel="referral", captured_at=at))
        >>> result = predict(model, new)
        >>> [s.stage for s in result.steps]
        ['inquiry', 'mql', 'sal', 'sql', 'opportunity']
        >>> round(result.probability, 2), result.contributions[0].log_odds > 0
        (0.19, True)
    """
    order = model.waterfall
    start = stage if stage is not None else lead.stage
    if start not in order:
        start = order[0]
    index = order.index(start)
    observed = [spec.value_of(lead) for spec in model.fields]
    steps = tuple(_step(model.stage(s), model, observed) for s in order[index:-1])
    probability = math.prod(s.probability for s in steps)
    totals = [
        FieldContribution(
            field=spec.path,
            value=value,
            log_odds=sum(s.contributions[i].log_odds for s in steps),
        )
        for i, (spec, value) in enumerate(zip(model.fields, observed, strict=True))
    ]
    return Prediction(
        lead_id=lead.id,
        stage=start,
        probability=probability,
        steps=steps,
        contributions=tuple(totals),
    )
