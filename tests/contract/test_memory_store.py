"""The LeadStore contract, run against MemoryStore."""

from leadpipeline.adapters.memory import MemoryStore
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.testing import LeadStoreContract


class TestMemoryStore(LeadStoreContract):
    def make_store(self) -> LeadStore:
        return MemoryStore()
