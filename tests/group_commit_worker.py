"""A process the group-commit test kills on purpose, just before a grouped COMMIT.

Usage: ``python tests/group_commit_worker.py DB GROUPS``

Eight threads each record touches on their own lead through one `Pipeline` on one
SQLite file, printing ``lead_id version`` (flushed) each time a command returns. The
process SIGKILLs itself just before the COMMIT of the GROUPS-th group that holds more
than one write, so whatever it printed was acknowledged before that moment.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadpipeline import Interaction, InteractionKind, Pipeline
from leadpipeline.adapters import SimulatedClock, SqliteStore
from tests.pipeline_support import PLAYBOOK, T0, fair_lead

THREADS = 8
TOUCHES = 400


def main(db: Path, groups: int) -> None:
    store = SqliteStore(db)
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0 + timedelta(hours=1)))
    for n in range(THREADS):
        pipeline.capture(fair_lead(n))
    printing, counting = threading.Lock(), threading.Lock()
    seen = [0]

    def before_statement(sql: str) -> None:
        if sql.strip().upper() == "COMMIT" and store._queue.leading_size > 1:  # test harness
            with counting:
                seen[0] += 1
                if seen[0] == groups:
                    # the group's rows are written, its COMMIT is not
                    os.kill(os.getpid(), signal.SIGKILL)

    def touch(n: int) -> None:
        store._conn().set_trace_callback(before_statement)  # test harness
        visit = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)
        for _ in range(TOUCHES):
            lead = pipeline.record_interaction(f"L-{n}", visit)
            with printing:
                print(lead.id, lead.version, flush=True)

    workers = [threading.Thread(target=touch, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
