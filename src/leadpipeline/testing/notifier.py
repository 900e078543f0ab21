"""The notifier contract: delivered unchanged, at least once, each key its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from leadpipeline.adapters.notification import Notification, Notifier
from leadpipeline.lead import Party
from leadpipeline.testing._support import T0

__all__ = ["NotifierContract"]


class NotifierContract:
    """Every `Notifier` behaves like this; implement `make_notifier` and `received`."""

    notifier: Notifier

    def make_notifier(self) -> Notifier:
        """A new notifier for one test."""
        raise NotImplementedError

    def received(self) -> Sequence[Notification]:
        """What the receiving side got from the notifier, in order, duplicates included."""
        raise NotImplementedError

    def setup_method(self, method: Any) -> None:
        """Give each test its own notifier."""
        self.notifier = self.make_notifier()

    @staticmethod
    def notification(key: str, recipient: Party | None = None) -> Notification:
        """A notification as the shell would record it."""
        return Notification(
            key=key,
            lead_id="L-1",
            kind="offered",
            recipient=recipient or Party.partner("p-7"),
            message="New lead offered: Nordic Pumps AB, pumps for a new plant",
            due_at=T0 + timedelta(hours=48),
            created_at=T0,
        )

    def test_delivers_the_notification_unchanged(self) -> None:
        """A delivered notification reaches the receiver with every field intact."""
        note = self.notification("L-1:5:offered:partner/p-7")
        self.notifier.deliver(note)
        assert list(self.received()) == [note]

    def test_redelivery_is_harmless(self) -> None:
        """Delivering the same notification twice succeeds; the key identifies the duplicate."""
        note = self.notification("L-1:5:offered:partner/p-7")
        self.notifier.deliver(note)
        self.notifier.deliver(note)
        got = self.received()
        assert {n.key for n in got} == {note.key}
        assert 1 <= len(got) <= 2

    def test_every_key_arrives(self) -> None:
        """Notifications to several recipients all arrive, each with its own key."""
        notes = [
            self.notification(f"L-1:5:offered:partner/p-{i}", Party.partner(f"p-{i}"))
            for i in (1, 2, 3)
        ]
        for note in notes:
            self.notifier.deliver(note)
        assert {n.key for n in self.received()} == {n.key for n in notes}
