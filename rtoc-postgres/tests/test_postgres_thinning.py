"""Long recordings: resampling old data in place, retention, the maintenance thread,
and ``rtoc postgres status|prune|resample`` (against the real server)."""

from __future__ import annotations

import json
import time

import numpy as np
import psycopg2
import pytest

from rtoc.storage.base import SampleBatch
from rtoc.testing.installed import run_rtoc
from rtoc.testing.storage_contract import assert_buckets
from rtoc.testing.waiting import wait_until
from rtoc_postgres.maintenance import DAY, Maintenance, Policy, apply
from rtoc_postgres.schema import MIGRATIONS
from rtoc_postgres.storage import PostgresStorage

T0 = 1_764_000_000.0


@pytest.fixture
def storage(database, schema):
    storage = PostgresStorage(database, schema)
    yield storage
    storage.close()


def fill(storage, x, y, batch=1000, name="S"):
    for start in range(0, len(x), batch):
        stop = start + batch
        storage.append_samples([SampleBatch("D", name, x[start:stop], y[start:stop], "V")])


def chunk_rows(database, schema):
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"SELECT first_seq, last_seq, x_min, x_max, rate FROM {schema}.chunks"
            " ORDER BY first_seq"
        )
        return cursor.fetchall()


def test_old_batches_become_one_mean_per_bin_and_new_ones_stay(storage, database, schema):
    x = T0 + np.arange(0, 600, 0.1)  # 10 minutes at 10 Hz, in 100 s batches
    y = np.arange(len(x), dtype=np.float64)
    fill(storage, x, y)
    before, after = storage.resample_before(T0 + 300, 1 / 60)  # batches ending before 5 min
    assert (before, after) == (3000, 5)  # 300 s of 10 Hz; one per minute
    stored_x, stored_y = storage.read("D", "S")
    np.testing.assert_allclose(stored_x[:5], x[:3000].reshape(5, 600).mean(axis=1))
    np.testing.assert_allclose(stored_y[:5], y[:3000].reshape(5, 600).mean(axis=1))
    np.testing.assert_array_equal(stored_x[5:], x[3000:])  # the rest untouched, in order
    (info,) = storage.signals()
    assert info.count == 5 + 3000
    assert (info.first, info.last) == (stored_x[0], x[-1])  # the first sample is a bin mean
    rows = chunk_rows(database, schema)
    assert rows[0][4] == pytest.approx(1 / 60) and [row[4] for row in rows[1:]] == [None] * 3
    # a time range read crosses from resampled to raw data through the chunk index
    ranged_x, _ = storage.read("D", "S", T0 + 200, T0 + 310)
    assert ranged_x[0] == pytest.approx(x[2400:3000].mean()) and ranged_x[-1] == x[3100]
    # the newest samples are still the newest after resampling left gaps in seq
    np.testing.assert_array_equal(storage.read_last("D", "S", 3)[0], x[-3:])
    np.testing.assert_allclose(storage.read_last("D", "S", 3002)[0][:2], stored_x[3:5])


def test_rollups_keep_old_buckets_exact(storage):
    x = T0 + np.arange(0, 400, 0.1)
    y = np.sin(np.arange(len(x)) / 7.0)
    fill(storage, x, y)
    want = storage.read_buckets("D", "S", T0, T0 + 400, 40)
    storage.resample_before(T0 + 400, 0.01)
    got = storage.read_buckets("D", "S", T0, T0 + 400, 40)
    for field in ("bucket_start", "bucket_stop", "count", "minimum", "maximum", "first", "last"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


def test_a_period_resampled_later_gets_rollups_of_its_new_samples(storage):
    x = T0 + np.arange(0, 4000, 0.5)  # 2 Hz in batches of 500 s
    y = np.sin(np.arange(len(x)) / 7.0)
    fill(storage, x, y)
    storage.resample_before(T0 + 1000, 0.1)  # the first 1000 s thinned, raw rollups kept
    # 500..1000 s: 50 thinned samples; 1000..3500 s: 5001 raw ones; bins of 100 s: 31
    assert storage.resample_samples("D", "S", 0.01, T0 + 500, T0 + 3500) == (5051, 31)
    found = storage.read("D", "S", T0 + 500, T0 + 4000)
    assert len(found.x) == 31 + 999
    for start, end, most in [(T0 + 500, T0 + 3999.5, 35), (T0 + 1000, T0 + 3000, 4)]:
        inside = (found.x >= start) & (found.x <= end)
        assert_buckets(
            storage.read_buckets("D", "S", start, end, most),
            found.x[inside],
            found.y[inside],
            start,
            end,
            most,
        )


def test_resampling_again_at_the_same_rate_changes_nothing_and_lower_rates_thin_more(storage):
    x = T0 + np.arange(0, 300, 0.5)
    fill(storage, x, np.ones(len(x)), batch=100)
    assert storage.resample_before(T0 + 300, 0.1) == (600, 30)
    assert storage.resample_before(T0 + 300, 0.1) == (0, 0)
    assert storage.resample_before(T0 + 300, 0.01) == (30, 3)
    assert storage.signals()[0].count == 3


def test_a_bin_across_two_batches_is_one_sample(storage):
    storage.append_samples([SampleBatch("D", "S", np.array([T0 + 1.0, T0 + 5.0]), np.ones(2))])
    storage.append_samples([SampleBatch("D", "S", np.array([T0 + 7.0, T0 + 12.0]), np.ones(2))])
    # T0 is a multiple of 10: bins [T0, T0+10) and [T0+10, T0+20)
    assert storage.resample_before(T0 + 100, 0.1) == (4, 2)
    np.testing.assert_allclose(storage.read("D", "S")[0], [T0 + 13 / 3, T0 + 12])


def test_old_batches_separated_by_a_newer_one_are_not_merged(storage):
    """Time going backwards: an old batch after a newer one must keep its own chunk."""
    batches = [T0 + np.arange(0, 10.0), T0 + np.arange(1000, 1010.0), T0 + np.arange(20, 30.0)]
    for x in batches:
        storage.append_samples([SampleBatch("D", "S", x, np.ones(10))])
    assert storage.resample_before(T0 + 500, 0.05) == (20, 2)
    x, _ = storage.read("D", "S")  # seq order kept, and nothing read twice
    np.testing.assert_allclose(x, [T0 + 4.5, *(T0 + np.arange(1000, 1010.0)), T0 + 24.5])
    assert len(storage.read("D", "S", T0, T0 + 2000)[0]) == 12


def test_each_signal_is_binned_on_its_own_and_nan_values_propagate(storage):
    storage.append_samples(
        [
            SampleBatch("D", "A", T0 + np.arange(4.0), np.array([1.0, 2.0, 3.0, 4.0])),
            SampleBatch("D", "B", T0 + np.arange(4.0), np.array([1.0, np.nan, 3.0, 4.0])),
        ]
    )
    assert storage.resample_before(T0 + 100, 0.1) == (8, 2)
    assert storage.read("D", "A")[1].tolist() == [2.5]
    assert np.isnan(storage.read("D", "B")[1][0])


def test_bad_rate_is_refused_before_anything_changes(storage):
    fill(storage, T0 + np.arange(10.0), np.ones(10))
    with pytest.raises(ValueError, match="must be > 0 Hz"):
        storage.resample_before(T0 + 100, 0)
    assert storage.signals()[0].count == 10


def test_schema_3_gains_the_chunk_rate_column(database, schema):
    connection = psycopg2.connect(**database)
    with connection.cursor() as cursor:
        for step in (1, 2, 3):
            cursor.execute(MIGRATIONS[step].format(s=schema))
        cursor.execute(f"INSERT INTO {schema}.meta VALUES ('schema_version', '3')")
    connection.commit()
    connection.close()
    storage = PostgresStorage(database, schema)
    try:
        fill(storage, T0 + np.arange(100.0), np.ones(100), batch=10)
        assert storage.resample_before(T0 + 1000, 0.1) == (100, 10)
        assert storage.summary()["schema_version"] == 5
    finally:
        storage.close()


def test_policy_resamples_then_deletes_relative_to_now(storage):
    now = T0 + 10 * DAY
    for day in range(10):  # one batch a day, 100 samples at 1 Hz each
        x = T0 + day * DAY + np.arange(100.0)
        storage.append_samples([SampleBatch("D", "S", x, np.full(100, float(day)))])
    outcome = apply(
        storage, Policy(keep_days=8.5, resample_after_days=4.5, resample_rate=0.02), now
    )
    # days 0..5 are older than 4.5 days: resampled to 2 per batch; days 0..1 then deleted
    assert (outcome.resampled_from, outcome.resampled_to, outcome.deleted) == (600, 12, 4)
    assert "deleted 4 samples older than 8.5 days" in outcome.describe(Policy(8.5, 4.5, 0.02))
    _, y = storage.read("D", "S")
    assert y.tolist() == [2, 2, 3, 3, 4, 4, 5, 5] + [6] * 100 + [7] * 100 + [8] * 100 + [9] * 100


def test_maintenance_thread_runs_at_start_and_survives_an_unreachable_database(
    database, schema, caplog
):
    seed = PostgresStorage(database, schema)
    seed.append_samples(
        [SampleBatch("D", "S", time.time() - 3 * DAY + np.arange(10.0), np.ones(10))]
    )
    seed.close()
    attempts = []

    def connect():
        attempts.append(1)
        if len(attempts) == 1:
            return PostgresStorage({**database, "port": 1}, schema)  # refused
        return PostgresStorage(database, schema)

    maintenance = Maintenance(connect, Policy(keep_days=1), period=0.05)
    maintenance.start()
    try:
        wait_until(lambda: maintenance.runs >= 1, timeout=10, what="a maintenance run")
    finally:
        maintenance.close()
    assert maintenance.last.deleted == 10
    assert "postgresql maintenance failed" in caplog.text and "127.0.0.1:1" in caplog.text


# -- rtoc postgres ... ----------------------------------------------------------------


@pytest.fixture
def home(tmp_path, database):
    home = tmp_path / "home"
    home.mkdir()
    section = {"database": database["dbname"], "host": database["host"], "port": database["port"]}
    (home / "config.json").write_text(json.dumps({"postgresql": section}))
    drop_default_schema(database)  # other tests of this run record there too
    storage = PostgresStorage(database)  # the default schema rtoc, as rtoc run uses
    start = (time.time() - 10 * DAY) // 10 * 10  # on the 10 s grid of 0.1 Hz
    storage.append_samples([SampleBatch("D", "S", start + np.arange(0, 100, 0.5), np.ones(200))])
    storage.append_samples([SampleBatch("D", "S", np.array([time.time()]), np.ones(1))])
    storage.close()
    yield home
    drop_default_schema(database)


def drop_default_schema(database):
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS rtoc CASCADE")


@pytest.mark.timeout(120)
def test_status_resample_and_prune_from_the_command_line(home):
    status = run_rtoc(home, "postgres", "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert (report["reachable"], report["samples"], report["signals"]) == (True, 201, 1)
    assert report["schema_version"] == 5 and report["spooled"] is None and report["bytes"] > 0
    assert "201 samples in 1 signals" in run_rtoc(home, "postgres", "status").stdout

    resampled = run_rtoc(home, "postgres", "resample", "--days", "5", "--rate", "0.1")
    assert resampled.returncode == 0, resampled.stderr
    assert "Resampled 200 samples older than 5 days to 10 (0.1 Hz)." in resampled.stdout
    pruned = run_rtoc(home, "postgres", "prune", "--days", "5")
    assert "Deleted 10 samples older than 5 days." in pruned.stdout
    assert json.loads(run_rtoc(home, "postgres", "status", "--json").stdout)["samples"] == 1


def test_command_line_errors_name_the_problem(home, tmp_path):
    missing = run_rtoc(home, "postgres", "prune")
    assert missing.returncode == 2 and "give --days, or set postgresql.keepDays" in missing.stderr
    rate = run_rtoc(home, "postgres", "resample", "--days", "1", "--rate", "0").stderr
    assert "Invalid value for '--rate': 0.0 is not in the range x>0" in rate
    config = json.loads((home / "config.json").read_text())
    config["postgresql"]["port"] = 1
    (home / "config.json").write_text(json.dumps(config))
    down = run_rtoc(home, "postgres", "status")
    assert down.returncode == 1 and "not reachable" in down.stdout and ":1/" in down.stdout
    assert "127.0.0.1" in run_rtoc(home, "postgres", "prune", "--days", "1").stderr
