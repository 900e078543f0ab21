"""One strict converter for every value and event, and the JSON/TOML helpers around it.

The model knows nothing of wire formats; this module is the only place that does. The
converter is private and strict: a number where a string belongs, a string where a number
belongs, a bool where an int belongs, naive datetimes and unknown keys are refused, and every
refusal names the field path (``company.annual_revenue.amount: expected a number``).

A field typed as a union of attrs classes (an event, a scoring rule, a criterion) is written
with a ``"type"`` tag: the class name in snake case.

A tuple field whose metadata says ``table_key`` (values keyed by one of their fields, such
as named calendars) or ``table_pairs`` (pairs of texts) is written as a table: in TOML,
``[calendars.vienna]`` and ``[team_calendars]``.
"""

from __future__ import annotations

import enum
import json
import re
import tomllib
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from leadpipeline._durations import business_hours, duration_text
from leadpipeline._json import parse_int, too_deep
from leadpipeline._paths import RefusedError, problems
from leadpipeline._scalars import (
    expected,
    structure_bool,
    structure_date,
    structure_datetime,
    structure_enum,
    structure_float,
    structure_int,
    structure_str,
    structure_timedelta,
)
from leadpipeline._tables import _table_of, _table_overrides
from leadpipeline._toml import to_toml
from leadpipeline.errors import ValidationError
from leadpipeline.events import Event

__all__ = [
    "dumps",
    "from_json",
    "from_toml",
    "load_file",
    "structure",
    "tag_of",
    "to_json",
    "to_toml",
    "unstructure",
]

T = TypeVar("T")
TAG = "type"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def tag_of(cls: type) -> str:
    """The ``"type"`` tag a class carries inside a union: its name in snake case.

    Example:
        >>> from leadpipeline.events import StageChanged
        >>> tag_of(StageChanged)
        'stage_changed'
    """
    return _snake(cls.__name__)


def _origin(tp: Any) -> Any:
    return typing.get_origin(tp)


def _union_members(tp: Any) -> tuple[type, ...] | None:
    """The attrs classes of a union of two or more attrs classes (None allowed), else None."""
    origin = typing.get_origin(tp)
    if origin is not typing.Union and origin is not types.UnionType:
        return None
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if len(args) < 2 or not all(isinstance(a, type) and attrs.has(a) for a in args):
        return None
    return tuple(args)


def _make_converter(*, durations_as_text: bool = False) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, structure_str)
    conv.register_structure_hook(int, structure_int)
    conv.register_structure_hook(float, structure_float)
    conv.register_structure_hook(bool, structure_bool)
    conv.register_structure_hook(datetime, structure_datetime)
    conv.register_structure_hook(date, structure_date)
    conv.register_structure_hook(timedelta, structure_timedelta)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(
        timedelta, duration_text if durations_as_text else timedelta.total_seconds
    )
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), structure_enum
    )
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda member: member.value
    )

    def unstructure_set(value: frozenset[Any]) -> list[Any]:
        items = [conv.unstructure(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)

    conv.register_unstructure_hook_func(
        lambda t: _origin(t) in (frozenset, set) or t in (frozenset, set),
        unstructure_set,
    )
    _register_containers(conv)
    _register_unstructure(conv)
    return conv


def _register_containers(conv: cattrs.Converter) -> None:
    """Strict lists, tagged unions, and attrs classes that must arrive as tables."""

    def structure_union(members: tuple[type, ...], optional: bool) -> Callable[[Any, Any], Any]:
        by_tag = {tag_of(m): m for m in members}

        def hook(value: Any, _: Any) -> Any:
            if value is None and optional:
                return None
            if not isinstance(value, dict):
                raise expected(f"a table with a {TAG!r} key", value)
            if TAG not in value:
                raise ValidationError.at(TAG, "required field missing")
            tag = value[TAG]
            if tag not in by_tag:
                allowed = ", ".join(sorted(by_tag))
                raise ValidationError.at(TAG, f"expected one of {allowed}, got {tag!r}")
            rest = {k: v for k, v in value.items() if k != TAG}
            return conv.structure(rest, by_tag[tag])

        return hook

    def structure_union_factory(tp: Any) -> Callable[[Any, Any], Any]:
        members = _union_members(tp)
        assert members is not None  # the predicate guarantees it
        return structure_union(members, type(None) in typing.get_args(tp))

    def attrs_factory(cls: type) -> Callable[[Any, Any], Any]:
        inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, conv, **_table_overrides(conv, cls, structure=True)
        )

        def hook(value: Any, tp: Any) -> Any:
            if not isinstance(value, dict):
                raise expected("a table of fields", value)
            return inner(value, tp)

        return hook

    conv.register_structure_hook_factory(attrs.has, attrs_factory)

    def sequence_factory(tp: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(tp)
        homogeneous = typing.get_origin(tp) is frozenset or (len(args) == 2 and args[1] is ...)
        kind = typing.get_origin(tp)

        def hook(value: Any, _: Any) -> Any:
            if not isinstance(value, list | tuple):
                raise expected("a list", value)
            if not homogeneous and len(value) != len(args):
                raise RefusedError(f"expected a list of {len(args)} items, got {len(value)}")
            items, errors = [], []
            for i, item in enumerate(value):
                elem = args[0] if homogeneous else args[i]
                try:
                    items.append(conv.get_structure_hook(elem)(item, elem))
                except Exception as exc:  # collected, re-raised as a group below
                    exc.__notes__ = [IterableValidationNote(f"index {i}", i, elem)]
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"while structuring {tp}", errors, tp)
            return kind(items)

        return hook

    conv.register_structure_hook_factory(
        lambda t: _origin(t) in (tuple, frozenset) and bool(typing.get_args(t)),
        sequence_factory,
    )
    conv.register_structure_hook_factory(_is_union, structure_union_factory)


def _is_union(tp: Any) -> bool:
    return _union_members(tp) is not None


def _register_unstructure(conv: cattrs.Converter) -> None:
    """Tagged unions on the way out, and the cheap paths most values take."""

    def unstructure_union_factory(tp: Any) -> Callable[[Any], Any]:
        # each member's tag and hook, found on first use (a member's hook may not exist
        # yet while this one is being made)
        members: dict[type, tuple[str, Callable[[Any], Any]]] = {}

        def hook(value: Any) -> Any:
            if value is None:
                return None
            cls = type(value)
            found = members.get(cls)
            if found is None:
                found = members[cls] = (tag_of(cls), conv.get_unstructure_hook(cls))
            tag, inner = found
            return {TAG: tag, **inner(value)}

        return hook

    conv.register_unstructure_hook_factory(_is_union, unstructure_union_factory)

    def passes_through(tp: Any) -> bool:
        origin = typing.get_origin(tp)
        if origin is not typing.Union and origin is not types.UnionType:
            return False
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return len(args) == 1 and args[0] in (str, int, float, bool)

    # `str | None` and friends need no work either way; an identity hook lets the
    # generated functions copy such fields inline instead of calling a hook per field.
    conv.register_unstructure_hook_factory(passes_through, lambda _: identity)

    def tuple_of_values(tp: Any) -> bool:
        args = typing.get_args(tp)
        return _origin(tp) is tuple and len(args) == 2 and args[1] is ... and attrs.has(args[0])

    def unstructure_tuple_factory(tp: Any) -> Callable[[Any], Any]:
        hook = conv.get_unstructure_hook(typing.get_args(tp)[0])
        return lambda values: [hook(v) for v in values] if values else []

    # A lead holds several tuples of values, mostly short or empty: a comprehension that
    # skips empty ones is cheaper than the generic iterable hook's generator.
    conv.register_unstructure_hook_factory(tuple_of_values, unstructure_tuple_factory)

    def with_tables(tp: Any) -> bool:
        return attrs.has(tp) and any(_table_of(f) for f in attrs.fields(tp))

    conv.register_unstructure_hook_factory(
        with_tables,
        lambda cls: make_dict_unstructure_fn(
            cls, conv, **_table_overrides(conv, cls, structure=False)
        ),
    )


_converter = _make_converter()
_text_converter: list[cattrs.Converter] = []  # built on the first TOML write


def unstructure_for_people(value: object) -> Any:
    """Plain data like `unstructure`, with durations as ``"3d"``/``"8h"`` text (for TOML)."""
    if not _text_converter:
        _text_converter.append(_make_converter(durations_as_text=True))
    return business_hours(_text_converter[0].unstructure(value))


def structure(data: object, cls: type[T] | Any) -> T:
    """Build a value of `cls` from plain data, refusing anything not exactly right.

    Raises:
        ValidationError: naming every bad field by its path.

    Example:
        >>> from leadpipeline.lead import Revenue
        >>> structure({"amount": 2.5e6, "source": "broker"}, Revenue).amount
        2500000.0
        >>> structure({"amount": "lots", "source": "broker"}, Revenue)
        Traceback (most recent call last):
        ...
        leadpipeline.errors.ValidationError: amount: expected a number, got str 'lots'
    """
    try:
        result: T = _converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise ValidationError(list(problems(exc, ""))) from None
    except ValidationError:
        raise
    except RefusedError as exc:
        raise ValidationError.at("", str(exc)) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ValidationError(list(problems(exc, ""))) from None
    return result


_EVENT_TYPES = frozenset(typing.get_args(Event))
_HISTORY = tuple[Event, ...]


def _is_history(value: object) -> bool:
    """A non-empty tuple or list of events: written with each event's tag."""
    return (
        isinstance(value, (tuple, list))
        and bool(value)
        and all(type(v) in _EVENT_TYPES for v in value)
    )


def unstructure(value: object, as_type: Any = None) -> Any:
    """Plain data (dicts, lists, strings, numbers) for a value; `as_type` adds union tags.

    A history (a tuple or list of events) is tagged without being told, so it reads back
    with `structure(data, tuple[Event, ...])`.

    Example:
        >>> from leadpipeline.lead import Revenue
        >>> unstructure(Revenue(amount=10.0, source="broker"))
        {'amount': 10.0, 'currency': 'EUR', 'source': 'broker', 'as_of': None}
    """
    if as_type is None:
        if _is_history(value):
            return _converter.unstructure(value, unstructure_as=_HISTORY)
        return _converter.unstructure(value)
    return _converter.unstructure(value, unstructure_as=as_type)


# Unstructured values are trees, never cyclic: skipping the cycle check is safe and
# saves a dictionary of visited ids per call.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False).encode


def to_json(value: object, as_type: Any = None) -> str:
    """The value as a JSON string; a history's events carry their ``"type"`` tags.

    Example:
        >>> from leadpipeline.lead import Party
        >>> to_json(Party.partner("p-1"))
        '{"kind": "partner", "team": null, "rep": null, "partner_id": "p-1"}'
    """
    return _encode(unstructure(value, as_type))


def dumps(data: object) -> str:
    """Plain data (from `unstructure`) as JSON text, written exactly as `to_json` writes.

    For adapters that adjust plain data before writing it. The data must be a tree, as
    `unstructure` makes it: a structure that contains itself is not detected.

    Example:
        >>> dumps({"stage": "mql", "score": 61.5})
        '{"stage": "mql", "score": 61.5}'
    """
    return _encode(data)


def from_json(text: str | bytes, cls: type[T] | Any) -> T:
    """Parse JSON text into a value of `cls`.

    Raises:
        ValidationError: for malformed JSON (with line and column) or any bad field.

    Example:
        >>> from leadpipeline.lead import Party
        >>> from_json('{"kind": "partner", "partner_id": "p-1"}', Party).partner_id
        'p-1'
    """
    try:
        data = json.loads(text, parse_int=parse_int)
    except RecursionError:
        raise ValidationError.at(too_deep(text), "JSON nested too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise ValidationError.at(
            "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ValidationError.at("", f"invalid JSON: {exc.reason}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise ValidationError.at("", f"invalid JSON: {exc}") from None
    value: T = structure(data, cls)
    return value


def from_toml(text: str, cls: type[T] | Any) -> T:
    """Parse TOML text into a value of `cls` (TOML has no null: omit optional keys)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError.at("", f"invalid TOML: {exc}") from None
    value: T = structure(data, cls)
    return value


def load_file(path: str | Path, cls: type[T] | Any) -> T:
    """Load a value from a ``.json`` or ``.toml`` file; errors name the file.

    Raises:
        ValidationError: unreadable file, unknown suffix, or any bad field.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError.at(str(file), f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError.at(str(file), "not UTF-8 text") from None
    suffix = file.suffix.lower()
    try:
        if suffix == ".json":
            return typing.cast("T", from_json(text, cls))
        if suffix == ".toml":
            return typing.cast("T", from_toml(text, cls))
    except ValidationError as exc:
        raise ValidationError(
            (f"{file}: {p}" if p else str(file), m) for p, m in exc.problems
        ) from None
    raise ValidationError.at(str(file), f"unknown file type {suffix!r}: use .json or .toml")
