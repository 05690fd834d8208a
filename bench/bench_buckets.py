"""Aggregated reads from SQLite (issue 13): one JSON line per figure on stdout.

A signal of ``--samples`` samples (10 M by default) is written into a fresh
SQLite file, either as a logger writes it (batches of ``--batch`` samples) or
as one import (chunks of ``MAX_CHUNK``). Then ``read_buckets`` is timed for
2,000 buckets over the full range (the dashboard's first paint) and over 1 %
of it (a zoom): the first read after opening the file, and the median of
``--repeat`` more. The file is deleted afterwards.

    python bench/bench_buckets.py                       # 10 M samples
    python bench/bench_buckets.py --samples 100000000   # 100 M: 1.7 GB of disk, ~1 min
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from figures import emit

from rtoc.storage.base import SampleBatch
from rtoc.storage.sqlite import MAX_CHUNK, SQLiteStorage

T0 = 1_764_000_000.0
RATE = 1000.0  # Hz: 10 M samples are 2.8 hours
BUCKETS = 2000
TARGETS = {10_000_000: "< 1 s first paint (issue 13)", 100_000_000: "< 2 s first paint (issue 13)"}


def fill(path: Path, samples: int, batch: int) -> float:
    """Write the signal in batches of ``batch`` samples; returns seconds taken."""
    storage = SQLiteStorage(path)
    rng = np.random.default_rng(1)
    began = time.perf_counter()
    for first in range(0, samples, 1_000_000):  # bounded memory: a million at a time
        index = np.arange(first, min(first + 1_000_000, samples), dtype=np.float64)
        x = T0 + index / RATE
        y = np.sin(index / 50_000) + rng.normal(0, 0.1, len(index))
        storage.append_samples(
            [
                SampleBatch("Bench", "S", x[at : at + batch], y[at : at + batch])
                for at in range(0, len(x), batch)
            ]
        )
    elapsed = time.perf_counter() - began
    storage.close()
    return elapsed


def timed(path: Path, start: float, end: float, repeat: int) -> tuple[float, float, int]:
    """(first read after opening, median of ``repeat`` more, buckets answered)."""
    storage = SQLiteStorage(path)
    try:
        began = time.perf_counter()
        buckets = storage.read_buckets("Bench", "S", start, end, BUCKETS)
        first = time.perf_counter() - began
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            storage.read_buckets("Bench", "S", start, end, BUCKETS)
            times.append(time.perf_counter() - began)
    finally:
        storage.close()
    return first, statistics.median(times), len(buckets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=10_000, help="samples per logged batch")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    end = T0 + (args.samples - 1) / RATE
    zoom = (T0 + (end - T0) * 0.5, T0 + (end - T0) * 0.51)
    target = TARGETS.get(args.samples, "")
    for layout, batch in (("logged", args.batch), ("imported", MAX_CHUNK)):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "rtoc.sqlite"
            written = fill(path, args.samples, batch)
            size = path.stat().st_size
            extra = {"samples": args.samples, "layout": layout, "batch": batch}
            emit(
                "sqlite write with block summaries", args.samples / written, "samples/s", "", 0,
                bytes=size, **extra,
            )  # fmt: skip
            for view, (start, stop) in (("full range", (T0, end)), ("1 % zoom", zoom)):
                first, median, answered = timed(path, start, stop, args.repeat)
                name = f"read_buckets {BUCKETS} over the {view}"
                emit(f"{name}, first after open", first, "s", target, buckets=answered, **extra)
                emit(f"{name}, median", median, "s", target, buckets=answered, **extra)


if __name__ == "__main__":
    main()
