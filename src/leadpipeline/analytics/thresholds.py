"""Threshold back-testing: what each hand-over threshold or scoring policy would have given.

Scores are paired with how each lead ended (`scored_outcomes`), every distinct score is
tried as a threshold in one sorted pass (`threshold_sweep`, `suggest_threshold`), and two
scoring policies are compared on the same leads (`what_if`).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import accumulate, compress, repeat
from typing import Any, Protocol

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.analytics._columns import counted_columns, is_array
from leadpipeline.analytics._history import History, capture_of, outcome_of, rate
from leadpipeline.errors import ValidationError
from leadpipeline.events import Outcome, replay
from leadpipeline.lead import Lead
from leadpipeline.rules.scoring import ScoringModel, compile_model, score_totals

__all__ = [
    "ScoreColumns",
    "ScoredOutcome",
    "ThresholdPoint",
    "ThresholdSuggestion",
    "ThresholdSweep",
    "When",
    "scored_outcomes",
    "suggest_threshold",
    "threshold_sweep",
]


@attrs.frozen(kw_only=True, field_transformer=typed)
class ScoredOutcome:
    """A lead's score and whether it was eventually won: one row of a back-test."""

    score: float
    won: bool
    lead_id: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class ThresholdPoint:
    """What handing over every lead with ``score >= threshold`` would have given.

    `conversion` is the share of handed-over leads that were won (precision), `recall`
    the share of all wins kept, `lift` the conversion over the base rate.
    """

    threshold: float
    volume: int
    wins: int
    conversion: float
    recall: float | None
    lift: float | None
    volume_per_month: float | None


@attrs.frozen(kw_only=True, field_transformer=typed)
class ThresholdSweep:
    """Every distinct candidate threshold, ascending, as columns (for a million rows).

    Iterate it (or use `point`) for `ThresholdPoint` rows; `thresholds`, `volumes` and
    `wins` are parallel tuples, so volume falls as the threshold rises.
    """

    leads: int
    total_wins: int
    months: float | None
    thresholds: tuple[float, ...]
    volumes: tuple[int, ...]
    wins: tuple[int, ...]

    @classmethod
    def of_columns(
        cls,
        thresholds: tuple[float, ...],
        volumes: tuple[int, ...],
        wins: tuple[int, ...],
        *,
        months: float | None,
    ) -> ThresholdSweep:
        """The sweep of its columns: every lead and win counts at the lowest threshold."""
        return cls(
            leads=volumes[0] if volumes else 0,
            total_wins=wins[0] if wins else 0,
            months=months,
            thresholds=thresholds,
            volumes=volumes,
            wins=wins,
        )

    @property
    def base_rate(self) -> float | None:
        """The share of all leads that were won."""
        return rate(self.total_wins, self.leads)

    def __len__(self) -> int:
        return len(self.thresholds)

    def point(self, index: int) -> ThresholdPoint:
        """The row at `index` (0 is the lowest threshold, handing over every lead)."""
        volume, wins = self.volumes[index], self.wins[index]
        conversion = wins / volume
        base = self.base_rate
        return ThresholdPoint(
            threshold=self.thresholds[index],
            volume=volume,
            wins=wins,
            conversion=conversion,
            recall=rate(wins, self.total_wins),
            lift=conversion / base if base else None,
            volume_per_month=volume / self.months if self.months else None,
        )

    def at(self, threshold: float) -> ThresholdPoint | None:
        """The row of the lowest candidate at or above `threshold` (None above them all)."""
        index = bisect_left(self.thresholds, threshold)
        return self.point(index) if index < len(self.thresholds) else None

    def __iter__(self) -> Iterator[ThresholdPoint]:
        return (self.point(i) for i in range(len(self.thresholds)))

    @property
    def points(self) -> tuple[ThresholdPoint, ...]:
        """Every row, lowest threshold first."""
        return tuple(self.point(i) for i in range(len(self.thresholds)))


class ScoreColumns(Protocol):
    """Scores and outcomes as two columns, e.g. `leadpipeline.frames.FrameScores`.

    `totals` and `won` are parallel sequences (lists or numpy arrays); `won` is None when
    the scores came without outcomes.
    """

    @property
    def totals(self) -> Any:
        """Each lead's score."""

    @property
    def won(self) -> Any:
        """Whether each lead was won, or None."""


def _columns(scored: ScoreColumns) -> tuple[list[float], list[bool]]:
    if scored.won is None:
        raise ValidationError.at("scored.won", "the scores come without outcomes")
    totals, won = scored.totals, scored.won
    scores = [float(s) for s in (totals.tolist() if hasattr(totals, "tolist") else totals)]
    wins = [bool(w) for w in (won.tolist() if hasattr(won, "tolist") else won)]
    if len(scores) != len(wins):
        raise ValidationError.at("scored.won", f"{len(wins)} outcomes for {len(scores)} scores")
    return scores, wins


def _pairs(
    scored: Sequence[tuple[float, bool]] | Sequence[ScoredOutcome] | ScoreColumns,
) -> tuple[list[float], list[bool]]:
    if hasattr(scored, "totals") and hasattr(scored, "won"):
        scores, wins = _columns(scored)
        _finite_scores(scores)
        return scores, wins
    assert isinstance(scored, Sequence)
    try:  # the fast path: plain (score, won) pairs
        scores = [float(s) for s, _ in scored]  # type: ignore[misc]
        wins = [bool(w) for _, w in scored]  # type: ignore[misc]
    except TypeError:  # ScoredOutcome values (alone or mixed in) are not pairs
        pairs = [(o.score, o.won) if isinstance(o, ScoredOutcome) else o for o in scored]
        scores = [float(s) for s, _ in pairs]
        wins = [bool(w) for _, w in pairs]
    _finite_scores(scores)
    return scores, wins


def _array_columns(scored: object) -> bool:
    """Columns numpy can count in place (see `_columns`): arrays or buffers, outcomes known."""
    totals, won = getattr(scored, "totals", None), getattr(scored, "won", None)
    return totals is not None and won is not None and is_array(totals) and is_array(won)


def _finite_scores(scores: list[float]) -> None:
    if not all(map(math.isfinite, scores)):
        bad = next(i for i, s in enumerate(scores) if not math.isfinite(s))
        raise ValidationError.at(f"scored[{bad}]", f"score must be finite, got {scores[bad]!r}")


def threshold_sweep(
    scored: Sequence[tuple[float, bool]] | Sequence[ScoredOutcome] | ScoreColumns,
    *,
    months: float | None = None,
    step: float | None = None,
) -> ThresholdSweep:
    """Back-test every distinct score as a hand-over threshold (``score >= t``) at once.

    Answers "what if we had handed over at t?" for every t in one O(n log n) pass: the
    scores are sorted once and counted cumulatively from the top. `months`, the span the
    data covers, adds the volume per month (what sales capacity is planned in).
    `scored` is ``(score, won)`` pairs, `ScoredOutcome` values, or columns such as the
    `FrameScores` of `leadpipeline.frames.score_frame` (no `Lead` values needed); when
    numpy is installed, columns that are numpy arrays (or any buffer of numbers) are
    counted by numpy in place, never turned into lists.

    `step` sweeps a grid instead of every distinct score: each score counts at the grid
    point at or below it, ``floor(score / step) * step``, so the sweep holds one entry per
    grid point that has a lead. Scores whose engagement decays continuously are nearly all
    distinct (millions of entries for millions of leads); ``step=0.5`` gives a few hundred.

    Example:
        >>> sweep = threshold_sweep([(80, True), (60, False), (60, True), (20, False)])
        >>> [(p.threshold, p.volume, p.wins, p.recall) for p in sweep]
        [(20.0, 4, 2, 1.0), (60.0, 3, 2, 1.0), (80.0, 1, 1, 0.5)]
        >>> sweep.at(61).conversion
        1.0
        >>> threshold_sweep([(81.5, True), (62, False), (60.5, True)], step=10).thresholds
        (60.0, 80.0)
    """
    if months is not None and not (math.isfinite(months) and months > 0):
        raise ValidationError.at("months", f"must be a positive number, got {months!r}")
    if step is not None and not (math.isfinite(step) and step > 0):
        raise ValidationError.at("step", f"must be a positive number, got {step!r}")
    if _array_columns(scored):
        columns = counted_columns(scored.totals, scored.won, step)  # type: ignore[union-attr]
        return ThresholdSweep.of_columns(*columns, months=months)
    scores, won = _pairs(scored)
    if step is not None:
        scores = [_on_grid(s, step) for s in scores]
    return sweep_of_counts(Counter(scores), Counter(compress(scores, won)), months=months)


def _on_grid(score: float, step: float) -> float:
    """`leadpipeline.analytics._columns.on_grid` on one number, to the last bit."""
    quotient = score / step
    if not math.isfinite(quotient):
        raise ValidationError.at("step", f"{step!r} is too small for the score {score!r}")
    return float(math.floor(quotient)) * step


def sweep_of_counts(
    per_score: Mapping[float, int], won_per_score: Mapping[float, int], *, months: float | None
) -> ThresholdSweep:
    """The cumulative pass of `threshold_sweep` over leads and wins counted per score.

    Shared with the distributed back-test (`leadpipeline.spark.threshold_sweep`), which
    counts per distinct score where the rows are and runs only this pass on the driver.
    """
    top_down = sorted(per_score, reverse=True)
    volumes = list(accumulate(map(per_score.get, top_down, repeat(0))))
    wins = list(accumulate(map(won_per_score.get, top_down, repeat(0))))
    return ThresholdSweep.of_columns(
        tuple(reversed(top_down)), tuple(reversed(volumes)), tuple(reversed(wins)), months=months
    )


@attrs.frozen(kw_only=True, field_transformer=typed)
class ThresholdSuggestion:
    """The suggested threshold with its back-tested row, or None and why none fits."""

    threshold: float | None
    point: ThresholdPoint | None
    reason: str


def suggest_threshold(
    sweep: ThresholdSweep,
    *,
    volume_per_month: float | None = None,
    min_conversion: float | None = None,
    min_leads: int = 30,
) -> ThresholdSuggestion:
    """The lowest threshold (so the most leads) that meets every given target.

    `volume_per_month` is what sales can take (needs `months` on the sweep): the hand-over
    volume must not exceed it. `min_conversion` is the least share of handed-over leads
    that must be won, from 0 to 1. A threshold is judged only on at least `min_leads`
    handed-over leads (default 30): above that, a share swings on a lead or two. Finding
    none is an outcome, not an error: `threshold` is None and `reason` says why.

    Example:
        >>> sweep = threshold_sweep([(80, True), (60, False), (60, True), (20, False)],
        ...                         months=1)
        >>> suggest_threshold(sweep, min_conversion=0.6, min_leads=1).threshold
        60.0
        >>> print(suggest_threshold(sweep, volume_per_month=1, min_leads=1).reason)
        hand over at score >= 80: the lowest threshold with at most 1 leads a month: ...
        >>> suggest_threshold(sweep, min_conversion=0.6).reason
        'no threshold gives conversion at least 60.0% on at least 30 leads'
    """
    if volume_per_month is None and min_conversion is None:
        raise ValidationError.at("target", "give volume_per_month, min_conversion or both")
    if volume_per_month is not None and sweep.months is None:
        raise ValidationError.at("sweep.months", "a monthly volume target needs the sweep's months")
    if min_conversion is not None and not 0 <= min_conversion <= 1:
        raise ValidationError.at(
            "min_conversion", f"a share from 0 to 1 (0.5 is 50%), got {min_conversion!r}"
        )
    if min_leads < 1:
        raise ValidationError.at("min_leads", f"must be at least 1, got {min_leads!r}")
    wanted = []
    if volume_per_month is not None:
        wanted.append(f"at most {volume_per_month:g} leads a month")
    if min_conversion is not None:
        wanted.append(f"conversion at least {min_conversion:.1%}")
    for i in range(len(sweep)):
        p = sweep.point(i)
        if p.volume < min_leads:
            break  # volume only falls as the threshold rises
        if volume_per_month is not None and (p.volume_per_month or 0.0) > volume_per_month:
            continue
        if min_conversion is not None and p.conversion < min_conversion:
            continue
        return ThresholdSuggestion(
            threshold=p.threshold,
            point=p,
            reason=(
                f"hand over at score >= {p.threshold:g}: the lowest threshold with"
                f" {' and '.join(wanted)}: {p.volume} leads, {p.conversion:.1%} won"
            ),
        )
    return ThresholdSuggestion(
        threshold=None,
        point=None,
        reason=f"no threshold gives {' and '.join(wanted)} on at least {min_leads} leads",
    )


When = datetime | Callable[[History], datetime]
"""One instant for every lead, or a function choosing each lead's instant from its history."""


def leads_as_of(items: Sequence[History], now: When) -> tuple[list[Lead], list[datetime]]:
    """Each history's lead as it stood at `now` (one instant, or one per history)."""
    if isinstance(now, datetime):
        require_aware("now", now)
        return [replay(h) for h in items], [now] * len(items)
    leads, instants = [], []
    for i, h in enumerate(items):
        at = now(h)
        require_aware(f"now(histories[{i}])", at)
        # the capture always counts, so a lead exists even before its first event's time
        leads.append(replay([h[0], *(e for e in h[1:] if e.at <= at)]))
        instants.append(at)
    return leads, instants


def totals_of(
    model: ScoringModel, leads: Sequence[Lead], instants: Sequence[datetime]
) -> list[float]:
    """Each lead's total at its own instant; one batch when the instants are all alike."""
    if len(set(instants)) <= 1:
        return list(score_totals(leads, model, now=instants[0])) if leads else []
    total = compile_model(model).total
    return [total(lead, now=at) for lead, at in zip(leads, instants, strict=True)]


def scored_outcomes(
    histories: Iterable[History], model: ScoringModel, *, now: When
) -> tuple[ScoredOutcome, ...]:
    """Score each lead and pair the score with how the lead ended: a back-test's input.

    With a datetime, every lead is replayed to its current state and scored at `now`.
    With a function of the history (for example "when it was handed over"), each lead is
    replayed only up to that instant and scored there, as the decision saw it. Won means
    the last `Completed` of the whole history says won, so open leads count as not won.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=at))
        >>> history = (LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),)
        >>> scored_outcomes([history], DEFAULT_SCORING_MODEL, now=at)
        (ScoredOutcome(score=5.0, won=False, lead_id='L-1'),)
    """
    items = list(histories)
    for i, h in enumerate(items):
        capture_of(h, i)
    leads, instants = leads_as_of(items, now)
    totals = totals_of(model, leads, instants)
    return tuple(
        ScoredOutcome(score=t, won=outcome_of(h) is Outcome.WON, lead_id=lead.id)
        for h, lead, t in zip(items, leads, totals, strict=True)
    )
