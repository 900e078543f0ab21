"""The JSON Schema module: names, standalone schemas, the converter's rules as keywords."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from typing import Any

import attrs
import jsonschema
import pytest

from leadpipeline import Command, Event, Lead, Party, Source, from_json, to_json
from leadpipeline import errors as error_module
from leadpipeline._schema_keywords import EXPRESSED, RULES
from leadpipeline.adapters.notification import DeliveryError
from leadpipeline.errors import (
    LeadIdTakenError,
    NotFoundError,
    QualificationError,
    ValidationError,
)
from leadpipeline.schema import DIALECT, definitions, json_schema, schema_names
from leadpipeline.serialization import tag_of, unstructure
from tests.schema_strategies import validator_for

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def valid(name: str, payload: object) -> bool:
    return bool(validator_for(json_schema(name)).is_valid(payload))


def a_lead(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(
        Lead(id="L-1", source=Source(channel="web", captured_at=NOW))
    )
    data.update(changes)
    return data


class TestNames:
    def test_the_main_values_and_every_command_and_event_have_a_name(self) -> None:
        """Lead, command, event, playbook, cards, errors, and each command and event alone."""
        names = set(schema_names())
        assert {"lead", "command", "event", "playbook", "score_card", "assessment"} <= names
        assert {"error", "notification", "transition", "outbox_entry"} <= names
        assert {tag_of(c) for c in typing.get_args(Command)} <= names
        assert {tag_of(c) for c in typing.get_args(Event)} <= names

    @pytest.mark.parametrize("name", schema_names())
    def test_every_schema_is_a_valid_draft_2020_12_schema(self, name: str) -> None:
        """Each standalone schema passes the draft 2020-12 meta-schema and resolves its refs."""
        schema = json_schema(name)
        assert schema["$schema"] == DIALECT
        jsonschema.Draft202012Validator.check_schema(schema)
        validator_for(schema).is_valid({})  # resolves every reference it meets

    def test_an_unknown_name_is_not_found(self) -> None:
        """Asking for a schema that does not exist raises NotFoundError naming it."""
        with pytest.raises(NotFoundError, match="schema 'leed' not found"):
            json_schema("leed")

    def test_a_hosts_own_attrs_class_gets_a_schema_by_the_same_rules(self) -> None:
        """A host's request body class gets a schema with the library's parts as references."""

        @attrs.frozen(kw_only=True)
        class Assignment:
            lead_id: str
            to: Party
            at: datetime

        defs = definitions(Assignment, ref_prefix="#/components/schemas/")
        assert defs["Assignment"]["properties"]["to"] == {"$ref": "#/components/schemas/Party"}
        assert defs["Assignment"]["required"] == ["lead_id", "to", "at"]

    def test_validators_inside_attrs_wrappers_still_become_keywords(self) -> None:
        """A check wrapped in attrs' optional or and_ (a type check beside it) still counts."""
        from leadpipeline._checks import non_negative, not_blank  # noqa: PLC0415

        @attrs.frozen(kw_only=True)
        class Checked:
            name: str | None = attrs.field(
                default=None,
                validator=attrs.validators.optional(
                    attrs.validators.and_(attrs.validators.instance_of(str), not_blank)
                ),
            )
            size: int = attrs.field(
                default=0, validator=[attrs.validators.instance_of(int), non_negative]
            )

        props = definitions(Checked)["Checked"]["properties"]
        assert "pattern" in props["name"]
        assert props["size"]["minimum"] == 0

    def test_a_type_with_no_json_form_is_refused(self) -> None:
        """A field of a type the converter cannot write is a TypeError, not a silent gap."""

        @attrs.frozen
        class Odd:
            values: dict[str, int]

        with pytest.raises(TypeError, match="no JSON Schema"):
            definitions(Odd)


class TestConverterRules:
    def test_a_lead_as_written_validates(self) -> None:
        """A lead's JSON as `to_json` writes it is valid."""
        assert valid("lead", a_lead())

    def test_naive_datetimes_are_refused(self) -> None:
        """A capture time without a UTC offset is invalid, as the converter refuses it."""
        assert not valid(
            "lead", a_lead(source={"channel": "web", "captured_at": "2026-03-04T10:00:00"})
        )
        assert valid(
            "lead", a_lead(source={"channel": "web", "captured_at": "2026-03-04T10:00:00Z"})
        )

    def test_unknown_keys_and_blank_ids_are_refused(self) -> None:
        """An undeclared key or a blank id is invalid."""
        assert not valid("lead", a_lead(colour="red"))
        assert not valid("lead", a_lead(id="   "))

    def test_a_union_member_carries_its_tag(self) -> None:
        """A command in a command slot needs its type tag; on its own it has none."""
        hand_over = {"to": {"kind": "sales", "team": "inside-sales"}}
        assert valid("command", {"type": "hand_over", **hand_over})
        assert not valid("command", hand_over)
        assert valid("hand_over", hand_over)
        assert not valid("hand_over", {"type": "hand_over", **hand_over})

    @pytest.mark.parametrize(
        ("party", "ok"),
        [
            ({"kind": "partner", "partner_id": "p-1"}, True),
            ({"kind": "partner"}, False),
            ({"kind": "marketing", "partner_id": "p-1"}, False),
            ({"kind": "sales", "team": "direct", "rep": "ann"}, True),
            ({"kind": "marketing", "team": "direct"}, False),
            ({"kind": "customer_marketing"}, True),
        ],
    )
    def test_a_partys_kind_decides_its_other_fields(self, party: dict[str, Any], ok: bool) -> None:
        """Only a partner has a partner id, and only sales a team or rep."""
        assert valid("party", party) is ok

    def test_durations_are_seconds(self) -> None:
        """An offer's expiry is a positive number of seconds."""
        assert valid("command", {"type": "offer_to_partners", "expires_in": 172800})
        assert not valid("command", {"type": "offer_to_partners", "expires_in": 0})
        assert not valid("command", {"type": "offer_to_partners", "expires_in": "2 days"})

    def test_a_breach_without_a_due_instant_is_refused_both_ways(self) -> None:
        """A caller's breach must say when it was due: the schema and the converter agree."""
        deadline = {"policy": "p", "lead_id": "L-1", "started_at": "2026-03-04T10:00:00Z"}
        breach = {"now": "2026-03-05T10:00:00Z", "late": 60, "open": True}
        late = {"type": "escalate", "breaches": [{**breach, "deadline": {**deadline}}]}
        late["breaches"][0]["deadline"]["due_at"] = None
        assert not valid("command", late)
        with pytest.raises(ValidationError, match=r"breaches\[0\]\.deadline\.due_at"):
            from_json(json.dumps(late), Command)
        late["breaches"][0]["deadline"]["due_at"] = "2026-03-04T18:00:00Z"
        assert valid("command", late)
        assert from_json(json.dumps(late), Command) == from_json(json.dumps(late), Command)


class TestCrossFieldRules:
    def test_every_checked_class_lists_its_rules_or_states_them(self) -> None:
        """A class that checks fields together either says so in its schema or states it."""
        checked = {
            tp
            for tp in _reachable()
            if isinstance(tp, type) and attrs.has(tp) and "__attrs_post_init__" in tp.__dict__
        }
        assert checked - set(RULES) - EXPRESSED == set()

    def test_the_rules_appear_in_the_schema(self) -> None:
        """An offer's schema lists the rule that it expires after it was made."""
        offer = json_schema("offer")["$defs"]["Offer"]
        assert offer["x-leadpipeline-rules"] == ["expires_at is after offered_at"]


class TestErrorSchema:
    @pytest.mark.parametrize(
        "error",
        [
            *(
                cls(lead_id="L-1", stage="sal", command="accept")
                for cls in (
                    error_module.TransitionError,
                    error_module.OfferError,
                    error_module.PartnerAccessError,
                )
            ),
            QualificationError(lead_id="L-1", stage="inquiry", command="qualify", assessment=None),
            LeadIdTakenError(lead_id="L-1", stage="inquiry", differences=("contact.email",)),
            error_module.ValidationError.at("id", "must not be blank"),
            error_module.ConfigurationError.at("stages", "unreachable"),
            error_module.ConflictError(lead_id="L-1", expected=1, actual=2),
            NotFoundError("L-1"),
            error_module.StoreError("newer schema"),
            error_module.LeadPipelineError("anything"),
            DeliveryError("receiver answered 500"),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_every_error_as_a_dict_validates(self, error: error_module.LeadPipelineError) -> None:
        """Each error type's dict validates against the error schema."""
        assert valid("error", error.to_dict())

    def test_every_error_type_has_a_variant(self) -> None:
        """The error schema names every error class the library raises."""
        variants = json_schema("error")["$defs"]["Error"]["oneOf"]
        named = {v["properties"]["type"]["const"] for v in variants}
        classes = {getattr(error_module, n) for n in error_module.__all__} | {DeliveryError}
        assert named == {error_module._snake(c.__name__) for c in classes}


def _reachable() -> tuple[Any, ...]:
    from leadpipeline.schema import _all_types  # noqa: PLC0415  # the walk the names come from

    return _all_types()


def test_to_json_output_is_what_the_schema_describes() -> None:
    """A minimal lead, written by to_json, validates against the standalone schema."""
    import json  # noqa: PLC0415

    lead = Lead(id="L-1", source=Source(channel="web", captured_at=NOW))
    assert valid("lead", json.loads(to_json(lead)))
