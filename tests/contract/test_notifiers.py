"""The Notifier contract, run against the shipped notifiers."""

from collections.abc import Sequence

from leadpipeline.adapters.notification import (
    CallbackNotifier,
    Notification,
    Notifier,
    RecordingNotifier,
)
from leadpipeline.testing import NotifierContract


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
