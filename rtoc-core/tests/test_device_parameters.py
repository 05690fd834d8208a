"""Device parameters from $RTOC_HOME/deviceParameters.json and ``rtoc run --set``."""

from __future__ import annotations

import json

import pytest

from rtoc.config import ConfigError
from rtoc.device import DeviceError
from rtoc.device_parameters import load_device_parameters, merged, parse_assignment
from rtoc.plugins import PluginRegistry
from rtoc.runner import Runner, RunnerError


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def registry():
    return PluginRegistry.load(entry_points=False)  # Generator and System


def write(home, data) -> None:
    (home / "deviceParameters.json").write_text(data if isinstance(data, str) else json.dumps(data))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DPS5020.port=/dev/ttyUSB1", ("DPS5020", "port", "/dev/ttyUSB1")),
        ("Generator.frequency=2.5", ("Generator", "frequency", 2.5)),
        ("Meter.hold=true", ("Meter", "hold", True)),
        ('Meter.label="3"', ("Meter", "label", "3")),
        ("Lab.PSU.2.voltage=12", ("Lab.PSU.2", "voltage", 12)),
        ("Meter.note=a=b", ("Meter", "note", "a=b")),
        ("Meter.note=", ("Meter", "note", "")),
    ],
)
def test_assignments(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["nonsense", "Generator=3", ".frequency=3", "Generator.=3", "=3"])
def test_malformed_assignments_say_what_is_expected(text):
    with pytest.raises(ConfigError, match=r"expected DEVICE\.PARAMETER=VALUE"):
        parse_assignment(text)


def test_set_wins_over_the_file_and_the_file_is_not_changed(tmp_path):
    base = {"Generator": {"frequency": 1, "amplitude": 2}}
    assigned = [parse_assignment(t) for t in ("Generator.frequency=5", "System.samplerate=0.5")]
    result = merged(base, assigned)
    assert result == {
        "Generator": {"frequency": 5, "amplitude": 2},
        "System": {"samplerate": 0.5},
    }
    assert base == {"Generator": {"frequency": 1, "amplitude": 2}}


def test_no_file_is_no_parameters(tmp_path):
    assert load_device_parameters(tmp_path) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1, column 2"),
        ("[1, 2]", "must be an object of devices"),
        ('{"Generator": 5}', "Generator: must be an object of parameter names and values, got 5"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file(tmp_path, registry, content, message):
    write(tmp_path, content)
    with pytest.raises(RunnerError, match=message) as caught:
        Runner(tmp_path, registry, ["Generator"])
    assert "deviceParameters.json" in str(caught.value)


def test_an_unreadable_file_is_refused_naming_the_file(tmp_path, registry):
    (tmp_path / "deviceParameters.json").mkdir()
    with pytest.raises(RunnerError, match=r"deviceParameters\.json: cannot read: "):
        Runner(tmp_path, registry, ["Generator"])


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path, registry):
    (tmp_path / "deviceParameters.json").write_bytes(b'{"Generator": {"port": "\xff"}}')
    with pytest.raises(RunnerError, match=r"deviceParameters\.json: cannot read: 'utf-8' codec"):
        Runner(tmp_path, registry, ["Generator"])


def test_parameters_are_set_before_the_device_starts(tmp_path, registry):
    write(tmp_path, {"Generator": {"frequency": 4, "amplitude": 3}, "Absent": {"x": 1}})
    runner = Runner(tmp_path, registry, ["Generator"], ["Generator.amplitude=7"])
    runner.start(echo=quiet)
    try:
        generator = runner.logger.devices["Generator"]
        assert generator.running
        assert (generator.frequency, generator.amplitude) == (4, 7)
    finally:
        runner.stop(echo=quiet)


def test_set_for_a_device_that_is_not_started_is_refused(tmp_path, registry):
    with pytest.raises(RunnerError, match=r"device System is not started here"):
        Runner(tmp_path, registry, ["Generator"], ["System.samplerate=2"])


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("Generator.nonsense=1", "Generator has no parameter 'nonsense'"),
        ("Generator.frequency=fast", "Generator.frequency takes a number, got 'fast'"),
        ("Generator.samplerate=-1", "samples per second from 0 to 10000"),
        ("Generator.samplerate=inf", "Generator.samplerate takes a finite number, got inf"),
        ("Generator.waveform=x", "Generator.waveform: unknown waveform 'x'"),
    ],
)
def test_a_refused_parameter_stops_the_run_before_any_device_starts(
    tmp_path, registry, assignment, message
):
    lines: list[str] = []
    runner = Runner(tmp_path, registry, ["System", "Generator"], [assignment])
    try:
        with pytest.raises(RunnerError) as caught:
            runner.start(echo=lines.append)
        assert message in str(caught.value)
        assert "deviceParameters.json or with rtoc run --set" in str(caught.value)
        assert "Generator" not in runner.logger.devices  # not left half configured
        assert not any(device.running for device in runner.logger.devices.values())
        assert not any(line.startswith("Started") for line in lines)
    finally:
        runner.stop(echo=quiet)


def test_device_names_are_matched_ignoring_case(tmp_path, registry):
    write(tmp_path, {"generator": {"frequency": 4}})
    runner = Runner(tmp_path, registry, ["GENERATOR"], ["generator.amplitude=2"])
    runner.start(echo=quiet)
    try:
        generator = runner.logger.devices["Generator"]
        assert generator.running and (generator.frequency, generator.amplitude) == (4, 2)
    finally:
        runner.stop(echo=quiet)


@pytest.mark.parametrize(
    ("devices", "assignment", "message"),
    [
        (
            [],
            "generator.amplitude=2",
            r"device Generator is not started here \(add --device Generator\)",
        ),
        (
            ["System"],
            "Heater.power=2",
            "unknown device Heater; installed devices: Generator, System",
        ),
    ],
)
def test_set_for_a_device_not_started_names_the_installed_one(
    tmp_path, registry, devices, assignment, message
):
    with pytest.raises(RunnerError, match=message):
        Runner(tmp_path, registry, devices, [assignment])


def test_no_device_running_says_how_to_start_one(tmp_path, registry):
    lines: list[str] = []
    runner = Runner(tmp_path, registry, [])
    runner.start(echo=lines.append)
    runner.stop(echo=quiet)
    assert (
        "No device is running: only what scripts send is recorded. Start one with --device NAME "
        f"(installed: Generator, System) or --demo, or name it in {tmp_path / 'autorun_devices'}."
    ) in lines


def test_a_device_started_later_gets_its_parameters_too(tmp_path, registry):
    write(tmp_path, {"Generator": {"frequency": 9}})
    runner = Runner(tmp_path, registry, [])
    runner.start(echo=quiet)
    try:
        assert runner.logger.start_device("Generator").frequency == 9
    finally:
        runner.stop(echo=quiet)


def test_start_device_with_a_bad_parameter_raises_and_leaves_nothing_attached(tmp_path, registry):
    runner = Runner(tmp_path, registry, [])
    runner.logger.device_parameters = {"Generator": {"frequency": "x"}}
    try:
        with pytest.raises(DeviceError, match="takes a number"):
            runner.logger.start_device("Generator")
        assert runner.logger.devices == {}
    finally:
        runner.stop(echo=quiet)
