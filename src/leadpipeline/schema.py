"""JSON Schema (draft 2020-12) of every value a service exchanges, from the declared types.

The schemas are generated from the attrs classes' annotations and the converter's rules
(`leadpipeline.serialization`): a union of classes is an object with a ``"type"`` tag, a
datetime an RFC 3339 string with an offset, a date an ISO date, a duration a number of
seconds, an enum its values, a frozenset a list without repeats, and no object admits a
key it does not declare. Shared validators become keywords (a non-blank text, a
non-negative amount); the few cross-field rules no schema can state (an offer expires
after it was made) are listed under ``x-leadpipeline-rules`` and checked by `from_json`.

Anything the lead, command and event schemas accept, `from_json` accepts too, but for
those listed rules; JSON Schema counts ``1.0`` as an integer, which the converter
refuses: send integers without a fraction.

Example:
    >>> schema = json_schema("lead")
    >>> schema["$schema"], schema["$ref"]
    ('https://json-schema.org/draft/2020-12/schema', '#/$defs/Lead')
    >>> sorted(schema["$defs"]["Lead"]["required"])
    ['id', 'source']
    >>> "hand_over" in schema_names() and "error" in schema_names()
    True
"""

from __future__ import annotations

import enum
import functools
import math
import operator
import types
import typing
from collections.abc import Iterable
from typing import Any

import attrs

from leadpipeline import errors
from leadpipeline._schema_keywords import (
    FIELDS,
    REFINED,
    RULES,
    SCALARS,
    VALIDATORS,
    Schema,
    doc,
    error_schema,
    unchanged,
)
from leadpipeline.events import Event
from leadpipeline.lead import Lead
from leadpipeline.pipeline.results import CaptureResult, ImportReport
from leadpipeline.playbook import Playbook
from leadpipeline.rules import qualification
from leadpipeline.rules.scoring import Decay, Match, ScoreCard
from leadpipeline.rules.sla import Condition, Deadline
from leadpipeline.serialization import TAG, tag_of, unstructure
from leadpipeline.stages import (
    Command,
    HandoverPackage,
    Notification,
    OutboxEntry,
    PartnerPackage,
    Transition,
)

__all__ = ["DIALECT", "definitions", "json_schema", "schema_names"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of every schema here (the one OpenAPI 3.1 uses)."""

_UNIONS: dict[Any, tuple[str, str]] = {
    Event: ("Event", "Every fact that can appear in a lead's history."),
    Command: ("Command", "Every command a lead can be given."),
    Match: ("Match", "How a fit or negative rule tests its field."),
    Decay: ("Decay", "How an interaction's points shrink with its age."),
    Condition: ("Condition", "A condition on the event that starts an SLA clock."),
    qualification.Criterion: ("Criterion", "One test of a qualification definition."),
}

_ROOTS: dict[str, Any] = {
    "assessment": qualification.Assessment,
    "capture_result": CaptureResult,
    "command": Command,
    "deadline": Deadline,
    "event": Event,
    "handover_package": HandoverPackage,
    "import_report": ImportReport,
    "lead": Lead,
    "notification": Notification,
    "outbox_entry": OutboxEntry,
    "partner_package": PartnerPackage,
    "playbook": Playbook,
    "score_card": ScoreCard,
    "transition": Transition,
}


def _union_members(tp: Any) -> tuple[tuple[type, ...], bool] | None:
    """The attrs classes of a union of classes, and whether None is allowed."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    members = tuple(a for a in args if a is not type(None))
    if len(members) < 2 or not all(isinstance(a, type) and attrs.has(a) for a in members):
        return None
    return members, len(members) < len(args)


def _checks(validator: Any) -> Iterable[Any]:
    """The plain validator functions inside attrs' `and_` and `optional` wrappers."""
    if validator is None:
        return
    inner = getattr(validator, "_validators", None)
    if inner is None and type(validator).__name__ == "_OptionalValidator":
        inner = (validator.validator,)
    if inner is None:
        yield validator
        return
    for check in inner:
        yield from _checks(check)


def _keywords(cls: type, field: attrs.Attribute[Any]) -> Schema:
    found: Schema = {}
    for check in _checks(field.validator):
        found.update(VALIDATORS.get(check, {}))
    found.update(FIELDS.get((cls, field.name), {}))
    return found


def _default(field: attrs.Attribute[Any], tp: Any) -> tuple[bool, Any]:
    """Whether the field has a default worth showing in a schema, and its JSON form."""
    default = field.default
    if default is attrs.NOTHING or isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return False, None
    plain = unstructure(default, tp)
    if plain is None or isinstance(plain, str | bool | int | float) or plain == []:
        return not (isinstance(plain, float) and not math.isfinite(plain)), plain
    return False, None


class _Builder:
    """Collects one definition per class, enum and union reached from the roots."""

    def __init__(self, ref_prefix: str) -> None:
        self.prefix = ref_prefix
        self.defs: dict[str, Schema] = {}
        self.owners: dict[str, object] = {}

    def ref(self, name: str) -> Schema:
        return {"$ref": f"{self.prefix}{name}"}

    def _claim(self, name: str, owner: object) -> bool:
        """True when `name` still needs its definition; refuses two owners of one name."""
        known = self.owners.setdefault(name, owner)
        if known != owner:
            raise TypeError(f"two schemas would be called {name!r}: {known!r} and {owner!r}")
        return name not in self.defs

    def of(self, tp: Any) -> Schema:
        """The schema of a type annotation."""
        if tp in SCALARS:
            return dict(SCALARS[tp])
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._enum(tp)
        if isinstance(tp, type) and attrs.has(tp):
            return self._class(tp)
        union = _union_members(tp)
        if union is not None:
            members, optional = union
            named = self._union(functools.reduce(operator.or_, members), members)
            return {"anyOf": [named, {"type": "null"}]} if optional else named
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                inner = self.of(rest[0])
                if isinstance(inner.get("type"), str):  # a scalar: its keywords ignore null
                    return {**inner, "type": [inner["type"], "null"]}
                return {"anyOf": [inner, {"type": "null"}]}
        if origin is tuple and len(args) == 2 and args[1] is ...:
            return {"type": "array", "items": self.of(args[0])}
        if origin is tuple and args:
            return {
                "type": "array",
                "prefixItems": [self.of(a) for a in args],
                "items": False,
                "minItems": len(args),
            }
        if origin is frozenset and len(args) == 1:
            return {"type": "array", "items": self.of(args[0]), "uniqueItems": True}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def _enum(self, cls: type[enum.Enum]) -> Schema:
        if self._claim(cls.__name__, cls):
            values = [m.value for m in cls]
            kinds = {type(v) for v in values}
            kind = "string" if kinds == {str} else "integer" if kinds == {int} else None
            self.defs[cls.__name__] = {
                "title": cls.__name__,
                "description": doc(cls),
                **({"type": kind} if kind else {}),
                "enum": values,
            }
        return self.ref(cls.__name__)

    def _object(self, cls: type, tag: str | None = None) -> Schema:
        """The object schema of an attrs class, with the union tag when it has one."""
        hints = typing.get_type_hints(cls)
        properties: Schema = {TAG: {"const": tag}} if tag else {}
        required = [TAG] if tag else []
        for field in attrs.fields(cls):
            if not field.init:
                continue
            prop = {**self._field(hints[field.name], field), **_keywords(cls, field)}
            shown, default = _default(field, hints[field.name])
            if shown:
                prop["default"] = default
            else:
                required += [field.name] if field.default is attrs.NOTHING else []
            properties[field.name] = prop
        schema: Schema = {
            "title": cls.__name__,
            "description": doc(cls),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        rules = RULES.get(cls)
        if rules:
            schema["x-leadpipeline-rules"] = list(rules)
        return REFINED.get(cls, unchanged)(schema)

    def _field(self, tp: Any, field: attrs.Attribute[Any]) -> Schema:
        """A field's schema; a tuple the converter writes as a table is an object."""
        key = field.metadata.get("table_key")
        if key:
            item = self.of(typing.get_args(tp)[0])
            return {
                "type": "object",
                "additionalProperties": item,
                "description": f"Keyed by {key}; a {key} inside, if given, equals the key.",
            }
        if field.metadata.get("table_pairs"):
            return {"type": "object", "additionalProperties": dict(SCALARS[str])}
        return self.of(tp)

    def _class(self, cls: type) -> Schema:
        if self._claim(cls.__name__, cls):
            self.defs[cls.__name__] = {}  # reserved while its fields are built (recursion)
            self.defs[cls.__name__] = self._object(cls)
        return self.ref(cls.__name__)

    def _union(self, tp: Any, members: tuple[type, ...]) -> Schema:
        name, description = _UNIONS.get(tp, ("Or".join(m.__name__ for m in members), ""))
        if self._claim(name, tp):
            self.defs[name] = {}
            self.defs[name] = {
                "title": name,
                "description": f"{description} Each member carries its {TAG!r} tag.".strip(),
                "oneOf": [self._object(m, tag_of(m)) for m in members],
            }
        return self.ref(name)


def _root(name: str) -> Any:
    if name in _ROOTS:
        return _ROOTS[name]
    for found in _all_types():
        if _name_of(found) == name:
            return found
    raise errors.NotFoundError(name, what="schema")


def _name_of(tp: Any) -> str:
    return _UNIONS[tp][0].lower() if tp in _UNIONS else tag_of(tp)


@functools.cache
def _all_types() -> tuple[Any, ...]:
    """Every class, enum and union reachable from the roots, and each union's members."""
    builder = _Builder("#/$defs/")
    for tp in _ROOTS.values():
        builder.of(tp)
    found = list(builder.owners.values())
    for tp in list(found):
        union = _union_members(tp)
        found += [m for m in (union[0] if union else ()) if m not in found]
    return tuple(found)


def definitions(*roots: str | Any, ref_prefix: str = "#/$defs/") -> dict[str, Schema]:
    """The definitions the given roots need (every schema when none is given), by name.

    A root is a name from `schema_names` or a type (an attrs class of the host's own
    works too). `ref_prefix` is where the definitions will live in the document that
    holds them, e.g. ``"#/components/schemas/"`` for an OpenAPI document.

    Example:
        >>> sorted(definitions("party"))
        ['Party', 'PartyKind']
    """
    builder = _Builder(ref_prefix)
    for root in roots or ("error", *_ROOTS):
        if root == "error":
            builder.defs["Error"] = error_schema()
        else:
            builder.of(_root(root) if isinstance(root, str) else root)
    return builder.defs


def json_schema(root: str | Any) -> Schema:
    """One standalone draft 2020-12 schema: a value's name (`schema_names`) or its type.

    Raises:
        NotFoundError: no schema of that name.
        TypeError: a type with no JSON form.

    Example:
        >>> json_schema("error")["$ref"]
        '#/$defs/Error'
    """
    defs = definitions(root)
    if root == "error":
        top = "Error"
    else:
        tp = _root(root) if isinstance(root, str) else root
        top = _UNIONS[tp][0] if tp in _UNIONS else tp.__name__
    return {"$schema": DIALECT, "$ref": f"#/$defs/{top}", "$defs": defs}


def schema_names() -> tuple[str, ...]:
    """Every name `json_schema` and ``leadpipeline schema NAME`` know, sorted.

    The main ones: ``lead``, ``command``, ``event``, ``playbook``, ``score_card``,
    ``assessment``, ``notification``, ``transition`` and ``error``; then every class,
    enum and union inside them, by its name in snake case (``party``), and each member
    of a union on its own, without the tag (``hand_over``, ``lead_captured``).
    """
    names: set[str] = {"error", *_ROOTS, *(_name_of(tp) for tp in _all_types())}
    return tuple(sorted(names))


def _summaries(names: Iterable[str]) -> list[tuple[str, str]]:
    """Each name with its one-line description, for the command line's listing."""
    out = []
    for name in names:
        if name == "error":
            out.append((name, "A refusal as data: LeadPipelineError.to_dict()."))
            continue
        tp = _root(name)
        out.append((name, _UNIONS[tp][1] if tp in _UNIONS else doc(tp)))
    return out
