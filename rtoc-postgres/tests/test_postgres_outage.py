"""The database goes away while samples keep arriving: nothing is lost, nothing doubled.

Traffic runs through a loopback proxy that the tests cut and restore.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import psycopg2
import pytest

from rtoc.config import Config
from rtoc.events import Event
from rtoc.logger import Logger
from rtoc.storage.base import SampleBatch, StorageError
from rtoc.testing.waiting import wait_until
from rtoc_postgres.spool import Spool
from rtoc_postgres.spooled import SpooledStorage
from rtoc_postgres.storage import PostgresStorage


def through(proxy, database: dict) -> dict:
    return {**database, "port": proxy.port, "connect_timeout": 2}


def spooled_through(
    proxy, database: dict, schema: str, spool, limit: int, timeout: float | None = None, **retry
) -> SpooledStorage:
    """PostgreSQL behind ``proxy`` with its spool at ``spool`` holding ``limit`` samples."""
    options = {} if timeout is None else {"timeout": timeout}
    return SpooledStorage(
        lambda: PostgresStorage(through(proxy, database), schema, **options),
        Spool(spool, limit),
        "test",
        **retry,
    )


def stored(database: dict, schema: str) -> dict[str, np.ndarray]:
    """Every stored sample's x, by signal name, straight from the server."""
    with psycopg2.connect(**database) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.name, array_agg(p.x ORDER BY p.seq) FROM {schema}.samples p"
            f" JOIN {schema}.signals s ON s.id = p.signal_id GROUP BY s.name"
        )
        return {name: np.array(xs) for name, xs in cursor.fetchall()}


@pytest.mark.timeout(60)
def test_every_sample_arrives_exactly_once_across_an_outage(database, schema, proxy, tmp_path):
    storage = spooled_through(
        proxy,
        database,
        schema,
        tmp_path / "spool.sqlite",
        10_000_000,
        first_retry=0.1,
        max_retry=0.5,
    )
    logger = Logger(Config(), storage=storage)
    logger.writer.interval = 0.05
    logger.start()
    sent = {"A": [], "B": []}
    stop = threading.Event()

    def feed() -> None:
        index = 0
        while not stop.is_set():
            for name in sent:
                x = np.arange(index, index + 50, dtype=np.float64)
                logger.stream_many(x, x * 2, name, "Dev")
                sent[name].append(x)
            index += 50
            time.sleep(0.005)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        time.sleep(0.5)
        proxy.cut()  # mid-traffic: open transactions die with their connection
        wait_until(lambda: storage.backlog > 0, 5, "writes to go to the spool")
        assert logger.info()["backlog"] >= storage.backlog  # what remote users see
        time.sleep(0.5)
        proxy.restore()
        wait_until(lambda: storage.backlog == 0, 15, "the spool to be replayed")
        time.sleep(0.3)
        proxy.cut()  # a second outage, shorter
        time.sleep(0.3)
        proxy.restore()
    finally:
        stop.set()
        feeder.join()
    assert logger.close()
    found = stored(database, schema)
    for name, chunks in sent.items():
        expected = np.concatenate(chunks)
        assert len(found[name]) == len(expected), f"{name}: {len(found[name])} of {len(expected)}"
        np.testing.assert_array_equal(found[name], expected)  # in order, each once


@pytest.mark.timeout(30)
def test_a_database_down_at_start_is_spooled_for_and_filled_later(
    database, schema, proxy, tmp_path, caplog
):
    proxy.cut()
    spool = tmp_path / "spool.sqlite"
    with caplog.at_level(logging.WARNING, "rtoc.postgres"):
        storage = spooled_through(
            proxy, database, schema, spool, 1_000_000, first_retry=0.1, max_retry=0.2
        )
    assert "failed, keeping data in the spool" in caplog.text
    storage.append_samples([SampleBatch("D", "S", np.arange(5.0), np.arange(5.0))])
    assert storage.backlog == 5
    proxy.restore()
    wait_until(lambda: storage.backlog == 0, 10, "the replay")
    np.testing.assert_array_equal(storage.read("D", "S").x, np.arange(5.0))
    storage.close()


@pytest.mark.timeout(30)
def test_the_spool_outlives_a_restart(database, schema, proxy, tmp_path):
    path = tmp_path / "spool.sqlite"
    proxy.cut()

    def open_storage():
        return spooled_through(proxy, database, schema, path, 1_000_000, first_retry=0.1)

    first = open_storage()
    first.append_samples([SampleBatch("D", "S", np.arange(3.0), np.ones(3))])
    first.close(wait=0.2)  # the database is still away: the samples stay in the file
    proxy.restore()
    second = open_storage()
    wait_until(lambda: second.backlog == 0, 10, "the replay after restart")
    np.testing.assert_array_equal(second.read("D", "S").x, np.arange(3.0))
    second.close()


def test_a_retried_batch_is_stored_once(database, schema):
    storage = PostgresStorage(database, schema)
    batch = SampleBatch("D", "S", np.arange(4.0), np.arange(4.0))
    storage.append_samples([batch])
    storage.append_samples([batch, SampleBatch("D", "S", np.array([9.0]), np.array([9.0]))])
    np.testing.assert_array_equal(storage.read("D", "S").x, [0, 1, 2, 3, 9])
    assert storage.signals()[0].count == 5
    storage.close()


@pytest.mark.parametrize(("keep", "left"), [("newest", [2, 3]), ("oldest", [0, 1])])
def test_a_full_spool_keeps_what_the_policy_says_and_says_so(tmp_path, caplog, keep, left):
    spool = Spool(tmp_path / "spool.sqlite", limit=4, keep=keep)
    storage = SpooledStorage(_unreachable, spool, "nowhere", first_retry=60)
    with caplog.at_level(logging.ERROR, "rtoc.postgres"):
        for index in range(4):
            x = np.array([index, index + 0.5])
            storage.append_samples([SampleBatch("D", "S", x, x)])
    assert spool.samples == 4 and storage.dropped == 4
    assert "spool" in caplog.text and "is full (postgresql.spoolLimit = 4 samples)" in caplog.text
    _, batches = spool.oldest_samples(100)
    assert [batch.x[0] for batch in batches] == left
    storage.close(wait=0)


def test_a_bad_batch_is_refused_not_spooled(tmp_path):
    storage = SpooledStorage(_unreachable, Spool(tmp_path / "s.sqlite", 100), "x", first_retry=60)
    with pytest.raises(ValueError, match="x has 2 samples but y has 1"):
        storage.append_samples([SampleBatch("D", "S", np.arange(2.0), np.arange(1.0))])
    assert storage.spool.empty
    storage.close(wait=0)


def _unreachable() -> PostgresStorage:
    return PostgresStorage({"host": "127.0.0.1", "port": 1, "user": "x", "connect_timeout": 1})


@pytest.mark.timeout(60)
def test_a_stalled_database_is_an_outage_too(database, schema, proxy, tmp_path):
    """The connection stays open but nothing answers: after postgresql.timeout the
    writes go to the spool, a warning event says so, and the backlog counts them;
    once the database answers again every sample is in it, once and in order."""
    storage = spooled_through(
        proxy,
        database,
        schema,
        tmp_path / "spool.sqlite",
        10_000_000,
        timeout=1,
        first_retry=0.1,
        max_retry=0.5,
    )
    logger = Logger(Config(), storage=storage)
    logger.writer.interval = 0.05
    logger.start()
    sent = []

    def send(count: int) -> None:
        for _ in range(count):
            x = np.arange(len(sent) * 10, len(sent) * 10 + 10, dtype=np.float64)
            logger.stream_many(x, x, "A", "Dev")
            sent.append(x)
            time.sleep(0.01)

    send(20)
    wait_until(lambda: logger.backlog() == 0, 5, "the first samples to be stored")
    proxy.stall()
    started = time.monotonic()
    send(50)
    assert logger.backlog() >= 500  # none stored since the stall: waiting, or spooled
    wait_until(lambda: storage.backlog > 0, 5, "writes to go to the spool")
    assert time.monotonic() - started < 4
    warnings = [e for e in logger.events if e.priority == 1 and e.signal == "storage"]
    assert warnings and "no answer within 1 s (postgresql.timeout)" in warnings[0].text
    assert logger.backlog() >= storage.backlog > 0
    send(20)
    proxy.flow()
    wait_until(lambda: logger.backlog() == 0, 15, "the spool to be replayed")
    assert logger.close()
    np.testing.assert_array_equal(stored(database, schema)["A"], np.concatenate(sent))


@pytest.mark.timeout(30)
def test_abort_ends_a_call_without_a_deadline_at_once(database, schema, proxy):
    """Maintenance runs without postgresql.timeout; closing it aborts a call that waits."""
    storage = PostgresStorage(through(proxy, database), schema, timeout=None)
    proxy.stall()
    failed = []

    def read() -> None:
        try:
            storage.signals()
        except StorageError as error:
            failed.append(str(error))

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.5)
    assert reader.is_alive()  # no deadline: it would wait for ever
    storage.abort()
    reader.join(2)
    assert not reader.is_alive() and "connection cut" in failed[0]
    storage.close()


@pytest.mark.timeout(60)
def test_stored_data_is_loaded_once_a_database_down_at_start_answers(
    database, schema, proxy, tmp_path
):
    """backup.loadOnOpen with the database away: the logger starts and records; once
    the database answers, what it held comes in front of what was recorded since,
    and nothing is stored twice."""
    old = PostgresStorage(database, schema)
    old.append_samples([SampleBatch("D", "S", np.arange(100.0), np.zeros(100), "V")])
    old.append_events([Event(text="before", device="D", time=50.0)])
    old.close()
    proxy.cut()
    storage = spooled_through(
        proxy,
        database,
        schema,
        tmp_path / "spool.sqlite",
        1_000_000,
        first_retry=0.1,
        max_retry=0.2,
    )
    logger = Logger(Config(), storage=storage)
    logger.writer.interval = 0.05
    logger.start()  # no error: recording starts
    assert any("stored data not loaded yet" in e.text for e in logger.events)
    logger.stream_many(np.arange(100.0, 150.0), np.ones(50), "S", "D")
    wait_until(lambda: storage.backlog == 50, 5, "the new samples in the spool")
    proxy.restore()
    wait_until(
        lambda: any("loaded 100 stored samples and 1 events" in e.text for e in logger.events),
        10,
        "the stored data to be loaded",
    )
    signal = logger.store.get("D", "S")
    np.testing.assert_array_equal(signal.x, np.arange(150.0))
    assert signal.unit == "V"
    assert [e.text for e in logger.events].count("before") == 1
    assert logger.close()
    np.testing.assert_array_equal(stored(database, schema)["S"], np.arange(150.0))


@pytest.mark.timeout(60)
def test_stored_data_is_changed_only_once_the_spool_is_empty(database, schema, proxy, tmp_path):
    storage = spooled_through(
        proxy, database, schema, tmp_path / "spool.sqlite", 1_000_000, timeout=2.0, first_retry=60
    )
    try:
        storage.append_samples([SampleBatch("D", "S", np.arange(5.0), np.arange(5.0))])
        proxy.cut()
        storage.append_samples([SampleBatch("D", "S", np.arange(5.0, 10.0), np.arange(5.0))])
        assert storage.backlog == 5
        # deleting now would let the replay bring the samples back later
        with pytest.raises(StorageError, match="5 samples still wait in the spool"):
            storage.delete_samples("D", "S", 2.0, 7.0)
        with pytest.raises(StorageError):
            storage.rename_signal("D", "S", "D", "T")
        proxy.restore()
        assert storage.delete_samples("D", "S", 2.0, 7.0) == 6  # the spool goes first
        assert storage.backlog == 0
        np.testing.assert_array_equal(storage.read("D", "S").x, [0, 1, 8, 9])
    finally:
        storage.close()
