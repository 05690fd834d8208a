"""rtoc's storage contract, unchanged, against a real PostgreSQL."""

from __future__ import annotations

import pytest

from rtoc.testing.storage_contract import StorageContract
from rtoc_postgres.storage import PostgresStorage


class TestPostgres(StorageContract):
    @pytest.fixture
    def storage(self, database, schema):
        store = PostgresStorage(database, schema)
        yield store
        store.close()

    def reopen(self, storage):
        storage.close()
        return PostgresStorage(storage.dsn, storage.schema)
