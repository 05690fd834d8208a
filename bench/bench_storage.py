"""SQLite write-behind figures (issue 2): one JSON line per figure on stdout.

- drain: how fast a flush moves samples already in memory into SQLite;
- sustained: a producer offers a steady load from another thread for a while,
  the writer flushes on its own schedule; afterwards every sample must be in
  the file (``dropped`` counts any that are not).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import attrs
import numpy as np
from figures import emit

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage

SIGNALS = 100
BATCH = 1000


def make_logger(path: Path, interval: float) -> Logger:
    config = Config()
    config = attrs.evolve(config, backup=attrs.evolve(config.backup, intervall=interval))
    return Logger(config, storage=SQLiteStorage(path))


def stored_samples(path: Path) -> int:
    storage = SQLiteStorage(path)
    try:
        return sum(info.count for info in storage.signals())
    finally:
        storage.close()


def drain_rate(folder: Path, per_signal: int = 100_000) -> float:
    logger = make_logger(folder / "drain.sqlite", interval=3600)
    x = np.arange(per_signal, dtype=np.float64)
    for k in range(SIGNALS):
        logger.stream_many(x, x, f"S{k}", "Bench")
    start = time.perf_counter()
    logger.writer.flush()
    elapsed = time.perf_counter() - start
    logger.close()
    return SIGNALS * per_signal / elapsed


def sustained(folder: Path, offered: float, seconds: float) -> dict[str, float]:
    path = folder / "sustained.sqlite"
    logger = make_logger(path, interval=0.5)
    logger.start()
    names = [f"S{k}" for k in range(SIGNALS)]
    y = np.random.default_rng(2).random(BATCH)
    produced = 0
    peak_backlog = 0
    start = time.perf_counter()
    deadline = start + seconds
    while (now := time.perf_counter()) < deadline:
        due = int((now - start) * offered)
        while produced < due:
            x = np.arange(produced, produced + BATCH, dtype=np.float64)
            logger.stream_many(x, y, names[(produced // BATCH) % SIGNALS], "Bench")
            produced += BATCH
        peak_backlog = max(peak_backlog, sum(s.pending for s in logger.store))
        time.sleep(0.001)
    logger.close()
    elapsed = time.perf_counter() - start
    stored = stored_samples(path)
    return {
        "rate": stored / elapsed,
        "produced": produced,
        "dropped": produced - stored,
        "peak_pending": peak_backlog,
        "seconds": elapsed,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        emit("SQLite flush of samples in memory", drain_rate(folder), "samples/s", "(extra)")
        result = sustained(folder, offered=1_000_000, seconds=10)
        emit(
            "SQLite write-behind, sustained (1,000,000 samples/s offered, 10 s, 100 signals)",
            result.pop("rate"),
            "samples/s",
            ">= 500000, nothing dropped",
            **{k: round(v, 3) for k, v in result.items()},
        )


if __name__ == "__main__":
    main()
