"""The notebook extra: frames for every result, figures rendered to PNG, a clear install hint."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadpipeline.analytics import (
    ScoredOutcome,
    partner_scorecard,
    sla_attainment,
    source_attribution,
    threshold_sweep,
    velocity,
    waterfall,
    what_if,
)
from leadpipeline.analytics.notebook import (
    INSTALL_HINT,
    plot_funnel,
    plot_score_distribution,
    plot_sweep,
    to_frame,
)
from leadpipeline.analytics.predictive import fit_predictive, predict
from leadpipeline.events import replay
from leadpipeline.rules.calendar import STANDARD_CALENDAR
from tests.unit.test_analytics import (
    MODEL_A,
    MODEL_B,
    SCORED,
    SLA_POLICY,
    T0,
    funnel_histories,
    handed_over,
    partner_histories,
    what_if_histories,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pandas() -> Any:
    return pytest.importorskip("pandas", reason="the notebook extra (pandas) is not installed")


def agg() -> None:
    matplotlib = pytest.importorskip(
        "matplotlib", reason="the notebook extra (matplotlib) is not installed"
    )
    matplotlib.use("Agg")


class TestToFrame:
    def test_waterfall_rows_per_group_and_stage(self) -> None:
        """A grouped waterfall gives one row per group and stage, with step conversion."""
        pandas()
        frame = to_frame(waterfall(funnel_histories(), by="channel"))
        assert len(frame) == 12
        web = frame[frame["group"] == "web"]
        assert list(web["leads"]) == [2, 2, 2, 1, 1, 1]
        assert list(web["conversion_from_previous"])[1:] == [1.0, 1.0, 0.5, 1.0, 1.0]

    def test_sweep_rows_per_threshold(self) -> None:
        """A sweep gives one row per threshold with its rates."""
        pandas()
        frame = to_frame(threshold_sweep(SCORED, months=2))
        assert list(frame["threshold"]) == [10.0, 40.0, 60.0, 75.0, 90.0]
        assert list(frame["volume_per_month"]) == [4.0, 3.0, 2.0, 1.5, 0.5]
        assert frame["conversion"].iloc[3] == pytest.approx(2 / 3)

    def test_velocity_keeps_durations(self) -> None:
        """Velocity rows keep the median as a duration."""
        pandas()
        frame = to_frame(velocity(funnel_histories()))
        assert frame.loc[frame["stage"] == "inquiry", "median"].iloc[0] == timedelta(days=3)

    def test_partner_returns_become_columns(self) -> None:
        """Each return reason becomes its own column."""
        pandas()
        frame = to_frame(partner_scorecard(partner_histories()))
        assert list(frame["partner_id"]) == ["p-1", "p-2"]
        assert frame["returns: no lead"].iloc[0] == 1

    def test_other_results_have_their_rows(self) -> None:
        """SLA, sources, what-if, prediction and model each give a frame of their rows."""
        pandas()
        sla = sla_attainment(
            [handed_over("L-1", T0, timedelta(hours=2))],
            [SLA_POLICY],
            STANDARD_CALENDAR,
            now=T0 + timedelta(days=1),
        )
        assert list(to_frame(sla)["on_time"]) == [1]
        assert list(to_frame(source_attribution(funnel_histories()))["channel"]) == [
            "exhibition",
            "web",
        ]
        compared = what_if(
            what_if_histories(),
            MODEL_A,
            MODEL_B,
            now=T0,
            threshold_a=10,
            threshold_b=10,
        )
        assert list(to_frame(compared)["volume"]) == [2, 2]
        model = fit_predictive(funnel_histories(), ["source.channel"])
        assert set(to_frame(model)["value"]) == {"exhibition", "web"}
        prediction = predict(model, replay(funnel_histories()[1]))
        assert list(to_frame(prediction)["field"]) == ["source.channel"] * len(prediction.steps)


class TestScoredFrame:
    def test_scored_outcomes_become_one_row_per_lead(self) -> None:
        """`to_frame(scored_outcomes(...))` is a frame of lead, score and outcome."""
        pandas()
        scored = tuple(
            ScoredOutcome(score=s, won=w, lead_id=f"L-{i}") for i, (s, w) in enumerate(SCORED)
        )
        frame = to_frame(scored)
        assert list(frame.columns) == ["lead_id", "score", "won"]
        assert list(frame["score"]) == [s for s, _ in SCORED]

    def test_frames_to_frame_takes_them_too(self) -> None:
        """`leadpipeline.frames.to_frame(scored)` gives the same frame, not a TypeError."""
        pandas()
        pytest.importorskip("pyarrow", reason="the frames extra (pyarrow) is not installed")
        from leadpipeline.frames import to_frame as frames_to_frame  # noqa: PLC0415

        scored = [ScoredOutcome(score=s, won=w) for s, w in SCORED]
        frame = frames_to_frame(scored)
        assert list(frame.columns) == ["lead_id", "score", "won"]
        assert list(frame["won"]) == [w for _, w in SCORED]

    def test_an_unsupported_value_names_what_is_accepted(self) -> None:
        """Anything else raises a TypeError listing the results `to_frame` takes."""
        pandas()
        with pytest.raises(TypeError, match="Waterfall, Velocity"):
            to_frame("not a result")  # type: ignore[arg-type]


class TestPlots:
    def test_funnel_renders_to_png(self, tmp_path: Path) -> None:
        """The funnel figure saves as a PNG file."""
        agg()
        path = tmp_path / "funnel.png"
        plot_funnel(waterfall(funnel_histories(), by="channel"), group="web").savefig(path)
        assert path.read_bytes().startswith(PNG_MAGIC)

    def test_sweep_renders_to_png(self, tmp_path: Path) -> None:
        """The sweep figure, with a chosen threshold marked, saves as a PNG file."""
        agg()
        path = tmp_path / "sweep.png"
        plot_sweep(threshold_sweep(SCORED, months=2), threshold=60).savefig(path)
        assert path.read_bytes().startswith(PNG_MAGIC)

    def test_score_distribution_renders_to_png(self, tmp_path: Path) -> None:
        """The won-versus-lost histogram saves as a PNG file."""
        agg()
        path = tmp_path / "scores.png"
        outcomes = [ScoredOutcome(score=s, won=w) for s, w in SCORED]
        fig = plot_score_distribution(outcomes, bins=5)
        fig.savefig(path)
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert fig.axes[0].get_title() == "Scores of won (3) versus other leads (5)"

    def test_every_plot_draws_on_a_given_subplot(self) -> None:
        """With `ax=`, each plot draws on that subplot and returns the caller's figure."""
        agg()
        from matplotlib.figure import Figure  # noqa: PLC0415  # the optional extra

        fig = Figure()
        left, middle, right = fig.subplots(1, 3)
        assert plot_funnel(waterfall(funnel_histories()), ax=left) is fig
        assert plot_sweep(threshold_sweep(SCORED), ax=middle) is fig
        assert plot_score_distribution(SCORED, ax=right) is fig
        assert left.get_title().startswith("Demand waterfall")
        assert middle.get_title() == "Threshold back-test"
        assert right.get_title().startswith("Scores of won")

    def test_a_grouped_waterfall_draws_every_group(self) -> None:
        """`plot_funnel(by_channel)` draws one bar series per channel, not only the total."""
        agg()
        grouped = waterfall(funnel_histories(), by="channel")
        fig = plot_funnel(grouped)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert len(labels) == len(grouped.groups) >= 2
        assert all(any(f.group in label for label in labels) for f in grouped.groups)
        assert ax.get_title() == "Demand waterfall by channel"

    def test_the_sweep_shows_sample_sizes(self) -> None:
        """The sweep writes n= along the volume line and shades the thin range."""
        agg()
        fig = plot_sweep(threshold_sweep(SCORED), min_leads=3)
        texts = [t.get_text() for a in fig.axes for t in a.texts]
        assert any(t.startswith("n=") for t in texts)
        labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "fewer than 3 leads" in labels

    @pytest.mark.parametrize("plot", [plot_funnel, plot_sweep])
    def test_a_wrong_input_is_named(self, plot: Any) -> None:
        """Passing something other than the result a plot draws raises a TypeError saying so."""
        agg()
        with pytest.raises(TypeError, match="takes a "):
            plot([(1.0, True)])


class TestMissingExtra:
    def test_frame_without_pandas_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pandas, to_frame says how to install the extra."""
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match=r"pip install leadpipeline\[notebook\]"):
            to_frame(threshold_sweep(SCORED))

    def test_plot_without_matplotlib_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without matplotlib, a plot says how to install the extra."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(ImportError) as exc:
            plot_sweep(threshold_sweep(SCORED))
        assert str(exc.value) == INSTALL_HINT

    def test_importing_analytics_loads_neither_pandas_nor_matplotlib(self) -> None:
        """The package re-exports the notebook helpers, yet importing it loads no extra."""
        probe = (
            "import sys, leadpipeline.analytics; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'matplotlib'}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"
