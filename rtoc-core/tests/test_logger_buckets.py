"""Logger.read_buckets: memory for the newest samples, storage for the rest, seamlessly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import numpy as np
import pytest

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.buckets import (
    Buckets,
    Grid,
    Summaries,
    UnknownSignal,
    bucket_samples,
    merge,
)
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.testing.storage_contract import T0, assert_buckets

HELD = 1000  # samples per signal in memory


def config() -> Config:
    base = Config()
    return attrs.evolve(
        base,
        global_=attrs.evolve(base.global_, recordLength=HELD),
        backup=attrs.evolve(base.backup, loadOnOpen=False),
    )


@pytest.fixture
def logger(tmp_path: Path) -> Iterator[Logger]:
    logger = Logger(config(), storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    yield logger
    logger.close()


def walk(count: int) -> tuple[np.ndarray, np.ndarray]:
    x = T0 + np.arange(count) / 10
    return x, np.cumsum(np.random.default_rng(5).normal(size=count))


def record(logger: Logger, x: np.ndarray, y: np.ndarray, stored: int) -> None:
    """Stream ``x``, ``y`` in blocks of 500; the first ``stored`` reach storage."""
    for at in range(0, len(x), 500):
        logger.stream_many(x[at : at + 500], y[at : at + 500], "S", "D")
        if at + 500 <= stored:
            logger.writer.flush()


def test_a_range_across_storage_and_memory(logger: Logger) -> None:
    x, y = walk(10_000)
    record(logger, x, y, stored=9_000)  # the newest 1,000 in memory and not stored yet
    assert logger.store.get("D", "S").oldest == x[-HELD]
    assert logger.storage.signals()[0].count == 9_000
    for start, end, count in (
        (x[0], x[-1], 37),
        (x[0], x[-1], 2000),
        (x[8_500] + 0.03, x[9_500], 10),
        (x[0] - 5, x[-1] + 5, 1),
    ):
        found = logger.read_buckets("D", "S", start, end, count)
        assert_buckets(found, x, y, start, end, count)
    found = logger.read_buckets("D", "S", x[0], x[-1], 37)
    want = bucket_samples(x, y, x[0], x[-1], 37)
    for field in ("count", "minimum", "maximum", "first", "last", "x_of_min", "x_of_max"):
        np.testing.assert_array_equal(getattr(found, field), getattr(want, field), err_msg=field)


def test_memory_alone_when_it_holds_the_range(tmp_path: Path) -> None:
    logger = Logger(config())  # no storage at all
    x, y = walk(800)
    logger.stream_many(x, y, "S", "D")
    found = logger.read_buckets("D", "S", x[100], x[-1], 50)
    assert_buckets(found, x, y, x[100], x[-1], 50)
    with pytest.raises(UnknownSignal):
        logger.read_buckets("D", "other", x[0], x[-1], 50)
    with pytest.raises(ValueError, match="start must not be after end"):
        logger.read_buckets("D", "S", x[-1], x[0], 50)
    logger.close()


def test_storage_alone_for_a_range_before_memory(logger: Logger, tmp_path: Path) -> None:
    x, y = walk(5_000)
    record(logger, x, y, stored=5_000)
    found = logger.read_buckets("D", "S", x[0], x[2_000], 20)
    assert_buckets(found, x, y, x[0], x[2_000], 20)
    assert found.count.sum() == 2_001
    fresh = Logger(config(), storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))  # nothing in memory
    try:
        assert_buckets(fresh.read_buckets("D", "S", x[0], x[-1], 64), x, y, x[0], x[-1], 64)
        with pytest.raises(UnknownSignal):
            fresh.read_buckets("D", "other", x[0], x[-1], 64)
    finally:
        fresh.close()


def test_a_signal_not_stored_yet_answers_from_memory(logger: Logger) -> None:
    x, y = walk(HELD)
    logger.stream_many(x, y, "S", "D")
    found = logger.read_buckets("D", "S", x[0] - 100, x[-1], 40)
    assert_buckets(found, x, y, x[0] - 100, x[-1], 40)
    assert found.count.sum() == HELD


@pytest.mark.parametrize("seed", range(4))
def test_samples_in_time_order_bucket_as_the_general_merge_does(seed):
    """Samples in x order take a path of their own (runs cut at the grid's edges, no array
    per sample): it answers as merging a summary per sample does, with NaN gaps, samples
    on the edges, repeated x and y, and a range of zero width."""
    rng = np.random.default_rng(seed)
    for trial in range(300):
        n = int(rng.integers(2, 80))
        on_edges = rng.choice(np.linspace(0, 10, 21), n)
        x = np.sort(on_edges if trial % 3 == 0 else rng.uniform(-1, 11, n))
        y = rng.integers(-3, 4, n).astype(float) if trial % 2 else rng.normal(size=n)
        if trial % 4 == 0:
            y[rng.random(n) < 0.3] = np.nan
        start = float(rng.choice([0.0, 0.5, -2.0]))
        end = float(rng.choice([10.0, 9.5, start + 1.0, start]))
        count = int(rng.integers(1, 30))
        inside = (x >= start) & (x <= end)
        summaries = Summaries.of_samples(x[inside], y[inside])
        grid = Grid(start, end, count)
        general = merge(summaries, grid.index(summaries.first), grid)
        in_order = bucket_samples(x, y, start, end, count)
        for field in attrs.fields(Buckets):
            np.testing.assert_array_equal(
                getattr(in_order, field.name), getattr(general, field.name), err_msg=field.name
            )
