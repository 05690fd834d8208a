"""``backup.resample``: storage gets one mean sample per bin, memory keeps every sample."""

import itertools

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.storage.base import SampleBatch
from rtoc.storage.resample import Resampler
from rtoc.storage.sqlite import SQLiteStorage


def batch(x, y=None, name="S"):
    x = np.asarray(x, dtype=np.float64)
    return SampleBatch("D", name, x, x * 10 if y is None else np.asarray(y, float), "V")


def pairs(result):
    return [] if result is None else list(zip(result.x.tolist(), result.y.tolist(), strict=True))


def test_rate_must_be_positive():
    with pytest.raises(ValueError, match="must be > 0 Hz"):
        Resampler(0)


def test_complete_bins_become_means_and_the_open_bin_is_held_back():
    resampler = Resampler(1.0)  # bins of one second
    taken = resampler.take(batch([0.0, 0.5, 1.0, 1.2, 1.4, 2.1]))
    assert pairs(taken) == [(0.25, 2.5), (1.2, 12.0)]
    # the bin [2, 3) stays open until a later sample arrives
    assert resampler.take(batch([2.3, 2.5])) is None
    assert pairs(resampler.take(batch([3.0]))) == [(pytest.approx(2.3), pytest.approx(23.0))]
    assert pairs(resampler.rest()[0]) == [(3.0, 30.0)]
    assert resampler.rest() == []


def test_bins_sit_on_a_fixed_grid():
    resampler = Resampler(10.0)  # 0.1 s bins: [100.0, 100.1), [100.1, 100.2) ...
    taken = resampler.take(batch([100.05, 100.09, 100.11, 100.25]))
    np.testing.assert_allclose(taken.x, [100.07, 100.11])


def test_time_going_backwards_starts_a_new_bin():
    resampler = Resampler(1.0)
    taken = resampler.take(batch([5.1, 5.2, 3.5, 5.3]))
    assert pairs(taken) == [
        (pytest.approx(5.15), pytest.approx(51.5)),
        (3.5, 35.0),
    ]


def test_signals_are_held_apart_and_forget_drops_one():
    resampler = Resampler(1.0)
    resampler.take(batch([0.1], name="A"))
    resampler.take(batch([0.2], name="B"))
    resampler.forget(("D", "A"))
    rest = resampler.rest([("D", "A"), ("D", "B"), ("D", "C")])
    assert [(b.name, pairs(b)) for b in rest] == [("B", [(0.2, 2.0)])]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=200).map(sorted),
    st.lists(st.integers(1, 200), max_size=6),
    st.sampled_from([0.5, 1.0, 3.0, 10.0]),
)
def test_any_split_into_batches_gives_the_same_as_one_batch(xs, cuts, rate):
    def run(pieces):
        resampler = Resampler(rate)
        out = [resampler.take(batch(piece)) for piece in pieces]
        out += resampler.rest()
        return np.concatenate([b.x for b in out if b is not None]), np.concatenate(
            [b.y for b in out if b is not None]
        )

    bounds = sorted({0, len(xs), *(c % (len(xs) + 1) for c in cuts)})
    pieces = [xs[a:b] for a, b in itertools.pairwise(bounds)]
    whole_x, whole_y = run([xs])
    split_x, split_y = run(pieces)
    np.testing.assert_allclose(split_x, whole_x)
    np.testing.assert_allclose(split_y, whole_y)
    # one stored sample per occupied bin, and the mean of all samples is kept
    assert len(whole_x) == len(np.unique(np.floor(np.asarray(xs) * rate)))


def make_logger(path, rate, record_length=100_000):
    config = Config()
    config = attrs.evolve(
        config,
        backup=attrs.evolve(config.backup, intervall=0.02, resample=rate),
        global_=attrs.evolve(config.global_, recordLength=record_length),
    )
    return Logger(config, storage=SQLiteStorage(path))


def test_logger_stores_means_and_keeps_every_sample_in_memory(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, rate=10.0)
    logger.start()
    x = 1_700_000_000 + np.arange(5000) / 1000  # 5 s at 1 kHz
    for start in range(0, 5000, 250):  # in 20 blocks, so bins straddle flushes
        logger.stream_many(x[start : start + 250], np.arange(start, start + 250.0), "S", "D", "V")
    assert len(logger.store.get("D", "S")) == 5000
    assert logger.close()
    storage = SQLiteStorage(path)
    try:
        stored_x, stored_y = storage.read("D", "S")
    finally:
        storage.close()
    assert len(stored_x) == 50  # one per 0.1 s
    expected_y = np.arange(5000.0).reshape(50, 100).mean(axis=1)
    np.testing.assert_allclose(stored_y, expected_y)
    np.testing.assert_allclose(stored_x, x.reshape(50, 100).mean(axis=1))


def test_a_replaced_signal_drops_its_held_bin(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, rate=1.0)
    logger.start()
    logger.stream_many([10.1, 10.2], [1.0, 2.0], "S", "D")
    logger.writer.flush()  # the bin [10, 11) is held back now
    logger.plot([20.5, 21.5], [5.0, 7.0], "S", "D")  # replaces the signal
    assert logger.close()
    storage = SQLiteStorage(path)
    try:
        assert pairs(SampleBatch("D", "S", *storage.read("D", "S"))) == [(20.5, 5.0), (21.5, 7.0)]
    finally:
        storage.close()


def test_clearing_a_signal_stores_its_held_bin(tmp_path):
    path = tmp_path / "rtoc.sqlite"
    logger = make_logger(path, rate=1.0)
    logger.start()
    logger.stream_many([10.1, 10.3], [1.0, 3.0], "S", "D")
    logger.writer.flush()
    logger.clear([("D", "S")])
    assert logger.close()
    storage = SQLiteStorage(path)
    try:
        assert pairs(SampleBatch("D", "S", *storage.read("D", "S"))) == [(10.2, 2.0)]
    finally:
        storage.close()
