"""The schema: created with its version, refused when newer, queryable by hand."""

from __future__ import annotations

import numpy as np
import psycopg2
import pytest

from rtoc.storage.base import SampleBatch, StorageError
from rtoc_postgres.schema import SCHEMA_VERSION
from rtoc_postgres.storage import PostgresStorage

T0 = 1_764_000_000.0


@pytest.fixture
def storage(database, schema):
    storage = PostgresStorage(database, schema)
    x = T0 + np.arange(10.0)
    storage.append_samples([SampleBatch("Oven", "T", x, x - T0 + 20, "°C")])
    storage.append_samples([SampleBatch("Oven", "T", np.array([np.nan]), np.array([1.0]))])
    yield storage
    storage.close()


def query(database: dict, text: str, *arguments):
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(text, arguments)
        return cursor.fetchall() if cursor.description else []


def test_the_version_is_recorded(storage, database, schema):
    assert query(database, f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_a_newer_schema_is_refused_with_a_clear_message(storage, database, schema):
    query(database, f"UPDATE {schema}.meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match=r"version 99, newer than this rtoc-postgres"):
        PostgresStorage(database, schema)


def test_a_second_connection_finds_the_schema_and_leaves_it(storage, database, schema):
    again = PostgresStorage(database, schema)
    assert again.signals() == storage.signals()
    again.close()


def test_readings_view_shows_device_signal_unit_time_and_value(storage, database, schema):
    rows = query(
        database,
        f"SELECT device, signal, unit, extract(epoch FROM time), value FROM {schema}.readings"
        " ORDER BY seq LIMIT 2",
    )
    assert rows == [("Oven", "T", "°C", T0, 20.0), ("Oven", "T", "°C", T0 + 1, 21.0)]
    (nan_row,) = query(database, f"SELECT time, value FROM {schema}.readings WHERE x = 'NaN'")
    assert nan_row == (None, 1.0)  # a NaN timestamp shows as no time, not an error


def test_samples_between_reads_a_time_range_through_the_index(storage, database, schema):
    rows = query(
        database,
        f"SELECT x, value FROM {schema}.samples_between(%s, %s, %s, %s)",
        "Oven",
        "T",
        T0 + 2,
        T0 + 4,
    )
    assert rows == [(T0 + 2, 22.0), (T0 + 3, 23.0), (T0 + 4, 24.0)]
    plan = "\n".join(
        row[0]
        for row in query(
            database,
            f"EXPLAIN SELECT * FROM {schema}.samples_between('Oven', 'T', {T0}, {T0 + 1})",
        )
    )
    assert "Seq Scan on samples" not in plan


def test_an_unreachable_server_names_itself():
    with pytest.raises(StorageError, match=r"postgresql://x@127\.0\.0\.1:1/rtoc \(schema rtoc\)"):
        PostgresStorage({"host": "127.0.0.1", "port": 1, "user": "x", "dbname": "rtoc"})


def test_stored_batch_uids_are_forgotten_after_30_days(storage, database, schema):
    old, recent = query(database, f"SELECT uid FROM {schema}.batches ORDER BY stored")
    query(
        database,
        f"UPDATE {schema}.batches SET stored = now() - interval '31 days' WHERE uid = %s",
        old[0],
    )
    PostgresStorage(database, schema).close()  # each new connection forgets the old ones
    assert query(database, f"SELECT uid FROM {schema}.batches") == [recent]
