"""Lead scoring: points for persona values and touches, explained rule by rule.

A `ScoringModel` is plain data (it round-trips through JSON and TOML). It holds fit rules
on contact and firmographic fields, engagement rules on interactions (points per touch,
capped, within a recency window, decaying with age), negative rules (competitor, free-mail,
student) and point groups with caps. `score` returns a `ScoreCard` that carries every
contribution, so a marketer can always answer "why this score?".

`compile_model` turns a model, once, into generated Python source with every rule written
out inline (readable as `CompiledModel.source`) and remembers the result per model value,
so `score`, `score_many` and `score_totals` never interpret rules lead by lead. For batches
where only the totals matter, `score_totals` builds no explanation at all.

The modules: `rules` (the vocabulary of rules), `model` (`ScoringModel`, field paths),
`card` (the results), `compiled` (compiling and the entry points), `defaults`.
"""

from leadpipeline.rules.scoring.card import Contribution, GroupScore, RuleKind, ScoreCard
from leadpipeline.rules.scoring.compiled import (
    CompiledModel,
    compile_model,
    score,
    score_many,
    score_totals,
)
from leadpipeline.rules.scoring.defaults import DEFAULT_SCORING_MODEL
from leadpipeline.rules.scoring.model import ScoringModel, field_kind
from leadpipeline.rules.scoring.rules import (
    GENERAL_GROUP,
    CalendarStep,
    Contains,
    Decay,
    DomainIn,
    EngagementRule,
    Equals,
    FitRule,
    GradeBand,
    HalfLife,
    InRange,
    Match,
    Missing,
    NegativeRule,
    OneOf,
    PointGroup,
    Present,
)

__all__ = [
    "DEFAULT_SCORING_MODEL",
    "GENERAL_GROUP",
    "CalendarStep",
    "CompiledModel",
    "Contains",
    "Contribution",
    "Decay",
    "DomainIn",
    "EngagementRule",
    "Equals",
    "FitRule",
    "GradeBand",
    "GroupScore",
    "HalfLife",
    "InRange",
    "Match",
    "Missing",
    "NegativeRule",
    "OneOf",
    "PointGroup",
    "Present",
    "RuleKind",
    "ScoreCard",
    "ScoringModel",
    "compile_model",
    "field_kind",
    "score",
    "score_many",
    "score_totals",
]
