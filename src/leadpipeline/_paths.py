"""cattrs' structuring errors as field paths: ``company.annual_revenue.amount: ...``.

cattrs groups the errors of a value by attribute and index; a host wants one line per
bad field, named by its dotted path, as `ValidationError.problems` holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    StructureHandlerNotFoundError,
)

from leadpipeline.errors import LeadPipelineError, ValidationError

__all__ = ["RefusedError", "join", "problems"]


class RefusedError(Exception):
    """A leaf value of the wrong type; carries the message for its path."""


def join(base: str, part: str) -> str:
    if not part:
        return base
    if not base:
        return part
    return base + part if part.startswith("[") else f"{base}.{part}"


def problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Every refused field in a structuring error, as ``(path, message)``."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        with_notes: list[tuple[Exception, Any]]
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                sub = join(path, str(note.name))
            else:
                sub = f"{path}[{note.index}]"
            if isinstance(inner, KeyError) and not isinstance(inner, LeadPipelineError):
                yield (sub, "required field missing")
            else:
                yield from problems(inner, sub)
        for inner in without:
            yield from problems(inner, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (join(path, key), "unknown field")
    elif isinstance(exc, ValidationError):
        for sub, message in exc.problems:
            yield (join(path, sub), message)
    elif isinstance(exc, RefusedError):
        yield (path, str(exc))
    elif isinstance(exc, StructureHandlerNotFoundError):
        yield (path, f"unsupported type {exc.type_!r}")
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from problems(member, path)
    else:
        yield (path, f"{type(exc).__name__}: {exc}")
