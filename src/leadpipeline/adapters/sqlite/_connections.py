"""One SQLite connection per thread, closed when its thread ends or the store closes."""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import weakref
from pathlib import Path

from leadpipeline.errors import StoreError

__all__ = ["ThreadConnections"]


class Slot:
    """One thread's connection; when the thread ends, the slot is collected and closes it."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()


Connections = dict[int, tuple[sqlite3.Connection, int]]


def release(connections: Connections, lock: threading.Lock, key: int) -> None:
    with lock:
        found = connections.pop(key, None)
    # a connection inherited across fork belongs to the parent: never touch it
    if found is not None and found[1] == os.getpid():
        found[0].close()


class ThreadConnections:
    """The connections of one store: one per thread, each set up with the store's pragmas."""

    def __init__(self, path: Path, synchronous: str, busy_timeout: float) -> None:
        self.path = path
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: Connections = {}
        self._keys = itertools.count()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened (and set up) on first use."""
        slot: Slot | None = getattr(self._local, "slot", None)
        if slot is not None and slot.pid == os.getpid() and not self._closed:
            return slot.conn
        with self._lock:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self.path}: {exc}") from None
            key = next(self._keys)
            self._connections[key] = (conn, os.getpid())
        slot = Slot(conn)
        # The thread's connection closes when the thread ends, so a thread pool that
        # churns threads does not leak file handles.
        weakref.finalize(slot, release, self._connections, self._lock, key)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.execute("PRAGMA secure_delete = ON")
        self._local.slot = slot
        return conn

    def drop(self) -> None:
        """Stop using this thread's connection (its slot's finaliser closes it)."""
        self._local.slot = None

    def close(self) -> None:
        """Close every connection; later calls raise `StoreError`."""
        with self._lock:
            self._closed = True
            connections = list(self._connections.values())
            self._connections.clear()
        for conn, pid in connections:
            if pid == os.getpid():
                conn.close()
