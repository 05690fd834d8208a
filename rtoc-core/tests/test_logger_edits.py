"""Deleting, renaming, copying signals and deleting events: memory and storage together.

Every change goes through the three doors a frontend has: the logger in
process, a RemoteLogger over a real TCP server (with and without a
password), and the read-only StorageView, which refuses. The logger records
into a real SQLite file, and samples and events still waiting for the
write-behind writer must not come back after a change.
"""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest

from rtoc.automation.namespace import script_namespace
from rtoc.automation.script import Script
from rtoc.config import BackupConfig, Config
from rtoc.frontend import ControlUnavailable, EventQuery, LoggerView, SignalNotFound
from rtoc.logger import Logger
from rtoc.net.client import Client, RemoteError
from rtoc.net.server import ServerSettings, TcpServer
from rtoc.storage.base import StorageError
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.storage.view import StorageView

T0 = 1_700_000_000.0


def ramp(first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(first, stop, dtype=np.float64)
    return T0 + index, index


def stored(logger: Logger) -> dict:
    """What the storage holds: ``{key: (x, y, unit)}``."""
    storage = logger.storage
    return {
        info.key: (*storage.read(*info.key), info.unit) for info in storage.signals() if info.count
    }


def held(logger: Logger) -> dict:
    """What memory holds: ``{key: [y, ...]}``."""
    return {signal.key: signal.samples().y.tolist() for signal in logger.store}


def record(logger: Logger) -> None:
    """D.A and Lab.1.T partly stored, partly still waiting for the writer; D.B stored."""
    logger.stream_many(*ramp(0, 50), "A", "D", "V")
    logger.stream_many(*ramp(0, 20), "B", "D", "A")
    logger.stream_many(*ramp(0, 5), "T", "Lab.1", "°C")
    logger.writer.flush()
    logger.stream_many(*ramp(50, 80), "A", "D")
    logger.stream_many(*ramp(5, 8), "T", "Lab.1")


def test_every_source_has_the_editing_methods(logger, tmp_path):
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite", read_only=True)) as view:
        for source in (logger, view):
            assert isinstance(source, LoggerView)


def test_whole_signals_go_from_memory_and_storage(logger, editor):
    record(logger)
    assert editor.delete_signals([("D", "A"), ("Lab.1", "T")]) == [("D", "A"), ("Lab.1", "T")]
    logger.writer.flush()  # nothing that waited for the writer comes back
    assert logger.store.keys() == [("D", "B")]
    assert list(stored(logger)) == [("D", "B")]
    assert [info.key for info in editor.signal_infos()] == [("D", "B")]
    logger.stream(1.0, "A", "D", x=T0 + 1000)  # a device still streaming starts afresh
    logger.writer.flush()
    np.testing.assert_array_equal(stored(logger)[("D", "A")][0], [T0 + 1000])


def test_every_signal_goes_when_none_is_named(logger, editor):
    record(logger)
    assert editor.delete_signals() == [("D", "A"), ("D", "B"), ("Lab.1", "T")]
    logger.writer.flush()
    assert logger.store.keys() == [] and stored(logger) == {}


def test_a_period_goes_from_memory_storage_and_what_waits(logger, editor):
    logger.resize(40)  # memory holds the newest 40; older ones not yet stored wait aside
    logger.stream_many(*ramp(0, 100), "A", "D", "V")
    logger.writer.flush()
    logger.stream_many(*ramp(100, 200), "A", "D")  # 60 of them roll off into the spill
    assert editor.delete_signals([("D", "A")], T0 + 90, T0 + 170) == [("D", "A")]
    y = ramp(0, 200)[1]
    keep = (y < 90) | (y > 170)
    held = logger.store.get("D", "A").samples()
    np.testing.assert_array_equal(held.y, y[keep][-29:])  # 171..199
    logger.writer.flush()
    _, found_y, unit = stored(logger)[("D", "A")]
    np.testing.assert_array_equal(found_y, y[keep])
    assert unit == "V"
    (info,) = editor.signal_infos()
    assert (info.count, info.first, info.last) == (keep.sum(), T0, T0 + 199)
    assert editor.read_buckets("D", "A", T0, T0 + 199, 4).count.sum() == keep.sum()


def test_an_open_period_and_a_signal_only_in_storage(logger, editor):
    record(logger)
    logger.clear([("D", "B")])  # memory lets go of it; storage keeps it
    editor.delete_signals([("D", "B")], end=T0 + 9.5)
    editor.delete_signals([("D", "A")], start=T0 + 60)
    logger.writer.flush()
    np.testing.assert_array_equal(stored(logger)[("D", "B")][1], np.arange(10.0, 20.0))
    np.testing.assert_array_equal(stored(logger)[("D", "A")][1], np.arange(60.0))


def test_events_matching_a_query_go_from_memory_and_storage(logger, editor):
    for i in range(6):
        logger.event(f"alarm {i}", device="D", priority=2, time=T0 + i)
        logger.event(f"note {i}", device="D", priority=0, time=T0 + i)
    logger.writer.flush()
    logger.event("alarm late", device="D", priority=2, time=T0 + 3.5)  # still queued
    query = EventQuery(text="ALARM", start=T0 + 2, end=T0 + 4, limit=1, offset=5)
    assert editor.delete_events(query) == 4  # alarm 2, 3, 4 and late: limit/offset ignored
    logger.writer.flush()
    expected = {f"alarm {i}" for i in (0, 1, 5)} | {f"note {i}" for i in range(6)}
    assert {event.text for event in logger.events} == expected
    assert {event.text for event in logger.storage.events()} == expected
    assert editor.delete_events(EventQuery(priorities=[2])) == 3
    assert editor.event_page(EventQuery()).total == 6


def test_renaming_moves_memory_storage_and_what_waits(logger, editor):
    record(logger)
    editor.rename_signal(("D", "A"), ("E", "A2"))
    logger.writer.flush()
    logger.stream(80.0, "A2", "E", x=T0 + 80)  # the renamed signal goes on under its name
    logger.writer.flush()
    assert sorted(logger.store.keys()) == [("D", "B"), ("E", "A2"), ("Lab.1", "T")]
    _, y, unit = stored(logger)[("E", "A2")]
    np.testing.assert_array_equal(y, np.arange(81.0))
    assert unit == "V" and ("D", "A") not in stored(logger)
    assert editor.latest([("E", "A2")])[("E", "A2")].y == 80.0


def test_a_copy_has_every_sample_once_and_lives_on_its_own(logger, editor):
    record(logger)
    editor.copy_signal(("D", "A"), ("D", "A copy"))
    logger.writer.flush()
    for key in (("D", "A"), ("D", "A copy")):
        np.testing.assert_array_equal(stored(logger)[key][1], np.arange(80.0))
        assert stored(logger)[key][2] == "V"
    np.testing.assert_array_equal(logger.read("D", "A copy").y, np.arange(80.0))
    editor.delete_signals([("D", "A")], T0, T0 + 70)
    logger.writer.flush()
    np.testing.assert_array_equal(stored(logger)[("D", "A copy")][1], np.arange(80.0))


def test_set_unit_and_record_length(logger, editor):
    record(logger)
    editor.set_unit(("D", "A"), "mV")
    logger.writer.flush()  # the queued batches carried the old unit; the new one stays
    assert stored(logger)[("D", "A")][2] == "mV"
    assert logger.read("D", "A").unit == "mV"
    assert editor.record_length == 500_000
    editor.resize(1234)
    assert editor.record_length == logger.store.capacity == 1234


BAD_CALLS = [
    (lambda v: v.delete_signals([("D", "nope")]), "no signal D.nope"),
    (lambda v: v.delete_signals("D.A"), "pair"),
    (lambda v: v.delete_signals([("D", "A")], T0 + 5, T0), r"starts \(1700000005.0\) after"),
    (lambda v: v.delete_signals([("D", "A")], "yesterday"), "start must be a finite number"),
    (lambda v: v.delete_signals(end=float("nan")), "end must be a finite number"),
    (lambda v: v.delete_events("alarm"), "EventQuery"),
    (lambda v: v.rename_signal(("D", "A"), ("D", "B")), r"D\.B exists already"),
    (lambda v: v.rename_signal(("D", "nope"), ("D", "C")), "no signal D.nope"),
    (lambda v: v.copy_signal(("D", "A"), ("D", "")), "non-empty texts"),
    (lambda v: v.copy_signal(("D", "A"), ("Lab.1", "T")), r"Lab\.1\.T exists already"),
    (lambda v: v.set_unit(("D", "A"), 5), "text"),
    (lambda v: v.resize(0), "recordLength"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(logger, editor, call, message):
    record(logger)
    before = held(logger)
    with pytest.raises((KeyError, ValueError, RemoteError), match=message):
        call(editor)
    assert held(logger) == before
    assert logger.read("D", "A").unit == "V"


def test_an_unknown_key_is_a_key_error_naming_it(logger):
    record(logger)
    with pytest.raises(SignalNotFound) as caught:
        logger.delete_signals([("D", "A"), ("Lab.1", "nope")])
    assert str(caught.value) == "no signal Lab.1.nope"
    assert ("D", "A") in logger.store  # checked before anything went


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"deleteSignal": {}}, "unknown command"),
        ({"deleteSignals": ["D.A"]}, "takes an object"),
        ({"deleteSignals": {"signals": "D.A"}}, "must be a list"),
        ({"deleteSignals": {"signals": [7]}}, "takes"),
        ({"deleteSignals": {"colour": 1}}, "unknown field"),
        ({"deleteEvents": {"priorities": "high"}}, "logger.deleteEvents.priorities"),
        ({"renameSignal": {"signal": "D.A"}}, "needs to"),
        ({"renameSignal": {"signal": "D.A", "to": "E.A"}}, r"to must be \[\"Device\""),
        ({"setUnit": {"signal": "D.A", "unit": None}}, "unit must be a text"),
    ],
)
def test_bad_tcp_requests_name_the_problem(logger, request_, message):
    record(logger)
    server = TcpServer()
    client = Client(*server.serve(logger, ServerSettings(port=0)))
    try:
        with pytest.raises(RemoteError, match=message):
            client.request(logger=request_)
        reply = client.request(logger={"deleteSignals": {"signals": ["Lab.1.T"], "end": T0 + 2}})
        assert reply["logger"]["deleteSignals"] == [["Lab.1", "T"]]
    finally:
        client.close()
        server.stop()
    np.testing.assert_array_equal(logger.read("Lab.1", "T").y, np.arange(3.0, 8.0))


def test_the_storage_view_refuses_every_change(logger, tmp_path):
    record(logger)
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite", read_only=True)) as view:
        for call in (
            lambda: view.delete_signals(),
            lambda: view.delete_signals([("D", "A")], T0, T0 + 1),
            lambda: view.delete_events(EventQuery()),
            lambda: view.rename_signal(("D", "A"), ("D", "X")),
            lambda: view.copy_signal(("D", "A"), ("D", "X")),
            lambda: view.set_unit(("D", "A"), "mV"),
            lambda: view.resize(10),
        ):
            with pytest.raises(ControlUnavailable, match="stored data only"):
                call()
        assert view.record_length == 0
        assert [info.key for info in view.signal_infos()] == [
            ("D", "A"),
            ("D", "B"),
            ("Lab.1", "T"),
        ]


def test_storage_that_cannot_be_written_refuses_the_change(tmp_path):
    logger = Logger(storage=SQLiteStorage(tmp_path / "rtoc.sqlite", timeout=0.1))
    logger.start()
    try:
        logger.stream_many(*ramp(0, 10), "A", "D")
        blocker = sqlite3.connect(tmp_path / "rtoc.sqlite")
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match="cannot be changed"):
            logger.delete_signals([("D", "A")])
        assert len(logger.store.get("D", "A")) == 10  # nothing changed
        blocker.rollback()
        blocker.close()
        deadline = time.monotonic() + 5
        while True:  # SQLite may take a moment to let the next writer in
            try:
                assert logger.delete_signals([("D", "A")]) == [("D", "A")]
                break
            except StorageError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert logger.storage.signals() == []
    finally:
        logger.close()


def test_without_storage_the_changes_are_in_memory():
    with Logger() as logger:
        logger.stream_many(*ramp(0, 10), "A", "D", "V")
        logger.event("x", time=T0)
        logger.delete_signals([("D", "A")], T0 + 2, T0 + 7)
        np.testing.assert_array_equal(logger.read("D", "A").y, [0, 1, 8, 9])
        logger.copy_signal(("D", "A"), ("D", "C"))
        logger.rename_signal(("D", "A"), ("D", "B"))
        logger.set_unit(("D", "B"), "mV")
        assert logger.latest() == {("D", "B"): (T0 + 9, 9.0, "mV"), ("D", "C"): (T0 + 9, 9.0, "V")}
        assert logger.delete_events(EventQuery()) == 1


def test_resampled_storage_keeps_no_held_back_sample_of_a_deleted_period(tmp_path):
    config = Config(backup=BackupConfig(resample=1.0))
    logger = Logger(config, storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    logger.start()
    x = T0 + np.arange(25) * 0.1  # bins T0, T0+1 complete; T0+2 held back
    logger.stream_many(x, np.arange(25.0), "A", "D")
    logger.writer.flush()
    logger.delete_signals([("D", "A")], T0 + 2, T0 + 3)
    logger.close()  # the final flush writes what resampling held back
    reopened = SQLiteStorage(tmp_path / "rtoc.sqlite")
    try:
        found = reopened.read("D", "A")
        np.testing.assert_allclose(found.x, [T0 + 0.45, T0 + 1.45])
    finally:
        reopened.close()


def test_scripts_clear_data_leaves_memory_empty_and_storage_as_it_was(logger):
    record(logger)
    logger.event("x", time=T0)
    Script("clearData()").run(script_namespace(logger, lambda text: None))
    assert logger.store.keys() == [] and list(logger.events) == []
    logger.writer.flush()
    np.testing.assert_array_equal(stored(logger)[("D", "A")][1], np.arange(80.0))
