"""The webhook notifier against a local receiver: signed, retried, one effect per key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from leadpipeline import Pipeline
from leadpipeline.adapters import (
    Backoff,
    DeliveryError,
    MemoryStore,
    Notification,
    SimulatedClock,
    WebhookNotifier,
    sign_webhook,
    verify_webhook,
)
from leadpipeline.errors import ValidationError
from leadpipeline.lead import Party
from leadpipeline.serialization import to_json
from tests.pipeline_support import PLAYBOOK, T0, fair_lead
from tests.webhook_receiver import SECRET, Receiver, receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


def handed_over(hook: Receiver) -> tuple[Pipeline, MemoryStore, SimulatedClock]:
    """A pipeline posting to `hook`, with a lead handed to sales: two notifications queued."""
    store, clock = MemoryStore(), SimulatedClock(T0)
    notifier = WebhookNotifier(hook.url, secret=SECRET, timeout=5)
    pipeline = Pipeline(PLAYBOOK, store=store, notifier=notifier, clock=clock)
    pipeline.capture(fair_lead(1))
    pipeline.qualify("L-1")
    pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
    return pipeline, store, clock


NOTE = Notification(
    key="L-1:5:offered:partner/p-7",
    lead_id="L-1",
    kind="offered",
    recipient=Party.partner("p-7"),
    message="Lead L-1 is offered to you until 2026-03-04T09:00:00+00:00",
    due_at=T0 + timedelta(hours=48),
    created_at=T0,
)


class TestSignature:
    def test_the_receiver_verifies_the_signature_with_the_shared_secret(
        self, hook: Receiver
    ) -> None:
        """The body arrives as the notification's JSON, signed and keyed in the headers."""
        WebhookNotifier(hook.url, secret=SECRET).deliver(NOTE)
        (got,) = hook.requests
        assert got.signed
        assert got.key == NOTE.key
        assert got.body == to_json(NOTE).encode()
        assert got.content_type == "application/json; charset=utf-8"
        assert hook.effects == {NOTE.key: NOTE}

    def test_a_wrong_secret_is_refused_and_raises(self, hook: Receiver) -> None:
        """A body signed with another secret fails verification; the notifier raises."""
        with pytest.raises(DeliveryError, match="answered 401"):
            WebhookNotifier(hook.url, secret="not-the-secret").deliver(NOTE)
        assert [r.signed for r in hook.requests] == [False]
        assert hook.effects == {}

    def test_a_changed_body_no_longer_verifies(self) -> None:
        """Any change to the signed body, even one character, breaks the signature."""
        body = to_json(NOTE).encode()
        signature = sign_webhook(body, SECRET)
        assert verify_webhook(body, signature, SECRET)
        tampered = json.dumps({**json.loads(body), "kind": "returned"}).encode()
        assert not verify_webhook(tampered, signature, SECRET)
        assert not verify_webhook(body, None, SECRET)
        assert not verify_webhook(body, "sha256=00", SECRET)


class TestFailures:
    @pytest.mark.parametrize("status", [500, 503, 404, 302])
    def test_any_answer_but_2xx_raises(self, hook: Receiver, status: int) -> None:
        """A server error, a missing endpoint or a redirect is a failed delivery."""
        hook.script(status)
        with pytest.raises(DeliveryError, match=f"answered {status}"):
            WebhookNotifier(hook.url, secret=SECRET).deliver(NOTE)

    def test_a_refused_connection_raises(self) -> None:
        """Nobody listening on the port is a failed delivery, not a crash."""
        with receiver() as gone:
            url = gone.url
        with pytest.raises(DeliveryError, match="unreachable"):
            WebhookNotifier(url, secret=SECRET, timeout=2).deliver(NOTE)

    def test_a_receiver_that_does_not_answer_in_time_raises(self, hook: Receiver) -> None:
        """An answer slower than the timeout is a failed delivery."""
        hook.script("hang")
        with pytest.raises(DeliveryError, match="unreachable"):
            WebhookNotifier(hook.url, secret=SECRET, timeout=0.2).deliver(NOTE)
        hook.released.set()

    @pytest.mark.parametrize(
        ("url", "secret"), [("ftp://crm.example/hook", "s"), ("https://crm.example/h", "")]
    )
    def test_a_bad_url_or_an_empty_secret_is_refused(self, url: str, secret: str) -> None:
        """Only http(s) URLs and non-empty secrets make a webhook."""
        with pytest.raises(ValidationError):
            WebhookNotifier(url, secret=secret)


class TestThroughTheOutbox:
    def test_a_500_is_retried_by_the_relay_after_the_backoff(self, hook: Receiver) -> None:
        """A receiver that fails once gets the notification again on the relay's next pass."""
        pipeline, store, clock = handed_over(hook)
        hook.script(500)
        first = pipeline.relay_outbox()
        assert (first.delivered, first.failed) == (1, 1)
        failed = [e for e in store.outbox("L-1") if not e.delivered]
        assert [e.attempts for e in failed] == [1]
        assert "answered 500" in failed[0].last_error
        assert pipeline.relay_outbox().attempted == 0  # not due before the backoff
        clock.advance(Backoff().delay(0))
        second = pipeline.relay_outbox()
        assert (second.delivered, second.failed) == (1, 0)
        assert all(e.delivered for e in store.outbox("L-1"))
        assert set(hook.effects) == {e.notification.key for e in store.outbox("L-1")}

    def test_a_lost_answer_is_redelivered_and_acted_on_once(self, hook: Receiver) -> None:
        """The receiver acted but its answer was lost: the retry arrives, no second effect."""
        pipeline, store, clock = handed_over(hook)
        hook.script("drop")
        first = pipeline.relay_outbox()
        assert first.failed == 1
        clock.advance(timedelta(hours=1))
        assert pipeline.relay_outbox().delivered == 1
        keys = [r.key for r in hook.requests]
        assert len(keys) == 3  # two notifications, one of them twice
        assert len(set(keys)) == 2
        assert len(hook.effects) == 2  # exactly one effect per idempotency key
        for entry in store.outbox("L-1"):
            assert hook.effects[entry.notification.key] == entry.notification

    def test_every_key_is_acted_on_once_whatever_the_failures(self, hook: Receiver) -> None:
        """Drops, errors and hangs in any order still end with one effect per key."""
        pipeline, store, clock = handed_over(hook)
        hook.script("drop", 503, "drop", 500)
        for _ in range(6):
            pipeline.relay_outbox()
            clock.advance(timedelta(hours=2))
        entries = store.outbox("L-1")
        assert all(e.delivered for e in entries)
        assert sorted(hook.effects) == sorted(e.notification.key for e in entries)
        assert len(hook.requests) > len(entries)
