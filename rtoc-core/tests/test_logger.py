import logging
import threading
import time

import attrs
import numpy as np
import pytest

from rtoc import Device, Priority
from rtoc.config import Config
from rtoc.device import DeviceError, ParameterError, describe
from rtoc.logger import Logger
from rtoc.storage.sqlite import SQLiteStorage


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


def test_stream_creates_signal_with_unit_and_time(logger):
    before = time.time()
    logger.stream(1.5, "U", "PSU", unit="V")
    signal = logger.store.get("PSU", "U")
    assert signal.unit == "V"
    x, y = signal.latest
    assert y == 1.5 and before <= x <= time.time()
    logger.stream(2.0, "U", "PSU", x=123.0)
    assert signal.latest == (123.0, 2.0)


def test_stream_rejects_non_numbers_and_keeps_running(logger):
    logger.stream(1.0, "S", "D", x=1.0)
    with pytest.raises(ValueError, match=r"D\.S: a sample is a number, got y='abc'"):
        logger.stream("abc", "S", "D")
    logger.stream(2.0, "S", "D", x=2.0)
    np.testing.assert_array_equal(logger.store.get("D", "S").y, [1.0, 2.0])


def test_stream_many_accepts_lists_and_arrays(logger):
    logger.stream_many([1, 2, 3], [10, 20, 30], "S", "D", "A")
    logger.stream_many(np.array([4.0]), np.array([40.0]), "S", "D")
    signal = logger.store.get("D", "S")
    np.testing.assert_array_equal(signal.x, [1, 2, 3, 4])
    assert signal.unit == "A"
    logger.stream_many(None, [5, 6], "T", "D")
    assert len(logger.store.get("D", "T")) == 2


def test_stream_many_rejects_bad_input(logger):
    with pytest.raises(ValueError, match=r"D\.S: y must be numbers"):
        logger.stream_many([1], ["x"], "S", "D")
    with pytest.raises(ValueError, match="x has 1 samples but y has 2"):
        logger.stream_many([1], [1, 2], "S", "D")


def test_plot_replaces_and_hold_appends(logger):
    logger.plot([0, 1, 2], [5, 6, 7], "Spectrum", "FFT")
    logger.plot(None, [8, 9], "Spectrum", "FFT")
    signal = logger.store.get("FFT", "Spectrum")
    np.testing.assert_array_equal(signal.x, [0, 1])
    np.testing.assert_array_equal(signal.y, [8, 9])
    logger.plot([5], [1], "Spectrum", "FFT", hold=True)
    np.testing.assert_array_equal(signal.y, [8, 9, 1])


def test_events_are_recorded_and_validated(logger):
    event = logger.event("too hot", device="Oven", signal="T", priority=2, id="hot", value=250)
    assert list(logger.events) == [event]
    assert event.priority is Priority.ERROR and event.value == 250.0 and event.id == "hot"
    with pytest.raises(ValueError, match="priority must be 0, 1 or 2, got 7"):
        logger.event("bad", priority=7)


def test_sample_listeners_only_for_their_signal(logger):
    seen = []
    logger.subscribe_samples(("D", "A"), lambda s: seen.append(s.latest[1]))
    logger.stream(1.0, "A", "D")
    logger.stream(2.0, "B", "D")
    logger.stream_many([1, 2], [3, 4], "A", "D")
    assert seen == [1.0, 4.0]


def test_failing_listener_is_logged_and_data_kept(logger, caplog):
    def broken(signal):
        raise RuntimeError("listener bug")

    logger.subscribe_samples(("D", "A"), broken)
    with caplog.at_level(logging.ERROR):
        logger.stream(1.0, "A", "D")
    assert "listener bug" in caplog.text
    assert logger.store.get("D", "A").latest[1] == 1.0
    logger.unsubscribe_samples(("D", "A"), broken)
    assert not logger.store._listeners
    assert logger.store.get("D", "A").listeners == ()


def test_every_event_is_logged_at_its_priority_naming_where(logger, caplog):
    with caplog.at_level(logging.INFO, logger="rtoc.events"):
        logger.event("probe is loose", device="Oven", signal="T", priority=Priority.WARNING)
        logger.event("calibrated", device="Oven")
        logger.event("restarted", priority=Priority.ERROR)
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "rtoc.events"] == [
        (logging.WARNING, "Oven.T: probe is loose"),
        (logging.INFO, "Oven: calibrated"),
        (logging.ERROR, "rtoc: restarted"),
    ]


class Counter(Device):
    """Counts up."""

    samplerate = 50.0
    step = 1
    _hidden = "no"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.value = 0
        self.started = self.stopped = 0

    def on_start(self):
        self.started += 1

    def on_stop(self):
        self.stopped += 1

    def sample(self):
        self.value += self.step
        self.stream(self.value, "count", unit="n")

    def reset(self, to: int = 0) -> None:
        """Start counting from ``to``."""
        self.value = to

    def _secret(self):
        pass


class Broken(Device):
    samplerate = 100.0

    def sample(self):
        raise ZeroDivisionError("sensor returned nonsense")


def test_device_streams_under_its_name_and_stops(logger):
    device = logger.add_device(Counter)
    device.start()
    time.sleep(0.3)
    device.stop()
    assert not device.running
    assert device.started == 1 and device.stopped == 1
    signal = logger.store.get("Counter", "count")
    assert 5 <= len(signal) <= 20
    assert signal.unit == "n"
    count = len(signal)
    time.sleep(0.1)
    assert len(signal) == count  # nothing after stop


def test_sampling_is_drift_free(logger):
    device = logger.add_device(Counter)
    device.samplerate = 20.0
    device.start()
    time.sleep(1.0)
    device.stop()
    x = logger.store.get("Counter", "count").x
    # each tick sits on a fixed grid: the n-th sample is at start + n/20 s
    grid = x[0] + np.arange(len(x)) / 20.0
    assert np.max(np.abs(x - grid)) < 0.04 + device.missed_ticks / 20.0
    assert 17 <= len(x) + device.missed_ticks <= 22


def test_failing_device_raises_error_event_others_keep_running(logger, caplog):
    good = logger.add_device(Counter)
    bad = logger.add_device(Broken)
    with caplog.at_level(logging.ERROR):
        good.start()
        bad.start()
        time.sleep(0.3)
        assert bad.running and good.running
        good.stop()
        bad.stop()
    errors = [e for e in logger.events if e.priority == Priority.ERROR]
    assert len(errors) == 1  # repeats are folded into one report a minute
    assert errors[0].device == "Broken"
    assert "ZeroDivisionError: sensor returned nonsense" in errors[0].text
    assert "Traceback" in caplog.text and "in sample" in caplog.text
    assert len(logger.store.get("Counter", "count")) >= 5


def test_a_sampling_loop_that_fails_raises_an_error_event(logger, caplog):
    counter = logger.add_device(Counter)
    counter.start()
    counter.samplerate = float("inf")  # set directly, not through set_parameter
    deadline = time.monotonic() + 3
    while counter.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not counter.running
    (error,) = [e for e in logger.events if e.priority == Priority.ERROR]
    assert error.device == "Counter" and "sampling stopped" in error.text
    assert "ZeroDivisionError" in error.text


class Valve(Device):
    opening = 50.0

    def validate_parameter(self, name, value):
        if name == "opening" and not 0 <= value <= 100:
            raise ValueError(f"takes percent from 0 to 100, got {value}")
        return super().validate_parameter(name, value)


def test_a_device_validates_its_parameters_in_one_hook(logger):
    valve = logger.add_device(Valve)
    for value in (150, "-1", 1e308):
        with pytest.raises(ParameterError, match=r"Valve\.opening: takes percent from 0 to 100"):
            logger.set_parameter("Valve", "opening", value)
    with pytest.raises(ParameterError, match="from 0 to 10000"):
        logger.check_parameter("Valve", "samplerate", 20_000)  # the base class's check
    assert valve.opening == 50.0 and valve.samplerate == 1.0
    assert logger.check_parameter("Valve", "opening", "75") == 75.0 and valve.opening == 50.0
    logger.set_parameter("Valve", "opening", 75)
    assert valve.opening == 75


def test_device_description_hides_private_names():
    description = describe(Counter)
    params = {p.name: p.value for p in description.parameters}
    assert params == {"samplerate": 50.0, "step": 1}
    functions = {f.name: f for f in description.functions}
    assert list(functions) == ["reset"]
    assert functions["reset"].signature == "(to: int = 0) -> None"
    assert functions["reset"].doc == "Start counting from ``to``."
    instance = Counter()
    assert {p.name for p in instance.describe().parameters} == {
        "samplerate",
        "step",
        "value",
        "started",
        "stopped",
    }


def test_set_parameter_and_call(logger):
    device = logger.add_device(Counter)
    device.set_parameter("step", "5")
    assert device.step == 5
    with pytest.raises(DeviceError, match=r"Counter.step takes a number, got 'five'"):
        device.set_parameter("step", "five")
    with pytest.raises(DeviceError, match="Counter has no parameter '_hidden'"):
        device.set_parameter("_hidden", 1)
    device.call("reset", 7)
    assert device.value == 7
    with pytest.raises(DeviceError, match="Counter has no function '_secret'"):
        device.call("_secret")


def test_device_names_are_unique(logger):
    logger.add_device(Counter)
    with pytest.raises(DeviceError, match="already attached"):
        logger.add_device(Counter)
    assert logger.add_device(Counter, name="Counter2").name == "Counter2"


def test_start_unknown_device_lists_known(logger):
    logger.add_device(Counter)
    with pytest.raises(DeviceError, match="no device named 'Nope'; known devices: Counter"):
        logger.start_device("Nope")


def test_device_without_logger_says_so():
    with pytest.raises(DeviceError, match="not attached to a logger"):
        Counter().stream(1.0, "x")


def test_stream_several_signals_at_once(logger):
    device = logger.add_device(Counter)
    device.stream([1.0, 2.0], ["U", "I"], unit=["V", "A"])
    assert logger.store.get("Counter", "I").unit == "A"
    assert logger.store.get("Counter", "U").latest[0] == logger.store.get("Counter", "I").latest[0]
    with pytest.raises(DeviceError, match="2 values for 1 signal names"):
        device.stream([1.0, 2.0], ["U"])
    with pytest.raises(DeviceError, match="1 units for 2 signal names"):
        device.stream([1.0, 2.0], ["U", "I"], unit=["V"])
    assert len(logger.store.get("Counter", "U")) == 1  # nothing half-sent


def test_close_stops_devices():
    logger = Logger()
    device = logger.add_device(Counter)
    device.start()
    logger.close()
    assert not device.running and device.stopped == 1


def test_close_releases_a_device_that_never_sampled():
    """Used only through its functions, it may hold a port open all the same."""
    logger = Logger()
    device = logger.add_device(Counter)
    logger.close()
    assert device.started == 0 and device.stopped == 1


def test_stream_is_thread_safe_across_devices(logger):
    def pump(name):
        for i in range(5000):
            logger.stream(float(i), "S", name, x=float(i))

    threads = [threading.Thread(target=pump, args=(f"D{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(logger.store.get(f"D{k}", "S")) == 5000 for k in range(4))


class Switch(Device):
    enabled = False
    label = "a"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("OFF", False), (True, True)])
def test_set_bool_parameter_from_text(raw, expected):
    device = Switch()
    device.set_parameter("enabled", raw)
    assert device.enabled is expected


def test_set_parameter_rejects_nonsense_bool_and_converts_text():
    device = Switch()
    with pytest.raises(DeviceError, match=r"Switch.enabled takes a bool, got 'maybe'"):
        device.set_parameter("enabled", "maybe")
    device.set_parameter("label", 5)
    assert device.label == "5"


# -- the read/control API frontends and the TCP server use --------------------------


def test_read_range_and_last_from_memory(logger):
    logger.stream_many(np.arange(10.0), np.arange(10.0) * 2, "S", "D", "V")

    assert logger.read("D", "S", 2, 4).y.tolist() == [4.0, 6.0, 8.0]
    assert logger.read("D", "S", last=2).x.tolist() == [8.0, 9.0]
    assert logger.read("D", "S").unit == "V"
    with pytest.raises(KeyError, match=r"no signal D\.Nope"):
        logger.read("D", "Nope")


def test_read_reaches_into_storage_for_ranges_older_than_memory(tmp_path):
    config = Config()
    small = attrs.evolve(config, global_=attrs.evolve(config.global_, recordLength=5))
    logger = Logger(small, storage=SQLiteStorage(tmp_path / "s.db"))
    logger.start()
    try:
        logger.stream_many(np.arange(20.0), np.arange(20.0), "S", "D", "V")
        assert logger.store.get("D", "S").oldest == 15.0  # memory holds the newest 5

        older = logger.read("D", "S", 3, 8)  # unflushed samples are flushed first
        newest = logger.read("D", "S", 16)
        last_of_range = logger.read("D", "S", 0, 10, last=2)
    finally:
        logger.close()
    assert older.x.tolist() == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0] and older.unit == "V"
    assert newest.x.tolist() == [16.0, 17.0, 18.0, 19.0]
    assert last_of_range.x.tolist() == [9.0, 10.0]


def test_clear_drops_signals_from_memory_but_stores_their_unstored_samples(tmp_path):
    storage = SQLiteStorage(tmp_path / "s.db")
    logger = Logger(storage=storage)
    logger.start()
    logger.stream_many([1.0, 2.0], [10.0, 20.0], "A", "D")
    logger.stream(5.0, "B", "D", x=1.0)

    assert logger.clear([("D", "A"), ("D", "Missing")]) == [("D", "A")]
    assert logger.signal_names() == [("D", "B")]
    assert logger.clear() == [("D", "B")]
    assert logger.close()
    reopened = SQLiteStorage(tmp_path / "s.db")
    assert reopened.read("D", "A").y.tolist() == [10.0, 20.0]
    assert reopened.read("D", "B").y.tolist() == [5.0]
    reopened.close()


def test_failed_resize_changes_nothing_and_loses_nothing(tmp_path):
    logger = Logger(storage=SQLiteStorage(tmp_path / "s.db"))
    logger.start()
    logger.stream_many([1.0, 2.0], [10.0, 20.0], "A", "D")
    with pytest.raises(ValueError, match="recordLength must be from 1 to 100,000,000"):
        logger.resize(10**10)
    assert logger.info()["recordLength"] == 500_000
    logger.stream(30.0, "A", "D", x=3.0)
    logger.stream(1.0, "New", "D", x=3.0)
    assert logger.close()
    reopened = SQLiteStorage(tmp_path / "s.db")
    assert reopened.read("D", "A").y.tolist() == [10.0, 20.0, 30.0]
    assert reopened.read("D", "New").y.tolist() == [1.0]
    reopened.close()


def test_latest_describe_parameters_resize_and_info(logger):
    class Pump(Device):
        flow = 1.5

        def prime(self, seconds: float) -> str:
            return f"primed {seconds}"

    logger.add_device(Pump)
    logger.stream(1.0, "S", "D", "V", x=5.0)
    logger.stream_many([1.0], [2.0], "Empty", "D")
    logger.store.signal("D", "Nothing")

    assert logger.latest() == {("D", "S"): (5.0, 1.0, "V"), ("D", "Empty"): (1.0, 2.0, "")}
    assert logger.latest([("D", "S"), ("X", "Y")]) == {("D", "S"): (5.0, 1.0, "V")}
    assert [d.name for d in logger.describe_devices()] == ["Pump"]
    logger.set_parameter("Pump", "flow", "2.5")
    assert logger.get_parameter("Pump", "flow") == 2.5
    assert logger.call("Pump", "prime", 3) == "primed 3"
    with pytest.raises(DeviceError, match="no parameter 'pressure'"):
        logger.get_parameter("Pump", "pressure")
    with pytest.raises(DeviceError, match="no device named 'Valve'"):
        logger.call("Valve", "open")
    logger.resize(3)
    assert logger.store.get("D", "S").capacity == 3
    with pytest.raises(ValueError, match="from 1 to 100,000,000"):
        logger.resize(0)
    info = logger.info()
    assert info["signals"] == 3 and info["samples"] == 2 and info["recordLength"] == 3


def test_a_new_samplerate_takes_effect_while_the_loop_waits(logger):
    class Slow(Device):
        samplerate = 0.01  # one sample now, the next in 100 s

        def sample(self):
            self.stream(1.0, "Tick")

    device = logger.add_device(Slow)
    device.start()
    try:
        deadline = time.monotonic() + 2
        while len(logger.store.get("Slow", "Tick") or ()) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        device.set_parameter("samplerate", "50")
        time.sleep(1.0)
        after_speedup = len(logger.store.get("Slow", "Tick"))
        device.set_parameter("samplerate", 0)  # not periodic: the loop only waits
        time.sleep(0.6)
        paused = len(logger.store.get("Slow", "Tick"))
        time.sleep(0.3)
        assert len(logger.store.get("Slow", "Tick")) == paused
        with pytest.raises(
            DeviceError, match=r"samplerate: takes samples per second from 0 to 10000"
        ):
            device.set_parameter("samplerate", -1)
    finally:
        device.stop()
    assert after_speedup >= 10
