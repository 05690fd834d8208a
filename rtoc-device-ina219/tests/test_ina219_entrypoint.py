"""The installed distribution as a user meets it: the entry point, `rtoc run`, the simulator demo.

No I2C bus exists where these tests run: `rtoc run` here shows a start
without the hardware (one warning, no crash), and the demo runs the device
against the SIMULATED chip of rtoc_ina219.simulator.
"""

import os
import subprocess
import sys

import pytest

from rtoc.testing.installed import listed_device
from rtoc_ina219 import simulator

pytestmark = pytest.mark.slow


def run(arguments, tmp_path, timeout=60):
    environment = {**os.environ, "RTOC_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )


def test_rtoc_devices_lists_the_ina219(tmp_path):
    device = listed_device("INA219", tmp_path)
    assert device["source"].startswith("rtoc-device-ina219 ")
    assert device["parameters"] == {
        "address": 0x40,
        "busnum": 1,
        "gain": "auto",
        "max_expected_amps": 0.2,
        "samplerate": 1.0,
        "shunt_ohms": 0.1,
        "voltage_range": 32,
    }
    assert set(device["functions"]) == {"sleep", "wake", "reset"}


def test_rtoc_run_without_the_chip_starts_warns_and_stops_cleanly(tmp_path):
    result = run(
        [
            "rtoc", "run", "--device", "INA219",
            "--set", "INA219.address=0x41", "--set", "INA219.busnum=250",
            "--set", "INA219.samplerate=5", "--duration", "1",
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Started INA219." in result.stdout
    assert "0 samples and 1 events written" in result.stdout  # the one "cannot connect"
    assert (
        "WARNING rtoc.events: INA219: cannot connect to the INA219 at 0x41 on /dev/i2c-250: "
        in result.stderr
    )


def test_simulator_demo_prints_readings(tmp_path):
    result = run(["rtoc_ina219.simulator", "--seconds", "1", "--samplerate", "5"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SIMULATED INA219 at 0x40 on a simulated /dev/i2c-1")
    readings = [line for line in lines[1:] if line.startswith("Bus voltage 12 V")]
    assert len(readings) >= 3
    assert "Shunt voltage" in readings[0] and " mA" in readings[0] and " mW" in readings[0]


def test_simulator_demo_shows_an_event_once_on_stderr_as_rtoc_run_does(tmp_path):
    result = run(["rtoc_ina219.simulator", "--seconds", "1", "--load-amps", "4"], tmp_path)
    assert result.returncode == 0, result.stderr
    warning = "WARNING rtoc.events: INA219.Current: current out of range: "
    assert result.stderr.count(warning) == 1, result.stderr
    assert "current out of range" not in result.stdout


def test_simulator_demo_rejects_a_bad_address(capsys):
    with pytest.raises(SystemExit) as exit_:
        simulator.main(["--address", "0x20"])
    assert exit_.value.code == 2
    assert "address must be 0x40..0x4F" in capsys.readouterr().err
