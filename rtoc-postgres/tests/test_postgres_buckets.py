"""Min/max/mean buckets for plots: exact against numpy, from rollups and from samples."""

from __future__ import annotations

import numpy as np
import psycopg2
import pytest

from rtoc.storage.base import SampleBatch
from rtoc_postgres.schema import MIGRATIONS, SCHEMA_VERSION
from rtoc_postgres.storage import PostgresStorage

T0 = 1_764_000_000.0


def expected(x, y, start, end, width, clip=False):
    """Buckets as numpy sees them: aligned to multiples of width, NaN values left out;
    ``clip``: only samples inside [start, end] (the raw path), else whole buckets."""
    keep = ~np.isnan(y) & ((x >= start) & (x <= end) if clip else True)
    x, y = x[keep], y[keep]
    index = np.floor(x / width)
    low, high = np.floor(start / width), np.floor(end / width)
    rows = []
    for bucket in np.unique(index[(index >= low) & (index <= high)]):
        values = y[index == bucket]
        rows.append((bucket * width, len(values), values.min(), values.max(), values.mean()))
    return rows


def as_rows(buckets):
    return list(zip(*(column.tolist() for column in buckets), strict=True))


@pytest.fixture
def storage(database, schema):
    storage = PostgresStorage(database, schema)
    yield storage
    storage.close()


def test_an_hour_at_1_khz_in_2000_buckets_matches_numpy(storage):
    rng = np.random.default_rng(1)
    x = T0 + np.arange(0, 3600, 0.001)
    y = np.sin(x / 60) + rng.normal(0, 0.1, len(x))
    y[12345] = np.nan
    for part in np.array_split(np.arange(len(x)), 36):  # 100 s batches, as the writer makes
        storage.append_samples([SampleBatch("D", "S", x[part], y[part])])
    buckets = storage.read_buckets("D", "S", T0, T0 + 3600, 2000)
    assert len(buckets.start) == 1800  # 1.8 s asked: 1 s rollups merged into 2 s buckets
    want = expected(x, y, T0, T0 + 3600, buckets.start[1] - buckets.start[0])
    got = as_rows(buckets)
    assert len(got) == len(want)
    for (t, n, low, high, mean), (t2, n2, low2, high2, mean2) in zip(got, want, strict=True):
        assert (t, n, low, high) == (t2, n2, low2, high2)
        assert mean == pytest.approx(mean2, rel=1e-9, abs=1e-12)
    assert buckets.count.sum() == len(x) - 1  # every value but the NaN, each once


def test_a_short_range_is_bucketed_from_the_samples(storage):
    x = T0 + np.arange(0, 20, 0.01)
    y = np.arange(len(x), dtype=np.float64)
    storage.append_samples([SampleBatch("D", "S", x, y)])
    buckets = storage.read_buckets("D", "S", T0 + 5, T0 + 15, 200)  # 0.05 s: raw samples
    got = as_rows(buckets)
    want = expected(x, y, T0 + 5, T0 + 15, 0.05, clip=True)
    assert [row[1:4] for row in got] == [row[1:4] for row in want]
    assert buckets.count.sum() == np.count_nonzero((x >= T0 + 5) & (x <= T0 + 15))


def test_unknown_signal_and_bad_arguments(storage):
    assert len(storage.read_buckets("D", "nothing", T0, T0 + 1).start) == 0
    with pytest.raises(ValueError, match="start < end"):
        storage.read_buckets("D", "S", T0, T0)
    with pytest.raises(ValueError, match="count >= 1"):
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
    assert as_rows(buckets) == [(T0, 2, 1.0, 3.0, 2.0), (T0 + 50, 1, 8.0, 8.0, 8.0)]
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
    assert buckets.count.sum() == 60 and buckets.start[0] == T0 + 40
    assert [event.text for event in storage.events()] == ["new"]
    assert storage.delete_before(T0) == 0
