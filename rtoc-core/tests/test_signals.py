import threading

import numpy as np
import pytest

from rtoc.signals import Signal, SignalStore


def collect_all(signal: Signal) -> np.ndarray:
    chunks = signal.collect().chunks
    return np.concatenate([c.x for c in chunks]) if chunks else np.empty(0)


def test_append_and_read_in_order():
    signal = Signal("D", "S", capacity=5, unit="V")
    for i in range(3):
        signal.append(float(i), 10.0 * i)
    np.testing.assert_array_equal(signal.x, [0, 1, 2])
    np.testing.assert_array_equal(signal.y, [0, 10, 20])
    assert signal.latest == (2.0, 20.0)
    assert len(signal) == 3


def test_oldest_samples_roll_off_when_full():
    signal = Signal("D", "S", capacity=4)
    for i in range(10):
        signal.append(float(i), float(i))
    np.testing.assert_array_equal(signal.x, [6, 7, 8, 9])
    assert signal.total == 10
    assert len(signal) == 4


def test_extend_wraps_and_keeps_newest():
    signal = Signal("D", "S", capacity=5)
    signal.extend(np.arange(3.0), np.arange(3.0))
    signal.extend(np.arange(3.0, 7.0), np.arange(3.0, 7.0))
    np.testing.assert_array_equal(signal.x, [2, 3, 4, 5, 6])
    signal.extend(np.arange(100.0), np.arange(100.0))  # larger than capacity
    np.testing.assert_array_equal(signal.x, [95, 96, 97, 98, 99])


def test_extend_rejects_unequal_lengths():
    signal = Signal("D", "S", capacity=5)
    with pytest.raises(ValueError, match=r"D\.S: x has 2 samples but y has 3"):
        signal.extend(np.zeros(2), np.zeros(3))


def test_last_and_between():
    signal = Signal("D", "S", capacity=6)
    signal.extend(np.arange(10.0), np.arange(10.0) * 2)
    np.testing.assert_array_equal(signal.last(3).x, [7, 8, 9])
    np.testing.assert_array_equal(signal.last(100).x, [4, 5, 6, 7, 8, 9])
    assert len(signal.last(0).x) == 0
    between = signal.between(5, 7)
    np.testing.assert_array_equal(between.x, [5, 6, 7])
    np.testing.assert_array_equal(between.y, [10, 12, 14])
    np.testing.assert_array_equal(signal.between(end=5).x, [4, 5])


def test_non_monotonic_timestamps_are_kept_in_insertion_order():
    signal = Signal("D", "S", capacity=10)
    signal.extend(np.array([3.0, 1.0, 2.0]), np.array([30.0, 10.0, 20.0]))
    np.testing.assert_array_equal(signal.x, [3, 1, 2])
    np.testing.assert_array_equal(signal.between(1.5, 3).y, [30, 20])


def test_nan_and_inf_are_kept():
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.arange(3.0), np.array([np.nan, np.inf, -np.inf]))
    y = signal.y
    assert np.isnan(y[0]) and y[1] == np.inf and y[2] == -np.inf


def test_replace_drops_everything_and_flags_collect():
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.arange(3.0), np.arange(3.0))
    signal.collect()
    signal.append(9, 9)
    signal.replace(np.array([0.0, 1.0]), np.array([5.0, 6.0]))
    np.testing.assert_array_equal(signal.y, [5, 6])
    collected = signal.collect()
    assert collected.replaced
    np.testing.assert_array_equal(collected.chunks[-1].y, [5, 6])
    assert not signal.collect().replaced


def test_resize_keeps_newest():
    signal = Signal("D", "S", capacity=10)
    signal.extend(np.arange(8.0), np.arange(8.0))
    signal.resize(3)
    np.testing.assert_array_equal(signal.x, [5, 6, 7])
    signal.append(8, 8)
    np.testing.assert_array_equal(signal.x, [6, 7, 8])
    signal.resize(6)
    signal.append(9, 9)
    np.testing.assert_array_equal(signal.x, [6, 7, 8, 9])


@pytest.mark.parametrize("batch", [1, 3, 7, 50])
def test_collect_loses_nothing_when_writer_is_slow(batch):
    """Samples rolling off before the writer took them are spilled, not lost."""
    signal = Signal("D", "S", capacity=16)
    signal.collect()  # a writer is attached
    taken = []
    position = 0
    for round_ in range(20):
        for _ in range(7):
            signal.extend(np.arange(position, position + batch, dtype=float), np.zeros(batch))
            position += batch
        if round_ % 3 == 0:
            taken.append(collect_all(signal))
    taken.append(collect_all(signal))
    np.testing.assert_array_equal(np.concatenate(taken), np.arange(position, dtype=float))
    assert signal.pending == 0


def test_collect_is_exact_with_single_appends_far_behind():
    signal = Signal("D", "S", capacity=8)
    signal.collect()
    for i in range(1000):
        signal.append(float(i), 0.0)
    np.testing.assert_array_equal(collect_all(signal), np.arange(1000.0))


def test_samples_rolled_off_before_any_writer_are_not_collected():
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.arange(10.0), np.arange(10.0))
    np.testing.assert_array_equal(collect_all(signal), [6, 7, 8, 9])


def test_mark_collected_skips_loaded_samples():
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.arange(3.0), np.arange(3.0))
    signal.mark_collected()
    signal.append(3, 3)
    np.testing.assert_array_equal(collect_all(signal), [3])


def test_concurrent_appends_and_collects_lose_nothing():
    signal = Signal("D", "S", capacity=64)
    signal.collect()
    per_thread = 20_000
    taken = []
    done = threading.Event()

    def writer(offset):
        for i in range(per_thread):
            signal.append(float(offset + i), 1.0)

    def collector():
        while not done.is_set():
            taken.append(collect_all(signal))

    threads = [threading.Thread(target=writer, args=(k * per_thread,)) for k in range(3)]
    reader = threading.Thread(target=collector)
    reader.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    taken.append(collect_all(signal))
    got = np.sort(np.concatenate(taken))
    np.testing.assert_array_equal(got, np.arange(3 * per_thread, dtype=float))


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match=r"capacity of D\.S must be at least 1"):
        Signal("D", "S", capacity=0)


def test_store_creates_once_and_updates_unit():
    store = SignalStore(capacity=7)
    first = store.signal("D", "S", "V")
    assert store.signal("D", "S") is first
    assert first.capacity == 7 and first.unit == "V"
    store.signal("D", "S", "mV")
    assert first.unit == "mV"
    assert store.signal("D", "T", capacity=3).capacity == 3
    assert store.keys() == [("D", "S"), ("D", "T")]
    assert store.devices() == ["D"]
    assert store.remove("D", "S") is first
    assert ("D", "S") not in store


def test_store_set_capacity_resizes_all():
    store = SignalStore(capacity=10)
    signal = store.signal("D", "S")
    signal.extend(np.arange(10.0), np.arange(10.0))
    store.set_capacity(2)
    np.testing.assert_array_equal(signal.x, [8, 9])
    assert store.signal("D", "new").capacity == 2


def test_memory_per_sample_is_sixteen_bytes():
    signal = Signal("D", "S", capacity=100_000)
    assert signal._x.nbytes + signal._y.nbytes == 16 * 100_000


def test_collected_signal_keeps_samples_from_the_first_one():
    signal = Signal("D", "S", capacity=4, collected=True)
    signal.extend(np.arange(10.0), np.arange(10.0))
    for i in range(10, 20):
        signal.append(float(i), 0.0)
    np.testing.assert_array_equal(collect_all(signal), np.arange(20.0))
    assert SignalStore(capacity=4, collected=True).signal("D", "S").pending == 0
