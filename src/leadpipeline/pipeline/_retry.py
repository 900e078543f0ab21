"""The shell's one retry loop: decide again on a fresh load after a conflict.

Logging (logger ``leadpipeline.pipeline.shell``, silent unless the host configures it):
a conflict that is decided again is logged at INFO, one that exhausts the retries at
WARNING, each with the extras ``lead_id``, ``expected``, ``actual``, ``attempt`` and
``retries``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from leadpipeline.errors import ConflictError, SourceConflictError

__all__ = ["retrying"]

T = TypeVar("T")

logger = logging.getLogger("leadpipeline.pipeline.shell")


def retrying(attempt: Callable[[bool], T], *, retries: int, sources_may_move: bool = False) -> T:
    """Run `attempt(fresh)` until no `ConflictError`; `fresh` is False only at first.

    The one retry loop of the shell: every write is decided on what was loaded, so
    after a conflict it is decided again on a fresh load, up to `retries`
    times, and then the `ConflictError` reaches the caller with nothing written. A
    `SourceConflictError` is final unless `sources_may_move` (a capture looks again
    and finds the record captured; a command would only be refused again).
    """
    for tries in range(retries + 1):
        try:
            return attempt(tries > 0)
        except SourceConflictError:
            if not sources_may_move or tries == retries:
                raise
        except ConflictError as exc:
            extra = {
                "lead_id": exc.lead_id,
                "expected": exc.expected,
                "actual": exc.actual,
                "attempt": tries + 1,
                "retries": retries,
            }
            if tries == retries:
                logger.warning(
                    "lead %s: still conflicting after %d retries, giving up",
                    exc.lead_id,
                    tries,
                    extra=extra,
                )
                raise
            logger.info(
                "lead %s: version %s was stale (store has %s), deciding again",
                exc.lead_id,
                exc.expected,
                exc.actual,
                extra=extra,
            )
    raise AssertionError("unreachable")  # pragma: no cover
