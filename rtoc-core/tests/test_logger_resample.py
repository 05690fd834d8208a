"""Resampling recorded signals: memory and storage together, through every door.

``LoggerView.resample_signals`` in process, over a real TCP server (with and
without a password) and refused by the read-only StorageView; the logger
records into a real SQLite file, part of it still waiting for the writer.
"""

from __future__ import annotations

import numpy as np
import pytest

from rtoc.config import BackupConfig, Config
from rtoc.frontend import (
    ControlUnavailable,
    LoggerView,
    ResampleReport,
    SignalNotFound,
    SignalResampled,
)
from rtoc.logger import Logger
from rtoc.net.client import Client, RemoteError
from rtoc.net.server import ServerSettings, TcpServer
from rtoc.signals import Signal
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.storage.view import StorageView

T0 = 1_700_000_000.0


def tenths(first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``first..stop-1``, ten a second: x = T0 + i / 10, y = i."""
    index = np.arange(first, stop, dtype=np.float64)
    return T0 + index / 10, index


def per_second(first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`tenths` of whole seconds ``first..stop-1`` resample to at 1 Hz."""
    seconds = np.arange(first, stop, dtype=np.float64)
    return T0 + seconds + 0.45, seconds * 10 + 4.5


def record(logger: Logger) -> None:
    """D.A: 30 s, ten samples a second, the first 20 s stored, the rest waiting for
    the writer; D.B: 5 s stored."""
    logger.stream_many(*tenths(0, 200), "A", "D", "V")
    logger.stream_many(*tenths(0, 50), "B", "D", "A")
    logger.writer.flush()
    logger.stream_many(*tenths(200, 300), "A", "D")


def assert_samples(found, x, y) -> None:
    np.testing.assert_allclose(found[0] - T0, np.asarray(x) - T0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(found[1], y)


def test_a_period_is_resampled_in_memory_storage_and_what_waited(logger, editor):
    record(logger)
    report = editor.resample_signals(1.0, [("D", "A")], T0 + 5, T0 + 24.95)
    assert report == ResampleReport(
        1.0, T0 + 5, T0 + 24.95, (SignalResampled(("D", "A"), 200, 20),)
    )
    assert (report.before, report.after) == (200, 20)
    x, y = tenths(0, 300)
    bins = per_second(5, 25)
    want = (np.r_[x[:50], bins[0], x[250:]], np.r_[y[:50], bins[1], y[250:]])
    assert_samples(logger.store.get("D", "A").samples(), *want)
    logger.writer.flush()
    assert_samples(logger.storage.read("D", "A"), *want)
    (info, _) = editor.signal_infos()
    assert (info.key, info.count, info.first, info.last) == (("D", "A"), 120, T0, T0 + 29.9)
    assert editor.read_buckets("D", "A", T0, T0 + 29.9, 6).count.sum() == 120
    assert_samples(editor.read("D", "A", T0 + 4.9, T0 + 5.5), [T0 + 4.9, T0 + 5.45], [49, 54.5])
    np.testing.assert_array_equal(logger.storage.read("D", "B").y, np.arange(50.0))


def test_every_signal_and_an_open_period(logger, editor):
    record(logger)
    report = editor.resample_signals(0.5, start=T0 + 20)  # from 20 s on, one per 2 s
    assert report.signals == (
        SignalResampled(("D", "A"), 100, 5),
        SignalResampled(("D", "B"), 0, 0),  # nothing in the period
    )
    logger.writer.flush()
    found = logger.storage.read("D", "A")
    assert_samples(
        (found.x[200:], found.y[200:]), T0 + np.arange(20, 30, 2) + 0.95, np.arange(5) * 20 + 209.5
    )
    assert len(logger.read("D", "A").x) == 205


def test_memory_holds_the_newest_and_the_report_counts_storage(logger):
    logger.resize(40)  # memory: the newest 40 samples, storage: all
    logger.stream_many(*tenths(0, 100), "A", "D")
    logger.writer.flush()
    report = logger.resample_signals(2.0)  # every sample, one per 0.5 s
    assert report.signals == (SignalResampled(("D", "A"), 100, 20),)
    held = logger.store.get("D", "A").samples()
    assert len(held.x) == 8  # 40 samples: 8 half seconds
    assert_samples(
        logger.storage.read("D", "A"), T0 + np.arange(20) / 2 + 0.2, np.arange(20) * 5 + 2
    )


def test_samples_not_yet_taken_by_the_writer_stay_as_they_came():
    signal = Signal("D", "A", 100, collected=True)
    signal.extend(*tenths(0, 20))
    signal.collect()  # the writer took these
    signal.extend(*tenths(20, 25))  # these wait for it
    assert signal.resample_between(1.0, None, None) == (20, 2)
    assert_samples(
        signal.samples(),
        np.r_[per_second(0, 2)[0], tenths(20, 25)[0]],
        np.r_[4.5, 14.5, np.arange(20.0, 25.0)],
    )
    (waiting,) = signal.collect().chunks
    assert_samples(waiting, *tenths(20, 25))


def test_without_storage_memory_is_resampled():
    with Logger() as logger:
        logger.stream_many(*tenths(0, 30), "A", "D", "V")
        report = logger.resample_signals(1.0, [("D", "A")])
        assert report.signals == (SignalResampled(("D", "A"), 30, 3),)
        assert_samples(logger.read("D", "A"), *per_second(0, 3))


def test_backup_resample_s_held_back_bin_is_resampled_too(tmp_path):
    config = Config(backup=BackupConfig(resample=10.0))
    logger = Logger(config, storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    logger.start()
    logger.stream_many(*tenths(0, 20), "A", "D")  # stored as they are (bins of 0.1 s)...
    logger.writer.flush()  # ...but for the last, held back until a later one comes
    assert logger.storage.signals()[0].count == 19
    assert logger.resample_signals(1.0).signals == (SignalResampled(("D", "A"), 20, 2),)
    logger.close()  # the final flush has nothing held back for the period any more
    reopened = SQLiteStorage(tmp_path / "rtoc.sqlite")
    try:
        assert_samples(reopened.read("D", "A"), *per_second(0, 2))
    finally:
        reopened.close()


BAD_CALLS = [
    (lambda v: v.resample_signals(0), r"above 0 and at most 1e\+06 Hz, got 0"),
    (lambda v: v.resample_signals(-1.5), "got -1.5"),
    (lambda v: v.resample_signals("fast"), "got 'fast'"),
    (lambda v: v.resample_signals(float("nan")), "got nan"),
    (lambda v: v.resample_signals(True), "got True"),
    (lambda v: v.resample_signals(1e7), "got 10000000.0"),
    (lambda v: v.resample_signals(1, [("D", "nope")]), "no signal D.nope"),
    (lambda v: v.resample_signals(1, "D.A"), "pair"),
    (lambda v: v.resample_signals(1, None, T0 + 5, T0), r"starts \(1700000005.0\) after"),
    (lambda v: v.resample_signals(1, None, "monday"), "start must be a finite number"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(logger, editor, call, message):
    record(logger)
    before = logger.store.get("D", "A").samples()
    with pytest.raises((KeyError, ValueError, RemoteError), match=message):
        call(editor)
    np.testing.assert_array_equal(logger.store.get("D", "A").samples().x, before.x)
    logger.writer.flush()
    np.testing.assert_array_equal(logger.storage.read("D", "A").y, np.arange(300.0))


def test_an_unknown_key_is_a_signal_not_found_and_nothing_changes(logger):
    record(logger)
    with pytest.raises(SignalNotFound) as caught:
        logger.resample_signals(1.0, [("D", "A"), ("D", "nope")])
    assert str(caught.value) == "no signal D.nope"
    assert len(logger.store.get("D", "A")) == 300


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"resampleSignals": {}}, "needs rate"),
        ({"resampleSignals": 2}, "takes an object"),
        ({"resampleSignals": {"rate": "2 Hz"}}, "got '2 Hz'"),
        ({"resampleSignals": {"rate": 1, "signals": "D.A"}}, "must be a list"),
        ({"resampleSignals": {"rate": 1, "signals": [7]}}, "takes"),
        ({"resampleSignals": {"rate": 1, "every": 2}}, "unknown field"),
        ({"resampleSignals": {"rate": 1, "end": T0 - 1, "start": T0}}, "after it ends"),
    ],
)
def test_bad_tcp_requests_name_the_problem(logger, request_, message):
    record(logger)
    server = TcpServer()
    client = Client(*server.serve(logger, ServerSettings(port=0)))
    try:
        with pytest.raises(RemoteError, match=message):
            client.request(logger=request_)
        reply = client.request(logger={"resampleSignals": {"rate": 0.2, "signals": ["D.B"]}})
        assert reply["logger"]["resampleSignals"] == {
            "rate": 0.2,
            "start": None,
            "end": None,
            "signals": [{"signal": ["D", "B"], "before": 50, "after": 1}],
        }
    finally:
        client.close()
        server.stop()
    assert len(logger.store.get("D", "A")) == 300


def test_the_storage_view_refuses(logger, tmp_path):
    record(logger)
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite", read_only=True)) as view:
        assert isinstance(view, LoggerView)
        with pytest.raises(ControlUnavailable, match="stored data only"):
            view.resample_signals(1.0)
        assert view.signal_infos()[0].count == 200
