"""The INA219 device in an rtoc Logger, reading a SIMULATED chip through the real libraries.

SIMULATED: no I2C bus exists on the machines these tests run on. The device's
``i2c_device_factory`` is given rtoc_ina219.simulator's bus, which hands the
real ``Adafruit_GPIO.I2C.Device`` a simulated SMBus with a register-level
INA219 behind it; pi-ina219 and the device code are the real ones. One test
uses the real default factory to show what happens where /dev/i2c-N is missing.
"""

import time
from typing import NamedTuple

import pytest

from rtoc.device import DeviceError
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until
from rtoc_ina219 import protocol as p
from rtoc_ina219.device import INA219, SIGNALS
from rtoc_ina219.simulator import INA219Chip, SimulatedI2CBus

RATE = 25.0  # samples per second in these tests


class Rig(NamedTuple):
    logger: Logger
    device: INA219
    chip: INA219Chip
    bus: SimulatedI2CBus


def make_rig(address=0x40, **load):
    bus = SimulatedI2CBus(busnum=1)
    chip = bus.add(INA219Chip(**{"bus_volts": 12.0, "load_amps": 0.15, **load}), address)
    logger = Logger()
    device = logger.add_device(INA219(i2c_device_factory=bus.i2c_device_factory))
    device.set_parameter("samplerate", RATE)
    device._link.min_delay, device._link.max_delay = 0.05, 0.1  # retry fast in tests
    return Rig(logger, device, chip, bus)


@pytest.fixture
def rig():
    rig = make_rig()
    yield rig
    rig.logger.close()


def count(logger, signal):
    stored = logger.store.get("INA219", signal)
    return 0 if stored is None else len(stored)


def latest(logger, signal):
    return logger.latest([("INA219", signal)])[("INA219", signal)]


def samples_arrive(logger, signal="Current", more_than=None, n=3):
    start = count(logger, signal) if more_than is None else more_than
    wait_until(lambda: count(logger, signal) >= start + n, 3.0, f"{n} new {signal} samples")


def events(logger, priority=None):
    return [e for e in logger.events if priority is None or e.priority == priority]


def a_few_ticks():
    time.sleep(4 / RATE)  # a few sampling periods, to show nothing arrives in them


def test_streams_the_four_signals_with_units(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    expected = {"Bus voltage": 12.0, "Shunt voltage": 15.0, "Current": 150.0, "Power": 1800.0}
    for name, unit in SIGNALS:
        reading = latest(rig.logger, name)
        assert reading.unit == unit
        assert reading.y == pytest.approx(expected[name], rel=1e-3)
    times = {latest(rig.logger, name).x for name, _ in SIGNALS}
    assert len(times) == 1  # one timestamp per reading
    rig.chip.set_load(bus_volts=5.0, load_amps=-0.05)  # current flowing back
    wait_until(lambda: latest(rig.logger, "Bus voltage").y == pytest.approx(5.0), 3.0, "5 V")
    samples_arrive(rig.logger)
    assert latest(rig.logger, "Current").y == pytest.approx(-50.0, abs=0.01)
    assert latest(rig.logger, "Power").y == pytest.approx(250.0, abs=0.2)
    assert events(rig.logger) == []


def test_start_does_not_touch_the_hardware_and_a_missing_bus_is_a_warning():
    """The real default factory: /dev/i2c-250 does not exist, so opening it fails."""
    logger = Logger()
    try:
        device = logger.add_device(INA219)
        device.set_parameter("busnum", 250)
        device.set_parameter("samplerate", RATE)
        device.start()
        assert device.running
        wait_until(lambda: events(logger), 3.0, "a warning")
        (warning,) = events(logger)
        assert warning.priority == Priority.WARNING
        assert warning.text.startswith("cannot connect to the INA219 at 0x40 on /dev/i2c-250: ")
        assert "No such file or directory" in warning.text
        with pytest.raises(DeviceError, match="INA219: cannot connect to the INA219 at 0x40"):
            device.sleep()
        assert logger.store.get("INA219", "Current") is None
    finally:
        logger.close()


def test_start_opens_nothing():
    opened = []
    device = INA219(i2c_device_factory=lambda *args: opened.append(args))
    device.on_start()
    device.on_stop()
    assert opened == []


def test_address_as_text_or_number_and_the_bus_number():
    rig = make_rig(address=0x41)
    try:
        rig.device.set_parameter(
            "address", "0x41"
        )  # what `rtoc run --set INA219.address=0x41` gives
        assert rig.device.address == 0x41
        rig.device.start()
        samples_arrive(rig.logger)
        assert rig.chip.peek(p.REG_CALIBRATION) != 0
        rig.device.set_parameter("address", 0x40)  # nothing answers there: no acknowledge
        wait_until(lambda: events(rig.logger), 3.0, "a warning")
        assert "INA219 at 0x40 on /dev/i2c-1" in events(rig.logger)[0].text
        assert "Remote I/O error" in events(rig.logger)[0].text
        rig.device.set_parameter("address", 65)
        wait_until(lambda: len(events(rig.logger)) == 2, 3.0, "connected again")
        assert "connected to the INA219 at 0x41 on /dev/i2c-1 again" in events(rig.logger)[1].text
        samples_arrive(rig.logger)
    finally:
        rig.logger.close()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("address", "0x50", r"INA219\.address must be 0x40\.\.0x4F.*got 0x50"),
        ("address", "forty", r"INA219\.address must be an I2C address 0x40\.\.0x4F"),
        ("shunt_ohms", -1, r"INA219\.shunt_ohms must be a resistance > 0 ohm, got -1"),
        ("shunt_ohms", "thick", r"INA219\.shunt_ohms takes a number"),
        ("max_expected_amps", 5, r"max_expected_amps=5 A .* use a smaller shunt or at most 3\.2 A"),
        ("gain", "60mV", r"INA219\.gain must be one of auto, 40mV, 80mV, 160mV, 320mV"),
        ("voltage_range", 24, r"INA219\.voltage_range must be 16 or 32 \(V\), got 24"),
        ("busnum", -1, r"INA219\.busnum must be an I2C bus number >= 0, got -1"),
        ("wiring", 1, r"INA219 has no parameter 'wiring'"),
    ],
)
def test_bad_parameters_raise_and_change_nothing(name, value, message):
    device = INA219()
    before = {n: device.get_parameter(n) for n in ("address", "shunt_ohms", "gain", "busnum")}
    with pytest.raises(DeviceError, match=message):
        device.set_parameter(name, value)
    assert {n: device.get_parameter(n) for n in before} == before


def test_good_parameters_are_converted():
    device = INA219()
    device.set_parameter("gain", 80)  # JSON number from --set INA219.gain=80
    assert device.gain == "80"
    device.set_parameter("shunt_ohms", "0.05")
    assert device.shunt_ohms == 0.05
    device.set_parameter("max_expected_amps", 0)  # not known
    device.set_parameter("voltage_range", "16")
    assert device.voltage_range == 16
    device.set_parameter("samplerate", 1 / 60)  # RTOC's INA219_Modul rate
    assert device.samplerate == pytest.approx(1 / 60)


def test_invalid_parameters_at_start_refuse_to_start():
    logger = Logger()
    try:
        device = logger.add_device(INA219)
        device.shunt_ohms = 0.0  # set around set_parameter
        with pytest.raises(DeviceError, match=r"INA219\.shunt_ohms must be a resistance > 0"):
            device.start()
        assert not device.running
    finally:
        logger.close()


def test_parameters_changed_while_running_apply_at_the_next_sample(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    assert rig.chip.config.gain == 0  # auto: 0.2 A * 0.1 ohm = 20 mV fits 40 mV
    rig.device.set_parameter("gain", "320mV")
    rig.device.set_parameter("max_expected_amps", 2.0)
    wait_until(lambda: rig.chip.config.gain == 3, 3.0, "the 320 mV range")
    # trunc(0.04096 / (2 A / 32800 * 0.1 ohm)) = 6717; the chip drops bit 0
    wait_until(lambda: rig.chip.peek(p.REG_CALIBRATION) == 6716, 3.0, "calibration for 2 A")
    samples_arrive(rig.logger)
    assert latest(rig.logger, "Current").y == pytest.approx(150.0, abs=0.1)
    rig.device.set_parameter("voltage_range", 16)
    wait_until(lambda: rig.chip.config.bus_range == 0, 3.0, "the 16 V range")
    # a bad value set around set_parameter (a script's setattr) is refused once, loudly
    rig.device.shunt_ohms = -5.0
    wait_until(lambda: events(rig.logger), 3.0, "an error event")
    samples_arrive(rig.logger)
    (error,) = events(rig.logger)
    assert error.priority == Priority.ERROR
    assert error.text.startswith(
        "keeping the previous settings: shunt_ohms must be a resistance > 0 ohm"
    )
    rig.device.shunt_ohms = 0.1
    samples_arrive(rig.logger)
    assert len(events(rig.logger)) == 1


def test_sleep_wake_and_reset_change_the_chip(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.device.sleep()
    assert rig.chip.config.mode == p.MODE_POWER_DOWN
    stored = count(rig.logger, "Current")
    a_few_ticks()
    assert count(rig.logger, "Current") == stored  # no samples while asleep
    rig.device.wake()
    assert rig.chip.config.mode == 7
    samples_arrive(rig.logger, more_than=stored)

    rig.chip.set_load(load_amps=1.0)  # automatic gain goes up to 160 mV ...
    wait_until(lambda: rig.chip.config.gain == 2, 3.0, "auto gain 160 mV")
    rig.chip.set_load(load_amps=0.15)
    rig.device.reset()  # ... and reset brings it back to what 0.2 A needs
    assert rig.chip.config.gain == 0
    assert rig.chip.peek(p.REG_CALIBRATION) == 0xFFFE
    samples_arrive(rig.logger)
    assert latest(rig.logger, "Current").y == pytest.approx(150.0, abs=0.01)
    assert events(rig.logger) == []


def test_a_restart_wakes_a_sleeping_chip(rig):
    rig.device.sleep()  # before start: opens the connection for it
    assert rig.chip.config.mode == p.MODE_POWER_DOWN
    rig.device.start()
    samples_arrive(rig.logger)
    assert rig.chip.config.mode == 7
    rig.device.sleep()
    rig.device.stop()
    rig.device.start()
    samples_arrive(rig.logger)
    assert rig.chip.config.mode == 7


def test_a_bad_value_set_while_disconnected_reconnects_with_the_previous_settings(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.stop_answering()
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    rig.device.max_expected_amps = -1.0  # set around set_parameter, while the link is down
    rig.chip.power_cycle()
    rig.chip.answer_again()
    samples_arrive(rig.logger)
    assert rig.chip.peek(p.REG_CALIBRATION) == 0xFFFE  # calibrated for the previous 0.2 A
    texts = [(e.priority, e.text) for e in events(rig.logger)]
    assert [priority for priority, _ in texts] == [Priority.WARNING, Priority.ERROR, Priority.INFO]
    assert "keeping the previous settings: max_expected_amps must be >= 0 A" in texts[1][1]


def test_the_address_in_force_is_named_not_a_rejected_one(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.device.address = "forty"  # set around set_parameter: refused, 0x40 kept
    wait_until(lambda: events(rig.logger), 3.0, "an error event")
    rig.chip.stop_answering()
    wait_until(lambda: len(events(rig.logger)) == 2, 3.0, "a warning")
    lost = events(rig.logger)[1]
    assert lost.text.startswith("lost the connection to the INA219 at 0x40 on /dev/i2c-1: ")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("address", "forty", r"the INA219 at 'forty' on /dev/i2c-1: address must be an I2C"),
        ("shunt_ohms", 0.0, r"the INA219 at 0x40 on /dev/i2c-1: shunt_ohms must be a resistance"),
    ],
)
def test_a_function_before_start_with_a_bad_parameter_says_which(rig, name, value, message):
    setattr(rig.device, name, value)  # around set_parameter, and never valid before
    with pytest.raises(DeviceError, match=r"INA219: cannot connect to " + message):
        rig.device.sleep()
    assert rig.chip.config.mode == 7  # nothing was sent


def test_functions_while_the_chip_does_not_answer_raise_a_device_error(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.stop_answering()
    for function in (rig.device.sleep, rig.device.wake, rig.device.reset):
        with pytest.raises(DeviceError, match=r"INA219: .*the INA219 at 0x40 on /dev/i2c-1.*121"):
            function()
    assert not rig.device._asleep


def test_a_chip_that_stops_answering_is_one_warning_then_recovers(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.stop_answering()
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    stored = {name: count(rig.logger, name) for name, _ in SIGNALS}
    failures = rig.device._link.failures
    wait_until(lambda: rig.device._link.failures >= failures + 2, 3.0, "two retries")
    assert {name: count(rig.logger, name) for name, _ in SIGNALS} == stored
    (warning,) = events(rig.logger)
    assert warning.priority == Priority.WARNING and warning.id == "connection"
    assert warning.text.startswith("lost the connection to the INA219 at 0x40 on /dev/i2c-1: ")
    assert "[Errno 121] Remote I/O error" in warning.text

    rig.chip.answer_again(power_cycled=True)  # it lost power: registers at their defaults
    samples_arrive(rig.logger, more_than=stored["Current"])
    back = events(rig.logger)[-1]
    assert back.priority == Priority.INFO and "connected to the INA219 at 0x40" in back.text
    assert len(events(rig.logger)) == 2
    assert rig.chip.peek(p.REG_CALIBRATION) == 0xFFFE  # configured again on reconnecting
    assert latest(rig.logger, "Current").y == pytest.approx(150.0, abs=0.01)
    assert rig.device.running


def test_eio_is_a_lost_connection_too(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.stop_answering(5)
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    assert "[Errno 5] Input/output error" in events(rig.logger)[0].text
    rig.chip.answer_again()
    wait_until(lambda: len(events(rig.logger)) == 2, 3.0, "recovered")


def test_a_chip_reset_between_samples_is_found_and_configured_again(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.power_cycle()  # calibration 0: current and power would read 0
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    (warning,) = events(rig.logger)
    assert warning.priority == Priority.WARNING and warning.id == "chip-reset"
    assert warning.text == (
        "the INA219 had lost its calibration (power cut or reset); configured it again"
    )
    samples_arrive(rig.logger)
    assert rig.chip.peek(p.REG_CALIBRATION) == 0xFFFE
    currents = rig.logger.store.get("INA219", "Current").y
    assert min(currents) == pytest.approx(150.0, abs=0.01)  # never a 0 from the reset chip


@pytest.mark.parametrize("gain", ["auto", "40mV"])
def test_current_out_of_range_is_a_warning_not_a_value(rig, gain):
    rig.device.set_parameter("gain", gain)
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.set_load(load_amps=4.0)  # 400 mV: beyond every range
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    current = count(rig.logger, "Current")
    samples_arrive(rig.logger, "Bus voltage")  # the bus voltage is still valid and recorded
    for name in ("Current", "Power", "Shunt voltage"):
        assert count(rig.logger, name) == current
    (warning,) = events(rig.logger)
    assert warning.priority == Priority.WARNING and warning.signal == "Current"
    assert warning.id == "out-of-range"
    assert warning.text.startswith("current out of range: Current out of range (overflow)")
    assert max(rig.logger.store.get("INA219", "Current").y) < 160

    rig.chip.set_load(load_amps=0.1)
    samples_arrive(rig.logger, more_than=current)
    back = events(rig.logger)[-1]
    assert back.priority == Priority.INFO and back.text == "current back in range"
    assert latest(rig.logger, "Current").y == pytest.approx(100.0, abs=0.2)
    assert len(events(rig.logger)) == 2


def test_a_bus_voltage_register_with_ovf_set_drops_current_and_power(rig):
    rig.device.start()
    samples_arrive(rig.logger)
    rig.chip.ovf_stuck = True  # OVF although 150 mA is well in range
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    current = count(rig.logger, "Current")
    samples_arrive(rig.logger, "Bus voltage")
    assert count(rig.logger, "Current") == count(rig.logger, "Power") == current
    assert "current out of range" in events(rig.logger)[0].text
    assert rig.chip.config.gain == 3  # pi-ina219 raised the gain as far as it goes first
    rig.chip.ovf_stuck = False
    samples_arrive(rig.logger, more_than=current)
    assert latest(rig.logger, "Current").y == pytest.approx(150.0, abs=0.1)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"stuck_high": True}, "reset bit set"),
        (
            {"corrupted": {p.REG_SHUNT_VOLTAGE: 0x7D00}},
            "0x7d00 (320.00 mV) is beyond the chip's 40",
        ),
        ({"corrupted": {p.REG_CALIBRATION: 0xFFFF}}, "calibration register 0xffff has bit 0 set"),
    ],
)
def test_garbage_registers_are_dropped_with_a_warning(rig, fault, message):
    rig.device.start()
    samples_arrive(rig.logger)
    for name, value in fault.items():
        setattr(rig.chip, name, value)
    wait_until(lambda: events(rig.logger), 3.0, "a warning")
    stored = {name: count(rig.logger, name) for name, _ in SIGNALS}
    dropped = rig.device._link.dropped_answers
    wait_until(lambda: rig.device._link.dropped_answers >= dropped + 3, 3.0, "more dropped")
    assert {name: count(rig.logger, name) for name, _ in SIGNALS} == stored
    (warning,) = events(rig.logger)  # repeats are held back
    assert warning.priority == Priority.WARNING and warning.id == "invalid-answer"
    assert "dropped an invalid answer from the INA219 at 0x40" in warning.text
    assert message in warning.text
    assert rig.device._link.connected  # garbage is not a lost connection
    rig.chip.stuck_high = False
    rig.chip.corrupted = {}
    samples_arrive(rig.logger, more_than=stored["Current"])
    assert latest(rig.logger, "Current").y == pytest.approx(150.0, abs=0.01)
