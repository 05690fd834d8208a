"""Tests of the {{ cookiecutter.device_name }} driver against its simulator.

The device runs in a real rtoc Logger, everything on 127.0.0.1 in a few
seconds; every wait is bounded (wait_until).
"""

from __future__ import annotations

import pytest
from rtoc.device import DeviceError
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.installed import listed_device
from rtoc.testing.waiting import wait_until

from {{ cookiecutter.package_name }} import (
    {{ cookiecutter.class_name }},
    plugin,
)
from {{ cookiecutter.package_name }}.device import SIGNAL, UNIT
from {{ cookiecutter.package_name }}.simulator import BASE, SWING, Simulator


@pytest.fixture
def simulator():
    with Simulator() as simulator:  # on a free port
        yield simulator


@pytest.fixture
def logger():
    logger = Logger()  # in memory, no storage
    yield logger
    logger.close()


@pytest.fixture
def device(logger, simulator):
    device = logger.add_device({{ cookiecutter.class_name }})
    device.set_parameter("address", f"127.0.0.1:{simulator.port}")
    device.set_parameter("samplerate", 20)
    device.start()
    yield device
    device.stop()


def values(logger, device) -> list[float]:
    signal = logger.store.get(device.name, SIGNAL)
    return [] if signal is None else signal.y.tolist()


def more_values(logger, device, than: int, what: str, timeout: float = 3) -> list[float]:
    """Wait for more than ``than`` values; return the new ones."""
    wait_until(lambda: len(values(logger, device)) > than, timeout=timeout, what=what)
    return values(logger, device)[than:]


def events(logger, event_id: str, priority: Priority | None = None):
    return [e for e in logger.events if e.id == event_id and priority in (None, e.priority)]


def test_rtoc_devices_lists_the_device(tmp_path):
    """``rtoc devices`` (a process of its own) finds the entry point; ``pip install -e .`` first."""
    listed = listed_device("{{ cookiecutter.class_name }}", tmp_path)
    assert listed["source"].startswith("rtoc-device-{{ cookiecutter.slug }} ")
    assert sorted(listed["parameters"]) == ["address", "samplerate"]
    assert sorted(listed["functions"]) == ["set_offset"]
    assert plugin.rtoc_devices() == [{{ cookiecutter.class_name }}]


def test_values_arrive_with_their_unit(logger, device):
    new = more_values(logger, device, 3, "readings")
    assert all(BASE - SWING <= value <= BASE + SWING for value in new)
    assert logger.store.get(device.name, SIGNAL).unit == UNIT
    assert list(logger.events) == []


def test_set_offset_changes_the_instrument(logger, device, simulator):
    logger.call(device.name, "set_offset", "50")  # as a frontend or script calls it
    assert simulator.offset == 50.0
    count = len(values(logger, device))  # the next value may have been read just before
    new = more_values(logger, device, count + 1, "readings with the offset")
    assert all(BASE - SWING + 50 <= value <= BASE + SWING + 50 for value in new)


@pytest.mark.parametrize("bad", ["warm", None, 1000, -100.5, float("nan"), True])
def test_a_bad_offset_is_refused(device, simulator, bad):
    with pytest.raises(DeviceError, match="set_offset takes"):
        device.set_offset(bad)
    assert simulator.offset == 0.0


@pytest.mark.parametrize("garbage", ["ERR overload", "nan"])
def test_garbage_is_dropped_with_a_warning(logger, device, simulator, garbage):
    more_values(logger, device, 0, "first reading")
    simulator.garbage = garbage
    wait_until(lambda: events(logger, "invalid-answer", Priority.WARNING), what="warning")
    with pytest.raises(DeviceError, match="instrument refused offset"):
        device.set_offset(1)
    count = len(values(logger, device))
    simulator.garbage = None
    more_values(logger, device, count, "readings after the garbage")
    assert all(BASE - SWING <= value <= BASE + SWING for value in values(logger, device))
    assert events(logger, "connection") == []  # the connection was kept


def test_an_answer_cut_off_drops_the_connection(logger, device, simulator):
    more_values(logger, device, 0, "first reading")
    simulator.garbage = "9" * 300  # longer than the device reads: never taken for a value
    wait_until(lambda: events(logger, "connection", Priority.WARNING), what="warning")
    assert all(BASE - SWING <= value <= BASE + SWING for value in values(logger, device))


@pytest.mark.parametrize("address", ["127.0.0.1", ":5025", "127.0.0.1:x", "127.0.0.1:70000"])
def test_a_bad_address_is_reported(logger, address):
    device = logger.add_device({{ cookiecutter.class_name }})
    device.set_parameter("address", address)
    with pytest.raises(DeviceError, match="is not HOST:PORT"):
        device.set_offset(1)
    assert "is not HOST:PORT" in events(logger, "connection", Priority.WARNING)[0].text


@pytest.mark.parametrize("command", ["OFFS warm", "OFFS 100.5", "OFFS nan", "MEAS"])
def test_the_simulator_refuses_bad_commands(command):
    simulator = Simulator()
    assert simulator.answer(command).startswith("ERR ")
    assert simulator.offset == 0.0


def test_instrument_off_is_one_warning_then_recovery(logger, device, simulator):
    more_values(logger, device, 0, "first reading")
    simulator.stop()
    wait_until(lambda: events(logger, "connection", Priority.WARNING), what="warning")
    with pytest.raises(DeviceError, match="connect"):  # functions say why they cannot work
        device.set_offset(1)
    count = len(values(logger, device))

    simulator.start()  # same port; the device retries with back-off (1 s, 2 s, ...)
    more_values(logger, device, count, "readings after recovery", timeout=6)
    wait_until(lambda: events(logger, "connection", Priority.INFO), what="recovery event")
    assert len(events(logger, "connection", Priority.WARNING)) == 1
    assert "again after" in events(logger, "connection", Priority.INFO)[0].text
    device.set_offset(1)
    assert simulator.offset == 1.0
