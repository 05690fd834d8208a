"""The Heliotherm device against the simulator over real Modbus TCP on 127.0.0.1, end to end.

Each test runs a ``HeliothermSimulator`` (frozen model: ``time_scale=0``) and
a ``Logger`` with the device attached, sampling at 20 Hz.
"""

import threading

import pytest
from pymodbus.constants import ExcCodes

import rtoc.events
from rtoc.device import DeviceError, describe
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until
from rtoc_heliotherm.device import Heliotherm
from rtoc_heliotherm.protocol import HOLDING_REGISTERS, INPUT_REGISTERS, to_register
from rtoc_heliotherm.simulator import HeliothermSimulator


@pytest.fixture
def pump():
    simulator = HeliothermSimulator(time_scale=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


@pytest.fixture
def heat_pump(logger, pump):
    device = logger.add_device(Heliotherm)
    device.set_parameter("host", pump.host)
    device.set_parameter("port", str(pump.port))  # as typed on a command line
    device.set_parameter("samplerate", 20)
    device.set_parameter("timeout", 1)
    yield device
    device.stop()


def count(logger, signal="Flow temperature"):
    found = logger.store.get("Heliotherm", signal)
    return 0 if found is None else len(found)


def events(logger, priority=None, id=None):
    return [
        event
        for event in logger.events
        if (priority is None or event.priority == priority) and (id is None or event.id == id)
    ]


def samples_arrive(logger, more_than=0, signal="Flow temperature", timeout=3.0):
    wait_until(lambda: count(logger, signal) > more_than, timeout, f"samples of {signal}")


# -- reading -------------------------------------------------------------------------------


def test_parameters_functions_and_defaults():
    description = describe(Heliotherm)
    assert description.name == "Heliotherm"
    parameters = {p.name: p.value for p in description.parameters}
    assert parameters == {
        "host": "192.168.1.2",
        "port": 502,
        "unit_id": 1,
        "samplerate": 0.1,
        "timeout": 5.0,
    }
    assert {f.name for f in description.functions} == {
        "set_operating_mode",
        "set_room_temperature",
        "set_hot_water_temperature",
        "set_external_demand",
        "reset_error",
    }
    assert all(f.doc for f in description.functions)


def test_streams_every_signal_with_its_unit(logger, heat_pump, pump):
    heat_pump.start()
    wait_until(lambda: len(logger.latest()) == 45, 3, "all 45 signals")
    heat_pump.stop()  # so that no sample is half stored while we look
    latest = {sname: reading for (_, sname), reading in logger.latest().items()}
    expected_names = {r.name for r in INPUT_REGISTERS + HOLDING_REGISTERS} | {"Lifetime COP"}
    assert set(latest) == expected_names
    for register in INPUT_REGISTERS + HOLDING_REGISTERS:
        assert latest[register.name].unit == register.unit
    assert latest["Outdoor temperature"].y == 4.0
    assert latest["Hot water temperature"].y == 47.0
    assert latest["Thermal energy heating"].y == 98765
    assert latest["Thermal energy total"].y == 98765 + 34567
    assert latest["Lifetime COP"].y == 4.0
    assert latest["Operating mode"].y == 1
    assert latest["Room set-point"].y == 21.0
    # one sample: one timestamp for all signals
    assert len({reading.x for reading in latest.values()}) == 1
    assert list(logger.events) == []


def test_values_follow_the_pump(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    pump.advance(6 * 3600)  # the morning warms up, counters run
    wait_until(
        lambda: heat_pump.latest("Outdoor temperature") == round(pump.model.outdoor, 1),
        3,
        "the new outdoor temperature",
    )
    assert heat_pump.latest("Outdoor temperature") == 9.0
    assert heat_pump.latest("Thermal energy heating") > 98765


# -- functions ---------------------------------------------------------------------------


def test_functions_write_to_the_pump_and_return_what_it_holds(logger, heat_pump, pump):
    # functions work whether or not the device is sampling
    assert heat_pump.set_operating_mode("Sommer") == "summer (Sommer)"
    assert pump.model.mode == 3
    assert heat_pump.set_operating_mode(0) == "off (Aus)"
    assert logger.call("Heliotherm", "set_operating_mode", "party") == "party (Party)"
    assert pump.model.mode == 7
    assert heat_pump.set_room_temperature("22.5") == 22.5
    assert pump.model.room_setpoint == 22.5
    assert heat_pump.set_hot_water_temperature(55, minimum=42) == 55.0
    assert (pump.model.hot_water_setpoint, pump.model.hot_water_minimum) == (55.0, 42.0)
    assert heat_pump.set_hot_water_temperature(48.25) == 48.2
    assert (pump.model.hot_water_setpoint, pump.model.hot_water_minimum) == (48.2, 42.0)
    assert heat_pump.set_external_demand("on") is True
    assert pump.model.external_demand == 1
    assert heat_pump.set_external_demand(False) is False
    assert pump.model.external_demand == 0
    assert heat_pump.set_external_demand(1) is True
    assert heat_pump.set_external_demand(" Aus ") is False
    pump.set_error(4)
    heat_pump.reset_error()
    assert pump.model.error == 0
    assert list(logger.events) == []

    heat_pump.start()
    samples_arrive(logger)
    heat_pump.set_room_temperature(19)
    wait_until(lambda: heat_pump.latest("Room set-point") == 19.0, 3, "the new set-point")


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        ("set_operating_mode", ("turbo",), "unknown operating mode 'turbo'; choose 0 off"),
        ("set_operating_mode", (9,), "set by the pump itself"),
        ("set_operating_mode", (3.5,), "is not one of 0 off"),
        ("set_room_temperature", (26,), r"room temperature set-point 26 °C is outside 10..25"),
        ("set_room_temperature", ("warm",), "takes a temperature in °C, got 'warm'"),
        ("set_hot_water_temperature", (70,), r"hot water temperature 70 °C is outside 5..65"),
        ("set_hot_water_temperature", (50, 2), r"hot water minimum 2 °C is outside 5..65"),
        ("set_hot_water_temperature", (45, 50), "minimum 50 °C is above the hot water"),
        ("set_external_demand", ("maybe",), "external demand takes on/off"),
        ("set_external_demand", (2,), "external demand takes on/off"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    logger, heat_pump, pump, function, args, message
):
    with pytest.raises(DeviceError, match=message):
        logger.call("Heliotherm", function, *args)
    assert pump.requests == 0
    assert list(logger.events) == []


def test_hot_water_below_the_minimum_the_pump_holds_is_refused(logger, heat_pump, pump):
    assert pump.model.hot_water_minimum == 45.0
    message = (
        r"Heliotherm: hot water temperature 40 °C is below the hot water minimum 45 °C "
        r"the pump holds; pass minimum=\.\.\. \(5\.\.40 °C\) to set both in one call"
    )
    with pytest.raises(DeviceError, match=message):
        heat_pump.set_hot_water_temperature(40)
    assert pump.requests == 1  # the minimum was read, nothing written
    assert pump.model.hot_water_setpoint == 50.0
    assert heat_pump.set_hot_water_temperature(45) == 45.0  # equal to the minimum is fine
    assert heat_pump.set_hot_water_temperature(40, minimum=35) == 40.0
    assert (pump.model.hot_water_setpoint, pump.model.hot_water_minimum) == (40.0, 35.0)
    with pump.locked() as model:
        model.hot_water_minimum = 48.0  # raised at the pump's own panel
    with pytest.raises(DeviceError, match="46 °C is below the hot water minimum 48 °C"):
        heat_pump.set_hot_water_temperature(46)
    assert pump.model.hot_water_setpoint == 40.0
    assert list(logger.events) == []


def test_bad_parameters_are_refused():
    device = Heliotherm()
    with pytest.raises(DeviceError, match="port takes a number"):
        device.set_parameter("port", "modbus")


def test_a_write_the_pump_refuses_is_an_error_and_the_link_stays(logger, heat_pump, pump):
    pump.refuse_writes = ExcCodes.DEVICE_BUSY
    with pytest.raises(DeviceError, match=r"the pump refused operating mode 'auto': .*busy"):
        heat_pump.set_operating_mode("auto")
    pump.refuse_writes = None
    assert heat_pump.set_operating_mode("auto") == "auto (Automatik)"
    assert list(logger.events) == []


def test_a_function_while_the_pump_is_unreachable_says_so(logger, heat_pump, pump):
    pump.stop()
    with pytest.raises(DeviceError, match=f"cannot connect to 127.0.0.1:{pump.port}"):
        heat_pump.set_room_temperature(21)
    assert [e.priority for e in logger.events] == [Priority.WARNING]


def test_a_write_on_a_connection_that_broke_says_so(logger, heat_pump, pump):
    assert heat_pump.set_operating_mode("auto") == "auto (Automatik)"  # connected
    pump.stop()
    message = f"Heliotherm: lost the connection to 127.0.0.1:{pump.port}: writing holding register"
    with pytest.raises(DeviceError, match=message):
        heat_pump.set_operating_mode("summer")
    (warning,) = logger.events
    assert warning.priority == Priority.WARNING and warning.id == "connection"


def test_a_port_modbus_does_not_have_is_a_connection_that_cannot_be_made(logger, heat_pump):
    heat_pump.set_parameter("port", 70000)
    message = r"^Heliotherm: cannot connect to 127\.0\.0\.1:70000: port can't be set"
    with pytest.raises(DeviceError, match=message):
        heat_pump.set_room_temperature(21)
    (warning,) = logger.events
    assert warning.priority == Priority.WARNING
    assert warning.text.startswith("cannot connect to 127.0.0.1:70000: port can't be set")


# -- events ------------------------------------------------------------------------------


def test_mode_changes_and_errors_raise_events(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    with pump.locked() as model:
        model.mode = 3  # changed at the pump's own panel
    wait_until(lambda: events(logger, id="mode"), 3, "the mode event")
    (mode,) = events(logger, id="mode")
    assert mode.priority == Priority.INFO and mode.value == 3
    assert mode.text == "operating mode changed from auto (Automatik) to summer (Sommer)"
    assert mode.signal == "Operating mode"

    pump.set_error(5)
    wait_until(lambda: events(logger, id="error"), 3, "the error event")
    (error,) = events(logger, id="error")
    assert error.priority == Priority.WARNING and error.value == 5 and error.signal == "Error"
    assert error.text == "the pump reports an error (Störung), code 5"
    wait_until(lambda: heat_pump.latest("Compressor") == 0, 3, "the compressor to stop")

    heat_pump.reset_error()
    wait_until(lambda: len(events(logger, id="error")) == 2, 3, "the error to clear")
    cleared = events(logger, id="error")[1]
    assert cleared.priority == Priority.INFO and cleared.text == "the error (code 5) is cleared"
    assert len(logger.events) == 3


def test_an_invalid_mode_register_is_no_mode_change(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    with pump.locked() as model:
        model.mode = 11  # no mode at all: dropped as an invalid value
    wait_until(lambda: events(logger, id="invalid-value"), 3, "the invalid-value warning")
    with pump.locked() as model:
        model.mode = 1  # auto again: valid, and no change from the auto read before
    wait_until(lambda: len(events(logger, id="invalid-value")) == 2, 3, "valid again")
    samples_arrive(logger, count(logger))
    assert events(logger, id="mode") == []
    assert len(logger.events) == 2


def test_an_invalid_error_register_neither_raises_nor_clears_the_error(logger, heat_pump, pump):
    pump.set_error(5)
    heat_pump.start()
    wait_until(lambda: events(logger, id="error"), 3, "the error event")
    pump.force_input(26, 0xFFFF)  # no error code: dropped as an invalid value
    wait_until(lambda: events(logger, id="invalid-value"), 3, "the invalid-value warning")
    pump.release_inputs()  # code 5 again: the same error, still there
    wait_until(lambda: len(events(logger, id="invalid-value")) == 2, 3, "valid again")
    samples_arrive(logger, count(logger))
    assert [e.text for e in events(logger, id="error")] == [
        "the pump reports an error (Störung), code 5"
    ]
    assert len(logger.events) == 3


def test_an_error_present_when_sampling_starts_is_a_warning(logger, heat_pump, pump):
    pump.set_error(1)
    heat_pump.start()
    wait_until(lambda: events(logger, id="error"), 3, "the error event")
    assert [e.priority for e in logger.events] == [Priority.WARNING]


# -- faults --------------------------------------------------------------------------------


def test_pump_gone_mid_run_warns_once_stores_nothing_and_recovers(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    thread = [t for t in threading.enumerate() if t.name == "rtoc-device-Heliotherm"]
    pump.stop()
    wait_until(lambda: events(logger, Priority.WARNING), 3, "the warning")
    before = count(logger)
    wait_until(lambda: heat_pump._link.failures >= 2, 3, "a retry while the pump is away")
    assert count(logger) == before  # no values while it is gone
    (warning,) = events(logger)
    assert warning.id == "connection"
    assert warning.text.startswith(f"lost the connection to 127.0.0.1:{pump.port}: ")

    pump.start()  # same port
    samples_arrive(logger, before, timeout=6)
    info = events(logger)[-1]
    assert info.priority == Priority.INFO
    assert info.text.startswith(f"connected to 127.0.0.1:{pump.port} again after ")
    assert len(events(logger, Priority.WARNING)) == 1
    # the same sampling thread went on: the device was not restarted
    assert heat_pump.running
    assert [t for t in threading.enumerate() if t.name == "rtoc-device-Heliotherm"] == thread


def test_pump_absent_at_start_warns_and_is_found_later(logger, heat_pump, pump):
    pump.stop()
    heat_pump.start()  # starts, although nothing answers
    wait_until(lambda: events(logger), 3, "the warning")
    assert heat_pump.running and count(logger) == 0
    (warning,) = events(logger)
    assert warning.priority == Priority.WARNING and "cannot connect" in warning.text
    pump.start()
    samples_arrive(logger, timeout=5)
    assert [e.priority for e in logger.events] == [Priority.WARNING, Priority.INFO]


def test_a_modbus_exception_answer_is_dropped_with_one_warning(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    pump.read_exception = ExcCodes.DEVICE_FAILURE
    wait_until(lambda: events(logger), 3, "the warning")
    before = {name: count(logger, name) for name in ("Flow temperature", "Operating mode")}
    dropped = heat_pump._link.dropped_answers
    wait_until(lambda: heat_pump._link.dropped_answers >= dropped + 3, 3, "more answers dropped")
    assert {name: count(logger, name) for name in before} == before  # never stored
    (warning,) = events(logger)  # repeats are held back
    assert warning.priority == Priority.WARNING and warning.id == "invalid-answer"
    assert warning.text.startswith(f"dropped an invalid answer from 127.0.0.1:{pump.port}: ")
    assert "Modbus exception 4 (slave device failure)" in warning.text
    pump.read_exception = None
    samples_arrive(logger, before["Flow temperature"])
    assert len(logger.events) == 1  # the connection was never lost


def test_a_torn_frame_is_dropped_and_the_connection_kept(logger, heat_pump, pump):
    heat_pump.start()
    samples_arrive(logger)
    pump.corrupt_answers = 1
    wait_until(lambda: events(logger), 3, "the warning")
    (warning,) = events(logger)
    assert warning.id == "invalid-answer" and "malformed answer" in warning.text
    before = count(logger)
    samples_arrive(logger, before)
    assert len(logger.events) == 1


class HourPerLook:
    """A clock on which an hour passes at every look (for rtoc's repeat filters)."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        self.now += 3600.0
        return self.now


def test_an_absent_sensor_warns_once_and_is_never_stored(logger, heat_pump, pump, monkeypatch):
    # not even a warning "at most every N minutes": hours pass between the samples
    monkeypatch.setattr(rtoc.events, "time", HourPerLook())
    pump.force_input(14, to_register(-500))  # no buffer tank: its sensor reads -50.0 °C
    heat_pump.set_parameter("samplerate", 100)  # many samples, soon
    heat_pump.start()
    samples_arrive(logger, 30)  # each with the value dropped
    heat_pump.stop()  # so that no sample is half stored while we count
    assert count(logger, "Buffer temperature") == 0
    assert count(logger, "Return temperature") == count(logger)  # the others are stored
    (warning,) = logger.events
    assert (warning.priority, warning.id) == (Priority.WARNING, "invalid-value")
    assert warning.signal == "Buffer temperature"
    assert warning.text == (
        "input register 14 reads an invalid value: sensor not connected (-50 °C) "
        "(raw 0xFE0C); its values are dropped until they are valid again"
    )


def test_two_invalid_registers_warn_once_each(logger, heat_pump, pump):
    pump.force_input(10, 0x8000)  # -3276.8 °C
    pump.force_input(50, to_register(-500))  # no room sensor
    heat_pump.set_parameter("samplerate", 100)  # many samples, soon
    heat_pump.start()
    samples_arrive(logger, 30)
    heat_pump.stop()
    assert count(logger, "Outdoor temperature") == count(logger, "Room temperature") == 0
    assert [(e.signal, e.priority) for e in logger.events] == [
        ("Outdoor temperature", Priority.WARNING),
        ("Room temperature", Priority.WARNING),
    ]
    outdoor, room = logger.events
    assert outdoor.text.startswith(
        "input register 10 reads an invalid value: -3276.8 °C is outside -49.9..150 °C "
        "(raw 0x8000);"
    )
    assert room.text.startswith("input register 50 reads an invalid value: sensor not connected")


def test_a_register_valid_again_is_an_info_and_a_new_outage_warns_again(logger, heat_pump, pump):
    pump.force_input(50, to_register(-500))
    heat_pump.set_parameter("samplerate", 100)  # many samples, soon
    heat_pump.start()
    wait_until(lambda: events(logger), 3, "the warning")
    pump.release_inputs()  # the sensor is back
    wait_until(lambda: len(events(logger)) == 2, 3, "the info")
    back = events(logger)[1]
    assert (back.priority, back.id, back.signal) == (
        Priority.INFO,
        "invalid-value",
        "Room temperature",
    )
    assert back.text == "input register 50 reads valid values again: 20.8 °C"
    assert back.value == 20.8
    samples_arrive(logger, signal="Room temperature")
    stored = count(logger, "Room temperature")
    samples_arrive(logger, stored + 10, signal="Room temperature")  # and it stays quiet
    assert len(logger.events) == 2

    pump.force_input(50, 0x8000)  # out again, for another reason
    wait_until(lambda: len(events(logger)) == 3, 3, "the second warning")
    again = events(logger)[2]
    assert again.priority == Priority.WARNING and "-3276.8 °C is outside" in again.text
    before = count(logger)
    samples_arrive(logger, before + 10)
    assert len(logger.events) == 3


def test_a_value_still_invalid_after_a_restart_is_reported_again(logger, heat_pump, pump):
    pump.force_input(14, to_register(-500))
    heat_pump.start()
    wait_until(lambda: events(logger), 3, "the warning")
    heat_pump.stop()
    heat_pump.start()
    wait_until(lambda: len(events(logger)) == 2, 3, "the warning after the restart")
    assert [(e.signal, e.priority) for e in logger.events] == [
        ("Buffer temperature", Priority.WARNING)
    ] * 2
