"""rtoc's storage contract, unchanged, against a real PostgreSQL: the bare backend,
and the spooled one that ``rtoc run`` uses."""

from __future__ import annotations

import pytest

from rtoc.testing.storage_contract import StorageContract
from rtoc_postgres.spool import Spool
from rtoc_postgres.spooled import SpooledStorage
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


def spooled(database: dict, schema: str, spool_path) -> SpooledStorage:
    return SpooledStorage(
        lambda: PostgresStorage(database, schema), Spool(spool_path, 10_000_000), "test"
    )


class TestSpooledPostgres(StorageContract):
    @pytest.fixture
    def storage(self, database, schema, tmp_path):
        self.args = (database, schema, tmp_path / "spool.sqlite")
        store = spooled(*self.args)
        yield store
        store.close()

    def reopen(self, storage):
        storage.close()
        return spooled(*self.args)
