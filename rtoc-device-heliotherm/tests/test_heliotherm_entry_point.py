"""What a user runs: the entry point rtoc finds, and ``python -m rtoc_heliotherm.simulator``."""

import signal
import socket
import subprocess
import sys
import threading

import pytest
from pyModbusTCP.client import ModbusClient

from rtoc.testing.installed import listed_device
from rtoc_heliotherm import __version__


def test_rtoc_lists_the_device(tmp_path):
    heliotherm = listed_device("Heliotherm", tmp_path)
    assert heliotherm["source"] == f"rtoc-device-heliotherm {__version__}"
    assert heliotherm["parameters"] == {
        "host": "192.168.1.2",
        "port": 502,
        "samplerate": 0.1,
        "timeout": 5.0,
        "unit_id": 1,
    }
    assert "set_operating_mode" in heliotherm["functions"]


def simulator_command(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "rtoc_heliotherm.simulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_the_simulator_command_serves_until_ctrl_c_or_kill(stop):
    process = simulator_command("--port", "0", "--speed", "0")
    try:
        first = []  # readline in a thread: a hanging simulator must not hang the test
        reader = threading.Thread(target=lambda: first.append(process.stdout.readline()))
        reader.start()
        reader.join(30)
        assert first and " on 127.0.0.1:" in first[0], first
        port = int(first[0].rsplit(":", 1)[1])
        client = ModbusClient(host="127.0.0.1", port=port, timeout=2)
        assert client.read_input_registers(10, 1) == [40]  # 4.0 °C outside
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0  # a clean shutdown, not killed by the signal
        assert process.stderr.read() == ""  # no traceback
        assert "--set Heliotherm.port=" in process.stdout.read()
        assert client.read_input_registers(10, 1) is None  # the port is closed
        assert not client.open()
        client.close()
    finally:
        stopped(process)


def test_the_simulator_command_on_a_busy_port_says_so_once():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        process = simulator_command("--port", str(port))
        try:
            assert process.wait(timeout=30) == 1
            lines = process.stderr.read().splitlines()
        finally:
            stopped(process)
    assert len(lines) == 1, lines  # pymodbus's own "Failed to start server" is held back
    assert lines[0].startswith(f"cannot listen on 127.0.0.1:{port}: ")
    assert "Address already in use" in lines[0]


def stopped(process):
    if process.poll() is None:
        process.kill()
        process.wait(5)
    process.stdout.close()
    process.stderr.close()
