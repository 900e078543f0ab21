"""Every value checks each field against its declared type when it is built.

Why: a value that holds the wrong type (`employees=True`, `email=123`, a string where a
tuple belongs) passes into the core, is written, and then every read refuses it. Checking
the declared type at construction refuses it at the door, naming the field, before any
store can accept what it cannot read back. Pass `typed` as the `field_transformer` of a
value class; hot loops that build values from already checked parts use
`leadpipeline._unchecked` and skip this.

Whole numbers given for float fields become floats, so a value reads back the way it was
written (``100`` and ``100.0`` are one score); NaN and infinity are refused there, as JSON
holds neither. Instants lie between 1900 and the year 8999 and durations within a
century, so adding one to the other never leaves the calendar.
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from leadpipeline._checks import EARLIEST, LATEST, as_float
from leadpipeline.errors import ValidationError

__all__ = ["LONGEST", "typed"]

_Test = Callable[[Any], bool]
_ANY: _Test = lambda _: True  # noqa: E731  # the one predicate that needs no name


LONGEST = timedelta(days=36_525)
"""The longest duration a value may hold: a century (see `leadpipeline._checks.LATEST`)."""


def _is_text(v: Any) -> bool:
    if type(v) is str and v.isascii():  # the common case, decided in two C calls
        return "\x00" not in v
    if not isinstance(v, str) or "\x00" in v:  # NUL: PostgreSQL's JSON cannot hold it
        return False
    if v.isascii():
        return True
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no store or wire format can hold it
        return False
    return True


def _is_instant(v: Any) -> bool:
    if not isinstance(v, datetime):
        return False
    if v.tzinfo is None or v.utcoffset() is None:
        return True  # the field's own validator refuses a naive instant, saying so
    return EARLIEST <= v < LATEST


def _is_duration(v: Any) -> bool:
    return isinstance(v, timedelta) and -LONGEST <= v <= LONGEST


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_float(v: Any) -> bool:
    return type(v) is float and math.isfinite(v)


def _is_date(v: Any) -> bool:
    return isinstance(v, date) and not isinstance(v, datetime)


_LEAVES: dict[Any, tuple[_Test, str]] = {
    str: (_is_text, "a string of valid Unicode without NUL"),
    int: (_is_int, "an integer"),
    float: (_is_float, "a finite number"),
    bool: (lambda v: type(v) is bool, "true or false"),
    datetime: (_is_instant, "a datetime from 1900 up to the year 8999"),
    date: (_is_date, "a date"),
    timedelta: (_is_duration, "a duration (timedelta) of at most a century"),
    type(None): (lambda v: v is None, "nothing (None)"),
}


def _members(tests: list[tuple[_Test, str]]) -> tuple[_Test, str]:
    what = " or ".join(d for _, d in tests)
    nothing = _LEAVES[type(None)]
    if len(tests) == 2 and nothing in tests:  # `X | None`, the common union: no generator
        (inner, _) = tests[0] if tests[1] is nothing else tests[1]
        return (lambda v: v is None or inner(v)), what
    predicates = tuple(t for t, _ in tests)
    return (lambda v: any(p(v) for p in predicates)), what


def _by_class(tp: Any) -> bool:
    """Whether a value of `tp` is checked by `isinstance` alone (value classes, enums)."""
    return isinstance(tp, type) and (attrs.has(tp) or issubclass(tp, enum.Enum))


def _test_of(tp: Any) -> tuple[_Test, str]:  # one case per kind of type
    """A predicate for values of `tp`, and how to describe it in a refusal."""
    if tp in _LEAVES:
        return _LEAVES[tp]
    if tp is Any or tp is object:
        return _ANY, "anything"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        classes = tuple(a for a in args if a is not type(None))
        if all(_by_class(a) for a in classes):  # a union of value classes: one C call
            what = " or ".join(_test_of(a)[1] for a in args)
            if len(classes) < len(args):
                return (lambda v: v is None or isinstance(v, classes)), what
            return (lambda v: isinstance(v, classes)), what
        return _members([_test_of(a) for a in args])
    if origin is typing.Literal:
        allowed = args
        return (lambda v: v in allowed), f"one of {', '.join(map(repr, allowed))}"
    if origin is tuple:
        return _tuple_test(args)
    if origin is frozenset:
        inner, what = _test_of(args[0]) if args else (_ANY, "anything")
        return (
            lambda v: isinstance(v, frozenset) and all(inner(x) for x in v)
        ), f"a frozen set (each item {what})"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            values = ", ".join(repr(m.value) for m in tp)
            return (lambda v: isinstance(v, tp)), f"a {tp.__name__} ({values})"
        if attrs.has(tp):
            return (lambda v: isinstance(v, tp)), f"a {tp.__name__}"
    # callables, protocols and type variables: whatever the annotation promises statically
    return _ANY, "anything"


def _tuple_test(args: tuple[Any, ...]) -> tuple[_Test, str]:
    if len(args) == 2 and args[1] is ...:
        inner, what = _test_of(args[0])
        return (
            lambda v: type(v) is tuple and all(inner(x) for x in v)
        ), f"a tuple (each item {what})"
    tests = tuple(_test_of(a)[0] for a in args)
    return (
        lambda v: (
            type(v) is tuple
            and len(v) == len(tests)
            and all(t(x) for t, x in zip(tests, v, strict=True))
        )
    ), f"a tuple of {len(tests)} items"


class _Declared:
    """The validator of one field: its declared type, resolved on first use, then its own.

    One callable per field (not attrs' `and_` of two): building values is the core's
    hot path, and each layer of calls per field is paid on every value built.
    """

    __slots__ = ("_cls", "_name", "_test", "_then", "_validators")

    def __init__(self, cls: type, name: str, then: Any) -> None:
        self._cls = cls
        self._name = name
        self._test: tuple[_Test, str] | None = None
        self._then = then
        # the field's own validators, where the schema and the frames' door read them
        # (the name attrs' `and_` gives them)
        self._validators: tuple[Any, ...] = (
            () if then is None else tuple(getattr(then, "_validators", (then,)))
        )

    @property
    def own(self) -> Any:
        """The field's own validator, run after the type check (None when it has none)."""
        return self._then

    def _resolve(self) -> tuple[_Test, str]:
        hints = typing.get_type_hints(self._cls)
        self._test = _test_of(hints[self._name])
        return self._test

    def __call__(self, instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        test, what = self._test or self._resolve()
        if not test(value):
            raise ValidationError.at(
                attribute.name, f"expected {what}, got {type(value).__name__} {value!r}"
            )
        if self._then is not None:
            self._then(instance, attribute, value)


_WHOLE_TO_FLOAT: attrs.Converter[Any, Any] = attrs.Converter(as_float)


def typed(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """An attrs `field_transformer`: each field checks its declared type before its validators.

    Example:
        >>> @attrs.frozen(kw_only=True, field_transformer=typed)
        ... class Visit:
        ...     pages: int
        ...     tags: tuple[str, ...] = ()
        >>> Visit(pages=3, tags=("pricing",)).pages
        3
        >>> Visit(pages=True)
        Traceback (most recent call last):
        ...
        leadpipeline.errors.ValidationError: pages: expected an integer, got bool True
        >>> Visit(pages=1, tags="pricing")
        Traceback (most recent call last):
        ...
        leadpipeline.errors.ValidationError: tags: expected a tuple ..., got str 'pricing'
    """
    out = []
    for field in fields:
        if not field.init:  # set after __init__ by the class itself, from checked fields
            out.append(field)
            continue
        validator = _Declared(cls, field.name, field.validator)
        converter = field.converter
        if converter is None and field.type in ("float", "float | None", float):
            converter = _WHOLE_TO_FLOAT
        out.append(field.evolve(validator=validator, converter=converter))
    return out
