"""Group commit: writes from threads of one process share one transaction and one sync.

Each caller hands its write to the queue and waits. One waiting caller at a time
becomes the leader: it takes every write queued so far, applies them in one
transaction (together, or one by one in savepoints when one is refused, so a conflict
undoes that write alone; see `_groups`), and commits once. Only then is every caller of
the group told its own outcome (done, or its own error), so no caller hears "written"
before the commit that wrote it has returned, synced to disk at the store's durability
level. While the leader waits for
the disk, the next group gathers behind it; a lone writer commits alone, at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["CommitQueue", "Job"]

W = TypeVar("W")


class Job(Generic[W]):
    """One caller's write and, once its group committed, its outcome."""

    __slots__ = ("done", "error", "work")

    def __init__(self, work: W) -> None:
        self.work = work
        self.done = False
        self.error: BaseException | None = None


class CommitQueue(Generic[W]):
    """Gathers concurrent writes into groups that `commit_group` writes at once.

    `commit_group(jobs)` runs on the leader's thread; it sets `error` on each job that
    failed alone and raises for a failure of the whole group (which every job of the
    group then reports).
    """

    def __init__(self, commit_group: Callable[[Sequence[Job[W]]], None]) -> None:
        self._commit_group = commit_group
        self._ready = threading.Condition(threading.Lock())
        self._queued: list[Job[W]] = []
        self._leading = False
        self.groups = 0
        """How many groups were committed (or failed) so far."""
        self.writes = 0
        """How many writes those groups held; ``writes / groups`` is the mean group size."""
        self.leading_size = 0
        """The size of the group being committed now (0 when none)."""

    def submit(self, work: W) -> None:
        """Write `work` with whatever else is queued; return once committed, or raise."""
        job = Job(work)
        with self._ready:
            self._queued.append(job)
            while self._leading and not job.done:
                self._ready.wait()
            if not job.done:
                self._leading = True
                group, self._queued = self._queued, []
        if not job.done:
            self._lead(group)
        if job.error is not None:
            raise job.error

    def _lead(self, group: list[Job[W]]) -> None:
        self.leading_size = len(group)
        try:
            self._commit_group(group)
        except BaseException as exc:  # the whole group failed: each caller hears it
            for job in group:
                if job.error is None:
                    job.error = exc
        finally:
            with self._ready:
                for job in group:
                    job.done = True
                self._leading = False
                self.leading_size = 0
                self.groups += 1
                self.writes += len(group)
                self._ready.notify_all()
