"""The Notifier contract, run against the shipped notifiers."""

from collections.abc import Sequence
from typing import Any

from leadpipeline.adapters.notification import (
    CallbackNotifier,
    Notification,
    Notifier,
    RecordingNotifier,
)
from leadpipeline.adapters.webhook import WebhookNotifier
from leadpipeline.serialization import from_json
from leadpipeline.testing import NotifierContract
from tests.webhook_receiver import SECRET, Receiver


class TestRecordingNotifier(NotifierContract):
    recorder: RecordingNotifier

    def make_notifier(self) -> Notifier:
        self.recorder = RecordingNotifier()
        return self.recorder

    def received(self) -> Sequence[Notification]:
        return self.recorder.delivered


class TestCallbackNotifier(NotifierContract):
    inbox: list[Notification]

    def make_notifier(self) -> Notifier:
        self.inbox = []
        return CallbackNotifier(self.inbox.append)

    def received(self) -> Sequence[Notification]:
        return self.inbox


class TestWebhookNotifier(NotifierContract):
    """Against a receiver on 127.0.0.1: what arrived is each POST's body, parsed back."""

    receiver: Receiver

    def make_notifier(self) -> Notifier:
        self.receiver = Receiver()
        return WebhookNotifier(self.receiver.url, secret=SECRET, timeout=5)

    def received(self) -> Sequence[Notification]:
        assert all(r.signed for r in self.receiver.requests)
        return [from_json(r.body, Notification) for r in self.receiver.requests]

    def teardown_method(self, method: Any) -> None:
        self.receiver.close()
