"""Global event figures (issue 4): one JSON line per figure on stdout.

RTOC 2.1.8 evaluated a global event about 0.2 ms after a sample, but one event
referencing a signal cut that signal's ingest to 6,800 samples/s. Here a
sample only marks its signal; a separate thread evaluates the conditions.

Run with ``nox -s bench`` or ``python bench/bench_automation.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import attrs
from figures import emit

from rtoc.config import Config
from rtoc.events import Event
from rtoc.logger import Logger


def logger_with_events(home: Path, rules: dict[str, dict]) -> Logger:
    config = Config()
    config = attrs.evolve(config, global_=attrs.evolve(config.global_, globalEventsActivated=True))
    logger = Logger(config, home=home)
    logger.start()
    if rules:
        logger.automation.set_global_events(rules)
    return logger


def event_latency(home: Path, count: int = 2000) -> list[float]:
    """Seconds from ``stream()`` to the global event being recorded, per sample."""
    logger = logger_with_events(
        home, {"flip": {"cond": "Bench.S.latest > 0", "text": "flip", "trigger": "both"}}
    )
    raised = threading.Event()
    arrived: list[float] = []

    def on_event(event: Event) -> None:
        if event.text == "flip":
            arrived.append(time.perf_counter())
            raised.set()

    logger.events.subscribe(on_event)
    latencies = []
    for i in range(count):
        raised.clear()
        sent = time.perf_counter()
        logger.stream(1.0 if i % 2 == 0 else -1.0, "S", "Bench")
        if not raised.wait(1.0):
            raise RuntimeError(f"sample {i}: no event within 1 s")
        latencies.append(arrived[-1] - sent)
    logger.close()
    return latencies


def ingest_rate(
    home: Path, conditions: int, watched: bool, count: int = 400_000
) -> tuple[float, float]:
    """Single-sample ``stream()`` rate with ``conditions`` global events present,
    and how many evaluation passes a second ran meanwhile."""
    rules = {
        f"rule{i}": {
            "cond": f"Bench.Watched.latest > {i + 1_000_000}",  # never true: measure the checks
            "text": f"rule {i}",
        }
        for i in range(conditions)
    }
    if conditions:  # one of them fires on every pass, to count the passes
        rules["rule0"] = {"cond": "Bench.Watched.latest > 0", "text": "pass", "trigger": "true"}
    logger = logger_with_events(home, rules)
    signal = "Watched" if watched else "Other"
    stream = logger.stream
    stream(0.0, signal, "Bench")
    start = time.perf_counter()
    for _ in range(count):
        stream(1.0, signal, "Bench")
    elapsed = time.perf_counter() - start
    passes = sum(1 for event in logger.events if event.text == "pass")
    logger.close()
    return count / elapsed, passes / elapsed


def best_of(runs: int, measure) -> tuple[float, float]:
    return max((measure() for _ in range(runs)), key=lambda result: result[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        latencies = event_latency(home)
        emit(
            "sample -> global event raised, median",
            statistics.median(latencies) * 1000,
            "ms",
            "< 0.1",
            digits=4,
            p90=round(statistics.quantiles(latencies, n=10)[-1] * 1000, 4),
        )
        watched, passes = best_of(3, lambda: ingest_rate(home, 100, watched=True))
        emit(
            "single-sample ingest, signal read by 100 conditions",
            watched,
            "samples/s",
            ">= 200000",
            evaluation_passes_per_s=round(passes),
        )
        none, _ = best_of(3, lambda: ingest_rate(home, 0, watched=False))
        unrelated, _ = best_of(3, lambda: ingest_rate(home, 100, watched=False))
        emit(
            "single-sample ingest, unrelated signal, 100 conditions present",
            unrelated,
            "samples/s",
            "within 10% of no conditions",
            relative=round(unrelated / none, 3),
            without_conditions=round(none),
        )


if __name__ == "__main__":
    main()
