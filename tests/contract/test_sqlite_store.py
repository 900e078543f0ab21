"""The LeadStore contract, run against SqliteStore on a fresh file per test."""

import shutil
import tempfile
from pathlib import Path

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.adapters.sqlite import SqliteStore
from leadpipeline.testing import LeadStoreContract


class TestSqliteStore(LeadStoreContract):
    folder: Path

    def make_store(self) -> LeadStore:
        self.folder = Path(tempfile.mkdtemp(prefix="leadpipeline-contract-"))
        return SqliteStore(self.folder / "leads.db")

    def close_store(self, store: LeadStore) -> None:
        super().close_store(store)
        shutil.rmtree(self.folder, ignore_errors=True)
