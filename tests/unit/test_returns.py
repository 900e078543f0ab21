"""Return and rejection reasons: the code decides where a lead goes next."""

from __future__ import annotations

import json

import attrs
import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.rules.returns import (
    DEFAULT_REJECTION_REASONS,
    DEFAULT_RETURN_POLICY,
    RejectionReason,
    ReturnPolicy,
    ReturnReason,
    Routing,
    check_rejection_reasons,
    find_rejection_reason,
    route_return,
)
from leadpipeline.serialization import from_json, structure, to_json


class TestRouteReturn:
    @pytest.mark.parametrize(
        ("code", "routing"),
        [
            ("project_does_not_fit", Routing.NEXT_PARTNER),
            ("no_capacity", Routing.NEXT_PARTNER),
            ("no_lead", Routing.DISQUALIFY),
            ("duplicate", Routing.DISQUALIFY),
            ("already_customer", Routing.CUSTOMER_MARKETING),
            ("not_reachable", Routing.NURTURE),
            ("timing", Routing.NURTURE),
        ],
    )
    def test_default_reasons_route_as_the_source_texts_suggest(
        self, code: str, routing: Routing
    ) -> None:
        """Each default return reason sends the lead where the domain expects."""
        assert route_return(code, DEFAULT_RETURN_POLICY) is routing

    def test_project_does_not_fit_reads_as_the_partner_would_say_it(self) -> None:
        """The label is the phrase a partner picks from a list."""
        assert DEFAULT_RETURN_POLICY.reason("project_does_not_fit").label == "project does not fit"

    def test_every_default_reason_needs_a_comment(self) -> None:
        """A return without commentary teaches nobody anything, so all defaults require one."""
        assert all(r.requires_comment for r in DEFAULT_RETURN_POLICY.reasons)

    def test_unknown_code_is_refused_naming_the_known_codes(self) -> None:
        """A typo in a reason code is refused at `reason`, listing what is allowed."""
        with pytest.raises(ValidationError) as err:
            route_return("project_doesnt_fit", DEFAULT_RETURN_POLICY)
        assert err.value.paths == ("reason",)
        for code in DEFAULT_RETURN_POLICY.codes:
            assert code in str(err.value)

    def test_a_custom_policy_reroutes_a_reason(self) -> None:
        """An organisation without customer marketing can send existing customers to sales."""
        policy = ReturnPolicy(
            reasons=(
                ReturnReason(
                    code="already_customer",
                    label="already a customer",
                    routing=Routing.BACK_TO_SALES,
                ),
                ReturnReason(
                    code="silent", label="stopped responding", routing=Routing.BACK_TO_SALES
                ),
            ),
            reclaim_reason="silent",
        )
        assert route_return("already_customer", policy) is Routing.BACK_TO_SALES


class TestReturnPolicy:
    def test_default_fallback_is_back_to_sales(self) -> None:
        """When no partner is left, sales gets the lead back by default."""
        assert DEFAULT_RETURN_POLICY.when_no_partner_left is Routing.BACK_TO_SALES

    def test_duplicate_reason_codes_are_refused_with_a_path(self) -> None:
        """A code listed twice is refused at the second occurrence."""
        fit = ReturnReason(code="no_fit", label="no fit", routing=Routing.NEXT_PARTNER)
        lead = ReturnReason(code="no_lead", label="no lead", routing=Routing.DISQUALIFY)
        with pytest.raises(ConfigurationError) as err:
            ReturnPolicy(reasons=(fit, lead, attrs.evolve(fit, label="does not fit")))
        assert err.value.paths == ("reasons[2].code",)

    def test_empty_catalogue_is_refused(self) -> None:
        """A partner must always have some reason to pick."""
        with pytest.raises(ConfigurationError) as err:
            ReturnPolicy(reasons=())
        assert err.value.paths == ("reasons",)

    def test_next_partner_cannot_be_the_fallback(self) -> None:
        """The fallback applies when no partner is left, so it cannot be another partner."""
        with pytest.raises(ConfigurationError) as err:
            attrs.evolve(DEFAULT_RETURN_POLICY, when_no_partner_left=Routing.NEXT_PARTNER)
        assert err.value.paths == ("when_no_partner_left",)

    def test_blank_code_is_refused(self) -> None:
        """A reason without a code cannot be chosen."""
        with pytest.raises(ValidationError) as err:
            ReturnReason(code=" ", label="x", routing=Routing.NURTURE)
        assert err.value.paths == ("code",)

    def test_policy_round_trips_through_json(self) -> None:
        """The default policy survives JSON unchanged."""
        assert from_json(to_json(DEFAULT_RETURN_POLICY), ReturnPolicy) == DEFAULT_RETURN_POLICY

    def test_duplicate_code_in_a_config_file_names_its_path(self) -> None:
        """Loaded from data, a duplicate code is refused at its index."""
        data = json.loads(to_json(DEFAULT_RETURN_POLICY))
        data["reasons"][3]["code"] = data["reasons"][0]["code"]
        with pytest.raises(ValidationError) as err:
            structure(data, ReturnPolicy)
        assert err.value.paths == ("reasons[3].code",)

    def test_unknown_routing_in_a_config_file_is_refused(self) -> None:
        """A routing that does not exist is refused at its field."""
        data = json.loads(to_json(DEFAULT_RETURN_POLICY))
        data["reasons"][0]["routing"] = "to_the_bin"
        with pytest.raises(ValidationError) as err:
            structure(data, ReturnPolicy)
        assert err.value.paths == ("reasons[0].routing",)


class TestRejectionReasons:
    def test_defaults_cover_the_usual_reasons_sales_gives(self) -> None:
        """Sales can reject for missing information, budget, timing, authority or duplicates."""
        codes = {r.code for r in DEFAULT_REJECTION_REASONS}
        assert {
            "not_enough_information",
            "no_budget",
            "wrong_timing",
            "not_decision_maker",
            "duplicate",
        } <= codes

    def test_default_catalogue_is_consistent(self) -> None:
        """The shipped catalogue passes its own check."""
        check_rejection_reasons(DEFAULT_REJECTION_REASONS)

    def test_duplicate_rejection_codes_are_refused_with_a_path(self) -> None:
        """A rejection code listed twice is refused at the second occurrence."""
        reasons = (*DEFAULT_REJECTION_REASONS, RejectionReason(code="no_budget", label="again"))
        with pytest.raises(ConfigurationError) as err:
            check_rejection_reasons(reasons)
        assert err.value.paths == (f"rejection_reasons[{len(reasons) - 1}].code",)

    def test_a_known_code_finds_its_label(self) -> None:
        """A rejection code resolves to the label shown to marketing."""
        assert find_rejection_reason("no_budget", DEFAULT_REJECTION_REASONS).label == "no budget"

    def test_unknown_rejection_code_is_refused_naming_the_known_codes(self) -> None:
        """A rejection always has a known reason; an unknown code lists the allowed ones."""
        with pytest.raises(ValidationError) as err:
            find_rejection_reason("dont_like_them", DEFAULT_REJECTION_REASONS)
        assert err.value.paths == ("reason",)
        assert "not_enough_information" in str(err.value)
