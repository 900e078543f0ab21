"""The outbox relay: hands recorded notifications to a `Notifier`, at least once.

A notification is marked delivered only after the notifier returned, so a crash between
the two means a second delivery, never a lost one; receivers deduplicate by `key`.
A failed delivery is retried later with exponential backoff.

Logging (logger ``leadpipeline.adapters.relay``, silent unless the host configures it):
each delivery at DEBUG, each failure at WARNING, and a summary of every pass that tried
something at INFO. Every record of one entry carries the extras ``entry_id``, ``key``,
``lead_id``, ``kind``, ``recipient`` and ``attempts`` (attempts before this one); a
failure adds ``error`` and ``retry_at``, the summary ``delivered`` and ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.adapters.notification import Notifier
from leadpipeline.adapters.ports import Outbox
from leadpipeline.errors import ValidationError

__all__ = ["Backoff", "RelayReport", "relay_outbox"]

logger = logging.getLogger(__name__)


def _positive_delta(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValidationError.at(attribute.name, f"must be positive, got {value}")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Backoff:
    """How long to wait before retrying a failed delivery: doubling, up to a cap.

    Example:
        >>> from datetime import timedelta
        >>> policy = Backoff(base=timedelta(seconds=30), cap=timedelta(minutes=5))
        >>> [policy.delay(n).total_seconds() for n in range(5)]
        [30.0, 60.0, 120.0, 240.0, 300.0]
    """

    base: timedelta = attrs.field(default=timedelta(seconds=30), validator=_positive_delta)
    cap: timedelta = attrs.field(default=timedelta(hours=1), validator=_positive_delta)

    def delay(self, attempts: int) -> timedelta:
        """The wait after a failure, given the attempts made before it."""
        if attempts >= 32:  # 2**32 base periods exceed any sensible cap
            return self.cap
        return min(self.cap, self.base * (1 << attempts))


@attrs.frozen(kw_only=True, field_transformer=typed)
class RelayReport:
    """What one relay pass did: deliveries that succeeded and failed."""

    delivered: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Every entry the pass tried to deliver."""
        return self.delivered + self.failed


def relay_outbox(
    store: Outbox,
    notifier: Notifier,
    *,
    now: datetime,
    limit: int = 100,
    backoff: Backoff = Backoff(),  # a frozen value, safe to share
) -> RelayReport:
    """Deliver the outbox entries due at `now`, once each, and record how it went.

    Each due entry goes to `notifier.deliver`; on success it is marked delivered, on any
    exception it is marked failed and retried at ``now + backoff.delay(attempts)``.
    Nothing is ever dropped: an entry stays in the outbox until delivered.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.adapters.memory import MemoryStore
        >>> from leadpipeline.adapters.notification import RecordingNotifier
        >>> now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> relay_outbox(MemoryStore(), RecordingNotifier(), now=now)
        RelayReport(delivered=0, failed=0)
    """
    require_aware("now", now)
    delivered = failed = 0
    for entry in store.pending(now=now, limit=limit):
        note = entry.notification
        extra: dict[str, Any] = {
            "entry_id": entry.id,
            "key": note.key,
            "lead_id": note.lead_id,
            "kind": note.kind,
            "recipient": str(note.recipient),
            "attempts": entry.attempts,
        }
        try:
            notifier.deliver(note)
        except Exception as exc:  # any notifier failure means "retry later"
            failed += 1
            error = _error_text(exc)
            retry_at = now + backoff.delay(entry.attempts)
            _record(store.mark_failed, entry.id, error=error, retry_at=retry_at)
            logger.warning(
                "delivery of %s failed (%s); retrying at %s",
                note.key,
                error,
                retry_at.isoformat(),
                extra={**extra, "error": error, "retry_at": retry_at.isoformat()},
            )
        else:
            delivered += 1
            _record(store.mark_delivered, entry.id, now)
            logger.debug("delivered %s to %s", note.key, note.recipient, extra=extra)
    if delivered or failed:
        logger.info(
            "relay pass: %d delivered, %d failed",
            delivered,
            failed,
            extra={"delivered": delivered, "failed": failed},
        )
    return RelayReport(delivered=delivered, failed=failed)


_ERROR_LIMIT = 2_000
"""Characters of a failure kept in the outbox: enough to diagnose, never a whole page."""


def _error_text(exc: BaseException) -> str:
    """A failure as text any store can hold: valid UTF-8, bounded in length."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # an exception whose str() itself fails
        text = type(exc).__name__
    text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 1] + "…"


def _record(mark: Callable[..., None], entry_id: int, *args: Any, **kwargs: Any) -> None:
    """Record a delivery attempt; a failure to record it stays with that entry.

    The entry is then left as it was (it is delivered again later, at least once), and
    the entries behind it are still delivered in this pass.
    """
    try:
        mark(entry_id, *args, **kwargs)
    except Exception:  # contained: one entry's bookkeeping never blocks the rest
        logger.warning(
            "could not record the delivery attempt of outbox entry %s",
            entry_id,
            exc_info=True,
            extra={"entry_id": entry_id},
        )
