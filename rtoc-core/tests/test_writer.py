"""The write-behind writer against a real SQLite file, including its faults."""

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import attrs
import numpy as np
import pytest

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.testing.waiting import wait_until


def make_logger(path, interval=0.05, record_length=1000, **storage_options):
    config = Config()
    config = attrs.evolve(
        config,
        backup=attrs.evolve(config.backup, intervall=interval),
        global_=attrs.evolve(config.global_, recordLength=record_length),
    )
    return Logger(config, storage=SQLiteStorage(path, **storage_options))


def stored_x(path, device="D", name="S"):
    storage = SQLiteStorage(path)
    try:
        return storage.read(device, name).x
    finally:
        storage.close()


def test_everything_streamed_is_stored_on_close(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, record_length=100)
    logger.start()
    for i in range(5000):  # 50 times the ring buffer: the writer must spill
        logger.stream(float(i), "S", "D", "V", x=float(i))
    logger.event("done", device="D", signal="S", id="end")
    assert logger.close()
    np.testing.assert_array_equal(stored_x(path), np.arange(5000.0))
    storage = SQLiteStorage(path)
    assert [e.text for e in storage.events()] == ["done"]
    assert storage.signals()[0].unit == "V"
    storage.close()


def test_restart_loads_signals_and_events_up_to_record_length(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, record_length=50)
    logger.start()
    logger.stream_many(np.arange(200.0), np.arange(200.0) * 2, "S", "D", "V")
    logger.event("hello", device="D")
    logger.close()

    again = make_logger(path, record_length=50)
    again.start()
    signal = again.store.get("D", "S")
    np.testing.assert_array_equal(signal.x, np.arange(150.0, 200.0))
    assert signal.unit == "V"
    assert [e.text for e in again.events] == ["hello"]
    again.stream(7.0, "S", "D", x=200.0)
    again.close()
    # loaded samples are not written a second time
    np.testing.assert_array_equal(stored_x(path), np.arange(201.0))


def test_plot_replaces_stored_samples(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path)
    logger.start()
    logger.plot([0, 1, 2], [1, 2, 3], "S", "D")
    logger.writer.flush()
    logger.plot([0, 1], [7, 8], "S", "D")
    logger.close()
    np.testing.assert_array_equal(stored_x(path), [0, 1])


def test_locked_database_keeps_data_in_memory_and_catches_up(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, record_length=64, timeout=0.05)
    logger.start()
    logger.stream_many(np.arange(10.0), np.zeros(10), "S", "D")
    logger.writer.flush()

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    for i in range(10, 2000):  # far more than the ring buffer holds
        logger.stream(0.0, "S", "D", x=float(i))
    assert not logger.writer.flush()
    assert logger.writer.backlog > 0
    errors = [e for e in logger.events if e.priority == 2]
    assert len(errors) == 1 and "locked" in errors[0].text
    assert logger.store.get("D", "S").latest == (1999.0, 0.0)  # memory unaffected

    blocker.execute("ROLLBACK")
    blocker.close()
    assert logger.close()
    np.testing.assert_array_equal(stored_x(path), np.arange(2000.0))
    recovered = SQLiteStorage(path)
    texts = [e.text for e in recovered.events()]
    recovered.close()
    assert any("locked" in text for text in texts)  # the outage itself is on record
    assert any("works again" in text for text in texts)


def test_full_disk_reports_and_keeps_data(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, record_length=1000, max_pages=40)
    logger.start()
    logger.stream_many(np.arange(200_000.0), np.zeros(200_000), "S", "D")
    assert not logger.writer.flush()
    assert "full" in logger.writer.stats.last_error
    assert logger.writer.backlog == 200_000
    assert len(logger.store.get("D", "S")) == 1000  # the in-memory data is kept
    assert not logger.close()  # says plainly that not everything was stored


def test_backlog_counts_samples_while_the_writer_waits_on_a_lock(tmp_path):
    """While another connection holds the file, the writer thread's write waits for
    it (up to ``timeout``): those samples are accepted and not stored, so counted."""
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, interval=0.02, timeout=0.4)
    logger.start()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        accepted = 0
        readings = []
        for _ in range(40):
            logger.stream_many(np.arange(100.0) + accepted, np.zeros(100), "S", "D")
            accepted += 100
            time.sleep(0.02)
            readings.append((accepted, logger.info()["backlog"]))
        assert logger.writer.stats.failures >= 1  # the writer did try, and wait
        assert readings == [(count, count) for count, _ in readings]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert logger.close()
    assert logger.backlog() == 0
    np.testing.assert_array_equal(stored_x(path), np.arange(4000.0))


_FULL_DISK = """
import json, resource, signal, sys
import numpy as np

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage

logger = Logger(Config(), storage=SQLiteStorage(sys.argv[1]))
accepted = 0
for step in range(12):
    x = np.arange(50_000.0) + accepted
    logger.stream_many(x, x, "S", "D")
    accepted += len(x)
    if step < 4:
        logger.writer.flush()  # flushes until the disk is full, then it backs off
    stats = logger.writer.stats
    print(json.dumps([accepted, stats.samples_written, logger.backlog(), stats.failures]))
"""


def test_backlog_keeps_counting_while_a_full_disk_makes_the_writer_back_off(tmp_path):
    """A real file size limit (RLIMIT_FSIZE) in a process of its own: writes past
    it fail (EFBIG) as they do on a full disk (ENOSPC), and need no mount. Samples
    that arrive while the writer waits to retry are accepted and not stored, so
    the backlog grows with them."""
    script = textwrap.dedent(_FULL_DISK)
    path, limit = tmp_path / "rtoc.sqlite", 2 * 1024 * 1024
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[-1][3] >= 1 and rows[-1][1] < rows[-1][0]  # the limit was hit
    for accepted, written, backlog, _ in rows:
        assert backlog == accepted - written


def test_writer_thread_keeps_up_with_concurrent_ingest(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, interval=0.02, record_length=500)
    logger.start()
    stop = threading.Event()
    produced = [0]

    def produce():
        i = 0
        while not stop.is_set():
            logger.stream_many(np.arange(i, i + 100.0), np.ones(100), "S", "D")
            i += 100
        produced[0] = i

    thread = threading.Thread(target=produce)
    thread.start()
    try:  # flushes while the producer runs flat out, however fast this machine writes
        wait_until(lambda: logger.writer.stats.flushes > 3, 20, "four flushes during ingest")
    finally:
        stop.set()
        thread.join()
    assert logger.close()
    np.testing.assert_array_equal(stored_x(path), np.arange(float(produced[0])))


@pytest.mark.parametrize("interval", [0.05])
def test_backlog_limit_drops_oldest_and_says_so(tmp_path, interval):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, interval=interval, timeout=0.01)
    logger.writer.max_backlog = 500
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    logger.stream_many(np.arange(300.0), np.zeros(300), "A", "D")
    logger.writer.flush()
    logger.stream_many(np.arange(300.0), np.zeros(300), "B", "D")
    logger.writer.flush()
    assert logger.writer.stats.samples_dropped == 300
    assert any("gave up the oldest 300 samples" in e.text for e in logger.events)
    blocker.execute("ROLLBACK")
    blocker.close()
    logger.close()
    assert len(stored_x(path, name="A")) == 0
    assert len(stored_x(path, name="B")) == 300
