"""Buckets for plots from the rollups, held to the core's rules against numpy."""

from __future__ import annotations

import numpy as np
import psycopg2
import pytest

from rtoc.storage.base import SampleBatch
from rtoc.storage.buckets import UnknownSignal
from rtoc.testing.storage_contract import assert_buckets
from rtoc_postgres.schema import MIGRATIONS, SCHEMA_VERSION
from rtoc_postgres.storage import PostgresStorage

T0 = 1_764_000_000.0


@pytest.fixture
def storage(database, schema):
    storage = PostgresStorage(database, schema)
    yield storage
    storage.close()


def test_twenty_minutes_at_1_khz_in_2000_buckets_from_the_rollups(storage, database, schema):
    rng = np.random.default_rng(1)
    x = T0 + 0.0005 + np.arange(0, 1200, 0.001)  # the bench reads a whole hour
    y = np.sin(x / 60) + rng.normal(0, 0.1, len(x))
    y[12345] = np.nan
    for part in np.array_split(np.arange(len(x)), 12):  # 100 s batches, as the writer makes
        storage.append_samples([SampleBatch("D", "S", x[part], y[part])])
    start, end = T0 + 0.25, T0 + 1199.5  # neither on a rollup edge: both ends read raw
    connection = psycopg2.connect(**database)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_reset()")
    buckets = storage.read_buckets("D", "S", start, end, 2000)
    assert_buckets(buckets, x, y, start, end, 2000)
    assert 1990 <= len(buckets) <= 2000  # 0.1 s rollup rows, cut near every 0.6 s
    assert not np.isnan(buckets.x_of_min).any()
    # of 1.2 M samples only the two batches at the ends were read (samples are
    # indexed by seq, so a raw read reads the batches that hold its x range)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(idx_tup_fetch), 0) FROM pg_stat_user_tables"
            " WHERE schemaname = %s AND relname = 'samples'",
            (schema,),
        )
        (fetched,) = cursor.fetchone()
    connection.close()
    assert fetched <= 200_000


def test_a_short_range_is_bucketed_from_the_samples(storage):
    x = T0 + np.arange(0, 20, 0.01)
    y = np.arange(len(x), dtype=np.float64)
    storage.append_samples([SampleBatch("D", "S", x, y)])
    buckets = storage.read_buckets("D", "S", T0 + 5, T0 + 15, 200)  # 0.05 s: raw samples
    assert_buckets(buckets, x, y, T0 + 5, T0 + 15, 200)
    np.testing.assert_allclose(np.diff(buckets.bucket_start), 0.05, atol=1e-6)  # equal edges
    assert buckets.count.sum() == np.count_nonzero((x >= T0 + 5) & (x <= T0 + 15))


def test_unknown_signal_and_bad_arguments(storage):
    with pytest.raises(UnknownSignal):
        storage.read_buckets("D", "nothing", T0, T0 + 1, 10)
    with pytest.raises(ValueError, match="start must not be after end"):
        storage.read_buckets("D", "S", T0 + 1, T0, 10)
    with pytest.raises(ValueError, match="buckets must be a whole number >= 1"):
        storage.read_buckets("D", "S", T0, T0 + 1, 0)


def test_deleting_a_signal_deletes_its_buckets(storage):
    x = T0 + np.arange(100.0)
    storage.append_samples([SampleBatch("D", "S", x, x)])
    storage.delete("D", "S")
    storage.append_samples([SampleBatch("D", "S", x[:10], np.zeros(10))])
    assert storage.read_buckets("D", "S", T0, T0 + 100, 10).count.sum() == 10


def test_a_version_1_schema_is_migrated_and_its_rollups_filled(database, schema):
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(MIGRATIONS[1].replace("{s}", f'"{schema}"'))
        cursor.execute(f"INSERT INTO {schema}.meta VALUES ('schema_version', '1')")
        cursor.execute(f"INSERT INTO {schema}.devices (name) VALUES ('D')")
        cursor.execute(
            f"INSERT INTO {schema}.signals (device_id, name, count, next_seq) VALUES (1, 'S', 3, 3)"
        )
        cursor.execute(
            f"INSERT INTO {schema}.samples VALUES (1, 0, {T0}, 1), (1, 1, {T0 + 5}, 3),"
            f" (1, 2, {T0 + 50}, 8)"
        )
    storage = PostgresStorage(database, schema)
    buckets = storage.read_buckets("D", "S", T0, T0 + 100, 10)  # 10 s buckets
    assert_buckets(buckets, [T0, T0 + 5, T0 + 50], [1, 3, 8], T0, T0 + 100, 10)
    assert buckets.count.tolist() == [2, 1]
    assert buckets.last.tolist() == [T0 + 5, T0 + 50]  # filled by version 5
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'")
        assert cursor.fetchone() == (str(SCHEMA_VERSION),)
    storage.close()


def test_retention_drops_old_batches_their_buckets_and_events(storage):
    from rtoc.events import Event

    for start in range(0, 100, 10):  # ten 10 s batches of 1 Hz
        x = T0 + np.arange(start, start + 10, dtype=np.float64)
        storage.append_samples([SampleBatch("D", "S", x, np.ones(10))])
    storage.append_events([Event(text="old", time=T0, uid="o"), Event(text="new", time=T0 + 90)])
    assert storage.delete_before(T0 + 45) == 40  # batches 0-9 .. 30-39; 40-49 straddles: kept
    x, _ = storage.read("D", "S")
    np.testing.assert_array_equal(x, T0 + np.arange(40.0, 100.0))
    (info,) = storage.signals()
    assert (info.count, info.first, info.last) == (60, T0 + 40, T0 + 99)
    buckets = storage.read_buckets("D", "S", T0, T0 + 100, 10)  # 10 s buckets from rollups
    assert buckets.count.sum() == 60 and buckets.first[0] == T0 + 40
    assert [event.text for event in storage.events()] == ["new"]
    assert storage.delete_before(T0) == 0
