"""Notebook helpers: analytics results as pandas frames, and matplotlib figures.

This is the optional extra (``pip install leadpipeline[notebook]``): pandas and
matplotlib are imported only when a function here runs, so the core never needs them.
Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so they touch no
global state; show one in Jupyter by leaving it as a cell's value, or save it with
``fig.savefig("funnel.png")``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadpipeline.analytics.attainment import SlaAttainment
from leadpipeline.analytics.funnel import Waterfall
from leadpipeline.analytics.partners import PartnerScorecard
from leadpipeline.analytics.predictive import Prediction, PredictiveModel
from leadpipeline.analytics.sources import SourceAttribution
from leadpipeline.analytics.thresholds import ScoredOutcome, ThresholdSweep
from leadpipeline.analytics.velocity import Velocity
from leadpipeline.analytics.what_if import WhatIf

# pandas and matplotlib are the optional extra: annotations name them, the module needs neither
if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "INSTALL_HINT",
    "AnalyticsResult",
    "plot_funnel",
    "plot_score_distribution",
    "plot_sweep",
    "to_frame",
]

INSTALL_HINT = (
    "leadpipeline.analytics.notebook needs pandas and matplotlib:"
    " pip install leadpipeline[notebook]"
)
"""The message of the ImportError raised when the extra is not installed."""

AnalyticsResult = (
    Waterfall
    | Velocity
    | SlaAttainment
    | PartnerScorecard
    | SourceAttribution
    | ThresholdSweep
    | WhatIf
    | Prediction
    | PredictiveModel
)
"""Every result `to_frame` understands."""


def _need(*modules: str) -> None:
    for name in modules:
        if importlib.util.find_spec(name) is None:
            raise ImportError(INSTALL_HINT, name=name)


def _rows(
    result: AnalyticsResult | Sequence[ScoredOutcome],
) -> tuple[list[dict[str, Any]], list[str] | None]:
    match result:
        case Waterfall():
            funnels = result.groups or (result.total,)
            rows = []
            for f in funnels:
                rates = {c.to_stage: c.rate for c in f.conversions}
                rows += [
                    {
                        "group": f.group,
                        "stage": r.stage,
                        "leads": r.leads,
                        "conversion_from_previous": rates.get(r.stage),
                    }
                    for r in f.reached
                ]
            return rows, ["group", "stage", "leads", "conversion_from_previous"]
        case Velocity():
            return [
                {"stage": s.stage, "stays": s.stays, "median": s.median, "p90": s.p90}
                for s in result.stages
            ], ["stage", "stays", "median", "p90"]
        case SlaAttainment():
            return [
                {
                    "policy": p.policy,
                    "on_time": p.on_time,
                    "late": p.late,
                    "open": p.open,
                    "overdue": p.overdue,
                    "attainment": p.attainment,
                }
                for p in result.policies
            ], ["policy", "on_time", "late", "open", "overdue", "attainment"]
        case PartnerScorecard():
            rows = []
            for p in result.partners:
                row: dict[str, Any] = {
                    "partner_id": p.partner_id,
                    "offers": p.offers,
                    "accepts": p.accepts,
                    "acceptance_rate": p.acceptance_rate,
                    "median_time_to_accept": p.median_time_to_accept,
                    "returns": p.returns,
                    "reclaims": p.reclaims,
                    "completed": p.completed,
                    "wins": p.wins,
                    "win_rate": p.win_rate,
                    "median_time_to_complete": p.median_time_to_complete,
                }
                row.update({f"returns: {r.reason}": r.count for r in p.returns_by_reason})
                rows.append(row)
            return rows, None
        case SourceAttribution():
            return [
                {
                    "channel": s.channel,
                    "leads": s.leads,
                    "reached_sql": s.reached_sql,
                    "won": s.won,
                    "sql_rate": s.sql_rate,
                    "conversion": s.conversion,
                    "revenue": s.revenue,
                }
                for s in result.sources
            ], ["channel", "leads", "reached_sql", "won", "sql_rate", "conversion", "revenue"]
        case WhatIf():
            return [
                {
                    "side": name,
                    "model": side.model,
                    "threshold": side.threshold,
                    "volume": side.volume,
                    "wins": side.wins,
                    "conversion": side.conversion,
                    "recall": side.recall,
                }
                for name, side in (("a", result.a), ("b", result.b))
            ], ["side", "model", "threshold", "volume", "wins", "conversion", "recall"]
        case Prediction():
            return [
                {
                    "stage": step.stage,
                    "field": c.field,
                    "value": c.value,
                    "log_odds": c.log_odds,
                    "stage_probability": step.probability,
                }
                for step in result.steps
                for c in step.contributions
            ], ["stage", "field", "value", "log_odds", "stage_probability"]
        case PredictiveModel():
            return [
                {
                    "stage": table.stage,
                    "field": f.path,
                    "value": v.value,
                    "passed": v.passed,
                    "stopped": v.stopped,
                }
                for table in result.stages
                for f in table.fields
                for v in f.values
            ], ["stage", "field", "value", "passed", "stopped"]
        case ThresholdSweep():  # built column-wise in to_frame
            return [], None
        case tuple() | list() if all(isinstance(o, ScoredOutcome) for o in result):
            return [{"lead_id": o.lead_id, "score": o.score, "won": o.won} for o in result], [
                "lead_id",
                "score",
                "won",
            ]
        case _:
            raise TypeError(
                f"to_frame takes an analytics result or scored outcomes, not"
                f" {type(result).__name__}; expected one of: {_ACCEPTED}"
            )


_ACCEPTED = (
    ", ".join(
        t.__name__
        for t in (
            Waterfall,
            Velocity,
            SlaAttainment,
            PartnerScorecard,
            SourceAttribution,
            ThresholdSweep,
            WhatIf,
            Prediction,
            PredictiveModel,
        )
    )
    + ", a sequence of ScoredOutcome"
)


def to_frame(result: AnalyticsResult | Sequence[ScoredOutcome]) -> pd.DataFrame:
    """Any analytics result as a pandas DataFrame, one row per stage, partner, threshold...

    A threshold sweep becomes one row per threshold with conversion, recall, lift and
    monthly volume; a waterfall one row per group and stage; `scored_outcomes` one row per
    lead (lead_id, score, won). (No runnable example here: docstring examples run without
    the extra installed.)

    Raises:
        ImportError: pandas is not installed (``pip install leadpipeline[notebook]``).
        TypeError: `result` is none of the above; the message lists what is accepted.
    """
    _need("pandas")
    import pandas as pd  # noqa: PLC0415  # the optional extra loads only when used

    if isinstance(result, ThresholdSweep):
        base = result.base_rate
        volumes, wins = result.volumes, result.wins
        conversion = [w / v for w, v in zip(wins, volumes, strict=True)]
        total = result.total_wins
        months = result.months
        return pd.DataFrame(
            {
                "threshold": result.thresholds,
                "volume": volumes,
                "wins": wins,
                "conversion": conversion,
                "recall": [w / total if total else None for w in wins],
                "lift": [c / base if base else None for c in conversion],
                "volume_per_month": [v / months if months else None for v in volumes],
            }
        )
    rows, columns = _rows(result)
    return pd.DataFrame(rows, columns=columns)


def _axes(ax: Axes | None) -> tuple[Figure, Axes]:
    """The axes to draw on: `ax` (a subplot of the caller's figure) or a new figure's."""
    _need("matplotlib")
    if ax is not None:
        fig = ax.get_figure(root=True)
        if fig is None:
            raise TypeError("ax is not on a figure; make it with fig.subplots()")
        return fig, ax
    from matplotlib.figure import Figure  # noqa: PLC0415  # the optional extra

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    return fig, fig.subplots()


def _expect(value: object, cls: type, function: str, hint: str) -> None:
    if not isinstance(value, cls):
        raise TypeError(f"{function} takes a {cls.__name__} ({hint}), not {type(value).__name__}")


def plot_funnel(result: Waterfall, *, group: str | None = None, ax: Axes | None = None) -> Figure:
    """The waterfall as horizontal bars, each labelled with its leads and step conversion.

    A grouped waterfall (``waterfall(..., by="channel")``) draws one bar per group and
    stage, side by side, unless `group` picks one group; `ax` draws on a subplot of your
    own figure. Returns the figure drawn on.

    Raises:
        ImportError: matplotlib is not installed (``pip install leadpipeline[notebook]``).
        TypeError: `result` is not a `Waterfall`.
        KeyError: no lead fell into `group`.
    """
    _expect(result, Waterfall, "plot_funnel", "from analytics.waterfall")
    funnels = (result.group(group),) if group is not None else result.groups or (result.total,)
    fig, ax = _axes(ax)
    stages = list(result.stages)
    height = 0.8 / len(funnels)
    for i, funnel in enumerate(funnels):
        counts = {r.stage: r.leads for r in funnel.reached}
        rates = {c.to_stage: c.rate for c in funnel.conversions}
        ys = [y - 0.4 + height * (i + 0.5) for y in range(len(stages))]
        values = [counts.get(stage, 0) for stage in stages]
        ax.barh(ys, values, height=height, label=f"{funnel.group} ({funnel.leads} leads)")
        for y, stage, count in zip(ys, stages, values, strict=True):
            rate = rates.get(stage)
            label = f"{count}" if rate is None else f"{count} ({rate:.0%})"
            ax.annotate(label, (count, y), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(range(len(stages)), stages)
    ax.invert_yaxis()
    ax.set_xlabel("leads reaching the stage")
    if len(funnels) > 1:
        ax.set_title(f"Demand waterfall by {result.by}")
        ax.legend()
    else:
        ax.set_title(f"Demand waterfall: {funnels[0].group} ({funnels[0].leads} leads)")
    return fig


def plot_sweep(
    sweep: ThresholdSweep,
    *,
    threshold: float | None = None,
    min_leads: int = 30,
    ax: Axes | None = None,
) -> Figure:
    """Conversion and volume against the hand-over threshold, to pick one by eye.

    `threshold` draws a marker at a chosen value (e.g. a `suggest_threshold` result). The
    range where fewer than `min_leads` leads are handed over is shaded and sample sizes
    are written along the volume line: a conversion there swings on a lead or two.

    Raises:
        ImportError: matplotlib is not installed (``pip install leadpipeline[notebook]``).
        TypeError: `sweep` is not a `ThresholdSweep`.
    """
    _expect(sweep, ThresholdSweep, "plot_sweep", "from analytics.threshold_sweep")
    fig, ax = _axes(ax)
    thresholds = sweep.thresholds
    conversion = [w / v for w, v in zip(sweep.wins, sweep.volumes, strict=True)]
    ax.plot(thresholds, conversion, color="#c0392b", label="conversion")
    ax.set_xlabel("threshold (score >= t is handed over)")
    ax.set_ylabel("conversion (share won)")
    thin = next((t for t, v in zip(thresholds, sweep.volumes, strict=True) if v < min_leads), None)
    if thin is not None:
        ax.axvspan(thin, thresholds[-1], color="#dddddd", label=f"fewer than {min_leads} leads")
    twin = ax.twinx()
    per_month = sweep.months or 1.0
    volume = [v / per_month for v in sweep.volumes]
    twin.set_ylabel("leads handed over" + (" per month" if sweep.months else ""))
    twin.plot(thresholds, volume, color="#3b6ea8", label="volume")
    marks = max(1, len(thresholds) // 8)
    for i in range(0, len(thresholds), marks):
        twin.annotate(
            f"n={sweep.volumes[i]}",
            (thresholds[i], volume[i]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    if threshold is not None:
        ax.axvline(threshold, color="grey", linestyle="--")
    ax.set_title("Threshold back-test")
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc="upper right", fontsize=8)
    return fig


def plot_score_distribution(
    scored: Sequence[tuple[float, bool]] | Sequence[ScoredOutcome],
    *,
    bins: int = 20,
    ax: Axes | None = None,
) -> Figure:
    """Histograms of the scores of won and of lost (or open) leads, overlaid.

    The further apart the two, the better the score separates buyers from the rest.

    Raises:
        ImportError: matplotlib is not installed (``pip install leadpipeline[notebook]``).
    """
    fig, ax = _axes(ax)
    pairs = [(o.score, o.won) if isinstance(o, ScoredOutcome) else o for o in scored]
    won = [s for s, w in pairs if w]
    lost = [s for s, w in pairs if not w]
    ax.hist([lost, won], bins=bins, label=["lost or open", "won"], color=["#999999", "#2e8b57"])
    ax.set_xlabel("score")
    ax.set_ylabel("leads")
    ax.set_title(f"Scores of won ({len(won)}) versus other leads ({len(lost)})")
    ax.legend()
    return fig
