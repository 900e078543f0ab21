"""Unchecked constructors: build a frozen value from parts already checked, skipping validators.

Why: hot loops (folding events, scoring a batch, evaluating SLA clocks) build many values
whose every part was validated when it entered the core. Re-running the validators there
is most of the cost and checks nothing new. One helper does it for every such class, so
the trick lives in one place and is tested once.

Only code inside the core uses these, and only with values it took from other checked
values; anything from outside goes through the class's own constructor or the converter.
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

__all__ = ["unchecked", "unchecked_copy", "unchecked_init", "unchecked_replace"]

T = TypeVar("T")

_serial = itertools.count()
_NONE: Any = object()  # "not given": None may be a field's value


def _fields(cls: type, *, converted: bool = False) -> tuple[str, ...]:
    """The field names of `cls`, once it is known that setting its slots builds it exactly.

    Setting slots is what the class's own `__init__` does only when nothing else runs or
    is kept: a converter reshapes a value, a pre- or post-init hook checks or derives one,
    a cached hash needs its slot filled, and a name starting with "_" could meet the
    generated code's own. Such a class is refused here and built through its constructor;
    `converted` lets converters pass, for a caller whose values are already in the form
    they give (such as floats computed as floats).
    """
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cast("type[Any]", cls))
    hooks = [h for h in ("__attrs_pre_init__", "__attrs_post_init__") if hasattr(cls, h)]
    reshaped = [f.name for f in fields if (f.converter and not converted) or not f.init]
    private = [f.name for f in fields if f.name.startswith("_") or str(f.alias).startswith("_")]
    cached = any("_attrs_cached_hash" in getattr(k, "__slots__", ()) for k in cls.__mro__)
    if hooks or reshaped or private or cached:
        why = "a cached hash" if cached else ", ".join(hooks + reshaped + private)
        raise TypeError(f"{cls.__name__} is more than its slots ({why}): build it")
    return tuple(f.name for f in fields)


def _compiled(cls: type, source: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    """The function `make` of `source`, registered so tracebacks show its lines."""
    filename = f"<leadpipeline unchecked {cls.__name__} #{next(_serial)}>"
    exec(compile(source, filename, "exec"), namespace)  # source built from field names only
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    make: Callable[..., Any] = namespace["make"]
    return make


def _setters(cls: type, order: tuple[str, ...]) -> dict[str, Any]:
    """The slot setter of each field (an inherited field's slot lives on its base class)."""

    def slot(name: str) -> Any:
        return next(k.__dict__[name] for k in cls.__mro__ if name in k.__dict__)

    return {f"_s{i}": slot(name).__set__ for i, name in enumerate(order)}


def unchecked(cls: type[T], names: tuple[str, ...] | None = None) -> Callable[..., T]:
    """A positional constructor of `cls` that sets each slot directly, in `names` order.

    `names` must list every field of `cls` exactly once (default: declaration order), so
    a field added to the class later fails loudly here instead of being left unset. Each
    value must already be in the form the field's converter, if any, would give it.

    Example:
        >>> @attrs.frozen
        ... class Point:
        ...     x: int = attrs.field(validator=attrs.validators.gt(0))
        ...     y: int = 0
        >>> make = unchecked(Point, ("y", "x"))
        >>> make(2, 1)
        Point(x=1, y=2)
    """
    known = _fields(cls, converted=True)
    order = names if names is not None else known
    if sorted(order) != sorted(known):
        raise TypeError(f"{cls.__name__} has fields {known}, not {order}")
    params = ", ".join(f"v{i}" for i in range(len(order)))
    body = "".join(f"    _s{i}(obj, v{i})\n" for i in range(len(order)))
    source = f"def make({params}):\n    obj = _new(_cls)\n{body}    return obj\n"
    namespace = {"_new": object.__new__, "_cls": cls, **_setters(cls, order)}
    return _compiled(cls, source, namespace)


def unchecked_init(cls: type[T]) -> Callable[..., T]:
    """A constructor of `cls` called as its `__init__` is, by keyword, that runs no validator.

    Only for classes whose `__init__` does nothing but validate and set (see `_fields`);
    others are refused here and go through their own constructor. What it builds equals
    `cls(**same)`.

    Example:
        >>> @attrs.frozen(kw_only=True)
        ... class Point:
        ...     x: int = attrs.field(validator=attrs.validators.gt(0))
        ...     y: int = 0
        >>> make = unchecked_init(Point)
        >>> make(x=1), make(y=2, x=1) == Point(x=1, y=2)
        (Point(x=1, y=0), True)
    """
    _fields(cls)
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cast("type[Any]", cls))
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_none": _NONE}
    namespace.update(_setters(cls, tuple(f.name for f in fields)))
    params: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields):
        name, value = str(f.alias), str(f.alias)
        default: Any = f.default
        if default is attrs.NOTHING:
            params.append(name)
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # typed as a function
            if default.takes_self:
                raise TypeError(f"{cls.__name__}.{f.name}: a default that reads self: build it")
            namespace[f"_f{i}"] = default.factory
            params.append(f"{name}=_none")
            value = f"_f{i}() if {name} is _none else {name}"
        else:
            namespace[f"_d{i}"] = default
            params.append(f"{name}=_d{i}")
        body.append(f"    _s{i}(_obj, {value})\n")
    head = f"def make(*, {', '.join(params)}):\n    _obj = _new(_cls)\n"
    source = f"{head}{''.join(body)}    return _obj\n"
    return _compiled(cls, source, namespace)


def unchecked_copy(cls: type[T]) -> Callable[..., T]:
    """A copier of `cls` values with some fields replaced, skipping validators.

    Example:
        >>> @attrs.frozen
        ... class Point:
        ...     x: int = attrs.field(validator=attrs.validators.gt(0))
        ...     y: int = 0
        >>> copy = unchecked_copy(Point)
        >>> copy(Point(x=1), y=5)
        Point(x=1, y=5)
    """
    names = _fields(cls)
    params = ", ".join(f"{n}=_keep" for n in names)
    body = "".join(
        f"    _s{i}(_obj, _value.{n} if {n} is _keep else {n})\n" for i, n in enumerate(names)
    )
    source = f"def make(_value, *, {params}):\n    _obj = _new(_cls)\n{body}    return _obj\n"
    namespace = {"_new": object.__new__, "_cls": cls, "_keep": _NONE, **_setters(cls, names)}
    return _compiled(cls, source, namespace)


def unchecked_replace(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """A copier of `cls` values replacing exactly the fields `names`, given in that order.

    The copy a fold makes most, without `unchecked_copy`'s keywords and per-field tests.

    Example:
        >>> @attrs.frozen
        ... class Point:
        ...     x: int = attrs.field(validator=attrs.validators.gt(0))
        ...     y: int = 0
        >>> moved = unchecked_replace(Point, ("y",))
        >>> moved(Point(x=1), 5)
        Point(x=1, y=5)
    """
    fields = _fields(cls)
    unknown = [n for n in names if n not in fields]
    if unknown or len(set(names)) != len(names):
        raise TypeError(f"{cls.__name__} has fields {fields}, not {names}")
    params = "".join(f", v{i}" for i in range(len(names)))
    values = [f"v{names.index(n)}" if n in names else f"value.{n}" for n in fields]
    body = "".join(f"    _s{i}(obj, {v})\n" for i, v in enumerate(values))
    source = f"def make(value{params}):\n    obj = _new(_cls)\n{body}    return obj\n"
    namespace = {"_new": object.__new__, "_cls": cls, **_setters(cls, fields)}
    return _compiled(cls, source, namespace)
