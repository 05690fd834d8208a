"""Core ingest and memory figures (issue 2): one JSON line per figure on stdout.

Run with ``nox -s bench`` or ``python bench/bench_core.py``.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
from figures import emit

from rtoc.logger import Logger
from rtoc.signals import Signal, SignalStore


def memory_per_sample(signals: int = 10, capacity: int = 500_000) -> float:
    chunk = np.arange(capacity, dtype=np.float64)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = SignalStore(capacity=capacity)
    for k in range(signals):
        store.signal("Bench", f"S{k}").extend(chunk, chunk)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / (signals * capacity)


def single_stream_rate(count: int, extra_signals: int = 0, round_robin: bool = False) -> float:
    logger = Logger()
    names = [f"S{k}" for k in range(max(1, extra_signals))]
    for name in names:
        logger.stream(0.0, name, "Bench")
    stream = logger.stream
    if round_robin:
        order = [names[i % len(names)] for i in range(count)]
        start = time.perf_counter()
        for name in order:
            stream(1.0, name, "Bench")
    else:
        start = time.perf_counter()
        for _ in range(count):
            stream(1.0, "S0", "Bench")
    elapsed = time.perf_counter() - start
    logger.close()
    return count / elapsed


def batch_stream_rate(batches: int = 20_000, size: int = 1000) -> float:
    logger = Logger()
    x = np.arange(size, dtype=np.float64)
    y = np.random.default_rng(1).random(size)
    stream_many = logger.stream_many
    start = time.perf_counter()
    for _ in range(batches):
        stream_many(x, y, "S", "Bench")
    elapsed = time.perf_counter() - start
    logger.close()
    return batches * size / elapsed


def between_time(length: int, count: int = 1000, calls: int = 2000) -> float:
    """Median microseconds of one ``Signal.between(t0, t1)`` returning ``count`` samples
    from a full, wrapped signal of ``length`` samples time-stamped 10 ms apart."""
    signal = Signal("Bench", "S", capacity=length)
    total = length + length // 3  # wrap the ring buffer
    x = 1.7e9 + 0.01 * np.arange(total, dtype=np.float64)
    signal.extend(x, np.random.default_rng(2).random(total))
    held = signal.x
    first = (length - count) // 2
    t0, t1 = float(held[first]), float(held[first + count - 1])
    if len(signal.between(t0, t1).x) != count:  # also checks the order once, untimed
        raise AssertionError("between() returned the wrong number of samples")
    clock = time.perf_counter
    times = np.empty(calls)
    for i in range(calls):
        start = clock()
        signal.between(t0, t1)
        times[i] = clock() - start
    return float(np.median(times)) * 1e6


def main() -> None:
    emit("memory per stored sample at capacity", memory_per_sample(), "bytes", "<= 17")
    one = max(single_stream_rate(2_000_000) for _ in range(3))
    emit("single-sample stream(), one signal", one, "samples/s", ">= 1000000")
    many = max(single_stream_rate(2_000_000, extra_signals=1000) for _ in range(3))
    emit(
        "single-sample stream(), 1000 signals present",
        many,
        "samples/s",
        "within 20% of one signal",
        relative=round(many / one, 3),
    )
    spread = max(
        single_stream_rate(2_000_000, extra_signals=1000, round_robin=True) for _ in range(3)
    )
    emit(
        "single-sample stream(), round-robin over 1000 signals",
        spread,
        "samples/s",
        "(extra)",
        relative=round(spread / one, 3),
    )
    emit(
        "1000-sample batch stream_many()",
        max(batch_stream_rate() for _ in range(3)),
        "samples/s",
        ">= 50000000",
    )
    short = between_time(1_000)
    long = between_time(500_000)
    emit(
        "Signal.between() returning 1000 samples, signal of 500000",
        long,
        "us",
        "independent of signal length",
        at_1000=round(short, 3),
        relative=round(long / short, 3),
    )


if __name__ == "__main__":
    main()
