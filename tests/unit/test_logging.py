"""Logging: conflict retries in the shell and deliveries in the relay, with structured extras."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import timedelta
from typing import Any

import pytest

from leadpipeline import Pipeline
from leadpipeline.adapters import Backoff, MemoryStore, RecordingNotifier, SimulatedClock
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.errors import ConflictError
from leadpipeline.stages import Transition
from tests.pipeline_support import PLAYBOOK, T0, fair_lead


class RacingStore:
    """A store where another writer adds a note just before each of our next `races` writes."""

    def __init__(self, inner: LeadStore, races: int) -> None:
        self.inner = inner
        self.races = races

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def record(self, transition: Transition) -> None:
        if self.races and transition.expected_version > 0:
            self.races -= 1
            Pipeline(PLAYBOOK, store=self.inner, clock=SimulatedClock(T0)).add_note(
                transition.lead_id, "the other writer was first"
            )
        self.inner.record(transition)


def records(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger]


class TestShellLogging:
    def test_a_conflict_decided_again_is_logged_with_the_versions(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A stale write that is retried logs one INFO record naming the lead and versions."""
        store = MemoryStore()
        Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0)).capture(fair_lead(1))
        pipeline = Pipeline(PLAYBOOK, store=RacingStore(store, races=1), clock=SimulatedClock(T0))
        with caplog.at_level(logging.INFO, logger="leadpipeline"):
            pipeline.add_note("L-1", "ours")
        (record,) = records(caplog, "leadpipeline.pipeline.shell")
        assert record.levelno == logging.INFO
        assert (record.lead_id, record.expected, record.actual) == ("L-1", 1, 2)  # type: ignore[attr-defined]
        assert (record.attempt, record.retries) == (1, 3)  # type: ignore[attr-defined]

    def test_a_conflict_that_never_clears_is_logged_as_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """When every retry conflicts, the shell logs a WARNING before raising."""
        store = MemoryStore()
        Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0)).capture(fair_lead(1))
        racing = RacingStore(store, races=10)
        pipeline = Pipeline(PLAYBOOK, store=racing, clock=SimulatedClock(T0), conflict_retries=2)
        with caplog.at_level(logging.INFO, logger="leadpipeline"), pytest.raises(ConflictError):
            pipeline.add_note("L-1", "ours")
        levels = [r.levelname for r in records(caplog, "leadpipeline.pipeline.shell")]
        assert levels == ["INFO", "INFO", "WARNING"]


class TestRelayLogging:
    def test_deliveries_and_failures_are_logged_with_the_key(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A failed delivery logs a WARNING with its retry time; the retry logs its delivery."""
        clock = SimulatedClock(T0)
        notifier = RecordingNotifier()
        pipeline = Pipeline(PLAYBOOK, store=MemoryStore(), notifier=notifier, clock=clock)
        pipeline.capture(fair_lead(1))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1")
        notifier.fail_next(10)
        with caplog.at_level(logging.DEBUG, logger="leadpipeline"):
            failed = pipeline.relay_outbox()
            notifier.fail_next(0)
            clock.advance(timedelta(hours=1))
            delivered = pipeline.relay_outbox()
        assert failed.failed == delivered.delivered > 0
        logged = records(caplog, "leadpipeline.adapters.relay")
        warnings = [r for r in logged if r.levelno == logging.WARNING]
        debugs = [r for r in logged if r.levelno == logging.DEBUG]
        summaries = [r for r in logged if r.levelno == logging.INFO]
        assert len(warnings) == len(debugs) == failed.failed
        first = warnings[0]
        assert first.key.startswith("L-1:")  # type: ignore[attr-defined]
        assert first.lead_id == "L-1"  # type: ignore[attr-defined]
        assert first.attempts == 0  # type: ignore[attr-defined]
        assert first.retry_at == (T0 + Backoff().delay(0)).isoformat()  # type: ignore[attr-defined]
        assert "DeliveryError" in first.error  # type: ignore[attr-defined]
        assert debugs[0].attempts == 1  # type: ignore[attr-defined]
        assert [(r.delivered, r.failed) for r in summaries] == [  # type: ignore[attr-defined]
            (0, failed.failed),
            (delivered.delivered, 0),
        ]


class TestSilentByDefault:
    def test_a_host_that_configures_nothing_sees_nothing(self) -> None:
        """Without logging configured, even a relay warning writes nothing to stderr."""
        script = textwrap.dedent(
            """
            import leadpipeline
            from leadpipeline.adapters.relay import logger
            logger.warning("a delivery failed, and nobody configured logging")
            print("done")
            """
        )
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert run.stdout.strip() == "done"
        assert run.stderr == ""
