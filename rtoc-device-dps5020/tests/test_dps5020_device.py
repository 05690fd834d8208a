"""The DPS5020 device end to end: rtoc Logger -> device -> minimalmodbus -> pty -> pymodbus.

Nothing is mocked: the device opens the simulator's pseudo-terminal by path as
it would open /dev/ttyUSB0, and every reading and write is a real Modbus RTU
frame answered by the pymodbus server in :mod:`rtoc_dps5020.simulator`.
Tests that call ``device.sample()`` themselves do so for determinism; the
sampling thread runs in the others.
"""

import dataclasses
import re
import threading

import pytest

from rtoc.device import DeviceError
from rtoc.events import Priority
from rtoc.logger import Logger
from rtoc.testing.waiting import wait_until
from rtoc_dps5020.device import DPS5020
from rtoc_dps5020.protocol import Mode, Protection, Register
from rtoc_dps5020.simulator import DpsSimulator

SIGNALS = {
    "VOut": "V",
    "IOut": "A",
    "POut": "W",
    "VIn": "V",
    "VSet": "V",
    "ISet": "A",
    "Mode": "",
    "Protection": "",
    "Output": "",
}


@pytest.fixture
def threads():
    before = set(threading.enumerate())
    yield
    wait_until(lambda: set(threading.enumerate()) <= before, 3, what="threads of the test to end")


@pytest.fixture
def logger(threads):
    logger = Logger()
    yield logger
    logger.close()


@pytest.fixture
def simulator(threads):
    with DpsSimulator(load_ohms=10.0) as simulator:
        yield simulator


@pytest.fixture
def dps(logger, simulator):
    device = attach(logger, simulator.port)
    yield device
    device.stop()


def attach(logger, port, **parameters):
    device = logger.add_device(DPS5020)
    device.set_parameter("port", port)
    device.set_parameter("timeout", 0.2)
    for name, value in parameters.items():
        device.set_parameter(name, value)
    return device


def events(logger, priority=None, id=None):
    return [
        event.text
        for event in logger.events
        if (priority is None or event.priority == priority) and (id is None or event.id == id)
    ]


def count(logger, signal="VOut"):
    stored = logger.store.get("DPS5020", signal)
    return 0 if stored is None else len(stored)


def test_parameters_have_the_documented_defaults():
    device = DPS5020()
    assert device.name == "DPS5020"
    assert (device.port, device.address, device.baudrate) == ("/dev/ttyUSB0", 1, 9600)
    assert (device.timeout, device.samplerate, device.model) == (1.0, 1.0, 0)
    functions = {function.name for function in device.describe().functions}
    assert functions == {"set_voltage", "set_current", "output", "lock"}


def test_one_sample_streams_every_signal_with_its_unit(logger, simulator, dps):
    supply = simulator.supply
    supply.write(Register.U_SET, 1200)
    supply.write(Register.I_SET, 500)
    supply.write(Register.ONOFF, 1)
    dps.sample()
    latest = {signal: reading for (_, signal), reading in logger.latest().items()}
    assert {signal: reading.unit for signal, reading in latest.items()} == SIGNALS
    values = {signal: reading.y for signal, reading in latest.items()}
    assert values == {
        "VOut": 12.0,
        "IOut": 1.2,
        "POut": 14.4,
        "VIn": 60.0,
        "VSet": 12.0,
        "ISet": 5.0,
        "Mode": 0.0,
        "Protection": 0.0,
        "Output": 1.0,
    }
    assert events(logger) == [f"DPS5020 (firmware 1.7) at {simulator.port}"]


def test_functions_drive_the_supply_while_the_device_samples(logger, simulator, dps):
    dps.set_parameter("samplerate", 20)
    dps.start()
    wait_until(lambda: count(logger) > 0, 3, what="the first sample")
    dps.call("set_voltage", 12.5)
    dps.set_current("2")  # numbers as text, as scripts and remote users send them
    dps.output(True)
    status = simulator.supply.status()
    assert (status.voltage_set, status.current_set, status.output) == (12.5, 2.0, True)
    wait_until(lambda: dps.latest("VOut") == 12.5, 3, what="the output to follow")
    assert dps.latest("IOut") == 1.25 and dps.latest("POut") == 15.62
    dps.output("off")
    assert not simulator.supply.status().output
    wait_until(lambda: dps.latest("Output") == 0.0, 3, what="the output to be off")
    assert dps.running


def test_lock_locks_the_front_panel(simulator, dps):
    dps.lock(True)
    assert simulator.supply.status().locked
    assert not simulator.supply.press_output_key()
    dps.lock("off")
    assert not simulator.supply.status().locked
    assert simulator.supply.press_output_key()


@pytest.mark.parametrize(
    ("function", "value", "message"),
    [
        ("set_voltage", 50.5, r"voltage 50\.5 V is outside 0\.\.50 V of the DPS5020"),
        ("set_voltage", -1, r"voltage must be >= 0 V, got -1"),
        ("set_voltage", float("nan"), r"voltage must be >= 0 V, got nan"),
        ("set_voltage", "twelve", r"voltage must be a number of V, got 'twelve'"),
        ("set_voltage", True, r"voltage must be a number of V, got True"),
        ("set_current", 20.01, r"current 20\.01 A is outside 0\.\.20 A of the DPS5020"),
        ("set_current", None, r"current must be a number of A, got None"),
        ("output", "maybe", r"output takes True or False \(on/off, 1/0\), got 'maybe'"),
        ("lock", 2, r"lock takes True or False \(on/off, 1/0\), got 2"),
    ],
)
def test_bad_arguments_raise_device_errors_naming_value_and_range(
    simulator, dps, function, value, message
):
    before = simulator.supply.registers()
    with pytest.raises(DeviceError, match=f"^DPS5020: {message}"):
        dps.call(function, value)
    assert simulator.supply.registers() == before


def test_a_bad_argument_is_refused_before_the_supply_is_asked(logger):
    device = attach(logger, "/dev/nonexistent-dps")
    with pytest.raises(DeviceError, match=r"^DPS5020: current must be >= 0 A, got -2$"):
        device.set_current(-2)
    with pytest.raises(DeviceError, match=r"^DPS5020: voltage must be a number of V, got 'x'$"):
        device.set_voltage("x")
    assert events(logger) == []  # no attempt to connect


def test_switches_take_1_and_0_as_on_and_off(simulator, dps):
    dps.output(1)
    assert simulator.supply.status().output
    dps.output(0)
    assert not simulator.supply.status().output


def test_a_dps5005_is_scaled_and_limited_by_its_model(logger, threads):
    with DpsSimulator(5005, load_ohms=10.0) as simulator:
        device = attach(logger, simulator.port)
        device.set_current(1.234)
        assert simulator.supply.registers()[Register.I_SET] == 1234
        with pytest.raises(DeviceError, match=r"current 5\.5 A is outside 0\.\.5 A of the DPS5005"):
            device.set_current(5.5)
        device.sample()
        assert device.latest("ISet") == 1.234
        assert "DPS5005 (firmware 1.7)" in events(logger)[0]


def test_an_unknown_model_is_assumed_from_its_number_with_one_warning(logger, threads):
    with DpsSimulator(6012) as simulator:
        device = attach(logger, simulator.port)
        device.sample()
        device.sample()
        assert events(logger, Priority.WARNING) == [
            f"unknown model number 6012 at {simulator.port}; "
            "assuming 60 V, 12 A, current in 2 decimals"
        ]
        assert device.latest("ISet") == 1.0
        with pytest.raises(DeviceError, match=r"0\.\.60 V of the DPS6012"):
            device.set_voltage(61)


def test_the_supply_refusing_a_write_is_a_device_error_and_not_an_outage(logger, simulator, dps):
    dps.sample()
    supply = simulator.supply
    supply.spec = dataclasses.replace(supply.spec, max_voltage=30)  # a supply that says no
    with pytest.raises(DeviceError, match=r"the supply refused U_SET = 40 V .*illegal data value"):
        dps.set_voltage(40)
    dps.sample()
    assert count(logger) == 2
    assert events(logger, Priority.WARNING) == []


def test_cv_cc_changes_are_info_events_and_a_tripped_protection_a_warning(logger, simulator, dps):
    supply = simulator.supply
    dps.set_voltage(10)
    dps.set_current(2)
    dps.output(True)
    dps.sample()  # 1 A into 10 ohm: CV
    dps.set_current(0.5)
    dps.sample()
    supply.trip(Protection.OVP)
    dps.sample()
    dps.sample()  # unchanged: no second warning
    dps.output(True)
    dps.sample()
    mode_events = [e for e in logger.events if e.id == "mode"]
    assert [(e.text, e.priority, e.signal, e.value) for e in mode_events] == [
        ("now in constant current (CC)", Priority.INFO, "Mode", float(Mode.CC)),
        ("now in constant voltage (CV)", Priority.INFO, "Mode", float(Mode.CV)),
        ("now in constant current (CC)", Priority.INFO, "Mode", float(Mode.CC)),
    ]
    protection = [e for e in logger.events if e.id == "protection"]
    assert [(e.text, e.priority, e.signal, e.value) for e in protection] == [
        (
            "over-voltage protection (OVP) tripped, output is off",
            Priority.WARNING,
            "Protection",
            1.0,
        ),
        ("protection reset", Priority.INFO, "Protection", 0.0),
    ]
    assert logger.store.get("DPS5020", "Protection").y.tolist() == [0, 0, 1, 1, 0]


@pytest.mark.parametrize("protection", [Protection.OCP, Protection.OPP])
def test_each_protection_is_named_in_its_warning(logger, simulator, dps, protection):
    dps.sample()
    simulator.supply.trip(protection)
    dps.sample()
    assert events(logger, Priority.WARNING) == [f"{protection.text} tripped, output is off"]
    assert protection.name in events(logger, Priority.WARNING)[0]


def test_a_protection_already_tripped_at_the_first_reading_is_reported(logger, simulator, dps):
    simulator.supply.trip(Protection.OCP)
    dps.sample()
    assert events(logger, id="protection") == [
        "over-current protection (OCP) tripped, output is off"
    ]


def test_supply_stopping_mid_run_is_one_warning_then_recovery_without_restart(
    logger, simulator, dps
):
    dps.set_parameter("samplerate", 20)
    dps.start()
    wait_until(lambda: count(logger) >= 3, 3, what="samples before the outage")

    simulator.stop_server()
    wait_until(lambda: events(logger, Priority.WARNING), 3, what="the outage warning")
    stored = count(logger)
    with pytest.raises(DeviceError, match=r"^DPS5020: lost the connection to /dev/pts"):
        dps.set_voltage(3)
    wait_until(lambda: dps._link.failures >= 2, 4, what="a retry during the outage")
    assert count(logger) == stored  # nothing stored while the supply is silent
    assert simulator.supply.status().voltage_set == 5.0  # the failed write did not happen

    simulator.start_server()
    wait_until(lambda: count(logger) > stored, 5, what="samples after the outage")
    warnings = events(logger, Priority.WARNING)
    assert len(warnings) == 1
    assert "lost the connection to" in warnings[0] and "no answer" in warnings[0]
    assert any("again after" in text for text in events(logger, Priority.INFO, "connection"))
    assert dps.running
    dps.set_voltage(3)
    assert simulator.supply.status().voltage_set == 3.0


def test_the_port_going_away_is_a_lost_connection_and_a_new_one_is_opened(logger, threads):
    with DpsSimulator() as first:
        port = first.port
        device = attach(logger, port)
        device.sample()
    device.sample()  # the pty is gone, as when a USB adapter is unplugged
    assert not device._link.connected
    assert events(logger, Priority.WARNING)[0].startswith(f"lost the connection to {port}: ")
    with DpsSimulator() as second:
        device.set_parameter("port", second.port)
        device.lock(False)  # a function opens the port at once, even while backing off
        device.sample()
        assert events(logger, id="connection")[1].startswith(f"connected to {second.port} again")
    assert count(logger) == 2


def test_corrupt_answers_are_dropped_with_a_warning_and_never_stored(logger, simulator, dps):
    dps.sample()
    simulator.corrupt_next(2)
    dps.sample()
    dps.sample()
    assert count(logger) == 1
    dropped = events(logger, Priority.WARNING)
    assert len(dropped) == 1  # the same kind of garbage again is held back
    assert "dropped an invalid answer" in dropped[0] and "Checksum error" in dropped[0]
    assert dps._link.connected  # garbage is not an outage
    dps.sample()
    assert count(logger) == 2


def test_a_modbus_exception_in_answer_to_the_read_is_dropped_not_an_outage(logger, simulator, dps):
    dps.sample()
    simulator.refuse_next()
    dps.sample()
    assert count(logger) == 1
    warnings = events(logger, Priority.WARNING)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"dropped an invalid answer from {simulator.port}: ")
    assert "device busy" in warnings[0]
    assert dps._link.connected and dps._link.failures == 0
    dps.sample()
    assert count(logger) == 2


def test_impossible_register_values_are_dropped_and_never_stored(logger, simulator, dps):
    simulator.supply.inject(Register.PROTECT, 9)
    dps.sample()
    simulator.supply.inject(Register.MODEL, 0)
    dps.sample()
    assert count(logger) == 0 and count(logger, "Protection") == 0
    warnings = events(logger, Priority.WARNING)
    assert len(warnings) == 1 and "PROTECT register reads 9, expected 0..3" in warnings[0]
    simulator.supply.clear_injected()
    dps.sample()
    assert count(logger) == 1 and dps.latest("Protection") == 0.0


def test_a_model_register_that_is_no_model_number_drops_every_sample(logger, simulator, dps):
    simulator.supply.inject(Register.MODEL, 0)
    for _ in range(3):
        dps.sample()
    assert count(logger) == 0
    assert "MODEL register reads 0, which is no DPS model number" in events(logger)[0]


def test_the_model_parameter_scales_whatever_the_model_register_holds(logger, threads):
    with DpsSimulator(5005) as simulator:
        simulator.supply.inject(Register.MODEL, 0)
        device = attach(logger, simulator.port, model=5005)
        device.sample()
        assert device.latest("ISet") == 1.0  # 1000 counts of 1 mA
        device.set_current(1.234)
        assert simulator.supply.registers()[Register.I_SET] == 1234
        with pytest.raises(DeviceError, match=r"0\.\.5 A of the DPS5005"):
            device.set_current(5.5)
        assert events(logger) == [
            f"DPS5005 (firmware 1.7) at {simulator.port}; scaled as set by the model "
            "parameter, the supply reports model number 0"
        ]


def test_a_model_parameter_equal_to_the_model_register_changes_nothing(logger, simulator):
    device = attach(logger, simulator.port, model=5020)
    device.sample()
    assert events(logger) == [f"DPS5020 (firmware 1.7) at {simulator.port}"]


def test_an_unknown_model_parameter_is_assumed_from_its_number_with_a_warning(logger, simulator):
    device = attach(logger, simulator.port, model=6012)
    device.sample()
    assert events(logger, Priority.WARNING) == [
        f"unknown model number 6012 at {simulator.port}; assuming 60 V, 12 A, current in "
        "2 decimals; scaled as set by the model parameter, the supply reports model number 5020"
    ]


def refused(port, message):
    """The DeviceError and the warning event for a parameter the device cannot connect with."""
    return rf"^DPS5020: cannot connect to {re.escape(port)}: {re.escape(message)}$"


@pytest.mark.parametrize("model", [99, 5020.5, "5020", None, True])
def test_a_model_parameter_that_is_no_model_number_is_refused(logger, simulator, model):
    device = attach(logger, simulator.port)
    device.model = model  # set_parameter converts "5020" and refuses None; a script may not
    message = (
        "the model must be 0 (read it from the supply) or a DPS model number such as 5020, "
        f"got {model!r}"
    )
    with pytest.raises(DeviceError, match=refused(simulator.port, message)):
        device.output(True)
    assert not simulator.supply.status().output


@pytest.mark.parametrize("address", [0, 248])
def test_an_address_outside_1_to_247_is_refused(logger, simulator, address):
    device = attach(logger, simulator.port, address=address)
    message = f"the Modbus address must be 1..247, got {address}"
    with pytest.raises(DeviceError, match=refused(simulator.port, message)):
        device.output(True)
    assert not simulator.supply.status().output


@pytest.mark.parametrize("timeout", ["nan", "inf"])
def test_a_timeout_that_is_not_finite_is_refused_when_set(logger, simulator, timeout):
    device = attach(logger, simulator.port)
    with pytest.raises(DeviceError, match=f"DPS5020.timeout takes a finite number, got {timeout}"):
        device.set_parameter("timeout", timeout)


@pytest.mark.parametrize("timeout", ["0", "-1", "-0.5"])
def test_a_timeout_not_above_zero_is_refused_naming_it(logger, simulator, timeout):
    device = attach(logger, simulator.port)
    device.set_parameter("timeout", timeout)
    message = f"the timeout must be a finite number of seconds > 0, got {device.timeout!r}"
    with pytest.raises(DeviceError, match=refused(simulator.port, message)):
        device.set_voltage(3)
    assert simulator.supply.status().voltage_set == 5.0


@pytest.mark.parametrize("timeout", ["1", None, True])
def test_a_timeout_that_is_no_number_is_refused(logger, simulator, timeout):
    device = attach(logger, simulator.port)
    device.timeout = timeout  # set_parameter refuses these itself; a script may assign them
    message = f"the timeout must be a finite number of seconds > 0, got {timeout!r}"
    with pytest.raises(DeviceError, match=refused(simulator.port, message)):
        device.output(True)


def test_a_bad_timeout_while_sampling_is_one_warning_and_nothing_stored(logger, simulator):
    device = attach(logger, simulator.port, timeout=0)
    device.sample()
    assert count(logger) == 0
    assert events(logger, Priority.WARNING) == [
        f"cannot connect to {simulator.port}: the timeout must be a finite number of "
        "seconds > 0, got 0; retrying with back-off"
    ]
    device.set_parameter("timeout", 0.2)
    device._link.close()  # skip the back-off: the next sample opens the port at once
    device.sample()
    assert count(logger) == 1


def test_wrong_address_is_a_lost_connection(logger, simulator):
    device = attach(logger, simulator.port, address=7)
    device.sample()
    assert count(logger) == 0
    warnings = events(logger, Priority.WARNING)
    assert len(warnings) == 1 and "no answer" in warnings[0]


def test_functions_say_when_the_supply_is_absent(logger):
    device = attach(logger, "/dev/nonexistent-dps")
    with pytest.raises(DeviceError, match=r"^DPS5020: cannot connect to /dev/nonexistent-dps: "):
        device.output(True)
    with pytest.raises(DeviceError, match="cannot connect to /dev/nonexistent-dps"):
        device.set_voltage(5)  # the model is not known yet: reading it fails the same way
    assert len(events(logger, Priority.WARNING)) == 1


def test_absent_supply_starts_warns_and_connects_by_itself_once_present(logger, simulator):
    device = attach(logger, "/dev/nonexistent-dps", samplerate=20)
    device.start()
    wait_until(lambda: events(logger, Priority.WARNING), 3, what="the warning")
    assert events(logger, Priority.WARNING)[0].startswith(
        "cannot connect to /dev/nonexistent-dps: "
    )
    assert device.running and count(logger) == 0
    device.set_parameter("port", simulator.port)  # the supply is plugged in
    wait_until(lambda: count(logger) > 0, 5, what="samples once the supply is there")
    assert len(events(logger, Priority.WARNING)) == 1
    device.stop()
