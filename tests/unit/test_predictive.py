"""The naive Bayes win model: per-stage counts, explainable predictions, plain data."""

from __future__ import annotations

import math

import pytest

from leadpipeline.analytics.predictive import (
    MISSING,
    FieldSpec,
    PredictiveModel,
    fit_predictive,
    predict,
)
from leadpipeline.errors import ValidationError
from leadpipeline.events import Event, Outcome, replay
from leadpipeline.lead import Company, Lead, Source
from leadpipeline.serialization import from_json, to_json
from tests.unit.test_analytics import T0, completed, journey

FULL = ((1, "mql"), (2, "sal"), (3, "sql"), (4, "opportunity"), (5, "customer"))


def history(
    lead_id: str,
    channel: str,
    steps: tuple[tuple[float, str], ...],
    outcome: Outcome | None = None,
    *,
    industry: str | None = None,
    employees: int | None = None,
) -> tuple[Event, ...]:
    events = journey(
        lead_id,
        channel=channel,
        steps=steps,
        company=Company(industry=industry, employees=employees),
    )
    if outcome is not None:
        events.append(
            completed(lead_id, T0 + 9 * (steps[-1][0] if steps else 1) * T0.resolution, outcome)
        )
    return tuple(events)


def histories() -> list[tuple[Event, ...]]:
    """Two wins, deaths at inquiry, MQL and opportunity, and one lead still open at SAL."""
    return [
        history("W-1", "referral", FULL, Outcome.WON, industry="software", employees=500),
        history("W-2", "referral", FULL, Outcome.WON, industry="retail", employees=80),
        history("D-1", "web", ((1, "mql"), (2, "disqualified")), industry="software"),
        history("D-2", "web", ((1, "nurture"),), industry="retail", employees=10),
        history("D-3", "referral", FULL[:4], Outcome.LOST, industry="software"),
        history("O-1", "web", ((1, "mql"), (2, "sal")), industry="software"),
    ]


def new_lead(channel: str, *, stage: str = "inquiry", employees: int | None = None) -> Lead:
    return Lead(
        id="N-1",
        source=Source(channel=channel, captured_at=T0),
        company=Company(employees=employees),
        stage=stage,
    )


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class TestFitPredictive:
    def test_each_stage_counts_passes_and_stops(self) -> None:
        """A lead stops only at the stage it died in and passes every stage before it."""
        model = fit_predictive(histories(), ["source.channel"])
        assert [(s.stage, s.passed, s.stopped) for s in model.stages] == [
            ("inquiry", 5, 1),
            ("mql", 4, 1),
            ("sal", 3, 0),
            ("sql", 3, 0),
            ("opportunity", 2, 1),
        ]
        assert model.leads == 6

    def test_field_values_are_counted_per_stage(self) -> None:
        """At inquiry, referrals all passed while one of three web leads stopped."""
        model = fit_predictive(histories(), ["source.channel"])
        (channel,) = model.stage("inquiry").fields
        assert [(v.value, v.passed, v.stopped) for v in channel.values] == [
            ("referral", 3, 0),
            ("web", 2, 1),
        ]
        (at_mql,) = model.stage("mql").fields
        assert [(v.value, v.passed, v.stopped) for v in at_mql.values] == [
            ("referral", 3, 0),
            ("web", 1, 1),
        ]

    def test_early_death_is_not_a_loss_for_later_stages(self) -> None:
        """A lead disqualified at MQL is absent from the SAL table, and the open lead too."""
        model = fit_predictive(histories(), ["source.channel"])
        (at_sal,) = model.stage("sal").fields
        assert [(v.value, v.passed, v.stopped) for v in at_sal.values] == [("referral", 3, 0)]

    def test_numeric_fields_are_binned(self) -> None:
        """Employees fall into the bins their edges define; unknown sizes are missing."""
        model = fit_predictive(
            histories(), ["company.employees"], bins={"company.employees": (50, 200)}
        )
        (size,) = model.stage("inquiry").fields
        assert {v.value for v in size.values} == {"<50", "[50, 200)", ">=200", MISSING}
        assert model.fields == (FieldSpec(path="company.employees", edges=(50.0, 200.0)),)

    def test_unknown_field_is_refused_with_its_index(self) -> None:
        """A path that names no lead field points at the bad entry."""
        with pytest.raises(ValidationError) as exc:
            fit_predictive(histories(), ["source.channel", "company.turnover"])
        assert exc.value.paths == ("fields[1]",)

    def test_bins_on_a_text_field_are_refused(self) -> None:
        """Only numeric fields can be binned."""
        with pytest.raises(ValidationError) as exc:
            fit_predictive(histories(), ["source.channel"], bins={"source.channel": (1,)})
        assert exc.value.paths == ("fields[0]",)

    def test_edges_must_rise(self) -> None:
        """Bin edges out of order are refused."""
        with pytest.raises(ValidationError):
            FieldSpec(path="company.employees", edges=(200, 50))

    def test_model_round_trips_through_json(self) -> None:
        """The model is plain data: JSON out and back gives the same value."""
        model = fit_predictive(
            histories(),
            ["source.channel", "company.industry", "company.employees"],
            bins={"company.employees": (50, 200)},
        )
        assert from_json(to_json(model), PredictiveModel) == model


class TestPredict:
    def test_probability_is_the_product_of_stage_chances(self) -> None:
        """A new web inquiry gets each stage's Laplace-smoothed naive Bayes chance, multiplied."""
        model = fit_predictive(histories(), ["source.channel"])
        result = predict(model, new_lead("web"))
        inquiry = result.steps[0]
        # prior (5+1)/(1+1); web seen 2 passed of 5, 1 stopped of 1, with 2 values + 1 unseen
        assert inquiry.prior_log_odds == pytest.approx(math.log(3))
        assert inquiry.contributions[0].log_odds == pytest.approx(math.log((3 / 8) / (2 / 4)))
        assert inquiry.probability == pytest.approx(9 / 13)
        assert [s.stage for s in result.steps] == ["inquiry", "mql", "sal", "sql", "opportunity"]
        assert result.probability == pytest.approx(math.prod(s.probability for s in result.steps))

    def test_step_probability_is_logistic_of_its_evidence(self) -> None:
        """Each step's prior plus its contributions give exactly its probability."""
        model = fit_predictive(histories(), ["source.channel", "company.industry"])
        for step in predict(model, new_lead("referral")).steps:
            logit = step.prior_log_odds + sum(c.log_odds for c in step.contributions)
            assert step.probability == pytest.approx(sigmoid(logit))

    def test_referral_beats_web(self) -> None:
        """The channel that always passed predicts a higher win chance than the one that stopped."""
        model = fit_predictive(histories(), ["source.channel"])
        referral = predict(model, new_lead("referral"))
        web = predict(model, new_lead("web"))
        assert referral.probability > web.probability
        assert referral.contributions[0].log_odds > 0 > web.contributions[0].log_odds

    def test_unseen_value_adds_no_evidence(self) -> None:
        """A channel never seen in training contributes zero log-odds."""
        model = fit_predictive(histories(), ["source.channel"])
        result = predict(model, new_lead("radio"))
        assert result.contributions[0].log_odds == 0.0
        assert result.steps[0].probability == pytest.approx(sigmoid(math.log(3)))

    def test_later_stage_uses_only_the_stages_ahead(self) -> None:
        """A lead already at SQL is predicted from SQL on."""
        model = fit_predictive(histories(), ["source.channel"])
        result = predict(model, new_lead("web", stage="sql"))
        assert [s.stage for s in result.steps] == ["sql", "opportunity"]
        assert result.stage == "sql"

    def test_lead_outside_the_waterfall_starts_from_the_first_stage(self) -> None:
        """A nurtured lead must qualify again, so its prediction starts at inquiry."""
        model = fit_predictive(histories(), ["source.channel"])
        nurtured = replay(histories()[3])
        assert nurtured.stage == "nurture"
        assert predict(model, nurtured).stage == "inquiry"

    def test_customer_is_certain(self) -> None:
        """A lead already won has probability one and no steps."""
        model = fit_predictive(histories(), ["source.channel"])
        result = predict(model, new_lead("web", stage="customer"))
        assert (result.probability, result.steps) == (1.0, ())

    def test_explain_lists_the_field_values(self) -> None:
        """The explanation names each field value with its evidence."""
        model = fit_predictive(
            histories(), ["company.employees"], bins={"company.employees": (50, 200)}
        )
        text = predict(model, new_lead("web", employees=700)).explain()
        assert text.startswith("N-1 at inquiry: win probability")
        assert "company.employees = >=200" in text
