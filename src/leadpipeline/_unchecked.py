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
import operator
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["unchecked", "unchecked_copy"]

T = TypeVar("T")

_serial = itertools.count()


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(a.name for a in attrs.fields(cls))


def unchecked(cls: type[T], names: tuple[str, ...] | None = None) -> Callable[..., T]:
    """A positional constructor of `cls` that sets each slot directly, in `names` order.

    `names` must list every field of `cls` exactly once (default: declaration order), so
    a field added to the class later fails loudly here instead of being left unset.

    Example:
        >>> @attrs.frozen
        ... class Point:
        ...     x: int = attrs.field(validator=attrs.validators.gt(0))
        ...     y: int = 0
        >>> make = unchecked(Point, ("y", "x"))
        >>> make(2, 1)
        Point(x=1, y=2)
    """
    order = names if names is not None else _fields(cls)
    if sorted(order) != sorted(_fields(cls)):
        raise TypeError(f"{cls.__name__} has fields {_fields(cls)}, not {order}")
    setters = {f"_s{i}": cls.__dict__[name].__set__ for i, name in enumerate(order)}
    params = ", ".join(f"v{i}" for i in range(len(order)))
    body = "".join(f"    _s{i}(obj, v{i})\n" for i in range(len(order)))
    source = f"def make({params}):\n    obj = _new(_cls)\n{body}    return obj\n"
    filename = f"<leadpipeline unchecked {cls.__name__} #{next(_serial)}>"
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **setters}
    exec(compile(source, filename, "exec"), namespace)  # source built above from field names
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    make: Callable[..., T] = namespace["make"]
    return make


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
    index = {name: i for i, name in enumerate(names)}
    values_of = operator.attrgetter(*names)
    make = unchecked(cls, names)

    def copy(value: T, **changes: object) -> T:
        values = list(values_of(value))
        for name, new in changes.items():
            values[index[name]] = new
        return make(*values)

    return copy
