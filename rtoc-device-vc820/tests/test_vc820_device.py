"""The VC820 device against the simulator, through a real pseudo-terminal and pyserial,
end to end with rtoc.logger.Logger: values, units, knob changes, overload, garbage, outages."""

import contextlib
import time

import pytest

from rtoc.device import DeviceError
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until
from rtoc_vc820.device import VC820
from rtoc_vc820.protocol import encode
from rtoc_vc820.simulator import Simulator

#: The simulator plays 5 times faster than a meter: a frame every 0.1 s.
SPEED = 5


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


@pytest.fixture
def meter():
    simulator = Simulator(speed=SPEED).start()
    yield simulator
    simulator.stop()


def start(logger, port, timeout=0.6, samplerate=20.0):
    """A VC820 on ``port``, quick to notice silence and to retry (the Link's back-off)."""
    device = logger.add_device(VC820)
    device.set_parameter("port", str(port))
    device.set_parameter("timeout", timeout)
    device.set_parameter("samplerate", samplerate)
    device._link.min_delay, device._link.max_delay = 0.1, 0.3
    device.start()
    return device


def samples(logger, signal):
    found = logger.store.get("VC820", signal)
    return [] if found is None else list(found.y)


def events(logger, id=None, priority=None):
    return [
        event
        for event in logger.events
        if (id is None or event.id == id) and (priority is None or event.priority == priority)
    ]


def test_streams_the_reading_in_base_units(logger, meter):
    meter.show("-1.234", "mV", dc=True, auto=True)
    start(logger, meter.path)
    wait_until(lambda: len(samples(logger, "Voltage DC")) >= 3, 3, "voltage samples")
    assert set(samples(logger, "Voltage DC")) == {-0.001234}  # exact: parsed from the digits
    assert logger.latest()[("VC820", "Voltage DC")].unit == "V"
    assert list(events(logger)) == []


def test_the_signal_follows_the_function_knob(logger, meter):
    meter.show("230.1", "V", ac=True, auto=True)
    start(logger, meter.path)
    wait_until(lambda: samples(logger, "Voltage AC"), 3, "an AC voltage")
    for text, unit, flags, signal, value, base in [
        ("4.701", "kΩ", {}, "Resistance", 4701.0, "Ω"),
        ("12.34", "mA", {"dc": True}, "Current DC", 0.01234, "A"),
        ("2.200", "µF", {}, "Capacitance", 2.2e-6, "F"),
        ("50.00", "Hz", {}, "Frequency", 50.0, "Hz"),
        ("23", "°C", {}, "Temperature", 23.0, "°C"),
        ("49.9", "%", {}, "Duty cycle", 49.9, "%"),
    ]:
        meter.show(text, unit, **flags)
        wait_until(lambda signal=signal: samples(logger, signal), 3, signal)
        latest = logger.latest()[("VC820", signal)]
        assert latest.y == pytest.approx(value, rel=1e-12) and latest.unit == base
    assert samples(logger, "Voltage AC") == [pytest.approx(230.1)] * len(
        samples(logger, "Voltage AC")
    )


def test_display_function_shows_the_lcd(logger, meter):
    meter.show("0.583", "V", diode=True)
    device = start(logger, meter.path)
    wait_until(lambda: samples(logger, "Diode"), 3, "a diode reading")
    assert device.display() == "0.583 V diode"
    assert logger.call("VC820", "display") == "0.583 V diode"  # as scripts and TCP call it
    meter.show("0L", "MΩ", auto=True)
    wait_until(lambda: device.display() == "0L MΩ AUTO", 3, "the overload on the display")


def test_overload_stores_nothing_and_warns_once(logger, meter):
    meter.show("1.000", "kΩ")
    start(logger, meter.path)
    wait_until(lambda: samples(logger, "Resistance"), 3, "a resistance")
    meter.show("0L", "kΩ")
    warning = wait_until(lambda: events(logger, "overload"), 3, "the overload warning")[0]
    assert warning.priority == Priority.WARNING and warning.signal == "Resistance"
    assert warning.text == "overload (0L kΩ): no value stored"  # the signal is in the event
    before = len(samples(logger, "Resistance"))
    sent = meter.frames_sent
    wait_until(lambda: meter.frames_sent >= sent + 4, 3, "more overload frames")
    time.sleep(0.1)
    assert len(samples(logger, "Resistance")) == before  # no value for "0L"
    assert len(events(logger, "overload")) == 1  # repeat-limited
    meter.show("2.000", "kΩ")
    wait_until(lambda: samples(logger, "Resistance")[-1] == 2000.0, 3, "values again")


def test_torn_frames_and_noise_are_dropped_with_one_warning_never_stored(logger, meter):
    meter.show("1.234", "V", dc=True)
    device = start(logger, meter.path)
    wait_until(lambda: samples(logger, "Voltage DC"), 3, "a first value")
    for fault in range(6):
        if fault % 2:
            meter.tear(keep=3 + fault)
        else:
            meter.send_raw(bytes([0x00, 0x1F, 0xFF, 0x2A]))
        sent = meter.frames_sent
        wait_until(lambda sent=sent: meter.frames_sent > sent, 3, "the faulty frame")
    wait_until(lambda: device._link.dropped_answers >= 3, 3, "dropped answers")
    count = len(samples(logger, "Voltage DC"))
    wait_until(lambda: len(samples(logger, "Voltage DC")) > count + 2, 3, "values after garbage")
    assert set(samples(logger, "Voltage DC")) == {1.234}  # never a wrong value
    warnings = events(logger, "invalid-answer")
    assert len(warnings) == 1 and warnings[0].priority == Priority.WARNING
    assert "torn frames or line noise" in warnings[0].text
    assert events(logger, "connection") == []  # garbage is not a lost connection


def test_garbled_frames_in_a_recording_are_dropped(logger, meter):
    good = encode("3.300", "V", dc=True)
    wrong_digit = bytearray(good)
    wrong_digit[4] = (wrong_digit[4] & 0xF0) | 0x1  # a segment of digit 2 lost: no digit
    two_units = bytearray(good)
    two_units[12] |= 0x8  # V and A
    meter.play([good, bytes(wrong_digit), good, bytes(two_units)])
    device = start(logger, meter.path)
    wait_until(lambda: device._link.dropped_answers >= 2, 3, "garbled frames dropped")
    wait_until(lambda: len(samples(logger, "Voltage DC")) >= 3, 3, "good frames stored")
    assert set(samples(logger, "Voltage DC")) == {3.3}
    assert samples(logger, "Current DC") == []
    assert "no known character" in events(logger, "invalid-answer")[0].text


def test_meter_off_is_one_warning_then_recovers_by_itself(logger, meter):
    start(logger, meter.path)
    wait_until(lambda: samples(logger, "Voltage DC"), 3, "values")
    meter.pause()
    lost = wait_until(lambda: events(logger, "connection"), 3, "the lost-connection warning")
    assert lost[0].priority == Priority.WARNING
    assert lost[0].text.startswith(f"lost the connection to {meter.path}: no frame from the meter")
    count = len(samples(logger, "Voltage DC"))
    time.sleep(0.8)  # several reconnect attempts while the meter stays off
    assert len(events(logger, "connection")) == 1
    assert len(samples(logger, "Voltage DC")) == count
    meter.show("5.000", "V", dc=True)
    meter.resume()
    back = wait_until(lambda: events(logger, "connection", Priority.INFO), 4, "the recovery")
    assert back[0].text.startswith(f"connected to {meter.path} again after ")
    wait_until(lambda: samples(logger, "Voltage DC")[-1] == 5.0, 3, "values again")
    assert len(events(logger, "connection", Priority.WARNING)) == 1


def test_unplugged_cable_then_plugged_again(logger, tmp_path):
    link = tmp_path / "ttyVC820"  # like /dev/serial/by-id/...: follows the new pty
    with Simulator(speed=SPEED, link=link) as meter:
        start(logger, link)
        wait_until(lambda: samples(logger, "Voltage DC"), 3, "values")
        meter.unplug()
        lost = wait_until(lambda: events(logger, "connection"), 3, "the lost warning")
        assert str(link) in lost[0].text
        count = len(samples(logger, "Voltage DC"))
        time.sleep(0.3)
        meter.plug()
        wait_until(lambda: events(logger, "connection", Priority.INFO), 4, "the recovery")
        wait_until(lambda: len(samples(logger, "Voltage DC")) > count, 3, "values again")
        assert len(events(logger, "connection", Priority.WARNING)) == 1


def test_starts_without_the_meter_and_connects_when_it_appears(logger, tmp_path):
    link = tmp_path / "ttyUSB-later"
    device = start(logger, link)
    warning = wait_until(lambda: events(logger, "connection"), 3, "the warning")[0]
    assert warning.text.startswith(f"cannot connect to {link}: ")  # no "VC820: " in events
    with pytest.raises(DeviceError, match=f"VC820: cannot connect to {link}"):
        device.display()
    with Simulator(speed=SPEED, link=link):
        wait_until(lambda: samples(logger, "Voltage DC"), 5, "values once the meter is there")
        assert len(events(logger, "connection", Priority.WARNING)) == 1
        assert events(logger, "connection", Priority.INFO)
        logger.close()  # stop the device while the pty is still there


def test_display_while_the_meter_is_off_says_so(logger, meter):
    device = start(logger, meter.path, timeout=0.3)
    wait_until(lambda: samples(logger, "Voltage DC"), 3, "values")
    meter.pause()
    wait_until(lambda: events(logger, "connection"), 3, "the lost warning")
    with pytest.raises(DeviceError, match=r"VC820: cannot connect to .*no frame from the meter"):
        device.display()


def unstarted(logger, port, timeout=0.6):
    """A VC820 on ``port`` that is not sampling: only its functions read the meter."""
    device = logger.add_device(VC820)
    device.set_parameter("port", str(port))
    device.set_parameter("timeout", timeout)
    return device


def test_display_before_any_valid_frame_says_so(logger, meter):
    garbled = bytearray(encode("3.300", "V", dc=True))
    garbled[4] = (garbled[4] & 0xF0) | 0x1  # a segment of digit 2 lost: no digit
    meter.play([bytes(garbled)])
    device = unstarted(logger, meter.path, timeout=3)
    try:
        with pytest.raises(DeviceError, match="dropped an invalid answer"):
            device.display()
        meter.pause()
        time.sleep(0.1)  # the frame on the line, if any, ends
        with contextlib.suppress(DeviceError):
            device.display()  # takes what was on the line
        with pytest.raises(DeviceError, match=f"^VC820: no valid frame from {meter.path} yet$"):
            device.display()  # connected, the meter silent for less than the timeout
    finally:
        device.on_stop()


def test_a_port_with_bytes_but_no_frames_is_reported_as_maybe_the_wrong_port(logger, meter):
    meter.play([bytes(range(0xF0, 0xFE))])  # 14 bytes a time, none with index 1
    device = unstarted(logger, meter.path, timeout=0.3)
    with pytest.raises(
        DeviceError,
        match=r"no frame from the meter in 0\.3 s: \d+ bytes arrived but formed no frame "
        r"\(wrong port\?\)$",
    ):
        device.display()


def test_stop_ends_the_wait_for_the_first_frame_at_once(logger, meter):
    meter.pause()  # the port is there, the meter silent: opening waits for a frame
    device = start(logger, meter.path, timeout=10)
    time.sleep(0.2)
    began = time.monotonic()
    device.stop()
    assert time.monotonic() - began < 1
    assert not device.running and events(logger) == []


def test_display_works_after_the_device_stopped(logger, meter):
    meter.show("1.500", "V", dc=True)
    device = start(logger, meter.path)
    wait_until(lambda: samples(logger, "Voltage DC"), 3, "values")
    device.stop()
    try:
        assert device.display() == "1.500 V DC"
    finally:
        device.on_stop()


def test_hold_rel_and_low_battery_are_events(logger, meter):
    meter.show("1.000", "V", dc=True, hold=True, battery_low=True)
    start(logger, meter.path)
    wait_until(lambda: len(samples(logger, "Voltage DC")) >= 4, 3, "values")
    assert [e.text for e in events(logger, "hold")] == ["display held (HOLD) on"]
    battery = events(logger, "battery")
    assert len(battery) == 1 and battery[0].priority == Priority.WARNING
    assert battery[0].text == "the meter's battery is low"
    meter.show("1.000", "V", dc=True, rel=True)
    wait_until(lambda: events(logger, "rel"), 3, "the REL event")
    assert events(logger, "hold")[-1].text == "display held (HOLD) off"


def test_bad_parameters_are_refused(logger):
    device = logger.add_device(VC820)
    with pytest.raises(DeviceError, match="timeout takes a number"):
        device.set_parameter("timeout", "soon")
    with pytest.raises(DeviceError, match="samplerate"):
        device.set_parameter("samplerate", -1)
    device.set_parameter("timeout", 0)
    with pytest.raises(DeviceError, match=r"timeout .* must be > 0 .* got 0"):
        device.start()
    assert not device.running
    device.set_parameter("timeout", 3)
    device.set_parameter("port", " ")
    with pytest.raises(DeviceError, match="port must name a serial port"):
        device.start()


def test_parameters_and_functions_as_users_see_them():
    description = VC820.describe(VC820())
    assert {p.name: p.value for p in description.parameters} == {
        "port": "/dev/ttyUSB0",
        "samplerate": 2.0,
        "timeout": 3.0,
    }
    assert [f.name for f in description.functions] == ["display"]
