"""The contract every storage backend passes, as a pytest class to subclass.

A backend's test module subclasses :class:`StorageContract` and provides the
``storage`` fixture (a fresh, empty store, closed afterwards). Backends that
keep data across a restart also override :meth:`StorageContract.reopen`::

    import pytest
    from rtoc.testing.storage_contract import StorageContract

    class TestSQLite(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            store = SQLiteStorage(tmp_path / "x.sqlite")
            yield store
            store.close()

        def reopen(self, storage):
            storage.close()
            return SQLiteStorage(storage.path)

The rules checked are those in :mod:`rtoc.storage.base`. The whole suite runs
in a second or two, so a backend can afford to run it on every change.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rtoc.events import Event, Priority
from rtoc.storage.base import SampleBatch, SignalInfo, Storage
from rtoc.storage.buckets import Buckets, UnknownSignal

T0 = 1_700_000_000.0  # a realistic unix time: float64 precision matters there


def batch(device: str, name: str, x: object, y: object, unit: str = "") -> SampleBatch:
    return SampleBatch(
        device, name, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), unit
    )


def ramp(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``start..stop-1``: x = T0 + i / 10, y = i."""
    index = np.arange(start, stop, dtype=np.float64)
    return T0 + index / 10, index


def assert_samples(found: tuple[np.ndarray, np.ndarray], x: object, y: object) -> None:
    np.testing.assert_array_equal(found[0], np.asarray(x, dtype=np.float64))
    np.testing.assert_array_equal(found[1], np.asarray(y, dtype=np.float64))
    assert found[0].dtype == found[1].dtype == np.float64


def assert_buckets(
    found: Buckets, x: object, y: object, start: float, end: float, most: int
) -> None:
    """``found`` keeps the rules of :mod:`rtoc.storage.buckets` for the samples ``x``, ``y``.

    Each sample in range lands in the listed bucket whose edges hold it; the
    count, min, max, first and last x of every bucket are compared exactly.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    assert isinstance(found, Buckets)
    assert len(found) <= most
    assert len(found.bucket_start) == len(found.bucket_stop) == len(found.minimum) == len(found)
    if len(found):
        assert start <= found.bucket_start[0] and found.bucket_stop[-1] <= end
        assert (found.bucket_start <= found.bucket_stop).all()
        assert (found.bucket_stop[:-1] <= found.bucket_start[1:]).all()
    keep = (x >= start) & (x <= end) & ~np.isnan(y)
    x, y = x[keep], y[keep]
    at = np.searchsorted(found.bucket_start, x, side="right") - 1
    assert (at >= 0).all(), "a sample before the first bucket"
    stop = found.bucket_stop[at]
    assert ((x < stop) | ((x == stop) & (stop == end))).all(), "a sample in no listed bucket"
    count = np.bincount(at, minlength=len(found))
    np.testing.assert_array_equal(found.count, count)
    assert (count > 0).all(), "an empty bucket is listed"
    for field, ufunc, values in (
        ("minimum", np.minimum, y),
        ("maximum", np.maximum, y),
        ("first", np.minimum, x),
        ("last", np.maximum, x),
    ):
        want = np.full(len(found), np.inf if ufunc is np.minimum else -np.inf)
        ufunc.at(want, at, values)
        np.testing.assert_array_equal(getattr(found, field), want, err_msg=field)
    for field, extreme in (("x_of_min", found.minimum), ("x_of_max", found.maximum)):
        for bucket, where in enumerate(getattr(found, field)):
            if not np.isnan(where):  # NaN: the backend does not keep it
                assert extreme[bucket] in y[(x == where) & (at == bucket)], field


class StorageContract:
    """Tests every :class:`~rtoc.storage.base.Storage` backend must pass."""

    @pytest.fixture
    def storage(self) -> Storage:
        raise NotImplementedError("a backend's test class provides the storage fixture")

    def reopen(self, storage: Storage) -> Storage:
        """Close ``storage`` and open the same store again (as after a restart)."""
        pytest.skip(f"{type(storage).__name__} keeps nothing across a restart")

    # -- samples ---------------------------------------------------------------

    def test_is_a_storage(self, storage: Storage) -> None:
        assert isinstance(storage, Storage)
        assert isinstance(storage.location, str)
        assert storage.location

    def test_append_and_read_back_exactly(self, storage: Storage) -> None:
        x = T0 + np.array([0.0, 0.1, 0.2, 1e-6, 123.456789])
        y = np.array([1.0, -2.5, 1e300, 5e-324, 0.1])
        storage.append_samples([batch("dev", "sig", x, y, "V")])
        assert_samples(storage.read("dev", "sig"), x, y)

    def test_batches_keep_insertion_order(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "a", *ramp(0, 5)), batch("d", "a", *ramp(5, 8))])
        storage.append_samples([batch("d", "b", *ramp(100, 103))])
        storage.append_samples([batch("d", "a", *ramp(8, 20))])
        assert_samples(storage.read("d", "a"), *ramp(0, 20))
        assert_samples(storage.read("d", "b"), *ramp(100, 103))

    def test_range_is_inclusive_at_both_ends(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10))])
        storage.append_samples([batch("d", "s", *ramp(10, 30))])
        x, _ = ramp(0, 30)
        assert_samples(storage.read("d", "s", x[5], x[14]), *ramp(5, 15))
        assert_samples(storage.read("d", "s", x[7], x[7]), *ramp(7, 8))
        assert_samples(storage.read("d", "s", x[9], x[10]), *ramp(9, 11))  # batch ends
        between = (x[7] + x[8]) / 2
        assert_samples(storage.read("d", "s", between, between), [], [])

    def test_range_with_open_bounds(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10)), batch("d", "s", *ramp(10, 20))])
        x, _ = ramp(0, 20)
        assert_samples(storage.read("d", "s", None, x[12]), *ramp(0, 13))
        assert_samples(storage.read("d", "s", x[12], None), *ramp(12, 20))
        assert_samples(storage.read("d", "s", None, None), *ramp(0, 20))
        assert_samples(storage.read("d", "s", x[-1], None), *ramp(19, 20))
        assert_samples(storage.read("d", "s", None, x[0]), *ramp(0, 1))
        assert_samples(storage.read("d", "s", x[-1] + 1, None), [], [])
        assert_samples(storage.read("d", "s", None, x[0] - 1), [], [])

    def test_read_unknown_signal_is_empty(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [T0], [1.0])])
        for found in (
            storage.read("d", "other"),
            storage.read("other", "s", T0 - 1, T0 + 1),
            storage.read_last("d", "other", 10),
        ):
            assert_samples(found, [], [])

    def test_read_last(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10))])
        storage.append_samples([batch("d", "s", *ramp(10, 13))])
        storage.append_samples([batch("d", "s", *ramp(13, 20))])
        assert_samples(storage.read_last("d", "s", 5), *ramp(15, 20))  # inside the newest
        assert_samples(storage.read_last("d", "s", 7), *ramp(13, 20))  # exactly the newest
        assert_samples(storage.read_last("d", "s", 8), *ramp(12, 20))  # across a boundary
        assert_samples(storage.read_last("d", "s", 12), *ramp(8, 20))  # across two
        assert_samples(storage.read_last("d", "s", 20), *ramp(0, 20))
        assert_samples(storage.read_last("d", "s", 1000), *ramp(0, 20))
        assert_samples(storage.read_last("d", "s", 0), [], [])

    def test_non_monotonic_timestamps_keep_insertion_order(self, storage: Storage) -> None:
        x = T0 + np.array([5.0, 1.0, 3.0, 9.0, 2.0])
        y = np.arange(5.0)
        storage.append_samples([batch("d", "s", x, y)])
        storage.append_samples([batch("d", "s", T0 + np.array([0.0, 4.0]), [5.0, 6.0])])
        assert_samples(storage.read("d", "s"), np.append(x, T0 + np.array([0.0, 4.0])), range(7))
        assert_samples(
            storage.read("d", "s", T0 + 2, T0 + 5), T0 + np.array([5, 3, 2, 4.0]), [0, 2, 4, 6]
        )
        assert_samples(storage.read_last("d", "s", 3), T0 + np.array([2.0, 0, 4]), [4, 5, 6])

    def test_nan_and_inf_round_trip(self, storage: Storage) -> None:
        y = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
        x = T0 + np.arange(5.0)
        storage.append_samples([batch("d", "y", x, y)])
        found = storage.read("d", "y")
        assert_samples(found, x, y)
        assert np.signbit(found.y[4])  # -0.0 stays negative

        odd_x = np.array([np.nan, T0, np.inf, -np.inf, np.nan])
        storage.append_samples([batch("d", "x", odd_x, range(5))])
        assert_samples(storage.read("d", "x"), odd_x, range(5))
        assert_samples(storage.read("d", "x", T0, None), [T0, np.inf], [1, 2])
        assert_samples(storage.read("d", "x", None, T0), [T0, -np.inf], [1, 3])
        assert_samples(storage.read("d", "x", -np.inf, np.inf), [T0, np.inf, -np.inf], [1, 2, 3])

    def test_only_nan_timestamps(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [np.nan, np.nan], [1.0, 2.0])])
        assert_samples(storage.read("d", "s"), [np.nan, np.nan], [1, 2])
        assert_samples(storage.read("d", "s", 0, None), [], [])
        assert storage.signals() == [SignalInfo("d", "s", "", 2, None, None)]

    def test_empty_batch_is_a_no_op(self, storage: Storage) -> None:
        storage.append_samples([])
        storage.append_samples([batch("d", "empty", [], [], "V")])
        assert storage.signals() == []
        storage.append_samples([batch("d", "s", [T0], [1.0], "V")])
        storage.append_samples([batch("d", "s", [], [], "mV")])
        assert storage.signals() == [SignalInfo("d", "s", "V", 1, T0, T0)]

    def test_signals_lists_unit_count_and_time_span(self, storage: Storage) -> None:
        batches = [
            batch(f"dev{d}", f"sig{s}", *ramp(s, s + 10 * (d + 1)), unit=f"u{d}")
            for d in range(3)
            for s in range(10)
        ]
        storage.append_samples(batches)
        storage.append_samples([batch("dev0", "sig0", [T0 - 50, T0 + 50], [0.0, 0.0])])
        listed = {info.key: info for info in storage.signals()}
        assert len(listed) == 30
        assert listed["dev2", "sig3"] == SignalInfo("dev2", "sig3", "u2", 30, T0 + 0.3, T0 + 3.2)
        assert listed["dev1", "sig9"] == SignalInfo("dev1", "sig9", "u1", 20, T0 + 0.9, T0 + 2.8)
        # first and last are the smallest and largest timestamp, not the first written
        assert listed["dev0", "sig0"] == SignalInfo("dev0", "sig0", "u0", 12, T0 - 50, T0 + 50)

    def test_unit_is_updated_by_a_later_non_empty_unit(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [T0], [1.0], "V")])
        storage.append_samples([batch("d", "s", [T0 + 1], [2.0], "")])
        assert [info.unit for info in storage.signals()] == ["V"]
        storage.append_samples([batch("d", "s", [T0 + 2], [3.0], "mV")])
        assert [info.unit for info in storage.signals()] == ["mV"]
        assert_samples(storage.read("d", "s"), T0 + np.arange(3.0), [1, 2, 3])

    def test_delete_removes_one_signal(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "gone", *ramp(0, 10)), batch("d", "kept", *ramp(0, 5))])
        storage.append_samples([batch("e", "gone", *ramp(0, 3))])
        storage.delete("d", "gone")
        assert_samples(storage.read("d", "gone"), [], [])
        assert_samples(storage.read_last("d", "gone", 5), [], [])
        assert [info.key for info in storage.signals()] == [("d", "kept"), ("e", "gone")]
        assert_samples(storage.read("d", "kept"), *ramp(0, 5))
        assert_samples(storage.read("e", "gone"), *ramp(0, 3))
        storage.delete("d", "never-stored")
        storage.append_samples([batch("d", "gone", *ramp(50, 52), unit="A")])
        assert_samples(storage.read("d", "gone"), *ramp(50, 52))
        assert storage.signals()[0] == SignalInfo("d", "gone", "A", 2, T0 + 5, T0 + 5.1)

    def test_stored_samples_do_not_share_memory_with_callers(self, storage: Storage) -> None:
        x, y = ramp(0, 10)
        storage.append_samples([batch("d", "s", x, y)])
        x[:] = 0.0
        found = storage.read("d", "s")
        found.y[:] = -1.0
        storage.read_last("d", "s", 3).y[:] = -1.0
        assert_samples(storage.read("d", "s"), *ramp(0, 10))

    def test_mismatched_batch_raises_and_stores_nothing(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 3))])
        with pytest.raises(ValueError, match=r"d\.bad"):
            storage.append_samples([batch("d", "s", *ramp(3, 6)), batch("d", "bad", [T0], [])])
        assert_samples(storage.read("d", "s"), *ramp(0, 3))
        assert [info.key for info in storage.signals()] == [("d", "s")]

    def test_large_batch_round_trips(self, storage: Storage) -> None:
        count = 1_000_000
        x = T0 + np.arange(count) / 1000
        y = np.sin(np.arange(count, dtype=np.float64))
        storage.append_samples([batch("d", "big", x, y)])
        assert_samples(storage.read("d", "big"), x, y)
        assert_samples(
            storage.read("d", "big", x[400_000], x[400_009]), x[400_000:400_010], y[400_000:400_010]
        )
        assert_samples(storage.read_last("d", "big", 300_000), x[-300_000:], y[-300_000:])
        assert storage.signals() == [SignalInfo("d", "big", "", count, x[0], x[-1])]

    def test_readers_see_whole_batches_while_a_writer_appends(self, storage: Storage) -> None:
        size, batches = 100, 100
        failures: list[BaseException] = []

        def write() -> None:
            try:
                for index in range(batches):
                    storage.append_samples(
                        [batch("d", "s", *ramp(index * size, (index + 1) * size))]
                    )
            except BaseException as error:
                failures.append(error)

        writer = threading.Thread(target=write)
        writer.start()
        while writer.is_alive():
            x, _ = storage.read("d", "s")
            assert len(x) % size == 0
            np.testing.assert_array_equal(x, ramp(0, len(x))[0])
            assert len(storage.read_last("d", "s", 150).x) in (0, 100, 150)
        writer.join()
        assert not failures
        assert_samples(storage.read("d", "s"), *ramp(0, size * batches))

    # -- buckets ---------------------------------------------------------------

    def test_buckets_across_many_batches_and_a_split_batch(self, storage: Storage) -> None:
        rng = np.random.default_rng(7)
        x = T0 + np.arange(300_000) / 1000  # 1 kHz for 5 minutes
        y = np.cumsum(rng.normal(size=len(x)))
        for part in np.array_split(np.arange(100_000), 100):  # as the writer hands them
            storage.append_samples([batch("d", "s", x[part], y[part])])
        storage.append_samples([batch("d", "s", x[100_000:], y[100_000:])])  # an import
        for start, end, most in (
            (x[0], x[-1], 2000),
            (x[0], x[-1], 1),
            (x[12_345] + 0.05, x[234_567] - 0.05, 777),
            (x[99_000], x[101_000], 3),
            (x[0] - 100, x[-1] + 100, 10),
        ):
            found = storage.read_buckets("d", "s", start, end, most)
            assert_buckets(found, x, y, start, end, most)
        assert storage.read_buckets("d", "s", x[0], x[-1], 1).count.tolist() == [len(x)]

    def test_buckets_of_a_range_inside_one_batch(self, storage: Storage) -> None:
        x, y = ramp(0, 10_000)
        storage.append_samples([batch("d", "s", x, np.sin(y))])
        start, end = x[4321] + 0.01, x[4567]
        found = storage.read_buckets("d", "s", start, end, 50)
        assert_buckets(found, x, np.sin(y), start, end, 50)
        assert found.count.sum() == 4567 - 4321

    def test_buckets_of_an_empty_range(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 100))])
        for start, end in ((T0 - 10, T0 - 1), (T0 + 100, T0 + 200), (T0 + 0.01, T0 + 0.09)):
            found = storage.read_buckets("d", "s", start, end, 10)
            assert len(found) == 0
            assert_buckets(found, *ramp(0, 100), start, end, 10)

    def test_buckets_of_one_sample(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [T0 + 5], [2.5])])
        found = storage.read_buckets("d", "s", T0, T0 + 10, 100)
        assert found.count.tolist() == [1]
        assert (found.minimum[0], found.maximum[0], found.first[0], found.last[0]) == (
            2.5,
            2.5,
            T0 + 5,
            T0 + 5,
        )
        assert_buckets(found, [T0 + 5], [2.5], T0, T0 + 10, 100)
        at_once = storage.read_buckets("d", "s", T0 + 5, T0 + 5, 3)  # start == end
        assert at_once.count.tolist() == [1]

    def test_buckets_leave_gaps_out(self, storage: Storage) -> None:
        early, late = T0 + np.arange(10.0), T0 + 1000 + np.arange(10.0)
        storage.append_samples([batch("d", "s", early, np.arange(10.0))])
        storage.append_samples([batch("d", "s", late, -np.arange(10.0))])
        x, y = np.r_[early, late], np.r_[np.arange(10.0), -np.arange(10.0)]
        found = storage.read_buckets("d", "s", T0, T0 + 1009, 100)
        assert_buckets(found, x, y, T0, T0 + 1009, 100)
        assert found.count.sum() == 20
        assert found.last[0] < T0 + 100 < found.first[-1]

    def test_buckets_count_no_nan_values(self, storage: Storage) -> None:
        x = T0 + np.arange(8.0)
        y = np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.inf, -np.inf, 0.0])
        storage.append_samples([batch("d", "s", x, y)])
        found = storage.read_buckets("d", "s", T0, T0 + 8, 4)  # 2 s each
        assert_buckets(found, x, y, T0, T0 + 8, 4)
        assert found.count.tolist() == [1, 1, 1, 2]
        assert found.minimum.tolist() == [1.0, 3.0, np.inf, -np.inf]
        assert found.maximum.tolist() == [1.0, 3.0, np.inf, 0.0]
        only_nan = storage.read_buckets("d", "s", T0 + 3, T0 + 4, 1)
        assert len(only_nan) == 0
        storage.append_samples([batch("d", "t", [np.nan, T0], [1.0, 2.0])])
        assert storage.read_buckets("d", "t", T0 - 1, T0 + 1, 2).count.tolist() == [1]

    def test_more_buckets_than_samples(self, storage: Storage) -> None:
        x, y = ramp(0, 5)
        storage.append_samples([batch("d", "s", x, y)])
        found = storage.read_buckets("d", "s", x[0], x[-1], 1000)
        assert_buckets(found, x, y, x[0], x[-1], 1000)
        assert found.count.tolist() == [1] * 5
        np.testing.assert_array_equal(found.first, x)

    def test_buckets_of_non_monotonic_timestamps(self, storage: Storage) -> None:
        x = T0 + np.array([5.0, 1.0, 3.0, 9.0, 2.0, 0.0, 4.0])
        y = np.array([1.0, 7.0, 2.0, 0.0, 5.0, 3.0, 6.0])
        storage.append_samples([batch("d", "s", x[:4], y[:4]), batch("d", "s", x[4:], y[4:])])
        found = storage.read_buckets("d", "s", T0, T0 + 10, 2)
        assert_buckets(found, x, y, T0, T0 + 10, 2)
        assert found.count.tolist() == [5, 2]

    def test_buckets_refuse_bad_arguments(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10))])
        for buckets in (0, -5, 1.5, True, None):
            with pytest.raises(ValueError, match="buckets must be a whole number >= 1"):
                storage.read_buckets("d", "s", T0, T0 + 1, buckets)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="start must not be after end"):
            storage.read_buckets("d", "s", T0 + 1, T0, 10)
        for start, end in ((np.nan, T0), (T0, np.inf), (-np.inf, T0)):
            with pytest.raises(ValueError, match="must be finite"):
                storage.read_buckets("d", "s", start, end, 10)
        with pytest.raises(ValueError, match="must be numbers"):
            storage.read_buckets("d", "s", "soon", T0, 10)  # type: ignore[arg-type]
        with pytest.raises(UnknownSignal, match=r"no signal d\.other"):
            storage.read_buckets("d", "other", T0, T0 + 1, 10)
        storage.delete("d", "s")
        with pytest.raises(UnknownSignal):
            storage.read_buckets("d", "s", T0, T0 + 1, 10)

    # -- events ----------------------------------------------------------------

    def test_events_round_trip_every_field(self, storage: Storage) -> None:
        events = [
            Event(
                text="over",
                device="dps",
                signal="U",
                time=T0 + 0.125,
                priority=Priority.WARNING,
                id="over",
                value=12.5,
                uid="a1",
            ),
            Event(text="started", time=T0, uid="b2"),
            Event(
                text="Wärme ✓",
                device="hp",
                signal="T",
                time=T0 + 2,
                priority=Priority.ERROR,
                value=-0.0,
                uid="c3",
            ),
        ]
        storage.append_events(events)
        found = storage.events()
        assert found == [events[1], events[0], events[2]]
        assert [type(event.priority) for event in found] == [Priority] * 3
        assert found[0].value is None
        assert found[1].value == 12.5

    def test_events_are_idempotent_by_uid(self, storage: Storage) -> None:
        first = Event(text="once", time=T0, uid="same")
        storage.append_events([first])
        storage.append_events([first, Event(text="twice", time=T0 + 1, uid="same")])
        storage.append_events([Event(text="other", time=T0 + 2, uid="other")])
        assert [event.text for event in storage.events()] == ["once", "other"]

    def test_events_range_and_limit(self, storage: Storage) -> None:
        events = [Event(text=f"e{i}", time=T0 + i, uid=f"u{i}") for i in (5, 1, 9, 3, 7, 2, 8)]
        storage.append_events(events[:4])
        storage.append_events(events[4:])

        def texts(**query: object) -> list[str]:
            return [event.text for event in storage.events(**query)]

        assert texts() == ["e1", "e2", "e3", "e5", "e7", "e8", "e9"]
        assert texts(start=T0 + 3, end=T0 + 7) == ["e3", "e5", "e7"]
        assert texts(start=T0 + 7) == ["e7", "e8", "e9"]
        assert texts(end=T0 + 2) == ["e1", "e2"]
        assert texts(limit=2) == ["e8", "e9"]  # the newest, oldest first
        assert texts(start=T0 + 2, end=T0 + 7, limit=2) == ["e5", "e7"]
        assert texts(limit=100) == texts()
        assert texts(limit=0) == []
        assert texts(limit=-1) == []
        assert texts(start=T0 + 10) == []

    def test_clear_events(self, storage: Storage) -> None:
        storage.append_events([Event(text="x", time=T0, uid="x")])
        storage.append_samples([batch("d", "s", [T0], [1.0])])
        storage.clear_events()
        assert storage.events() == []
        assert_samples(storage.read("d", "s"), [T0], [1.0])
        storage.append_events([Event(text="x", time=T0, uid="x")])  # the uid may come back
        assert [event.uid for event in storage.events()] == ["x"]

    # -- changing what is stored -------------------------------------------------

    def test_delete_samples_of_a_period(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 1200), unit="V")])
        storage.append_samples([batch("d", "s", *ramp(1200, 2000)), batch("d", "o", *ramp(0, 20))])
        # samples 500..1500 (bounds included), across both batches
        assert storage.delete_samples("d", "s", T0 + 50, T0 + 150) == 1001
        x, y = ramp(0, 2000)
        keep = (y < 500) | (y > 1500)
        assert_samples(storage.read("d", "s"), x[keep], y[keep])
        found = storage.read("d", "s", T0 + 40, T0 + 160)
        inner = (x >= T0 + 40) & (x <= T0 + 160) & keep
        assert_samples(found, x[inner], y[inner])
        assert_samples(storage.read_last("d", "s", 3), *ramp(1997, 2000))
        info = {info.key: info for info in storage.signals()}
        assert info[("d", "s")] == SignalInfo("d", "s", "V", 999, T0, T0 + 199.9)
        assert info[("d", "o")].count == 20
        for start, end, most in [(T0, T0 + 199.9, 10), (T0 + 45, T0 + 155, 7), (T0, T0 + 3e4, 3)]:
            assert_buckets(
                storage.read_buckets("d", "s", start, end, most), x[keep], y[keep], start, end, most
            )
        assert storage.delete_samples("d", "s", T0 + 50, T0 + 150) == 0
        assert storage.delete_samples("d", "never-stored", T0, T0 + 1) == 0

    def test_delete_samples_with_open_bounds(self, storage: Storage) -> None:
        x, y = ramp(0, 10)
        storage.append_samples([batch("d", "s", np.r_[x, np.nan, -np.inf], np.r_[y, 99.0, -1])])
        # NaN x fails a bound; -inf is before every end
        assert storage.delete_samples("d", "s", None, T0 + 0.25) == 4
        assert storage.delete_samples("d", "s", T0 + 0.65, None) == 3
        assert_samples(storage.read("d", "s"), np.r_[x[3:7], np.nan], np.r_[y[3:7], 99.0])
        assert [info.first for info in storage.signals()] == [T0 + 0.3]
        assert storage.delete_samples("d", "s", None, None) == 5  # no bound: every sample
        assert_samples(storage.read("d", "s"), [], [])
        assert sum(info.count for info in storage.signals()) == 0
        storage.append_samples([batch("d", "s", [T0 + 5], [5.0])])
        assert_samples(storage.read("d", "s"), [T0 + 5], [5.0])

    def test_resample_samples_of_a_period(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 120), unit="V")])
        storage.append_samples([batch("d", "s", *ramp(120, 200)), batch("d", "o", *ramp(0, 20))])
        # samples 50..149 (10 a second, across both batches) become one per second
        assert storage.resample_samples("d", "s", 1.0, T0 + 5, T0 + 14.95) == (100, 10)
        x, y = ramp(0, 200)
        seconds = np.arange(5.0, 15.0)
        want_x = np.r_[x[:50], T0 + seconds + 0.45, x[150:]]
        want_y = np.r_[y[:50], seconds * 10 + 4.5, y[150:]]
        found = storage.read("d", "s")
        np.testing.assert_allclose(found.x - T0, want_x - T0, rtol=0, atol=1e-6)
        np.testing.assert_allclose(found.y, want_y)
        assert storage.signals()[1] == SignalInfo("d", "s", "V", 110, T0, T0 + 19.9)
        near = storage.read("d", "s", T0 + 4.9, T0 + 5.5)
        np.testing.assert_allclose(near.y, [49.0, 54.5])
        assert_samples(storage.read_last("d", "s", 3), *ramp(197, 200))
        for start, end, most in [(T0, T0 + 19.9, 10), (T0 + 4, T0 + 16, 7), (T0, T0 + 3e4, 3)]:
            assert_buckets(
                storage.read_buckets("d", "s", start, end, most), *found, start, end, most
            )
        assert storage.resample_samples("d", "s", 1.0, T0 + 5, T0 + 14.95) == (10, 10)
        assert_samples(storage.read("d", "o"), *ramp(0, 20))
        assert storage.resample_samples("d", "never-stored", 1.0, None, None) == (0, 0)
        assert storage.resample_samples("d", "s", 1.0, T0 + 100, T0 + 200) == (0, 0)

    def test_resample_keeps_the_order_and_what_has_no_time(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [T0 + 0.2, T0 + 5.1, T0 + 0.7], [1, 2, np.nan])])
        storage.append_samples([batch("d", "s", [np.nan, np.inf, T0 + 5.9], [4, 5, 6])])
        # bins of 2 s: each bin's mean where its first sample was; NaN y makes a NaN mean
        assert storage.resample_samples("d", "s", 0.5, None, None) == (4, 2)
        found = storage.read("d", "s")
        np.testing.assert_allclose(found.x - T0, [0.45, 5.5, np.nan, np.inf], rtol=0, atol=1e-6)
        np.testing.assert_allclose(found.y, [np.nan, 4.0, 4.0, 5.0])
        assert [(info.count, info.first) for info in storage.signals()] == [(4, T0 + 0.45)]
        assert_samples(storage.read("d", "s", T0 + 1, T0 + 9), [T0 + 5.5], [4.0])

    def test_rename_signal(self, storage: Storage) -> None:
        storage.append_samples(
            [batch("d", "s", *ramp(0, 10), unit="V"), batch("d", "t", [T0], [1])]
        )
        storage.rename_signal("d", "s", "e", "new")
        assert_samples(storage.read("d", "s"), [], [])
        assert_samples(storage.read("e", "new"), *ramp(0, 10))
        keys = [info.key for info in storage.signals()]
        assert keys == [("d", "t"), ("e", "new")]
        assert storage.signals()[1] == SignalInfo("e", "new", "V", 10, T0, T0 + 0.9)
        assert_buckets(storage.read_buckets("e", "new", T0, T0 + 1, 4), *ramp(0, 10), T0, T0 + 1, 4)
        with pytest.raises(ValueError, match=r"d\.t exists already"):
            storage.rename_signal("e", "new", "d", "t")
        storage.rename_signal("d", "never-stored", "d", "x")  # nothing to move
        assert [info.key for info in storage.signals()] == keys
        storage.append_samples(
            [batch("d", "s", [T0 + 9], [9.0]), batch("e", "new", [T0 + 1], [10])]
        )
        assert_samples(storage.read("d", "s"), [T0 + 9], [9.0])
        assert_samples(
            storage.read("e", "new"), np.r_[ramp(0, 10)[0], T0 + 1], np.r_[ramp(0, 10)[1], 10]
        )

    def test_copy_signal(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10), unit="V")])
        storage.append_samples([batch("d", "s", *ramp(10, 20))])
        storage.copy_signal("d", "s", "d", "copy")
        assert_samples(storage.read("d", "copy"), *ramp(0, 20))
        assert_samples(storage.read_last("d", "copy", 5), *ramp(15, 20))
        infos = storage.signals()
        assert [info.key for info in infos] == [("d", "copy"), ("d", "s")]
        assert infos[0] == SignalInfo("d", "copy", "V", 20, T0, T0 + 1.9)
        assert_buckets(
            storage.read_buckets("d", "copy", T0, T0 + 2, 3), *ramp(0, 20), T0, T0 + 2, 3
        )
        storage.append_samples([batch("d", "copy", [T0 + 5], [-1.0])])
        storage.delete_samples("d", "s", T0, T0 + 0.45)
        assert_samples(storage.read("d", "s"), *ramp(5, 20))  # the two are separate now
        assert_samples(
            storage.read("d", "copy"), np.r_[ramp(0, 20)[0], T0 + 5], np.r_[ramp(0, 20)[1], -1]
        )
        with pytest.raises(ValueError, match=r"d\.s exists already"):
            storage.copy_signal("d", "copy", "d", "s")
        storage.copy_signal("d", "never-stored", "d", "x")
        assert len(storage.signals()) == 2

    def test_set_unit(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", [T0], [1.0], "V")])
        storage.set_unit("d", "s", "mV")
        assert [info.unit for info in storage.signals()] == ["mV"]
        storage.set_unit("d", "never-stored", "A")
        assert [info.key for info in storage.signals()] == [("d", "s")]

    def test_delete_events_by_uid(self, storage: Storage) -> None:
        storage.append_events([Event(text=f"e{i}", time=T0 + i, uid=f"u{i}") for i in range(5)])
        assert storage.delete_events(["u1", "u3", "u1", "unknown"]) == 2
        assert [event.uid for event in storage.events()] == ["u0", "u2", "u4"]
        assert storage.delete_events([]) == 0
        storage.append_events([Event(text="again", time=T0, uid="u1")])  # the uid may come back
        assert [event.uid for event in storage.events()] == ["u0", "u1", "u2", "u4"]

    # -- restart ---------------------------------------------------------------

    def test_persisted_after_reopen(self, storage: Storage) -> None:
        storage.append_samples([batch("d", "s", *ramp(0, 10), unit="V")])
        storage.append_samples([batch("d", "s", *ramp(10, 15)), batch("e", "t", [T0], [np.nan])])
        storage.delete("e", "t")
        event = Event(text="kept", device="d", time=T0, priority=2, value=1.0, uid="k")
        storage.append_events([event])
        reopened = self.reopen(storage)
        try:
            assert_samples(reopened.read("d", "s"), *ramp(0, 15))
            assert_samples(reopened.read_last("d", "s", 7), *ramp(8, 15))
            assert reopened.signals() == [SignalInfo("d", "s", "V", 15, T0, T0 + 1.4)]
            assert reopened.events() == [event]
            reopened.append_samples([batch("d", "s", *ramp(15, 17))])
            assert_samples(reopened.read("d", "s"), *ramp(0, 17))
        finally:
            reopened.close()
