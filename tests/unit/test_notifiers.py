"""Notifications, outbox entries and the shipped notifiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadpipeline.adapters.notification import (
    CallbackNotifier,
    DeliveryError,
    Notification,
    OutboxEntry,
    RecordingNotifier,
)
from leadpipeline.errors import ValidationError
from leadpipeline.lead import Party

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def offered(key: str = "L-1:5:offered:partner/p-7") -> Notification:
    return Notification(
        key=key,
        lead_id="L-1",
        kind="offered",
        recipient=Party.partner("p-7"),
        message="Nordic Pumps AB: Annika Lindqvist wants a quote",
        due_at=T0 + timedelta(hours=48),
        created_at=T0,
    )


class TestNotification:
    def test_key_names_lead_version_kind_and_recipient(self) -> None:
        """`Notification.about` builds the idempotency key from the causing version."""
        note = Notification.about(
            lead_id="L-1",
            version=7,
            kind="sla_breached",
            recipient=Party.sales(team="inside-sales"),
            message="First call overdue",
            created_at=T0,
        )
        assert note.key == "L-1:7:sla_breached:sales/inside-sales"

    def test_naive_times_are_refused(self) -> None:
        """A naive created_at or due_at is a ValidationError naming the field."""
        with pytest.raises(ValidationError) as caught:
            Notification(
                key="k",
                lead_id="L-1",
                kind="offered",
                recipient=Party.partner("p"),
                created_at=datetime(2026, 3, 2),
            )
        assert caught.value.paths == ("created_at",)
        with pytest.raises(ValidationError):
            Notification(
                key="k",
                lead_id="L-1",
                kind="offered",
                recipient=Party.partner("p"),
                created_at=T0,
                due_at=datetime(2026, 3, 2),
            )

    def test_blank_key_is_refused(self) -> None:
        """A notification without an idempotency key cannot be built."""
        with pytest.raises(ValidationError):
            offered(key=" ")

    def test_redacted_drops_the_message_but_keeps_routing(self) -> None:
        """Redaction replaces the free text and keeps key, recipient and deadline."""
        note = offered()
        clean = note.redacted()
        assert "Lindqvist" not in clean.message
        assert (clean.key, clean.recipient, clean.due_at) == (note.key, note.recipient, note.due_at)


class TestOutboxEntry:
    def test_delivered_follows_delivered_at(self) -> None:
        """An entry counts as delivered exactly when it has a delivery time."""
        entry = OutboxEntry(id=1, notification=offered(), next_attempt_at=T0)
        assert not entry.delivered
        assert OutboxEntry(
            id=1, notification=offered(), next_attempt_at=T0, delivered_at=T0, attempts=1
        ).delivered


class TestRecordingNotifier:
    def test_records_deliveries_and_unique_keys(self) -> None:
        """Every delivery is kept in order; unique_keys deduplicates them."""
        notifier = RecordingNotifier()
        notifier.deliver(offered("a"))
        notifier.deliver(offered("b"))
        notifier.deliver(offered("a"))
        assert [n.key for n in notifier.delivered] == ["a", "b", "a"]
        assert notifier.unique_keys == {"a", "b"}

    def test_fail_next_fails_that_many_deliveries(self) -> None:
        """After fail_next(2) the next two deliveries raise DeliveryError, then it recovers."""
        notifier = RecordingNotifier()
        notifier.fail_next(2)
        for _ in range(2):
            with pytest.raises(DeliveryError):
                notifier.deliver(offered())
        notifier.deliver(offered())
        assert len(notifier.failures) == 2
        assert len(notifier.delivered) == 1

    def test_fail_pattern_sees_the_call_number(self) -> None:
        """A failure rule receives each call's number, so patterns are deterministic."""
        notifier = RecordingNotifier(fail=lambda _n, call: call % 3 == 0)
        outcomes = []
        for n in range(6):
            try:
                notifier.deliver(offered(str(n)))
                outcomes.append(True)
            except DeliveryError:
                outcomes.append(False)
        assert outcomes == [False, True, True, False, True, True]


class TestCallbackNotifier:
    def test_passes_each_notification_to_the_function(self) -> None:
        """The wrapped function receives the notification as delivered."""
        seen: list[Notification] = []
        CallbackNotifier(seen.append).deliver(offered())
        assert seen == [offered()]

    def test_function_errors_signal_failure(self) -> None:
        """An exception from the function propagates, so the relay retries."""

        def broken(_: Notification) -> None:
            raise ConnectionError("partner portal unreachable")

        with pytest.raises(ConnectionError):
            CallbackNotifier(broken).deliver(offered())
