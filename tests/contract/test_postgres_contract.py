"""The LeadStore contract, run against PostgresStore on a fresh schema per test."""

import os

import pytest

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.testing import LeadStoreContract
from tests.pg import drop_schema, fresh_schema, requires_postgres

pytestmark = requires_postgres


class TestPostgresStore(LeadStoreContract):
    schema: str

    def make_store(self) -> LeadStore:
        postgres = pytest.importorskip("leadpipeline.adapters.postgres")
        self.schema = fresh_schema()
        store: LeadStore = postgres.PostgresStore(
            os.environ["LEADPIPELINE_POSTGRES_DSN"], schema=self.schema, max_size=10
        )
        return store

    def close_store(self, store: LeadStore) -> None:
        super().close_store(store)
        drop_schema(os.environ["LEADPIPELINE_POSTGRES_DSN"], self.schema)
