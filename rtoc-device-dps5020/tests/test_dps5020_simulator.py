"""The simulated supply: its physics, and real Modbus RTU frames through its pseudo-terminal."""

import contextlib
import math
import os
import re
import select
import signal
import subprocess
import sys
import threading

import minimalmodbus
import pytest
import serial

from rtoc.testing.waiting import wait_until
from rtoc_dps5020.protocol import (
    Mode,
    Protection,
    Register,
    decode_status,
    parse_read_response,
    read_block_request,
    with_crc,
    write_register_request,
)
from rtoc_dps5020.simulator import DpsSimulator, Supply, main


@pytest.fixture
def simulator():
    threads = set(threading.enumerate())
    with DpsSimulator() as simulator:
        yield simulator
    assert set(threading.enumerate()) <= threads, "the simulator left threads behind"


@pytest.fixture
def port(simulator):
    with serial.Serial(simulator.port, 9600, timeout=0.15, exclusive=True) as port:
        yield port


def instrument(port, address=1):
    return minimalmodbus.Instrument(port, address)


def exchange(port, request: bytes, expected: int) -> bytes:
    port.reset_input_buffer()
    port.write(request)
    return port.read(expected)


# -- the model of the supply -----------------------------------------------------------------


def test_output_follows_the_set_points_into_the_load():
    supply = Supply(5020, load_ohms=10.0)
    assert supply.status().voltage == 0  # off after power-up
    supply.write(Register.U_SET, 1200)
    supply.write(Register.I_SET, 500)
    supply.write(Register.ONOFF, 1)
    status = supply.status()
    assert (status.voltage, status.current, status.power) == (12.0, 1.2, 14.4)
    assert status.mode is Mode.CV and status.input_voltage == 60.0


def test_constant_current_when_the_limit_is_reached():
    supply = Supply(5020, load_ohms=10.0)
    supply.write(Register.U_SET, 3000)
    supply.write(Register.I_SET, 150)  # 1.5 A, but 30 V / 10 ohm would be 3 A
    supply.write(Register.ONOFF, 1)
    status = supply.status()
    assert status.mode is Mode.CC
    assert (status.voltage, status.current) == (15.0, 1.5)


def test_output_is_limited_by_the_input_and_open_circuit_draws_nothing():
    supply = Supply(5020, load_ohms=math.inf, input_voltage=22.0)
    supply.write(Register.U_SET, 5000)
    supply.write(Register.ONOFF, 1)
    status = supply.status()
    assert (status.voltage, status.current, status.mode) == (20.0, 0.0, Mode.CV)


def test_a_dps5005_counts_milliamps():
    supply = Supply(5005, load_ohms=4.0)
    supply.write(Register.U_SET, 500)
    supply.write(Register.I_SET, 1234)
    supply.write(Register.ONOFF, 1)
    assert supply.registers()[Register.IOUT] == 1234  # 5 V / 4 ohm > 1.234 A: CC
    assert supply.status().current == 1.234


def test_protection_trips_switches_off_and_is_reset_by_switching_on():
    supply = Supply(5020, load_ohms=1.0)
    supply.ocp_amps = 3.0
    supply.write(Register.U_SET, 500)
    supply.write(Register.I_SET, 1000)
    supply.write(Register.ONOFF, 1)
    status = supply.status()  # 5 A into 1 ohm is above OCP
    assert status.protection is Protection.OCP and not status.output and status.current == 0
    supply.ocp_amps = 30.0
    supply.write(Register.ONOFF, 1)
    assert supply.status().protection is Protection.OK and supply.status().current == 5.0
    supply.trip(Protection.OVP)
    assert supply.status().protection is Protection.OVP and not supply.status().output


def test_lock_locks_the_front_panel_not_modbus():
    supply = Supply(5020)
    supply.write(Register.LOCK, 1)
    assert not supply.press_output_key() and not supply.turn_voltage_knob(9.0)
    assert not supply.status().output and supply.status().voltage_set == 5.0
    supply.write(Register.U_SET, 900)  # over Modbus: still works
    supply.write(Register.LOCK, 0)
    assert supply.press_output_key() and supply.turn_voltage_knob(7.5)
    assert supply.status().output and supply.status().voltage_set == 7.5


@pytest.mark.parametrize(
    ("register", "value"),
    [(Register.U_SET, 5001), (Register.I_SET, 2001), (Register.ONOFF, 2), (Register.B_LED, 6)],
)
def test_writes_out_of_range_are_refused(register, value):
    with pytest.raises(ValueError, match=f"{register.name} takes 0..{value - 1}"):
        Supply(5020).write(register, value)


def test_read_only_registers_cannot_be_written():
    with pytest.raises(ValueError, match="read-only"):
        Supply(5020).write(Register.UOUT, 1)


# -- real frames over the pseudo-terminal --------------------------------------------------------


def test_answers_the_block_read_with_a_valid_rtu_frame(simulator, port):
    answer = exchange(port, read_block_request(1), 31)
    status = decode_status(parse_read_response(answer, 1))
    assert status.model.name == "DPS5020" and status.voltage_set == 5.0
    assert status == simulator.supply.status()


def test_a_write_frame_changes_the_supply_and_is_echoed(simulator, port):
    request = write_register_request(1, Register.U_SET, 2345)
    # the answer repeats address, function, register and count, with its own CRC
    assert exchange(port, request, 8) == with_crc(request[:6])
    assert simulator.supply.status().voltage_set == 23.45


def test_minimalmodbus_reads_and_writes(simulator, port):
    dps = instrument(port)
    dps.write_register(Register.ONOFF, 1)
    dps.write_register(Register.U_SET, 1000)
    values = dps.read_registers(0, 13)
    assert values[Register.UOUT] == 1000 and values[Register.ONOFF] == 1
    with pytest.raises(minimalmodbus.IllegalRequestError, match="illegal data value"):
        dps.write_register(Register.U_SET, 6000)
    with pytest.raises(minimalmodbus.IllegalRequestError, match="illegal data address"):
        dps.write_register(Register.UOUT, 5)
    assert simulator.supply.status().voltage_set == 10.0


def test_a_write_of_several_registers_is_all_or_nothing(simulator, port):
    dps = instrument(port)
    with pytest.raises(minimalmodbus.IllegalRequestError, match="illegal data value"):
        dps.write_registers(Register.U_SET, [1200, 2001])  # 12 V is fine, 20.01 A is not
    status = simulator.supply.status()
    assert (status.voltage_set, status.current_set) == (5.0, 1.0)
    with pytest.raises(ValueError, match=r"I_SET takes 0\.\.2000"):
        simulator.supply.write(Register.U_SET, 1200, 2001)
    assert simulator.supply.status() == status


def test_refused_requests_get_a_modbus_exception_then_answers_are_good_again(simulator, port):
    simulator.refuse_next(2)
    with pytest.raises(minimalmodbus.SlaveDeviceBusyError):
        instrument(port).read_registers(0, 13)
    with pytest.raises(minimalmodbus.SlaveDeviceBusyError):
        instrument(port).write_register(Register.U_SET, 1000)
    assert simulator.supply.status().voltage_set == 5.0  # the refused write did nothing
    assert instrument(port).read_registers(0, 13)[Register.MODEL] == 5020


def test_other_addresses_get_no_answer(simulator, port):
    port.timeout = 0.1
    with pytest.raises(minimalmodbus.NoResponseError):
        instrument(port, address=2).read_registers(0, 13)
    assert instrument(port).read_registers(0, 13)[Register.MODEL] == 5020


def test_a_corrupted_answer_has_a_bad_crc_then_answers_are_good_again(simulator, port):
    simulator.corrupt_next()
    with pytest.raises(minimalmodbus.InvalidResponseError, match="Checksum error"):
        instrument(port).read_registers(0, 13)
    assert instrument(port).read_registers(0, 13)[Register.MODEL] == 5020


def test_stopped_it_does_not_answer_and_restarted_it_answers_on_the_same_port(simulator, port):
    path = simulator.port
    simulator.stop_server()
    port.timeout = 0.1
    with pytest.raises(minimalmodbus.NoResponseError):
        instrument(port).read_registers(0, 13)
    simulator.start_server()
    assert simulator.port == path
    assert instrument(port).read_registers(0, 13)[Register.MODEL] == 5020


def test_injected_register_values_are_answered(simulator, port):
    simulator.supply.inject(Register.PROTECT, 9)
    assert instrument(port).read_registers(0, 13)[Register.PROTECT] == 9
    simulator.supply.clear_injected()
    assert instrument(port).read_registers(0, 13)[Register.PROTECT] == 0


@contextlib.contextmanager
def simulator_command(*args, sigint=signal.SIG_DFL):
    """``python -m rtoc_dps5020.simulator ARGS``, and the line it printed first.

    ``sigint`` is the SIGINT disposition it starts with: SIG_IGN is what a
    background job of a non-interactive shell gets.
    """
    previous = signal.signal(signal.SIGINT, sigint)  # inherited through exec, as from a shell
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "rtoc_dps5020.simulator", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "the simulator printed nothing within 10 s"
        yield process, process.stdout.readline()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        process.stdout.close()


def test_python_m_simulator_prints_the_port_and_serves_until_ctrl_c(tmp_path):
    link = tmp_path / "ttyDPS"
    with simulator_command("--model", "5005", "--link", str(link)) as (process, line):
        assert f"DPS5005 simulator: connect to {link} (9600 baud 8N1" in line
        with serial.Serial(str(link), 9600, timeout=1) as port:
            assert instrument(port).read_registers(0, 13)[Register.MODEL] == 5005
        process.send_signal(signal.SIGINT)
        assert process.wait(5) == 0
    assert not os.path.lexists(link)


def test_sigterm_ends_the_simulator_cleanly_also_as_a_background_job(tmp_path):
    link = tmp_path / "ttyDPS"
    with simulator_command("--link", str(link), sigint=signal.SIG_IGN) as (process, line):
        assert f"connect to {link} " in line and os.path.islink(link)
        process.send_signal(signal.SIGINT)  # ignored, as the shell wants for a background job
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(0.3)
        process.send_signal(signal.SIGTERM)  # what `kill` sends
        assert process.wait(5) == 0
    assert not os.path.lexists(link)


def test_a_stale_link_is_replaced(tmp_path):
    link = tmp_path / "ttyDPS"
    link.symlink_to(tmp_path / "gone")  # left by a simulator that was killed
    with simulator_command("--link", str(link)) as (process, line):
        assert f"connect to {link} " in line
        assert os.readlink(link).startswith("/dev/pts/")
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0
    assert not os.path.lexists(link)


def test_a_lowered_protection_limit_makes_the_simulator_trip(tmp_path):
    link = tmp_path / "ttyDPS"
    with simulator_command("--ocp", "0.4", "--link", str(link)) as (process, _):
        with serial.Serial(str(link), 9600, timeout=1) as port:
            dps = instrument(port)
            dps.write_registers(Register.U_SET, [1200, 50])  # 12 V, 0.5 A: CC into 10 ohm
            dps.write_register(Register.ONOFF, 1, functioncode=16)
            registers = dps.read_registers(0, 13)
        assert registers[Register.PROTECT] == Protection.OCP and registers[Register.ONOFF] == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0


def test_help_shows_every_option_default(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())  # one line: argparse wraps the help
    for option, default in [
        ("--model MODEL", "5020"),
        ("--address ADDRESS", "1"),
        ("--load OHMS", "10"),
        ("--input-voltage VOLTS", "60"),
        ("--ovp VOLTS", "the voltage rating + 1 V"),
        ("--ocp AMPS", "the current rating + 0.2 A"),
        ("--opp WATTS", "the power rating + 10 W"),
        ("--link PATH", "none"),
    ]:
        assert re.search(rf"{option} [^\[\]()]*\(default: {re.escape(default)}[,)]", shown), option


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--load", "0"),
        ("--input-voltage", "-1"),
        ("--ovp", "nan"),
        ("--ocp", "ten"),
        ("--opp", "0"),
    ],
)
def test_options_that_are_no_positive_number_are_refused(capsys, option, value):
    with pytest.raises(SystemExit) as exited:
        main([option, value])
    assert exited.value.code == 2
    assert f"argument {option}: takes a number > 0, got '{value}'" in capsys.readouterr().err


def test_the_port_is_there_only_while_started():
    simulator = DpsSimulator()
    with pytest.raises(RuntimeError, match="not started"):
        _ = simulator.port
    with simulator:
        assert simulator.port.startswith("/dev/pts/")
    with pytest.raises(RuntimeError, match="not started"):
        _ = simulator.port


def test_close_releases_everything():
    threads = set(threading.enumerate())
    simulator = DpsSimulator().start()
    path = simulator.port
    simulator.close()
    simulator.close()  # twice is harmless
    assert set(threading.enumerate()) <= threads
    wait_until(lambda: not os.path.exists(path), 2, what="the pty to go away")
