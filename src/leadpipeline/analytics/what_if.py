"""Two scoring policies side by side on the same leads: volume, wins and where they differ."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, outcome_of, rate
from leadpipeline.analytics.thresholds import When, leads_as_of, totals_of
from leadpipeline.errors import ValidationError
from leadpipeline.events import Outcome
from leadpipeline.playbook import Playbook
from leadpipeline.rules.qualification import AllOf, AnyOf, Criterion, ScoreAtLeast
from leadpipeline.rules.scoring import ScoringModel

__all__ = ["WhatIf", "WhatIfSide", "compare", "policy_of", "what_if", "what_if_of_counts"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class WhatIfSide:
    """One scoring model at its threshold: volume handed over and how it converted."""

    model: str
    threshold: float
    volume: int
    wins: int
    conversion: float | None
    recall: float | None


@attrs.frozen(kw_only=True, field_transformer=typed)
class WhatIf:
    """Two scoring policies side by side on the same leads, and where they disagree."""

    leads: int
    wins: int
    a: WhatIfSide
    b: WhatIfSide
    both: int
    only_a: int
    only_b: int


def score_threshold_of(criterion: Criterion) -> float | None:
    match criterion:
        case ScoreAtLeast(group=None, threshold=threshold):
            return threshold
        case AllOf(criteria=criteria) | AnyOf(criteria=criteria):
            found = (score_threshold_of(c) for c in criteria)
            return next((t for t in found if t is not None), None)
        case _:
            return None


def policy_of(
    policy: ScoringModel | Playbook, threshold: float | None, path: str
) -> tuple[ScoringModel, float]:
    """A side's scoring model and threshold: given, or its playbook's MQL score threshold."""
    if isinstance(policy, ScoringModel):
        if threshold is None:
            raise ValidationError.at(f"threshold_{path}", "a bare scoring model needs a threshold")
        return policy, threshold
    if threshold is None:
        threshold = score_threshold_of(policy.mql.criterion)
        if threshold is None:
            raise ValidationError.at(
                f"threshold_{path}", "the playbook's MQL definition has no total-score threshold"
            )
    return policy.scoring, threshold


def what_if(
    histories: Iterable[History],
    a: ScoringModel | Playbook,
    b: ScoringModel | Playbook,
    *,
    now: When,
    threshold_a: float | None = None,
    threshold_b: float | None = None,
) -> WhatIf:
    """Re-score the same leads with two scoring policies and compare what each hands over.

    Each lead is scored with each side's model at `now` (a datetime, or a function of the
    history choosing each lead's instant, as in `scored_outcomes`); a lead is handed over
    when its score is at least the side's threshold. A `Playbook` side brings its
    ``scoring`` model and, unless a threshold is given, the total-score threshold of its
    MQL definition; a bare `ScoringModel` needs a threshold.
    Wins are leads whose last `Completed` says won.

    Example:
        >>> from datetime import datetime, timezone
        >>> import attrs
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=at))
        >>> history = (LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),)
        >>> result = what_if([history], DEFAULT_SCORING_MODEL, DEFAULT_SCORING_MODEL,
        ...                  now=at, threshold_a=5, threshold_b=10)
        >>> result.a.volume, result.b.volume, result.only_a
        (1, 0, 1)
    """
    model_a, threshold_a = policy_of(a, threshold_a, "a")
    model_b, threshold_b = policy_of(b, threshold_b, "b")
    items = list(histories)
    for i, h in enumerate(items):
        capture_of(h, i)
    leads, instants = leads_as_of(items, now)
    won = [outcome_of(h) is Outcome.WON for h in items]
    totals_a = totals_of(model_a, leads, instants)
    totals_b = totals_of(model_b, leads, instants)
    return compare(won, (model_a, threshold_a, totals_a), (model_b, threshold_b, totals_b))


_Side = tuple[ScoringModel, float, Sequence[float]]


def compare(won: Sequence[bool], a: _Side, b: _Side) -> WhatIf:
    """Two models' scores of the same leads, each against its threshold, side by side.

    Shared with the columnar back-test (`leadpipeline.frames.what_if_frame`).
    """
    over_a = [s >= a[1] for s in a[2]]
    over_b = [s >= b[1] for s in b[2]]
    return what_if_of_counts(
        {
            "leads": len(won),
            "wins": sum(won),
            "volume_a": sum(over_a),
            "wins_a": sum(o and w for o, w in zip(over_a, won, strict=True)),
            "volume_b": sum(over_b),
            "wins_b": sum(o and w for o, w in zip(over_b, won, strict=True)),
            "both": sum(x and y for x, y in zip(over_a, over_b, strict=True)),
            "only_a": sum(x and not y for x, y in zip(over_a, over_b, strict=True)),
            "only_b": sum(y and not x for x, y in zip(over_a, over_b, strict=True)),
        },
        (a[0], a[1]),
        (b[0], b[1]),
    )


def what_if_of_counts(
    counts: Mapping[str, int], a: tuple[ScoringModel, float], b: tuple[ScoringModel, float]
) -> WhatIf:
    """A `WhatIf` from its counts, wherever they were counted.

    The keys: `leads`, `wins`, `volume_a`, `wins_a`, `volume_b`, `wins_b`, `both`,
    `only_a`, `only_b`. Shared with `leadpipeline.spark.what_if`.
    """

    def side(policy: tuple[ScoringModel, float], volume: int, wins: int) -> WhatIfSide:
        return WhatIfSide(
            model=policy[0].name,
            threshold=policy[1],
            volume=volume,
            wins=wins,
            conversion=rate(wins, volume),
            recall=rate(wins, counts["wins"]),
        )

    return WhatIf(
        leads=counts["leads"],
        wins=counts["wins"],
        a=side(a, counts["volume_a"], counts["wins_a"]),
        b=side(b, counts["volume_b"], counts["wins_b"]),
        both=counts["both"],
        only_a=counts["only_a"],
        only_b=counts["only_b"],
    )
