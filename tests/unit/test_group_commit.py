"""Group commit on SQLite: one transaction for concurrent writers, each told its own outcome."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadpipeline import Interaction, InteractionKind, Lead, Pipeline
from leadpipeline.adapters import SimulatedClock, SqliteStore
from leadpipeline.adapters.sqlite import _groups
from leadpipeline.errors import (
    ConflictError,
    LeadPipelineError,
    NotFoundError,
    SourceConflictError,
    StoreError,
)
from leadpipeline.stages import Capture, RecordInteraction, Transition, transition
from tests.pipeline_support import PLAYBOOK, T0, fair_lead

WORKER = Path(__file__).resolve().parent.parent / "group_commit_worker.py"
VISIT = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)


def count_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many transitions each call of the store's `apply` wrote or tried, in order."""
    sizes: list[int] = []
    real = _groups.apply

    def counting(conn: Any, writes: Any, *args: Any) -> Any:
        sizes.append(len(writes))
        return real(conn, writes, *args)

    monkeypatch.setattr(_groups, "apply", counting)
    return sizes


def evolve_source(lead: Lead, source_id: str) -> Lead:
    """The lead with its source record id replaced."""
    return attrs.evolve(lead, source=attrs.evolve(lead.source, source_id=source_id))


def captured(path: Path, leads: int) -> tuple[SqliteStore, Pipeline]:
    """A store on `path` holding leads L-0 ... L-(leads - 1), and a pipeline on it."""
    store = SqliteStore(path)
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
    for n in range(leads):
        pipeline.capture(fair_lead(n))
    return store, pipeline


def touched(store: SqliteStore, lead_id: str) -> Transition:
    """A recorded touch decided on the lead as stored now."""
    return transition(
        store.load(lead_id),
        RecordInteraction(interaction=VISIT),
        PLAYBOOK,
        now=T0 + timedelta(hours=1),
        history=store.history(lead_id),
    )


def grouped(
    store: SqliteStore, path: Path, writes: list[Transition]
) -> dict[str, BaseException | None]:
    """Record the first write alone, the rest as one group queued behind a held lock.

    Each write's outcome by lead id: None when written, else the error its caller got.
    """
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # every writer of the store must wait
    outcomes: dict[str, BaseException | None] = {}

    def write(done: Transition) -> None:
        try:
            store.record(done)
        except LeadPipelineError as exc:
            outcomes[done.lead_id] = exc
        else:
            outcomes[done.lead_id] = None

    groups_before = store._queue.groups
    first = threading.Thread(target=write, args=(writes[0],))
    first.start()
    while store._queue.leading_size == 0:  # the first writer leads, waiting on the lock
        time.sleep(0.001)
    rest = [threading.Thread(target=write, args=(w,)) for w in writes[1:]]
    for thread in rest:
        thread.start()
    while len(store._queue._queued) < len(rest):  # all the rest queued behind the leader
        time.sleep(0.001)
    blocker.execute("ROLLBACK")
    blocker.close()
    for thread in (first, *rest):
        thread.join()
    assert store._queue.groups - groups_before == 2  # the first alone, then the rest
    return outcomes


class TestGroupCommit:
    def test_a_conflict_in_a_group_fails_that_write_alone(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Five writes queued behind a held lock commit as one group; the stale one alone fails."""
        path = tmp_path / "leads.db"
        store, pipeline = captured(path, 6)
        writes = [touched(store, f"L-{n}") for n in range(6)]
        pipeline.record_interaction("L-5", VISIT)  # now the write decided for L-5 is stale
        applied = count_batches(monkeypatch)
        outcomes = grouped(store, path, writes)
        assert isinstance(outcomes.pop("L-5"), ConflictError)
        assert outcomes == {f"L-{n}": None for n in range(5)}
        # the first alone; the group of five refused as one batch, then written one by one
        assert applied == [1, 5, 1, 1, 1, 1, 1]
        assert [store.load(f"L-{n}").version for n in range(6)] == [2, 2, 2, 2, 2, 2]
        assert len(store.history("L-5")) == 2  # the stale touch left nothing behind
        store.close()

    def test_a_group_with_no_refusal_is_written_as_one_batch(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "leads.db"
        store, _ = captured(path, 6)
        applied = count_batches(monkeypatch)
        outcomes = grouped(store, path, [touched(store, f"L-{n}") for n in range(6)])
        assert outcomes == {f"L-{n}": None for n in range(6)}
        assert applied == [1, 5]
        assert [len(store.history(f"L-{n}")) for n in range(6)] == [2] * 6
        store.close()

    def test_an_error_that_undoes_the_transaction_fails_the_whole_group_with_its_cause(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """SQLite rolled the group's transaction back itself: no caller hears "written"."""
        path = tmp_path / "leads.db"
        store, _ = captured(path, 4)
        real = _groups.apply

        def failing(conn: sqlite3.Connection, writes: Any, *args: Any) -> Any:
            if len(writes) > 1:  # the batch: the disk fails, SQLite undoes everything
                conn.execute("ROLLBACK")
                raise sqlite3.OperationalError("disk I/O error")
            return real(conn, writes, *args)

        monkeypatch.setattr(_groups, "apply", failing)
        outcomes = grouped(store, path, [touched(store, f"L-{n}") for n in range(4)])
        assert outcomes["L-0"] is None  # alone, before the failing group
        for lead_id in ("L-1", "L-2", "L-3"):
            error = outcomes[lead_id]
            assert isinstance(error, StoreError)
            assert "disk I/O error" in str(error)
        assert [store.load(f"L-{n}").version for n in range(4)] == [2, 1, 1, 1]
        store.close()

    def test_a_source_record_claimed_twice_in_a_group_fails_the_later_claim(
        self, tmp_path: Path
    ) -> None:
        """Two new leads from one badge scan, queued in one group: one is written, one refused."""
        path = tmp_path / "leads.db"
        store = SqliteStore(path)
        first, second, third = (
            evolve_source(fair_lead(n), "badge-shared" if n else "badge-own") for n in range(3)
        )
        writes = [
            transition(None, Capture(lead=lead), PLAYBOOK, now=T0)
            for lead in (first, second, third)
        ]
        outcomes = grouped(store, path, writes)
        assert outcomes["L-0"] is None
        refused = [lead_id for lead_id in ("L-1", "L-2") if outcomes[lead_id] is not None]
        assert len(refused) == 1
        assert isinstance(outcomes[refused[0]], SourceConflictError)
        kept = ({"L-1", "L-2"} - set(refused)).pop()
        assert store.load(kept).version == 1
        with pytest.raises(NotFoundError):
            store.load(refused[0])
        store.close()

    def test_threads_share_commits_and_lose_no_write(self, tmp_path: Path) -> None:
        """Eight threads touching their own leads: every touch is stored, in fewer commits."""
        store, pipeline = captured(tmp_path / "leads.db", 8)
        before = store._queue.groups

        def touch(n: int) -> None:
            for _ in range(40):
                pipeline.record_interaction(f"L-{n}", VISIT)

        threads = [threading.Thread(target=touch, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [store.load(f"L-{n}").version for n in range(8)] == [41] * 8
        assert store._queue.groups - before <= 8 * 40
        assert [len(store.history(f"L-{n}")) for n in range(8)] == [41] * 8
        store.close()

    @pytest.mark.parametrize("groups", [1, 5])
    def test_no_write_is_acknowledged_before_its_commit(self, tmp_path: Path, groups: int) -> None:
        """SIGKILL just before a grouped COMMIT: every touch a thread was told of is on disk."""
        path = tmp_path / "leads.db"
        killed = subprocess.run(
            [sys.executable, str(WORKER), str(path), str(groups)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        acknowledged: dict[str, int] = {}
        # a line cut short by the kill was never fully told
        for line in killed.stdout.split("\n")[:-1]:
            lead_id, version = line.split()
            acknowledged[lead_id] = max(acknowledged.get(lead_id, 0), int(version))
        with SqliteStore(path) as store:
            stored = {f"L-{n}": store.load(f"L-{n}").version for n in range(8)}
        for lead_id, version in acknowledged.items():
            assert stored[lead_id] >= version, f"{lead_id} acknowledged at {version}"
