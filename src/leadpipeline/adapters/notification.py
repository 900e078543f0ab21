"""The notifier port: how a notification reaches the party it names.

The core decides every `Notification` (`leadpipeline.stages.notify`); a store records it
in its outbox in the same write as the events that caused it, and a relay hands it to a
`Notifier`. Delivery is at least once, so receivers deduplicate by `Notification.key`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ClassVar, Protocol

from leadpipeline.errors import LeadPipelineError
from leadpipeline.stages.notify import Notification, OutboxEntry

__all__ = [
    "CallbackNotifier",
    "DeliveryError",
    "Notification",
    "Notifier",
    "OutboxEntry",
    "RecordingNotifier",
]


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

    http_status: ClassVar[int] = 502  # the receiving end failed, not the caller


class RecordingNotifier:
    """A notifier for tests and demos: keeps what it delivered, can be told to fail.

    `fail` decides, per attempt, whether to raise `DeliveryError` instead; it receives
    the notification and the number of the attempt (0 for the first call overall).

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Party
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> notifier = RecordingNotifier()
        >>> note = Notification(key="k-1", lead_id="L-1", kind="offered",
        ...                     recipient=Party.partner("p-7"), created_at=at)
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
        >>> from leadpipeline.lead import Party
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> seen = []
        >>> notifier = CallbackNotifier(lambda n: seen.append(str(n.recipient)))
        >>> notifier.deliver(Notification(key="k", lead_id="L-1", kind="offered",
        ...                               recipient=Party.partner("p-7"), created_at=at))
        >>> seen
        ['partner/p-7']
    """

    def __init__(self, fn: Callable[[Notification], object]) -> None:
        self._fn = fn

    def deliver(self, notification: Notification) -> None:
        """Call the function; whatever it raises marks the delivery failed."""
        self._fn(notification)
