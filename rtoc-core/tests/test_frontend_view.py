"""The three sources of :class:`rtoc.frontend.LoggerView` answer alike.

One logger with real SQLite storage records signals and events; the same
questions then go to it in process, to a :class:`RemoteLogger` through a
real TCP server, and to a read-only :class:`StorageView` on its file.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rtoc.config import load_config
from rtoc.device import ParameterError
from rtoc.devices.generator import Generator
from rtoc.events import Priority
from rtoc.frontend import ControlUnavailable, EventQuery, LoggerView
from rtoc.logger import Logger
from rtoc.net.client import RemoteError
from rtoc.net.remote import RemoteLogger
from rtoc.net.server import ServerSettings, TcpServer
from rtoc.plugins import PluginRegistry
from rtoc.storage.base import StorageError
from rtoc.storage.buckets import UnknownSignal
from rtoc.storage.sqlite import SQLiteStorage
from rtoc.storage.view import StorageView, open_view

T0 = 1_700_000_000.0


def record(logger: Logger) -> None:
    x = T0 + np.arange(5000) * 0.1
    logger.stream_many(x, np.sin(x - T0), "U", "DPS", "V")
    logger.stream_many(x, np.cos(x - T0) * 2, "I", "DPS", "A")
    logger.stream_many(x[:10], np.arange(10.0), "T", "Lab.1", "°C")
    for i in range(250):
        logger.event(
            f"step {i}",
            device="DPS" if i % 2 else "Lab.1",
            signal="U" if i % 2 else "T",
            priority=i % 3,
            id=f"e{i % 5}",
            value=float(i),
            time=T0 + i,
        )


@pytest.fixture
def logger(tmp_path):
    logger = Logger(storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    logger.start()
    record(logger)
    logger.add_device(Generator)
    assert logger.writer is not None
    logger.writer.flush()
    yield logger
    logger.close()


@pytest.fixture
def remote(logger):
    server = TcpServer()
    address = server.serve(logger, ServerSettings(port=0))
    with RemoteLogger(*address) as remote:
        yield remote
    server.stop()


@pytest.fixture
def stored(logger, tmp_path):
    with StorageView(SQLiteStorage(tmp_path / "rtoc.sqlite", read_only=True)) as view:
        yield view


@pytest.fixture(params=["logger", "remote", "stored"])
def view(request) -> LoggerView:
    return request.getfixturevalue(request.param)


def test_every_source_is_a_logger_view(view):
    assert isinstance(view, LoggerView)


def test_signal_infos_agree(logger, view):
    infos = {info.key: info for info in view.signal_infos()}
    assert set(infos) == {("DPS", "U"), ("DPS", "I"), ("Lab.1", "T")}
    assert infos["DPS", "U"].unit == "V"
    assert infos["DPS", "U"].count == 5000
    assert infos["DPS", "U"].first == T0
    assert infos["DPS", "U"].last == pytest.approx(T0 + 499.9)
    assert infos["Lab.1", "T"].count == 10


def test_latest_and_read_agree(logger, view):
    assert view.latest() == logger.latest()
    assert view.latest([("DPS", "I")]) == logger.latest([("DPS", "I")])
    for query in ({}, {"start": T0 + 10, "end": T0 + 20}, {"last": 7}):
        got, want = view.read("DPS", "U", **query), logger.read("DPS", "U", **query)
        np.testing.assert_array_equal(got.x, want.x)
        np.testing.assert_array_equal(got.y, want.y)
        assert got.unit == "V"


def test_buckets_agree(logger, view):
    got = view.read_buckets("DPS", "I", T0, T0 + 499.9, 100)
    want = logger.read_buckets("DPS", "I", T0, T0 + 499.9, 100)
    assert len(got) == 100
    for field in ("bucket_start", "bucket_stop", "count", "minimum", "maximum", "first", "last"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    assert int(got.count.sum()) == 5000


def test_unknown_signal_and_bad_range(view):
    errors = (UnknownSignal, RemoteError)
    with pytest.raises(errors, match=r"no signal DPS\.nope"):
        view.read_buckets("DPS", "nope", T0, T0 + 1, 10)
    with pytest.raises((ValueError, RemoteError), match="start"):
        view.read_buckets("DPS", "U", T0 + 5, T0, 10)


def test_event_pages_agree(logger, view):
    queries = [
        EventQuery(),
        EventQuery(limit=10, offset=20),
        EventQuery(text="STEP 1", priorities=[Priority.ERROR]),
        EventQuery(devices=["DPS"], start=T0 + 100, end=T0 + 120),
    ]
    for query in queries:
        got, want = view.event_page(query), logger.event_page(query)
        assert [e.uid for e in got.events] == [e.uid for e in want.events]
        assert got.total == want.total
        assert got.devices == ("DPS", "Lab.1")
    page = view.event_page(EventQuery(limit=10))
    assert page.total == 250
    assert [e.text for e in page.events[:2]] == ["step 249", "step 248"]  # newest first


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"limit": 0}, "1 to 1000"),
        ({"limit": 5000}, "1 to 1000"),
        ({"offset": -1}, "offset"),
        ({"start": float("nan")}, "finite"),
        ({"priorities": [7]}, "7"),
    ],
)
def test_bad_event_queries_are_refused_with_the_reason(fields, problem):
    with pytest.raises(ValueError, match=problem):
        EventQuery(**fields)


def test_bad_view_requests_over_tcp_name_the_problem(logger, remote):
    bad = [
        ({"getBuckets": {"dname": "DPS", "sname": "U", "xmin": 0, "xmax": "x", "n": 5}}, "xmax"),
        ({"getBuckets": {"dname": "DPS", "sname": "U", "xmin": 0, "xmax": 1, "n": 1.5}}, "n"),
        ({"getBuckets": {"dname": "DPS", "sname": "U", "xmin": 0, "xmax": 1, "n": 0}}, "bucket"),
        ({"getBuckets": [1]}, "getBuckets must be an object"),
        ({"getEventPage": {"limit": 10**9}}, "1 to 1000"),
        ({"getEventPage": {"colour": 1}}, "colour"),
        ({"getEventPage": {"priorities": "high"}}, "priorities"),
    ]
    for request, problem in bad:
        with pytest.raises(RemoteError, match=problem):
            remote.request(**request)
    assert remote.latest() == logger.latest()  # still serving


def test_devices_and_control_through_the_in_process_and_remote_logger(logger, remote):
    for view in (logger, remote):
        assert view.control_unavailable == ""
        (generator,) = view.describe_devices()
        assert generator.name == "Generator"
        types = {p.name: p.type for p in generator.parameters}
        assert types["waveform"] == "str"
        assert "set_waveform" in {f.name for f in generator.functions}
        view.set_parameter("Generator", "amplitude", 3.0)
        assert view.get_parameter("Generator", "amplitude") == 3.0
        with pytest.raises((ParameterError, RemoteError), match="waveform"):
            view.set_parameter("Generator", "waveform", "foo")
        view.start_device("Generator")
        assert next(d for d in view.describe_devices() if d.name == "Generator").running
        view.stop_device("Generator")
        assert not next(d for d in view.describe_devices() if d.name == "Generator").running
        view.event(f"sent by {type(view).__name__}", device="Lab.1", priority=Priority.WARNING)
        view.stream(21.5, f"By{type(view).__name__}", "Hand", "°C", x=T0 + 7)
        view.stream_many([T0 + 8, T0 + 9], [1.5, 2.5], f"Many{type(view).__name__}", "Hand", "V")
    sent = [e for e in logger.events if e.text.startswith("sent by ")]
    assert [(e.text, e.priority) for e in sent] == [
        ("sent by Logger", Priority.WARNING),
        ("sent by RemoteLogger", Priority.WARNING),
    ]
    for source in ("Logger", "RemoteLogger"):
        assert logger.latest()[("Hand", f"By{source}")] == (T0 + 7, 21.5, "°C")
        x, y, unit = logger.read("Hand", f"Many{source}")
        assert (x.tolist(), y.tolist(), unit) == ([T0 + 8, T0 + 9], [1.5, 2.5], "V")


def test_the_storage_view_controls_nothing_and_says_why(stored, tmp_path):
    assert "stored data only" in stored.control_unavailable
    assert str(tmp_path / "rtoc.sqlite") in stored.control_unavailable
    assert stored.describe_devices() == []
    calls = [
        lambda: stored.start_device("Generator"),
        lambda: stored.stop_device("Generator"),
        lambda: stored.set_parameter("Generator", "amplitude", 1),
        lambda: stored.get_parameter("Generator", "amplitude"),
        lambda: stored.call("Generator", "reset"),
        lambda: stored.automation_state(),
        lambda: stored.set_rule_active("event", "hot", True),
        lambda: stored.set_rule("event", "hot", {"cond": "True"}),
        lambda: stored.remove_rule("action", "beep"),
        lambda: stored.set_automation_active(events=True),
        lambda: stored.event("door open", device="Lab.1"),
        lambda: stored.stream(1.0, "T", "Lab.1"),
        lambda: stored.stream_many([T0], [1.0], "T", "Lab.1"),
    ]
    for call in calls:
        with pytest.raises(ControlUnavailable, match="stored data only"):
            call()


def test_automation_state_and_switching_rules(tmp_path, logger, remote):
    logger.automation.set_global_event(
        "hot", {"cond": "DPS.U.latest > 100", "text": "hot", "active": True}
    )
    for view in (logger, remote):
        state = view.automation_state()
        (rule,) = state.rules
        assert (rule.kind, rule.name, rule.active, rule.error) == ("event", "hot", True, "")
        assert rule.fields["cond"] == "DPS.U.latest > 100"
        view.set_rule_active("event", "hot", False)
        assert not view.automation_state().rules[0].active
        view.set_rule_active("event", "hot", True)
        with pytest.raises((KeyError, RemoteError), match="no global action 'cold'"):
            view.set_rule_active("action", "cold", True)


def test_rules_are_edited_and_switched_as_a_whole(logger, remote):
    for view in (logger, remote):
        view.set_rule("action", "beep", {"listenID": ["high"], "script": "print(1)"})
        view.set_rule("event", "high", {"cond": "DPS.U.latest > 0.5", "text": "high", "id": "high"})
        kinds = {(rule.kind, rule.name) for rule in view.automation_state().rules}
        assert kinds == {("action", "beep"), ("event", "high")}
        with pytest.raises((ValueError, RemoteError), match="cond"):
            view.set_rule("event", "bad", {"cond": "DPS.U.latest >", "text": "x"})
        assert len(view.automation_state().rules) == 2  # nothing changed
        view.set_automation_active(events=True, actions=False)
        state = view.automation_state()
        assert (state.events_active, state.actions_active) == (True, False)
        view.set_automation_active(events=False)
        view.remove_rule("event", "high")
        view.remove_rule("action", "beep")
        assert view.automation_state().rules == ()


def test_the_storage_view_reads_while_the_logger_writes(logger, stored):
    before = stored.signal_infos()
    logger.stream(42.0, "U", "DPS", "V", x=T0 + 1000)
    assert logger.writer is not None
    logger.writer.flush()
    assert stored.latest([("DPS", "U")])["DPS", "U"].y == 42.0
    (after,) = (i for i in stored.signal_infos() if i.key == ("DPS", "U"))
    assert after.count == next(i for i in before if i.key == ("DPS", "U")).count + 1


def config_in(home, **sections):
    home.mkdir()
    (home / "config.json").write_text(json.dumps(sections))
    return load_config(home)


def test_open_view_reads_what_rtoc_run_writes(logger, tmp_path):
    home = tmp_path / "home"
    config = config_in(home, backup={"active": True, "path": str(tmp_path)})
    with open_view(config, home, PluginRegistry.load(home)) as view:
        assert view.latest() == logger.latest()


def test_open_view_names_what_it_cannot_read(tmp_path):
    registry = PluginRegistry.load(tmp_path)
    with pytest.raises(StorageError, match="no such file"):
        open_view(config_in(tmp_path / "a", backup={"active": True}), tmp_path / "a", registry)
    memory = config_in(tmp_path / "b", backup={"active": True, "backend": "memory"})
    with pytest.raises(StorageError, match="'memory' cannot be read from another process"):
        open_view(memory, tmp_path / "b", registry)
    off = config_in(tmp_path / "c", backup={"active": False})
    with pytest.raises(StorageError, match=r"backup\.active is false"):
        open_view(off, tmp_path / "c", registry)
