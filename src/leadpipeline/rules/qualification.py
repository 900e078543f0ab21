"""Qualification definitions (MQL, SAL, SQL) built from small composable criteria.

A `Definition` is plain data: a name and one criterion tree (all of, any of, not, and the
leaf tests). `assess` evaluates it and returns every leaf's result with the value it saw,
so a rejected handover can say exactly what was missing. Score thresholds have
hysteresis: a lead enters at `threshold` and, once in the stage, stays until it falls
below the lower `exit_below`, so decaying touches do not make it flap in and out.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import UTC, datetime
from typing import Any, assert_never

import attrs
from dateutil.relativedelta import relativedelta

from leadpipeline._checks import positive, require_aware
from leadpipeline._typed import typed
from leadpipeline._words import number_in_words
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import CriterionResult
from leadpipeline.lead import InteractionKind, Lead
from leadpipeline.rules.pyramid import ProfileLevel, PyramidLevel, profile_level
from leadpipeline.rules.scoring import ScoreCard, ScoringModel, compile_model
from leadpipeline.rules.scoring.model import _getter, _is_present, _resolve

__all__ = [
    "DEFAULT_MQL",
    "DEFAULT_SAL",
    "DEFAULT_SQL",
    "AllOf",
    "AnyOf",
    "Assessment",
    "Criterion",
    "Definition",
    "FieldInRange",
    "FieldPresent",
    "GradeAtLeast",
    "Not",
    "OnMiss",
    "ProfileLevelAtLeast",
    "PurchaseDecisionWithin",
    "ScoreAtLeast",
    "TouchedWithin",
    "assess",
    "describe",
]


def _known_field(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        _resolve(value)
    except ValueError as exc:
        raise ValidationError.at(attribute.name, str(exc)) from None


def _number_field(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    _known_field(instance, attribute, value)
    if str(_resolve(value)[0]) != "number":
        raise ValidationError.at(attribute.name, f"{value!r} does not hold a number")


def _number(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError.at(attribute.name, f"expected a finite number, got {value!r}")


def _some(_: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError.at(attribute.name, "needs at least one criterion")


@attrs.frozen(kw_only=True, field_transformer=typed)
class AllOf:
    """Met when every criterion inside is met."""

    criteria: tuple[Criterion, ...] = attrs.field(validator=_some)


@attrs.frozen(kw_only=True, field_transformer=typed)
class AnyOf:
    """Met when at least one criterion inside is met."""

    criteria: tuple[Criterion, ...] = attrs.field(validator=_some)


@attrs.frozen(kw_only=True, field_transformer=typed)
class Not:
    """Met when the criterion inside is not."""

    criterion: Criterion


@attrs.frozen(kw_only=True, field_transformer=typed)
class ScoreAtLeast:
    """The total (or one group's) score reaches `threshold`; in the stage, `exit_below` holds.

    A lead not yet in the stage needs ``score >= threshold``; a lead already in it stays
    while ``score >= exit_below``. Without `exit_below` both use `threshold`.
    """

    threshold: float = attrs.field(validator=_number)
    exit_below: float | None = attrs.field(default=None, validator=_number)
    group: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.exit_below is not None and self.exit_below > self.threshold:
            raise ConfigurationError.at(
                "exit_below", f"must not be above threshold {self.threshold:g}"
            )


@attrs.frozen(kw_only=True, field_transformer=typed)
class GradeAtLeast:
    """The fit grade is `grade` or better, in the order of the model's grade bands."""

    grade: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class FieldPresent:
    """A field of the lead is known, e.g. ``needs.purchase_decision``."""

    field: str = attrs.field(validator=_known_field)


@attrs.frozen(kw_only=True, field_transformer=typed)
class FieldInRange:
    """A numeric field lies between `at_least` and `at_most` (inclusive, either open)."""

    field: str = attrs.field(validator=_number_field)
    at_least: float | None = attrs.field(default=None, validator=_number)
    at_most: float | None = attrs.field(default=None, validator=_number)

    def __attrs_post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise ValidationError.at("at_least", "give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValidationError.at("at_most", "must not be below at_least")


@attrs.frozen(kw_only=True, field_transformer=typed)
class PurchaseDecisionWithin:
    """The purchase decision is known and falls within the next `months` months."""

    months: int = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class ProfileLevelAtLeast:
    """The profile pyramid reaches `level` (every level below it complete)."""

    level: PyramidLevel


@attrs.frozen(kw_only=True, field_transformer=typed)
class TouchedWithin:
    """The prospect touched us within `days` days (only `kinds`, if any are given)."""

    days: float = attrs.field(validator=positive)
    kinds: frozenset[InteractionKind] = frozenset()


Criterion = (
    AllOf
    | AnyOf
    | Not
    | ScoreAtLeast
    | GradeAtLeast
    | FieldPresent
    | FieldInRange
    | PurchaseDecisionWithin
    | ProfileLevelAtLeast
    | TouchedWithin
)
"""Any qualification criterion; composites nest."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Definition:
    """A named qualification (MQL, SAL, SQL or your own) and its criterion tree."""

    name: str
    criterion: Criterion
    description: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Assessment:
    """The outcome of assessing one lead against one definition, with the evidence.

    `results` holds one entry per leaf criterion (a `not` is folded into its leaf), in the
    order of the definition; `met` and `missed` split them. A met `any of` can still list
    its unmet alternatives under `missed`.
    """

    definition: str
    at: datetime
    qualified: bool
    results: tuple[CriterionResult, ...]
    score_card: ScoreCard

    @property
    def met(self) -> tuple[CriterionResult, ...]:
        """The criteria the lead meets."""
        return tuple(r for r in self.results if r.met)

    @property
    def missed(self) -> tuple[CriterionResult, ...]:
        """The criteria the lead misses."""
        return tuple(r for r in self.results if not r.met)

    def explain(self) -> str:
        """Why the lead is (not) qualified, in lines a person reads.

        The verdict, the score with its top reasons, then each criterion missing or met
        with the value seen, numbers rounded. Returns the text; print it to read it.

        Example:
            >>> from datetime import datetime, timezone
            >>> from leadpipeline.lead import Lead, Source
            >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
            >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
            >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now))
            >>> print(assess(lead, DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=now).explain())
            ... # doctest: +ELLIPSIS
            L-1 is not mql as of 2026-03-04 00:00 UTC: 5 criteria missing
              score 0 (fit 0, engagement 0)
              missing: score >= 50 (in stage: >= 40) (seen: score 0)
              missing: needs.purchase_decision known (seen: missing)
            ...
        """
        card = self.score_card
        verdict = "is" if self.qualified else "is not"
        missing = f": {len(self.missed)} criteria missing" if self.missed else ""
        if len(self.missed) == 1:
            missing = ": 1 criterion missing"
        when = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        reasons = "; ".join(
            f"{'+' if c.points >= 0 else ''}{number_in_words(c.points)} {c.rule}"
            for c in card.top_reasons()
        )
        lines = [
            f"{card.lead_id} {verdict} {self.definition} as of {when}{missing}",
            f"  score {number_in_words(card.total)} (fit {number_in_words(card.fit)},"
            f" engagement {number_in_words(card.engagement)})"
            + (f"; top reasons: {reasons}" if reasons else ""),
        ]
        for result in (*self.missed, *self.met):
            label = "met:    " if result.met else "missing:"
            seen = f" (seen: {_rounded(result.observed)})" if result.observed else ""
            lines.append(f"  {label} {result.criterion}{seen}")
        return "\n".join(lines)


def _rounded(observed: str) -> str:
    """An observed value for people: each long decimal in it becomes a rounded number."""
    return _DECIMAL.sub(lambda m: number_in_words(float(m.group())), observed)


_DECIMAL = re.compile(r"-?\d+\.\d{2,}")


class OnMiss(enum.StrEnum):
    """What a decision does with a lead that misses a definition it checks."""

    REFUSE = "refuse"
    """Refuse the command with the assessment (met and missed criteria)."""
    WARN = "warn"
    """Go ahead and record the missed criteria as a warning on the event."""


def describe(criterion: Criterion) -> str:
    """A criterion in words, as it appears in an assessment.

    Example:
        >>> describe(AllOf(criteria=(ScoreAtLeast(threshold=50, exit_below=40),
        ...                          FieldPresent(field="needs.budget"))))
        'all of (score >= 50 (in stage: >= 40); needs.budget known)'
    """
    match criterion:
        case AllOf(criteria=criteria):
            return f"all of ({'; '.join(describe(c) for c in criteria)})"
        case AnyOf(criteria=criteria):
            return f"any of ({'; '.join(describe(c) for c in criteria)})"
        case Not(criterion=inner):
            return f"not {describe(inner)}"
        case ScoreAtLeast(threshold=threshold, exit_below=exit_below, group=group):
            what = "score" if group is None else f"score[{group}]"
            held = "" if exit_below is None else f" (in stage: >= {exit_below:g})"
            return f"{what} >= {threshold:g}{held}"
        case GradeAtLeast(grade=grade):
            return f"grade {grade} or better"
        case FieldPresent(field=field):
            return f"{field} known"
        case FieldInRange(field=field, at_least=lo, at_most=hi):
            low = "" if lo is None else f"{lo:g}"
            high = "" if hi is None else f"{hi:g}"
            return f"{field} in {low}..{high}"
        case PurchaseDecisionWithin(months=months):
            return f"purchase decision within {months} months"
        case ProfileLevelAtLeast(level=level):
            return f"profile level {level.value} or higher"
        case TouchedWithin(days=days, kinds=kinds):
            by = f" by {', '.join(sorted(kinds))}" if kinds else ""
            return f"touched within {days:g} days{by}"
        case _:
            assert_never(criterion)


@attrs.frozen(kw_only=True, field_transformer=typed)
class _Context:
    lead: Lead
    card: ScoreCard
    model: ScoringModel
    profile: ProfileLevel
    now: datetime
    currently_in: bool


def _leaf(criterion: Criterion, ctx: _Context) -> tuple[bool, str]:
    lead, now = ctx.lead, ctx.now
    match criterion:
        case ScoreAtLeast(threshold=threshold, exit_below=exit_below, group=group):
            value = ctx.card.total if group is None else ctx.card.group(group)
            if ctx.currently_in and exit_below is not None:
                return value >= exit_below, f"score {value:g} (in stage, exit below {exit_below:g})"
            return value >= threshold, f"score {value:g}"
        case GradeAtLeast(grade=grade):
            grades = ctx.model.grades
            if grade not in grades:
                return False, f"grade {ctx.card.grade}; {grade!r} is not a grade of the model"
            return grades.index(ctx.card.grade) <= grades.index(grade), f"grade {ctx.card.grade}"
        case FieldPresent(field=field):
            value = _getter(field)(lead)
            return _is_present(value), str(value) if _is_present(value) else "missing"
        case FieldInRange(field=field, at_least=lo, at_most=hi):
            value = _getter(field)(lead)
            if value is None:
                return False, "missing"
            ok = (lo is None or value >= lo) and (hi is None or value <= hi)
            return ok, f"{value:g}"
        case PurchaseDecisionWithin(months=months):
            decision = lead.needs.purchase_decision
            if decision is None:
                return False, "purchase decision unknown"
            today = now.date()
            if decision < today:
                return False, f"decision date {decision.isoformat()} has passed"
            latest = today + relativedelta(months=months)
            return decision <= latest, f"decision {decision.isoformat()}"
        case ProfileLevelAtLeast(level=level):
            got = ctx.profile
            observed = f"level {got.level.value}"
            if got.next_level is not None:
                observed += f"; {got.next_level.value} needs {', '.join(got.missing)}"
            return got.level >= level, observed
        case TouchedWithin(days=days, kinds=kinds):
            touches = [
                i.at for i in lead.interactions if i.at <= now and (not kinds or i.kind in kinds)
            ]
            if not touches:
                return False, "no touches"
            last = max(touches)
            age = (now - last).total_seconds() / 86400
            return age <= days, f"last touch {last.isoformat()} ({age:.1f} days ago)"
        case AllOf() | AnyOf() | Not():  # pragma: no cover - composites never reach here
            raise AssertionError(criterion)
        case _:
            assert_never(criterion)


def _evaluate(criterion: Criterion, ctx: _Context) -> tuple[bool, list[CriterionResult]]:
    match criterion:
        case AllOf(criteria=criteria) | AnyOf(criteria=criteria):
            results: list[CriterionResult] = []
            outcomes = []
            for inner in criteria:
                met, found = _evaluate(inner, ctx)
                outcomes.append(met)
                results.extend(found)
            met_all = all(outcomes) if isinstance(criterion, AllOf) else any(outcomes)
            return met_all, results
        case Not(criterion=inner):
            met, found = _evaluate(inner, ctx)
            if isinstance(inner, AllOf | AnyOf | Not):
                observed = "; ".join(f"{r.criterion}: {r.observed}" for r in found)
                return not met, [
                    CriterionResult(criterion=describe(criterion), met=not met, observed=observed)
                ]
            (leaf,) = found
            return not met, [
                CriterionResult(criterion=describe(criterion), met=not met, observed=leaf.observed)
            ]
        case _:
            met, observed = _leaf(criterion, ctx)
            return met, [CriterionResult(criterion=describe(criterion), met=met, observed=observed)]


def assess(
    lead: Lead,
    definition: Definition,
    model: ScoringModel,
    *,
    now: datetime,
    currently_in: bool = False,
) -> Assessment:
    """Check a lead against a definition and list every criterion met and missed.

    Pass ``currently_in=True`` for a lead already in the stage, so score thresholds use
    their lower exit value and the lead does not flap out as its touches decay.

    Example:
        >>> from datetime import date, datetime, timezone
        >>> from leadpipeline.lead import Lead, Needs, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             needs=Needs(purchase_decision=date(2026, 10, 1)))
        >>> result = assess(lead, DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=now)
        >>> result.qualified, [r.criterion for r in result.missed][:2]
        (False, ['score >= 50 (in stage: >= 40)', 'needs.expected_volume known'])
    """
    require_aware("now", now)
    card = compile_model(model).score(lead, now=now)
    ctx = _Context(
        lead=lead,
        card=card,
        model=model,
        profile=profile_level(lead),
        now=now,
        currently_in=currently_in,
    )
    qualified, results = _evaluate(definition.criterion, ctx)
    return Assessment(
        definition=definition.name,
        at=now,
        qualified=qualified,
        results=tuple(results),
        score_card=card,
    )


_MQL_CRITERIA: tuple[Criterion, ...] = (
    ScoreAtLeast(threshold=50, exit_below=40),
    FieldPresent(field="needs.purchase_decision"),
    FieldPresent(field="needs.expected_volume"),
    FieldPresent(field="needs.current_product"),
    ProfileLevelAtLeast(level=PyramidLevel.CONTACT),
)

DEFAULT_MQL = Definition(
    name="mql",
    criterion=AllOf(criteria=_MQL_CRITERIA),
    description="Marketing qualified: enough points, reachable, and purchase timing, expected"
    " volume and current product known.",
)
"""Marketing qualified lead: score 50 (stays in down to 40) plus timing, volume, product."""

DEFAULT_SAL = Definition(
    name="sal",
    criterion=AllOf(
        criteria=(
            *_MQL_CRITERIA,
            ProfileLevelAtLeast(level=PyramidLevel.FIRMOGRAPHICS),
            GradeAtLeast(grade="C"),
            TouchedWithin(days=30),
        )
    ),
    description="Sales accepted: an MQL with a known company, a fit grade of C or better and"
    " a touch in the last 30 days.",
)
"""Sales accepted lead: the MQL criteria, firmographics, grade C or better, recent touch."""

DEFAULT_SQL = Definition(
    name="sql",
    criterion=AllOf(
        criteria=(
            ScoreAtLeast(threshold=70, exit_below=60),
            GradeAtLeast(grade="B"),
            FieldPresent(field="needs.budget"),
            PurchaseDecisionWithin(months=12),
            ProfileLevelAtLeast(level=PyramidLevel.PRODUCT_HOLDING),
            TouchedWithin(days=14),
        )
    ),
    description="Sales qualified: in the buying stage, with budget, a decision within a year"
    " and a recent touch.",
)
"""Sales qualified lead: score 70 (stays down to 60), grade B, budget, decision in 12 months."""
