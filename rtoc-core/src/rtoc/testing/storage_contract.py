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
