"""Notifications: who must hear about a lead, and the port that tells them.

A notification is recorded in the store's outbox in the same transaction as the events
that caused it, then a relay hands it to a `Notifier`. Delivery is at least once, so every
notification carries a stable idempotency `key` and receivers deduplicate by it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import attrs

from leadpipeline._checks import aware, non_negative, not_blank
from leadpipeline.errors import LeadPipelineError

__all__ = [
    "CallbackNotifier",
    "DeliveryError",
    "Notification",
    "Notifier",
    "OutboxEntry",
    "RecordingNotifier",
]


@attrs.frozen(kw_only=True)
class Notification:
    """A message to one recipient about one lead, with the deadline to act by.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> note = Notification.about(
        ...     lead_id="L-1", version=4, kind="handed_over", recipient="sales/inside-sales",
        ...     message="New MQL from the trade fair", created_at=at)
        >>> note.key
        'L-1:4:handed_over:sales/inside-sales'
    """

    key: str = attrs.field(validator=not_blank)
    lead_id: str = attrs.field(validator=not_blank)
    kind: str = attrs.field(validator=not_blank)
    recipient: str = attrs.field(validator=not_blank)
    message: str = ""
    due_at: datetime | None = attrs.field(default=None, validator=aware)
    created_at: datetime = attrs.field(validator=aware)

    @classmethod
    def about(
        cls,
        *,
        lead_id: str,
        version: int,
        kind: str,
        recipient: str,
        message: str,
        created_at: datetime,
        due_at: datetime | None = None,
    ) -> Notification:
        """A notification keyed by the lead version that caused it, so a retry reuses the key."""
        return cls(
            key=f"{lead_id}:{version}:{kind}:{recipient}",
            lead_id=lead_id,
            kind=kind,
            recipient=recipient,
            message=message,
            due_at=due_at,
            created_at=created_at,
        )

    def redacted(self) -> Notification:
        """The notification with its free text replaced, for erasure of personal data.

        Example:
            >>> from datetime import datetime, timezone
            >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
            >>> note = Notification(key="k", lead_id="L-1", kind="offered",
            ...                     recipient="partner/p-7", message="Call Ann Lee",
            ...                     created_at=at)
            >>> note.redacted().message
            'offered: lead L-1 (personal data erased)'
        """
        return attrs.evolve(
            self, message=f"{self.kind}: lead {self.lead_id} (personal data erased)"
        )


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """A notification waiting in (or delivered from) a store's outbox.

    `attempts` counts delivery attempts so far; a failed entry is tried again at
    `next_attempt_at`; `last_error` says why the last attempt failed.
    """

    id: int
    notification: Notification
    attempts: int = attrs.field(default=0, validator=non_negative)
    next_attempt_at: datetime = attrs.field(validator=aware)
    delivered_at: datetime | None = attrs.field(default=None, validator=aware)
    last_error: str = ""

    @property
    def delivered(self) -> bool:
        """Whether the notification has been handed to the notifier successfully."""
        return self.delivered_at is not None


class Notifier(Protocol):
    """Hands a notification to its recipient (email, chat, a partner portal, a queue).

    Contract: `deliver` returns only once the notification is handed over, and raises any
    exception to signal failure; the relay then retries later. Delivery is at least once:
    the same notification may arrive twice, so the receiver deduplicates by `key`.
    """

    def deliver(self, notification: Notification) -> None:
        """Hand over one notification, or raise to have it retried."""


class DeliveryError(LeadPipelineError):
    """A notifier could not deliver a notification (the relay retries it later)."""


class RecordingNotifier:
    """A notifier for tests and demos: keeps what it delivered, can be told to fail.

    `fail` decides, per attempt, whether to raise `DeliveryError` instead; it receives
    the notification and the number of the attempt (0 for the first call overall).

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> notifier = RecordingNotifier()
        >>> note = Notification(key="k-1", lead_id="L-1", kind="offered",
        ...                     recipient="partner/p-7", created_at=at)
        >>> notifier.deliver(note)
        >>> notifier.deliver(note)
        >>> len(notifier.delivered), sorted(notifier.unique_keys)
        (2, ['k-1'])
    """

    def __init__(self, *, fail: Callable[[Notification, int], bool] | None = None) -> None:
        self._lock = threading.Lock()
        self._fail = fail
        self._fail_next = 0
        self._calls = 0
        self.delivered: list[Notification] = []
        self.failures: list[Notification] = []

    def fail_next(self, count: int = 1) -> None:
        """Make the next `count` deliveries fail, e.g. to test retries."""
        with self._lock:
            self._fail_next = count

    def deliver(self, notification: Notification) -> None:
        """Record the notification, or raise `DeliveryError` when told to fail."""
        with self._lock:
            call = self._calls
            self._calls += 1
            failing = self._fail_next > 0 or (
                self._fail is not None and self._fail(notification, call)
            )
            if self._fail_next > 0:
                self._fail_next -= 1
            if failing:
                self.failures.append(notification)
                raise DeliveryError(f"delivery of {notification.key!r} failed (attempt {call})")
            self.delivered.append(notification)

    @property
    def unique_keys(self) -> frozenset[str]:
        """The keys delivered at least once: what a deduplicating receiver has seen."""
        with self._lock:
            return frozenset(n.key for n in self.delivered)


class CallbackNotifier:
    """Adapts any function of one notification into a `Notifier`.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> seen = []
        >>> notifier = CallbackNotifier(lambda n: seen.append(n.recipient))
        >>> notifier.deliver(Notification(key="k", lead_id="L-1", kind="offered",
        ...                               recipient="partner/p-7", created_at=at))
        >>> seen
        ['partner/p-7']
    """

    def __init__(self, fn: Callable[[Notification], object]) -> None:
        self._fn = fn

    def deliver(self, notification: Notification) -> None:
        """Call the function; whatever it raises marks the delivery failed."""
        self._fn(notification)
