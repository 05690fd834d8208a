import threading

import numpy as np
import pytest

from rtoc.signals import MAX_CAPACITY, CapacityError, Signal, SignalStore


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


def test_backfill_puts_stored_samples_in_front_and_the_writer_skips_them():
    signal = Signal("D", "S", capacity=8, collected=True)
    signal.extend(np.arange(10.0, 13.0), np.ones(3))  # recorded, not yet collected
    assert signal.backfill(np.arange(8.0), np.zeros(8)) == 5  # room for five
    np.testing.assert_array_equal(signal.x, [3, 4, 5, 6, 7, 10, 11, 12])
    np.testing.assert_array_equal(signal.y, [0, 0, 0, 0, 0, 1, 1, 1])
    assert signal.pending == 3
    assert signal.between(4.0, 10.0).x.tolist() == [4, 5, 6, 7, 10]
    signal.append(13.0, 1.0)  # rolls the oldest put sample off, nothing untaken
    np.testing.assert_array_equal(collect_all(signal), [10, 11, 12, 13])
    assert signal.backfill(np.arange(3.0), np.zeros(3)) == 0  # full


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
    with pytest.raises(ValueError, match=r"capacity of D\.S must be from 1 to"):
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


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        (10**10, "from 1 to 100,000,000 samples per signal"),
        (0, "from 1 to 100,000,000"),
        (2.5, "whole number"),
        (True, "whole number"),
    ],
)
def test_store_set_capacity_out_of_bounds_changes_nothing(capacity, message):
    store = SignalStore(capacity=4, collected=True)
    signal = store.signal("D", "S")
    signal.extend(np.arange(4.0), np.arange(4.0))
    with pytest.raises(CapacityError, match=message):
        store.set_capacity(capacity)
    assert store.capacity == signal.capacity == 4
    np.testing.assert_array_equal(signal.x, np.arange(4.0))
    signal.append(4.0, 4.0)  # writes and new signals still work
    assert store.signal("D", "new").capacity == 4
    assert signal.collect().count == 5  # none lost


def test_store_capacity_is_bounded_from_the_start():
    with pytest.raises(CapacityError, match="capacity must be from 1 to 100,000,000"):
        SignalStore(capacity=10**10)


def test_store_set_capacity_memory_cannot_hold_changes_nothing():
    store = SignalStore(capacity=2)
    for index in range(1000):  # 1000 x MAX_CAPACITY samples: 1.6 TB
        store.signal("D", f"S{index}").append(1.0, 2.0)
    with pytest.raises(CapacityError, match=r"1000 signals would need 1\.6e\+03 GB of memory"):
        store.set_capacity(MAX_CAPACITY)
    assert store.capacity == 2 and {signal.capacity for signal in store} == {2}
    assert store.get("D", "S999").latest == (1.0, 2.0)


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


# -- between(): binary search on sorted x, mask otherwise ------------------------


def brute_between(x, y, start=None, end=None, last=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    mask = np.ones(len(x), dtype=bool)
    if start is not None:
        mask &= x >= start
    if end is not None:
        mask &= x <= end
    x, y = x[mask], y[mask]
    if last is not None:
        keep = max(0, min(last, len(x)))
        x, y = x[len(x) - keep :], y[len(y) - keep :]
    return x, y


def assert_between(signal, start=None, end=None, last=None):
    held = signal.samples()
    got = signal.between(start, end, last)
    want = brute_between(held.x, held.y, start, end, last)
    np.testing.assert_array_equal(got.x, want[0])
    np.testing.assert_array_equal(got.y, want[1])
    return got


@pytest.fixture
def mask_calls(monkeypatch):
    """Count the fallbacks of Signal.between() to the full mask."""
    import rtoc.signals

    calls = []
    original = rtoc.signals.between

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(rtoc.signals, "between", counting)
    return calls


def test_between_on_sorted_unwrapped_buffer_is_inclusive(mask_calls):
    signal = Signal("D", "S", capacity=10)
    signal.extend(np.array([1.0, 2, 2, 2, 3, 5]), np.arange(6.0))
    np.testing.assert_array_equal(signal.between(2, 2).y, [1, 2, 3])
    np.testing.assert_array_equal(signal.between(2, 3).x, [2, 2, 2, 3])
    np.testing.assert_array_equal(signal.between(1, 5).x, [1, 2, 2, 2, 3, 5])
    np.testing.assert_array_equal(signal.between(3.5, 4.5).x, [])
    np.testing.assert_array_equal(signal.between(start=3).x, [3, 5])
    np.testing.assert_array_equal(signal.between(end=1).x, [1])
    for start, end in [(-10, 0), (6, 10), (4, 2), (5, 5), (-np.inf, np.inf), (np.inf, np.inf)]:
        assert_between(signal, start, end)
    assert mask_calls == []


def test_between_on_sorted_wrapped_buffer(mask_calls):
    signal = Signal("D", "S", capacity=10)
    signal.extend(np.arange(5.0), np.arange(5.0) * 10)
    signal.extend(np.arange(5.0, 13.0), np.arange(5.0, 13.0) * 10)
    # held 3..12; physically 3..9 at the end of the buffer and 10..12 at its start
    np.testing.assert_array_equal(signal.x, np.arange(3.0, 13.0))
    assert signal._head == 3
    np.testing.assert_array_equal(signal.between(9, 10).y, [90, 100])
    np.testing.assert_array_equal(signal.between(10, 10).x, [10])
    np.testing.assert_array_equal(signal.between(9, 9).x, [9])
    np.testing.assert_array_equal(signal.between(6.5, 11).x, [7, 8, 9, 10, 11])
    np.testing.assert_array_equal(signal.between(3, 12).x, np.arange(3.0, 13.0))
    for start in [None, 2, 3, 3.5, 9, 9.5, 10, 12, 13]:
        for end in [None, 2, 3, 9, 9.5, 10, 12, 13]:
            for last in [None, 0, 1, 2, 4, 100]:
                assert_between(signal, start, end, last)
    assert mask_calls == []


def test_between_last_with_and_without_bounds():
    signal = Signal("D", "S", capacity=8)
    signal.extend(np.arange(12.0), np.arange(12.0))
    np.testing.assert_array_equal(signal.between(last=3).x, [9, 10, 11])
    np.testing.assert_array_equal(signal.between(last=100).x, np.arange(4.0, 12.0))
    np.testing.assert_array_equal(signal.between(5, 9, last=2).x, [8, 9])
    np.testing.assert_array_equal(signal.between(5, 9, last=10).x, [5, 6, 7, 8, 9])
    np.testing.assert_array_equal(signal.between(start=10, last=5).x, [10, 11])
    np.testing.assert_array_equal(signal.between(end=6, last=2).x, [5, 6])
    assert len(signal.between(5, 9, last=0).x) == 0
    assert len(signal.between(last=0).x) == 0
    assert len(signal.between(5, 9, last=-1).x) == 0


def test_between_returns_copies():
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.arange(4.0), np.arange(4.0))
    got = signal.between(1, 2)
    got.x[:] = -1
    np.testing.assert_array_equal(signal.x, [0, 1, 2, 3])


def test_between_on_empty_signal_and_nan_bounds():
    signal = Signal("D", "S", capacity=4)
    for start, end, last in [(None, None, None), (0, 1, None), (None, 1, 2), (1, None, 0)]:
        got = signal.between(start, end, last)
        assert len(got.x) == len(got.y) == 0
    signal.extend(np.arange(4.0), np.arange(4.0))
    assert len(signal.between(np.nan, 3).x) == 0
    assert len(signal.between(0, np.nan).x) == 0
    signal.replace(np.empty(0), np.empty(0))
    assert len(signal.between(0, 10).x) == 0


def test_between_on_unsorted_data_masks_everything(mask_calls):
    signal = Signal("D", "S", capacity=10)
    signal.extend(np.arange(5.0), np.arange(5.0))
    assert_between(signal, 1, 3)
    signal.append(2.5, 99)  # smaller than its predecessor
    signal.append(6.0, 6)
    assert mask_calls == []
    got = assert_between(signal, 2, 4)
    np.testing.assert_array_equal(got.x, [2, 3, 4, 2.5])
    for start, end, last in [(2.5, 2.5, None), (None, 3, 2), (2, None, 3), (7, 9, 1)]:
        assert_between(signal, start, end, last)
    assert len(mask_calls) == 5


def test_between_is_sorted_again_once_the_disorder_rolls_off(mask_calls):
    signal = Signal("D", "S", capacity=4)
    signal.extend(np.array([5.0, 1.0, 2.0]), np.zeros(3))
    assert_between(signal, 1, 4)
    assert len(mask_calls) == 1
    signal.append(3.0, 0)  # held: 5 1 2 3, the 5 > 1 pair is still there
    assert_between(signal, 1, 4)
    assert len(mask_calls) == 2
    signal.append(4.0, 0)  # held: 1 2 3 4
    got = assert_between(signal, 1, 4)
    np.testing.assert_array_equal(got.x, [1, 2, 3, 4])
    assert len(mask_calls) == 2


def test_between_nan_x_counts_as_unsorted(mask_calls):
    signal = Signal("D", "S", capacity=5)
    signal.extend(np.array([0.0, 1.0, np.nan, 3.0]), np.arange(4.0))
    got = assert_between(signal, 0, 3)
    np.testing.assert_array_equal(got.x, [0, 1, 3])
    assert len(mask_calls) == 1
    signal.extend(np.array([4.0, 5.0, 6.0]), np.zeros(3))  # NaN still held: 3 4 5 6 after it
    assert_between(signal, 0, 5)
    assert len(mask_calls) == 2
    signal.append(7.0, 0)  # the NaN rolled off
    assert_between(signal, 4, 6, 2)
    assert len(mask_calls) == 2
    lone = Signal("D", "NaN", capacity=1)
    lone.append(np.nan, 1)
    for start, end in [(0, 1), (None, 1), (0, None)]:
        assert len(assert_between(lone, start, end).x) == 0
    np.testing.assert_array_equal(lone.between().y, [1])


def test_between_repeated_infinities_stay_sorted(mask_calls):
    signal = Signal("D", "S", capacity=6)
    signal.extend(np.array([-np.inf, -np.inf, 0.0, np.inf, np.inf]), np.arange(5.0))
    np.testing.assert_array_equal(assert_between(signal, 0, np.inf).y, [2, 3, 4])
    np.testing.assert_array_equal(assert_between(signal, end=-np.inf).y, [0, 1])
    assert mask_calls == []


def test_between_sorted_again_after_replace(mask_calls):
    signal = Signal("D", "S", capacity=6)
    signal.extend(np.array([3.0, 2.0, 1.0]), np.zeros(3))
    assert_between(signal, 1, 2)
    assert len(mask_calls) == 1
    signal.replace(np.array([0.0, 0.5]), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(assert_between(signal, 0.5, 9).y, [2])
    signal.extend(np.array([1.0, 2.0]), np.zeros(2))
    assert_between(signal, 0.5, 1.5)
    assert len(mask_calls) == 1
    # and a replace with unsorted data is noticed
    signal.replace(np.array([1.0, 0.0]), np.zeros(2))
    assert_between(signal, 0, 1)
    assert len(mask_calls) == 2


def test_between_after_resize(mask_calls):
    signal = Signal("D", "S", capacity=8)
    signal.extend(np.arange(6.0), np.arange(6.0))
    assert_between(signal, 1, 4)
    signal.resize(3)
    np.testing.assert_array_equal(assert_between(signal, 1, 4).x, [3, 4])
    signal.extend(np.arange(6.0, 8.0), np.zeros(2))
    signal.resize(10)
    signal.append(1.0, 0)  # decrease after growing
    assert_between(signal, 5, 7)
    assert len(mask_calls) == 1
    signal.resize(1)  # only the 1.0 stays: sorted again
    np.testing.assert_array_equal(assert_between(signal, 0, 2).x, [1])
    assert len(mask_calls) == 1
    # a decrease appended (unchecked) before a resize is still noticed after it
    signal.resize(4)
    signal.append(0.5, 0)
    signal.resize(5)
    assert_between(signal, 0, 2)
    assert len(mask_calls) == 2


def test_between_matches_brute_force_over_random_operations(mask_calls):
    rng = np.random.default_rng(20240601)
    capacity = 12
    signal = Signal("D", "S", capacity=capacity)
    held_x, held_y = np.empty(0), np.empty(0)
    fast = 0

    def increasing(count, after):
        base = after if len(held_x) and not np.isnan(after) else rng.uniform(-5, 5)
        steps = rng.choice([0.0, 0.5, 1.0, 2.0], size=count)
        return base + np.cumsum(steps)

    for _ in range(3000):
        previous = held_x[-1] if len(held_x) else 0.0
        op = rng.random()
        if op < 0.45:
            x = increasing(1, previous)[0]
            roll = rng.random()
            if roll < 0.03:
                x = previous - rng.uniform(0.1, 3)
            elif roll < 0.04:
                x = np.nan
            y = rng.random()
            signal.append(x, y)
            new_x, new_y = np.array([x]), np.array([y])
        elif op < 0.6:
            count = int(rng.integers(0, 2 * capacity + 2))
            new_x = increasing(count, previous)
            if count and rng.random() < 0.05:
                new_x[rng.integers(count)] -= 10
            new_y = rng.random(count)
            signal.extend(new_x, new_y)
        elif op < 0.63:
            count = int(rng.integers(0, capacity + 3))
            held_x, held_y = np.empty(0), np.empty(0)
            new_x, new_y = increasing(count, np.nan), rng.random(count)
            if count > 1 and rng.random() < 0.2:
                rng.shuffle(new_x)
            signal.replace(new_x, new_y)
        elif op < 0.66:
            capacity = int(rng.integers(1, 20))
            signal.resize(capacity)
            new_x, new_y = np.empty(0), np.empty(0)
        else:
            values = held_x[~np.isnan(held_x)] if len(held_x) else np.zeros(1)
            values = np.concatenate((values, [values.min() - 1, values.max() + 1]))
            start, end = (
                None
                if rng.random() < 0.2
                else float(rng.choice(values)) + rng.choice([0.0, 0.0, -0.25, 0.25])
                for _ in range(2)
            )
            last = None if rng.random() < 0.5 else int(rng.integers(-1, capacity + 2))
            calls = len(mask_calls)
            got = signal.between(start, end, last)
            want = brute_between(held_x, held_y, start, end, last)
            np.testing.assert_array_equal(got.x, want[0])
            np.testing.assert_array_equal(got.y, want[1])
            fast += len(mask_calls) == calls and (start, end) != (None, None)
            continue
        held_x = np.concatenate((held_x, new_x))[-capacity:]
        held_y = np.concatenate((held_y, new_y))[-capacity:]
        np.testing.assert_array_equal(signal.x, held_x)
    # both ways were exercised
    assert fast > 200
    assert len(mask_calls) > 50
