"""Crash matrix: a process SIGKILLed at each point of a write loses nothing and repeats safely."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.pipeline_support import DedupConsumer

WORKER = Path(__file__).resolve().parent.parent / "crash_worker.py"
HANDOVER_KEYS = ["L-1:4:handed_over:sales", "L-1:5:assigned:sales"]


def run(tmp_path: Path, phase: str, kill: str = "none") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(WORKER),
            str(tmp_path / "leads.db"),
            str(tmp_path / "seen.json"),
            phase,
            kill,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def crash_then_restart(tmp_path: Path, kill: str) -> tuple[dict[str, Any], DedupConsumer]:
    crashed = run(tmp_path, "work", kill)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    restarted = run(tmp_path, "relay")
    assert restarted.returncode == 0, restarted.stderr
    summary: dict[str, Any] = json.loads(restarted.stdout)
    return summary, DedupConsumer(tmp_path / "seen.json")


class TestCrashMatrix:
    def test_killed_before_the_capture_commits_leaves_no_lead_and_no_notice(
        self, tmp_path: Path
    ) -> None:
        """SIGKILL inside the capture's transaction: after restart, no lead, nothing to send."""
        summary, consumer = crash_then_restart(tmp_path, "capture_commit")
        assert summary == {"leads": {}, "outbox": []}
        assert consumer.deliveries == {}

    def test_killed_before_the_handover_commits_leaves_no_handover_notice(
        self, tmp_path: Path
    ) -> None:
        """SIGKILL inside the handover's transaction: the lead is still an MQL with marketing."""
        summary, consumer = crash_then_restart(tmp_path, "handover_commit")
        assert summary == {"leads": {"L-1": "mql"}, "outbox": []}
        assert consumer.deliveries == {}

    def test_a_process_killed_between_append_and_relay_loses_no_notification(
        self, tmp_path: Path
    ) -> None:
        """SIGKILL after the commit, before delivery: the restarted process delivers both."""
        summary, consumer = crash_then_restart(tmp_path, "after_commit")
        assert summary["outbox"] == [[key, True] for key in HANDOVER_KEYS]
        assert consumer.deliveries == dict.fromkeys(HANDOVER_KEYS, 1)

    def test_killed_after_delivery_before_marking_redelivers_the_same_key(
        self, tmp_path: Path
    ) -> None:
        """SIGKILL between delivery and marking: redelivered under the same key, applied once."""
        summary, consumer = crash_then_restart(tmp_path, "after_delivery")
        assert summary["outbox"] == [[key, True] for key in HANDOVER_KEYS]
        assert consumer.deliveries == {HANDOVER_KEYS[0]: 2, HANDOVER_KEYS[1]: 1}
        assert consumer.applied == frozenset(HANDOVER_KEYS)

    def test_without_a_crash_every_notice_arrives_once(self, tmp_path: Path) -> None:
        """The same run uninterrupted delivers each handover notice exactly once."""
        assert run(tmp_path, "work").returncode == 0
        assert DedupConsumer(tmp_path / "seen.json").deliveries == dict.fromkeys(HANDOVER_KEYS, 1)


def crash_and_look(tmp_path: Path, phase: str, kill: str, look: str) -> dict[str, Any]:
    crashed = run(tmp_path, phase, kill)
    assert crashed.returncode == (-signal.SIGKILL if kill != "none" else 0), crashed.stderr
    looked = run(tmp_path, look)
    assert looked.returncode == 0, looked.stderr
    summary: dict[str, Any] = json.loads(looked.stdout)
    return summary


class TestCrashesWithErasure:
    def test_killed_before_the_erasure_commits_leaves_the_lead_whole(self, tmp_path: Path) -> None:
        """SIGKILL inside the erasure's transaction: the lead is as it was, not half erased."""
        summary = crash_and_look(tmp_path, "erase", "erase_commit", "inspect")
        assert (summary["erased"], summary["version"]) == (False, 2)

    def test_killed_after_the_erasure_commits_still_scrubs_on_restart(self, tmp_path: Path) -> None:
        """SIGKILL before the files are scrubbed: the erasure stands, and a scrub clears them."""
        summary = crash_and_look(tmp_path, "erase", "after_erase", "inspect")
        assert (summary["erased"], summary["version"]) == (True, 3)
        assert summary["after"] is False

    def test_an_uninterrupted_erasure_leaves_nothing_to_scrub(self, tmp_path: Path) -> None:
        """Without a crash the email is gone from the files before any further scrub."""
        summary = crash_and_look(tmp_path, "erase", "none", "inspect")
        assert (summary["erased"], summary["before"], summary["after"]) == (True, False, False)


class TestCrashesInThePartnerView:
    def test_killed_before_the_accept_commits_leaves_both_offers_open(self, tmp_path: Path) -> None:
        """SIGKILL inside a partner's accept: both offered partners still see the offer."""
        summary = crash_and_look(tmp_path, "partner", "accept_commit", "partners")
        assert summary["seen"] == {"p-gold": ["L-1"], "p-silver": ["L-1"], "p-bronze": []}
        assert summary["stage"] == "sql"

    def test_an_accept_that_commits_leaves_the_lead_with_that_partner_alone(
        self, tmp_path: Path
    ) -> None:
        """Without a crash the accepting partner holds the lead and no other partner sees it."""
        summary = crash_and_look(tmp_path, "partner", "none", "partners")
        assert summary["seen"] == {"p-gold": ["L-1"], "p-silver": [], "p-bronze": []}
        assert (summary["stage"], summary["owner"]) == ("opportunity", "partner/p-gold")
