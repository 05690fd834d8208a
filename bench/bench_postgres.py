"""PostgreSQL figures (issue 5): one JSON line per figure on stdout.

Needs the server on 127.0.0.1:5432 (trust auth, database ``test``); each run
works in a schema of its own and drops it afterwards. A plain COPY of
(timestamp, float) rows ran at about 220,000 rows/s on this machine.

Run with ``nox -s bench`` or ``python bench/bench_postgres.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import attrs
import numpy as np
import psycopg2
from figures import emit

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.base import SampleBatch
from rtoc_postgres.spool import Spool
from rtoc_postgres.spooled import SpooledStorage
from rtoc_postgres.storage import PostgresStorage

DATABASE = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "test"}
T0 = 1_764_000_000.0


def sustained_ingest(schema: str, seconds: float = 10.0, signals: int = 20) -> dict:
    """A logger fed 1000-sample blocks for ``seconds``; its writer stores into PostgreSQL.

    The rate is samples stored divided by the time from the first sample to
    the last one stored; then every sample is counted in the database.
    """
    config = Config()
    config = attrs.evolve(config, global_=attrs.evolve(config.global_, recordLength=100_000))
    with tempfile.TemporaryDirectory() as folder:
        storage = SpooledStorage(
            lambda: PostgresStorage(DATABASE, schema),
            Spool(Path(folder) / "spool.sqlite", 100_000_000),
            "bench",
        )
        logger = Logger(config, storage=storage)
        logger.writer.interval = 0.5
        logger.start()
        fed = 0
        stop = threading.Event()
        block = np.arange(1000, dtype=np.float64)

        def feed() -> None:
            nonlocal fed
            index = 0
            pace = time.perf_counter()
            while not stop.is_set():
                for k in range(signals):
                    logger.stream_many(T0 + (index + block) / 1000, block, f"S{k}", "Bench")
                fed += 1000 * signals
                index += 1000
                pace += 1000 * signals / 600_000  # offer 600,000 samples/s
                time.sleep(max(0.0, pace - time.perf_counter()))

        start = time.perf_counter()
        feeder = threading.Thread(target=feed)
        feeder.start()
        backlogs = []
        while time.perf_counter() - start < seconds:
            time.sleep(0.5)
            backlogs.append(logger.writer.backlog + storage.backlog)
        stop.set()
        feeder.join()
        stored = logger.close()
        elapsed = time.perf_counter() - start
    with psycopg2.connect(**DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {schema}.samples")
        (in_database,) = cursor.fetchone()
    return {
        "rate": in_database / elapsed,
        "fed": fed,
        "in_database": in_database,
        "all_stored": stored and in_database == fed,
        "median_backlog": statistics.median(backlogs),
    }


def bucket_read(schema: str, runs: int = 20) -> tuple[float, int]:
    """Median time to read one hour of a 1 kHz signal as 2,000 buckets."""
    storage = PostgresStorage(DATABASE, schema)
    x = T0 + np.arange(0, 3600, 0.001)
    y = np.sin(x)
    for part in np.array_split(np.arange(len(x)), 360):  # 10 s batches
        storage.append_samples([SampleBatch("Bench", "kHz", x[part], y[part])])
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        buckets = storage.read_buckets("Bench", "kHz", T0, T0 + 3600, 2000)
        times.append(time.perf_counter() - begin)
    storage.close()
    return statistics.median(times), len(buckets)


def resample_hour(schema: str) -> tuple[float, int, int]:
    """Thin the hour that bucket_read stored (3.6 million samples) to 0.1 Hz in place."""
    storage = PostgresStorage(DATABASE, schema, timeout=None)  # maintenance: no time limit
    begin = time.perf_counter()
    before, after = storage.resample_before(T0 + 3601, 0.1)
    seconds = time.perf_counter() - begin
    storage.close()
    return seconds, before, after


def main() -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        result = sustained_ingest(schema)
        emit(
            "sustained ingest into PostgreSQL from one logger",
            result["rate"],
            "samples/s",
            ">= 300000, nothing dropped",
            fed=result["fed"],
            in_database=result["in_database"],
            all_stored=result["all_stored"],
            median_backlog=result["median_backlog"],
        )
        seconds, count = bucket_read(schema + "_read")
        emit(
            "one hour of a 1 kHz signal as 2,000 min/max buckets, median",
            seconds * 1000,
            "ms",
            "< 50",
            buckets=count,
        )
        seconds, before, after = resample_hour(schema + "_read")
        emit(
            "resampling stored samples in place (1 kHz to 0.1 Hz)",
            before / seconds,
            "samples/s",
            "none set",
            samples_before=before,
            samples_after=after,
            seconds=round(seconds, 2),
        )
    finally:
        with psycopg2.connect(**DATABASE) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema}_read CASCADE")


if __name__ == "__main__":
    main()
