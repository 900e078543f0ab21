"""The lifecycle as data: validation, lookups, refusals and rendering."""

from __future__ import annotations

import pytest

from leadpipeline import ConfigurationError, PartyKind, TransitionError
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle, Stage, StageSpec

M, S, P, C = PartyKind.MARKETING, PartyKind.SALES, PartyKind.PARTNER, PartyKind.CUSTOMER_MARKETING


def spec(name: str, *owners: PartyKind, role: Stage | None = None) -> StageSpec:
    return StageSpec(name=name, owners=frozenset(owners), role=role)


def tiny(**overrides: object) -> Lifecycle:
    """A three-stage lifecycle: new -> working -> won."""
    fields: dict[str, object] = {
        "stages": (spec("new", M), spec("working", S), spec("won", C)),
        "moves": frozenset({("new", "working"), ("working", "won")}),
        "initial": "new",
    }
    fields.update(overrides)
    return Lifecycle(**fields)  # type: ignore[arg-type]


class TestStageSpec:
    def test_owner_kinds_accept_plain_strings(self) -> None:
        """Owners given as strings become PartyKind members."""
        stage = StageSpec(name="mql", owners=["marketing", "sales"])
        assert stage.owners == frozenset({M, S})

    def test_unknown_owner_kind_is_refused_at_its_index(self) -> None:
        """An owner kind that is not a PartyKind is refused, naming where it stands."""
        with pytest.raises(ConfigurationError) as info:
            StageSpec(name="mql", owners=["sales", "intern"])
        assert info.value.paths == ("owners[1]",)
        assert "'intern'" in str(info.value)
        assert "customer_marketing" in str(info.value)

    def test_a_single_name_is_not_taken_for_a_list(self) -> None:
        """``owners="sales"`` is refused rather than read as the letters s, a, l, e, s."""
        with pytest.raises(ConfigurationError) as info:
            StageSpec(name="mql", owners="sales")
        assert info.value.paths == ("owners",)


class TestLifecycleValidation:
    def test_a_valid_lifecycle_builds(self) -> None:
        """Three reachable stages, each with an owner, make a lifecycle."""
        assert tiny().allowed_from("new") == ("working",)

    def test_unreachable_stage_is_refused(self) -> None:
        """A stage no move leads to is refused, naming the stage."""
        with pytest.raises(ConfigurationError) as info:
            tiny(moves=frozenset({("new", "working")}))
        assert info.value.paths == ("stages",)
        assert "'won' cannot be reached from 'new'" in str(info.value)

    def test_stage_without_owner_is_refused(self) -> None:
        """Every stage needs at least one kind of owner: the lead always has one."""
        with pytest.raises(ConfigurationError) as info:
            tiny(stages=(spec("new", M), spec("working"), spec("won", C)))
        assert info.value.paths == ("stages[1].owners",)

    def test_duplicate_stage_is_refused(self) -> None:
        """A stage defined twice is refused at both places."""
        with pytest.raises(ConfigurationError) as info:
            tiny(stages=(spec("new", M), spec("working", S), spec("won", C), spec("new", S)))
        assert info.value.paths == ("stages[0].name", "stages[3].name")

    def test_blank_stage_name_is_refused(self) -> None:
        """A stage needs a name."""
        with pytest.raises(ConfigurationError) as info:
            tiny(stages=(spec("new", M), spec("working", S), spec("won", C), spec(" ", S)))
        assert "stages[3].name" in info.value.paths

    def test_unknown_stage_in_a_move_is_refused(self) -> None:
        """A move naming a stage that does not exist is refused at `moves`."""
        with pytest.raises(ConfigurationError) as info:
            tiny(moves=frozenset({("new", "working"), ("working", "won"), ("working", "lost")}))
        assert info.value.paths == ("moves",)
        assert "unknown stage 'lost'" in str(info.value)

    def test_unknown_initial_stage_is_refused(self) -> None:
        """The first stage must be one of the stages."""
        with pytest.raises(ConfigurationError) as info:
            tiny(initial="prospect")
        assert info.value.paths == ("initial",)

    def test_a_role_played_twice_is_refused(self) -> None:
        """Two stages cannot both be the MQL stage: decisions would not know which."""
        with pytest.raises(ConfigurationError) as info:
            tiny(
                stages=(
                    spec("new", M),
                    spec("working", S, role=Stage.MQL),
                    spec("won", C, role=Stage.MQL),
                )
            )
        assert info.value.paths == ("stages",)

    def test_configuration_error_is_a_validation_error(self) -> None:
        """Hosts catching ValidationError also catch an inconsistent lifecycle."""
        assert issubclass(ConfigurationError, ValueError)


class TestStandardLifecycle:
    def test_every_role_has_a_stage_of_its_name(self) -> None:
        """The standard waterfall names each stage after its role."""
        for role in Stage:
            assert STANDARD_LIFECYCLE.name_of(role) == role.value
            assert STANDARD_LIFECYCLE.role_of(role.value) is role

    def test_waterfall_moves(self) -> None:
        """An inquiry may become an MQL, be nurtured or be disqualified; a customer is final."""
        assert STANDARD_LIFECYCLE.allowed_from("inquiry") == ("disqualified", "mql", "nurture")
        assert STANDARD_LIFECYCLE.allowed_from("customer") == ()
        assert STANDARD_LIFECYCLE.can_move("opportunity", "customer")
        assert not STANDARD_LIFECYCLE.can_move("inquiry", "customer")

    def test_opportunities_are_worked_by_sales_or_a_partner(self) -> None:
        """Only sales or one partner can own an opportunity."""
        assert STANDARD_LIFECYCLE.spec("opportunity").owners == frozenset({S, P})

    def test_unknown_stage_lookup_names_the_stage(self) -> None:
        """Looking up a stage that does not exist is a ConfigurationError at `stage`."""
        with pytest.raises(ConfigurationError) as info:
            STANDARD_LIFECYCLE.spec("won")
        assert info.value.paths == ("stage",)
        assert not STANDARD_LIFECYCLE.has("won")

    def test_custom_lifecycle_without_a_role(self) -> None:
        """A lifecycle lacking the nurture role says so when asked for it."""
        with pytest.raises(ConfigurationError) as info:
            tiny().name_of(Stage.NURTURE)
        assert info.value.paths == ("stages",)


class TestCheckMove:
    def test_sales_cannot_jump_an_inquiry_to_customer(self) -> None:
        """Inquiry straight to customer is refused; the error names the allowed moves."""
        with pytest.raises(TransitionError) as info:
            STANDARD_LIFECYCLE.check_move(
                lead_id="L-1", src="inquiry", dst="customer", command="move_stage"
            )
        error = info.value
        assert (error.lead_id, error.stage) == ("L-1", "inquiry")
        assert error.command == "move_stage: inquiry -> customer"
        assert error.allowed == (
            "inquiry -> disqualified",
            "inquiry -> mql",
            "inquiry -> nurture",
        )

    def test_allowed_move_passes(self) -> None:
        """An allowed edge raises nothing."""
        STANDARD_LIFECYCLE.check_move(lead_id="L-1", src="sal", dst="sql", command="qualify_sql")


class TestRendering:
    def test_markdown_table_lists_each_stage(self) -> None:
        """The Markdown table has a header and one row per stage with owners and moves."""
        table = tiny().to_markdown().splitlines()
        assert table == [
            "| stage | role | owners | moves to |",
            "|---|---|---|---|",
            "| new | - | marketing | working |",
            "| working | - | sales | won |",
            "| won | - | customer_marketing | (final) |",
        ]

    def test_standard_markdown_shows_roles_and_shared_ownership(self) -> None:
        """The MQL row shows its role, both owners and its moves."""
        rows = STANDARD_LIFECYCLE.to_markdown().splitlines()
        assert "| mql | mql | marketing, sales | disqualified, inquiry, nurture, sal |" in rows
        assert len(rows) == 2 + len(STANDARD_LIFECYCLE.stages)

    def test_mermaid_diagram(self) -> None:
        """The mermaid diagram starts at the initial stage and draws every move once."""
        assert tiny().to_mermaid().splitlines() == [
            "stateDiagram-v2",
            "    [*] --> new",
            "    new: new (marketing)",
            "    working: working (sales)",
            "    won: won (customer_marketing)",
            "    new --> working",
            "    working --> won",
        ]

    def test_standard_mermaid_has_every_move(self) -> None:
        """Each of the standard moves appears as an arrow."""
        lines = STANDARD_LIFECYCLE.to_mermaid().splitlines()
        arrows = [line for line in lines if "-->" in line and "[*]" not in line]
        assert len(arrows) == len(STANDARD_LIFECYCLE.moves)
