"""Funnel analytics over lead histories: pure functions returning frozen values.

Every function reads histories (each a tuple of events starting with `LeadCaptured`)
and returns a frozen value, so a notebook can compare runs, serialize them, or turn
them into frames with `leadpipeline.analytics.notebook`. Nothing here reads a clock:
where time matters, `now` comes in as an argument.

One module per analysis: `funnel` (the waterfall), `velocity` (time in stage),
`attainment` (SLAs), `partners` (the scorecard), `sources` (attribution), `thresholds`
(back-tests and what-ifs), `predictive` (a naive Bayes win model) and `notebook` (frames
and figures; pandas and matplotlib load only when one of its functions runs). The
package `learned` (the points of a scoring model learned from won and lost leads; the
``learn`` extra) is imported on its own: ``from leadpipeline.analytics.learned import ...``.
"""

from leadpipeline.analytics._history import outcome_of
from leadpipeline.analytics.attainment import SlaAttainment, SlaStats, sla_attainment
from leadpipeline.analytics.funnel import (
    Funnel,
    StageReach,
    StepConversion,
    Waterfall,
    waterfall,
)
from leadpipeline.analytics.notebook import (
    INSTALL_HINT,
    AnalyticsResult,
    plot_funnel,
    plot_score_distribution,
    plot_sweep,
    to_frame,
)
from leadpipeline.analytics.partners import (
    PartnerScorecard,
    PartnerStats,
    ReasonCount,
    partner_scorecard,
)
from leadpipeline.analytics.predictive import (
    MISSING,
    FieldContribution,
    FieldCounts,
    FieldSpec,
    Prediction,
    PredictiveModel,
    StageCounts,
    StageStep,
    ValueCounts,
    fit_predictive,
    predict,
)
from leadpipeline.analytics.sources import SourceAttribution, SourceStats, source_attribution
from leadpipeline.analytics.thresholds import (
    ScoreColumns,
    ScoredOutcome,
    ThresholdPoint,
    ThresholdSuggestion,
    ThresholdSweep,
    WhatIf,
    WhatIfSide,
    When,
    scored_outcomes,
    suggest_threshold,
    threshold_sweep,
    what_if,
)
from leadpipeline.analytics.velocity import BusinessClock, StageTime, Velocity, velocity

__all__ = [
    "INSTALL_HINT",
    "MISSING",
    "AnalyticsResult",
    "BusinessClock",
    "FieldContribution",
    "FieldCounts",
    "FieldSpec",
    "Funnel",
    "PartnerScorecard",
    "PartnerStats",
    "Prediction",
    "PredictiveModel",
    "ReasonCount",
    "ScoreColumns",
    "ScoredOutcome",
    "SlaAttainment",
    "SlaStats",
    "SourceAttribution",
    "SourceStats",
    "StageCounts",
    "StageReach",
    "StageStep",
    "StageTime",
    "StepConversion",
    "ThresholdPoint",
    "ThresholdSuggestion",
    "ThresholdSweep",
    "ValueCounts",
    "Velocity",
    "Waterfall",
    "WhatIf",
    "WhatIfSide",
    "When",
    "fit_predictive",
    "outcome_of",
    "partner_scorecard",
    "plot_funnel",
    "plot_score_distribution",
    "plot_sweep",
    "predict",
    "scored_outcomes",
    "sla_attainment",
    "source_attribution",
    "suggest_threshold",
    "threshold_sweep",
    "to_frame",
    "velocity",
    "waterfall",
    "what_if",
]
