"""Learn the points of a scoring model from won and lost leads, as a table to read and edit.

`fit_scoring_model` fits a regularised logistic regression on candidate rules (each
field value, each band of a number, each kind of touch capped at a few counts under a
decay from a small grid) and rounds its weights into the points of an ordinary
`ScoringModel`: it explains itself with the score card, round-trips as JSON and TOML,
scores on `Lead` values and on columns alike, and goes into a playbook as it is. Beside
it come a `ScoreCalibration` (score to win probability) and a `FitReport` (held-out AUC
and log loss, a calibration table, the data behind each rule, values too rare to learn).

It needs the ``frames`` extra (numpy, pyarrow) and, to fit, the ``learn`` extra
(scikit-learn); a fitted model needs neither. The modules: `fit` (`fit_scoring_model`),
`values` (what it returns).
"""

from leadpipeline.analytics.learned.fit import DECAYS, LEARN_HINT, fit_scoring_model
from leadpipeline.analytics.learned.values import (
    CalibrationBin,
    CalibrationMethod,
    FitReport,
    LearnedModel,
    LearnedRule,
    ScoreCalibration,
    SparseValue,
)

__all__ = [
    "DECAYS",
    "LEARN_HINT",
    "CalibrationBin",
    "CalibrationMethod",
    "FitReport",
    "LearnedModel",
    "LearnedRule",
    "ScoreCalibration",
    "SparseValue",
    "fit_scoring_model",
]
