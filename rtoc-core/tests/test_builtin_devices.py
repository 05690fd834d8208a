import logging
import math
import re
import time

import numpy as np
import psutil
import pytest

from rtoc.device import DeviceError
from rtoc.devices.generator import WAVEFORMS, Generator, waveform_value
from rtoc.devices.system import System
from rtoc.logger import Logger

EIGHTHS = np.arange(8) / 8  # one cycle at 1 Hz


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


# -- waveform_value --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("sine", np.sin(2 * np.pi * EIGHTHS)),
        ("square", [1, 1, 1, 1, -1, -1, -1, -1]),
        ("sawtooth", [0, 0.25, 0.5, 0.75, -1, -0.75, -0.5, -0.25]),
        ("triangle", [0, 0.5, 1, 0.5, 0, -0.5, -1, -0.5]),
    ],
)
def test_waveforms_over_one_cycle(kind, expected):
    np.testing.assert_allclose(waveform_value(kind, EIGHTHS, frequency=1.0), expected, atol=1e-12)


@pytest.mark.parametrize("kind", ["sine", "square", "sawtooth", "triangle"])
def test_amplitude_frequency_offset_and_phase_apply_to_every_waveform(kind):
    t = np.linspace(0.01, 9.99, 101)
    amplitude, frequency, offset, phase = 2.5, 0.3, -1.0, math.pi / 3
    shifted = t + phase / (2 * math.pi * frequency)  # phase moves the cycle forward
    expected = amplitude * waveform_value(kind, shifted, frequency=frequency) + offset
    actual = waveform_value(kind, t, amplitude, frequency, offset, phase)
    np.testing.assert_allclose(actual, expected, atol=1e-9)


def test_square_takes_only_plus_and_minus_amplitude_around_the_offset():
    values = waveform_value("square", np.linspace(0, 20, 999), 3.0, 0.7, 1.0)
    assert set(values) == {4.0, -2.0}


def test_unix_time_keeps_the_cycle_precise():
    t = 1_750_000_000.0 + np.array([0.0, 0.25, 0.5, 0.75])  # a whole number of cycles at 1 Hz
    np.testing.assert_allclose(waveform_value("sine", t, frequency=1.0), [0, 1, 0, -1], atol=1e-6)


def test_scalar_time_gives_a_scalar():
    value = waveform_value("sine", 0.25, frequency=1.0)
    assert value.shape == ()
    assert float(value) == pytest.approx(1.0)


def test_noise_is_bounded_shaped_like_t_and_repeatable_with_a_seed():
    t = np.zeros((4, 250))
    first = waveform_value("noise", t, 2.0, offset=10.0, rng=np.random.default_rng(7))
    again = waveform_value("noise", t, 2.0, offset=10.0, rng=np.random.default_rng(7))
    other = waveform_value("noise", t, 2.0, offset=10.0, rng=np.random.default_rng(8))
    assert first.shape == t.shape
    assert first.min() >= 8.0 and first.max() <= 12.0
    assert first.std() > 0.5  # spread over the range, not stuck
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_unknown_waveform_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown waveform 'cosine'; choose one of: sine, square"):
        waveform_value("cosine", 0.0)


# -- Generator -------------------------------------------------------------------


def test_generator_parameters_and_set_waveform(logger):
    generator = logger.add_device(Generator)
    description = generator.describe()
    assert {p.name: p.value for p in description.parameters} == {
        "waveform": "sine",
        "amplitude": 1.0,
        "frequency": 0.1,
        "offset": 0.0,
        "phase": 0.0,
        "samplerate": 10.0,
    }
    assert [f.name for f in description.functions] == ["set_waveform"]
    generator.call("set_waveform", " Triangle ")
    assert generator.waveform == "triangle"
    with pytest.raises(DeviceError, match="choose one of: " + ", ".join(WAVEFORMS)):
        generator.set_waveform("cosine")
    assert generator.waveform == "triangle"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("waveform", "x", "Generator.waveform: unknown waveform 'x'; choose one of: sine"),
        ("samplerate", "inf", "Generator.samplerate takes a finite number, got inf"),
        ("samplerate", float("inf"), "takes a finite number"),
        ("samplerate", float("nan"), "takes a finite number"),
        ("samplerate", 1e308, "samplerate: takes samples per second from 0 to 10000"),
        ("samplerate", -1, "samplerate: takes samples per second from 0 to 10000"),
        ("amplitude", "-Infinity", "Generator.amplitude takes a finite number"),
        ("frequency", 10**400, "Generator.frequency takes a number"),
    ],
)
def test_generator_refuses_values_it_cannot_use_and_changes_nothing(logger, name, value, message):
    generator = logger.add_device(Generator)
    before = generator.get_parameter(name)
    with pytest.raises(DeviceError, match=re.escape(message)):
        logger.set_parameter("Generator", name, value)
    assert generator.get_parameter(name) == before
    logger.set_parameter("Generator", "waveform", " Square")  # normalised by the same hook
    assert generator.waveform == "square"


def test_generator_running_streams_sine_square_and_wave(logger):
    generator = logger.add_device(Generator)
    generator.samplerate = 50.0
    generator.amplitude = 2.0
    generator.set_waveform("noise")
    started = time.time()
    generator.start()
    time.sleep(0.3)
    generator.stop()
    elapsed = time.time() - started

    for name in ("Sine", "Square", "Wave"):
        signal = logger.store.get("Generator", name)
        assert signal is not None and signal.unit == "V"
        assert 5 <= len(signal) <= elapsed * 50 + 2
        assert np.all(np.diff(signal.x) > 0)
        assert started <= signal.x[0] and signal.x[-1] <= time.time()
    sine = logger.store.get("Generator", "Sine")
    np.testing.assert_allclose(sine.y, waveform_value("sine", sine.x, 2.0, 0.1), atol=1e-9)
    assert set(logger.store.get("Generator", "Square").y) <= {2.0, -2.0}
    wave = logger.store.get("Generator", "Wave").y
    assert np.all(np.abs(wave) <= 2.0) and len(set(wave)) > 1

    count = len(sine)
    time.sleep(0.1)
    assert len(sine) == count  # stopped


def test_seeded_generators_make_the_same_noise():
    waves = []
    for _ in range(2):
        with Logger() as logger:
            generator = logger.add_device(Generator(seed=3))
            generator.set_waveform("noise")
            for _ in range(5):
                generator.sample()
            waves.append(logger.store.get("Generator", "Wave").y)
    np.testing.assert_array_equal(*waves)


# -- System ----------------------------------------------------------------------


def latest(logger, name):
    signal = logger.store.get("System", name)
    return None if signal is None else signal.latest[1]


def test_system_streams_cpu_and_memory_then_rates(logger):
    system = logger.add_device(System)
    time.sleep(0.05)  # CPU load is measured since the device was made
    system.sample()
    for name in ("CPU", "Memory", "Disk"):
        assert 0.0 <= latest(logger, name) <= 100.0
        assert logger.store.get("System", name).unit == "%"
    assert latest(logger, "Load 1 min") >= 0.0
    assert not [signal for signal in logger.store if signal.unit == "B/s"]  # no rate yet

    time.sleep(0.05)
    system.sample()
    rates = {signal.name: signal for signal in logger.store if signal.unit == "B/s"}
    assert {"Net sent", "Net received"} <= set(rates)
    assert all(signal.latest[1] >= 0.0 for signal in rates.values())
    assert len(logger.store.get("System", "CPU")) == 2


def test_system_skips_readings_the_platform_lacks_and_logs_each_once(logger, monkeypatch, caplog):
    def broken():
        raise RuntimeError("not in this container")

    monkeypatch.delattr(psutil, "sensors_temperatures", raising=False)  # as on Windows
    monkeypatch.setattr(psutil, "swap_memory", broken)
    monkeypatch.setattr(psutil, "disk_io_counters", lambda: None)  # no disks psutil sees
    system = logger.add_device(System)
    with caplog.at_level(logging.DEBUG, logger="rtoc.devices.system"):
        system.sample()
        system.sample()
    assert latest(logger, "Memory") is not None
    for missing in ("Swap", "Disk read", "Disk write"):
        assert logger.store.get("System", missing) is None
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages  # swap and temperatures, once each
    assert any("_swap" in m and "RuntimeError: not in this container" in m for m in messages)
    assert any("_temperatures" in m and "AttributeError" in m for m in messages)


def test_system_streams_each_temperature_sensor(logger, monkeypatch):
    class Entry:
        def __init__(self, current):
            self.current = current

    sensors = {"coretemp": [Entry(41.0), Entry(43.5)], "acpitz": [Entry(30.0)]}
    monkeypatch.setattr(psutil, "sensors_temperatures", lambda: sensors, raising=False)
    logger.add_device(System).sample()
    assert latest(logger, "Temp coretemp 0") == 41.0
    assert latest(logger, "Temp coretemp 1") == 43.5
    assert latest(logger, "Temp acpitz 0") == 30.0
    assert logger.store.get("System", "Temp acpitz 0").unit == "°C"
