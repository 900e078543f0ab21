"""Scoring: a model compiled once into generated code, and the entry points that use it.

Why: `score`, `score_many` and `score_totals` never interpret rules lead by lead; they
ask `compile_model` for the model's generated functions, which are remembered per model
value, so even scoring one lead at a time compiles each model once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.lead import Lead
from leadpipeline.rules.scoring._codegen import build
from leadpipeline.rules.scoring.card import ScoreCard
from leadpipeline.rules.scoring.model import ScoringModel

__all__ = ["CompiledModel", "compile_model", "score", "score_many", "score_totals"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class CompiledModel:
    """A model compiled once into generated Python functions, for scoring many leads fast.

    Build it with `compile_model`. `source` is the generated code, for reading or
    debugging: each rule is written out inline. It scores exactly like the rules say, and
    `total` skips every explanation for the fastest path.

    Two compiled models are equal when their models are. It pickles as its model and
    compiles again where it is unpickled (generated functions cannot be pickled), so a
    `multiprocessing` worker can be handed one.

    Example:
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> compiled = compile_model(DEFAULT_SCORING_MODEL)
        >>> "def total(lead, now):" in compiled.source
        True
    """

    model: ScoringModel
    source: str = attrs.field(repr=False, eq=False)
    _total_fn: Callable[[Lead, datetime], float] = attrs.field(repr=False, eq=False)
    _card_fn: Callable[[Lead, datetime], ScoreCard] = attrs.field(repr=False, eq=False)

    def __reduce__(self) -> tuple[Callable[[ScoringModel], CompiledModel], tuple[ScoringModel]]:
        return (compile_model, (self.model,))

    def total(self, lead: Lead, *, now: datetime) -> float:
        """The total score only, with no contributions; `now` must be timezone-aware.

        Example:
            >>> from datetime import datetime, timezone
            >>> from leadpipeline.lead import Lead, Source
            >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
            >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
            >>> lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=now))
            >>> compile_model(DEFAULT_SCORING_MODEL).total(lead, now=now)
            5.0
        """
        require_aware("now", now)
        return self._total_fn(lead, now)

    def totals(self, leads: Iterable[Lead], *, now: datetime) -> tuple[float, ...]:
        """Totals for many leads at one instant, in order."""
        require_aware("now", now)
        total = self._total_fn
        return tuple([total(lead, now) for lead in leads])

    def score(self, lead: Lead, *, now: datetime) -> ScoreCard:
        """The full score card of one lead; `now` must be timezone-aware."""
        require_aware("now", now)
        return self._card_fn(lead, now)

    def score_many(self, leads: Iterable[Lead], *, now: datetime) -> tuple[ScoreCard, ...]:
        """Full score cards for many leads at one instant, in order."""
        require_aware("now", now)
        card = self._card_fn
        return tuple([card(lead, now) for lead in leads])


@functools.lru_cache(maxsize=64)
def _compiled(model: ScoringModel) -> CompiledModel:
    total_source, total_fn = build(model, card=False)
    card_source, card_fn = build(model, card=True)
    return CompiledModel(
        model=model,
        source=total_source + "\n\n" + card_source,
        total_fn=total_fn,
        card_fn=card_fn,
    )


def compile_model(model: ScoringModel) -> CompiledModel:
    """Turn a model into generated code once, so scoring a lead does no per-rule calls.

    Compiled models are remembered per model value (the last 64), so calling `score`
    lead by lead does not compile again.

    Example:
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> compiled = compile_model(DEFAULT_SCORING_MODEL)
        >>> compiled.model is DEFAULT_SCORING_MODEL
        True
        >>> compiled is compile_model(DEFAULT_SCORING_MODEL)  # remembered, not compiled again
        True
    """
    return _compiled(model)


def score(lead: Lead, model: ScoringModel, *, now: datetime) -> ScoreCard:
    """Score one lead at `now`, with every contribution, so the number can be explained.

    Interactions after `now` are not counted yet; `now` must be timezone-aware.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             company=Company(employees=800))
        >>> card = score(lead, DEFAULT_SCORING_MODEL, now=now)
        >>> card.total, [(c.rule, c.points, c.matched) for c in card.contributions]
        (15.0, [('company size 200-5000', 15.0, '800')])
    """
    return compile_model(model).score(lead, now=now)


def score_many(
    leads: Iterable[Lead], model: ScoringModel, *, now: datetime
) -> tuple[ScoreCard, ...]:
    """Score a batch at one instant; the model is compiled once for all of them.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> leads = [Lead(id=f"L-{i}", source=Source(channel="web", captured_at=now))
        ...          for i in range(3)]
        >>> [card.total for card in score_many(leads, DEFAULT_SCORING_MODEL, now=now)]
        [0.0, 0.0, 0.0]
    """
    return compile_model(model).score_many(leads, now=now)


def score_totals(leads: Iterable[Lead], model: ScoringModel, *, now: datetime) -> tuple[float, ...]:
    """Only the totals of a batch: the fast path for sweeps over many leads.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=now))
        >>> score_totals([lead], DEFAULT_SCORING_MODEL, now=now)
        (5.0,)
    """
    return compile_model(model).totals(leads, now=now)
