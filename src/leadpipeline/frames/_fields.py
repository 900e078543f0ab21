"""The lead fields a column may feed, read from the value classes themselves.

Why: the door must check what the values' validators check (not blank, not negative,
positive, required), or a row it accepted could fail when its `Lead` is built. The
catalogue is derived from the attrs fields of `Lead` and its parts, so a field or a
validator added to a value class reaches the door without a second list to keep.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from datetime import date, datetime
from typing import Any

import attrs

from leadpipeline._checks import non_negative, not_blank, positive
from leadpipeline.lead import Lead

__all__ = ["OUTCOME_FIELDS", "Check", "FieldSpec", "Kind", "lead_fields", "spec_of"]


class Kind(enum.StrEnum):
    """What a column holds once converted, and so its Arrow type."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"
    TEXTS = "texts"


class Check(enum.StrEnum):
    """An invariant a value's validator guards, checked at the door as well."""

    NOT_BLANK = "not_blank"
    NON_NEGATIVE = "non_negative"
    POSITIVE = "positive"


_CHECKS = {not_blank: Check.NOT_BLANK, non_negative: Check.NON_NEGATIVE, positive: Check.POSITIVE}

# Parts of a lead that record its journey, not what an export knows about the prospect;
# touches come in through the touch columns or table instead of a field.
_NOT_FROM_COLUMNS = frozenset(
    {
        "stage",
        "owner",
        "channel",
        "offers",
        "returned_by",
        "lapsed_offers",
        "merged_sources",
        "erased",
        "version",
        "holdings",
        "interactions",
    }
)


@attrs.frozen(kw_only=True)
class FieldSpec:
    """One leaf field a column can feed: its path, kind, invariants and whether required."""

    path: str
    kind: Kind
    required: bool = False
    checks: frozenset[Check] = frozenset()
    within: str | None = None
    """The optional record holding the field (``company.annual_revenue``), if any: such a
    record exists when its first required field has a value, and `required` then means
    required within it."""


def _kind(tp: Any) -> Kind | None:
    if tp is int:
        return Kind.INT
    if tp is float:
        return Kind.FLOAT
    if tp is str:
        return Kind.TEXT
    if tp is datetime:
        return Kind.DATETIME
    if tp is date:
        return Kind.DATE
    if typing.get_origin(tp) is tuple and typing.get_args(tp) == (str, ...):
        return Kind.TEXTS
    return None


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _checks_of(attribute: attrs.Attribute[Any]) -> frozenset[Check]:
    validator = getattr(attribute.validator, "own", attribute.validator)  # behind the type check
    found = getattr(validator, "_validators", (validator,))
    return frozenset(_CHECKS[v] for v in found if v in _CHECKS)


def _walk(cls: type, prefix: str, within: str | None) -> list[FieldSpec]:
    specs = []
    hints = typing.get_type_hints(cls)
    for attribute in attrs.fields(cls):
        path = f"{prefix}{attribute.name}"
        if path in _NOT_FROM_COLUMNS:
            continue
        hint = hints[attribute.name]
        tp = _unwrap(hint)
        if isinstance(tp, type) and attrs.has(tp):
            optional = tp is not hint
            specs += _walk(tp, f"{path}.", path if optional and within is None else within)
            continue
        kind = _kind(tp)
        if kind is None:
            continue
        required = attribute.default is attrs.NOTHING
        specs.append(
            FieldSpec(
                path=path,
                kind=kind,
                required=required,
                checks=_checks_of(attribute),
                within=within,
            )
        )
    return specs


@functools.cache
def lead_fields() -> dict[str, FieldSpec]:
    """Every leaf field of a `Lead` a column may feed, by dotted path.

    Example:
        >>> spec = lead_fields()["company.employees"]
        >>> spec.kind, sorted(spec.checks)
        (<Kind.INT: 'int'>, [<Check.NON_NEGATIVE: 'non_negative'>])
        >>> lead_fields()["source.channel"].required
        True
    """
    return {spec.path: spec for spec in _walk(Lead, "", None)}


OUTCOME_FIELDS: dict[str, FieldSpec] = {
    "outcome.result": FieldSpec(path="outcome.result", kind=Kind.TEXT),
    "outcome.closed_at": FieldSpec(path="outcome.closed_at", kind=Kind.DATETIME),
    "outcome.revenue": FieldSpec(
        path="outcome.revenue", kind=Kind.FLOAT, checks=frozenset({Check.NON_NEGATIVE})
    ),
    "outcome.reason": FieldSpec(path="outcome.reason", kind=Kind.TEXT),
    "outcome.stage": FieldSpec(path="outcome.stage", kind=Kind.TEXT),
}
"""The columns a back-test reads besides the lead's own fields (``reached.<stage>`` too)."""


def spec_of(path: str) -> FieldSpec | None:
    """The spec of a lead field, an outcome column or a ``reached.<stage>`` date; else None."""
    if path.startswith("reached.") and len(path) > len("reached."):
        return FieldSpec(path=path, kind=Kind.DATETIME)
    return lead_fields().get(path) or OUTCOME_FIELDS.get(path)
