"""`rtoc run` as a user runs it: demo devices, restart, signals, bad config."""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
import time

import numpy as np

from rtoc.storage.sqlite import SQLiteStorage
from rtoc.testing.installed import rtoc_command, run_rtoc


def stored(home):
    storage = SQLiteStorage(home / "rtoc.sqlite")
    try:
        return {info.key: info for info in storage.signals()}, storage.events()
    finally:
        storage.close()


def test_demo_records_generator_and_system_into_sqlite(home):
    result = run_rtoc(home, "run", "--demo", "--duration", "2.5")
    assert result.returncode == 0, result.stderr
    assert f"Recording to {home / 'rtoc.sqlite'} (sqlite)." in result.stdout
    assert "Started Generator." in result.stdout and "Started System." in result.stdout
    assert "everything stored" in result.stdout
    signals, _ = stored(home)
    assert signals[("Generator", "Sine")].count >= 15
    assert signals[("Generator", "Square")].count >= 15
    cpu = [info for key, info in signals.items() if key[0] == "System" and "CPU" in key[1]]
    memory = [info for key, info in signals.items() if key[0] == "System" and "emory" in key[1]]
    assert cpu and memory and cpu[0].count >= 2
    assert (home / "config.json").is_file()

    again = run_rtoc(home, "run", "--duration", "0.5")
    assert again.returncode == 0, again.stderr
    assert "Loaded " in again.stdout and " signals " in again.stdout


def test_sigterm_during_heavy_ingest_stores_every_accepted_sample(home):
    devices = home / "devices"
    devices.mkdir()
    (devices / "firehose.py").write_text(
        textwrap.dedent(
            f"""
            import numpy as np
            import rtoc

            class Firehose(rtoc.Device):
                samplerate = 200.0

                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self._sent = 0

                def sample(self):
                    x = np.arange(self._sent, self._sent + 5000, dtype=float)
                    self.stream_many(x, x, "Count")
                    self._sent += 5000

                def on_stop(self):
                    with open({str(home / "sent.txt")!r}, "w") as file:
                        file.write(str(self._sent))
            """
        )
    )
    process = subprocess.Popen(
        rtoc_command(home, "run", "--device", "Firehose"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (home / "rtoc.sqlite").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    sent = int((home / "sent.txt").read_text())
    assert sent > 100_000
    storage = SQLiteStorage(home / "rtoc.sqlite")
    x = storage.read("Firehose", "Count").x
    storage.close()
    np.testing.assert_array_equal(x, np.arange(float(sent)))


def test_corrupt_config_is_a_clear_error(home):
    (home / "config.json").write_text('{"global": {"recordLength": 10,')
    result = run_rtoc(home, "run", "--demo", "--duration", "0.5")
    assert result.returncode == 1
    assert "config.json" in result.stderr and "line 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_config_value_names_the_key(home):
    (home / "config.json").write_text(json.dumps({"tcp": {"port": "abc"}}))
    result = run_rtoc(home, "run", "--duration", "0.5")
    assert result.returncode == 1
    assert "tcp.port" in result.stderr and "Traceback" not in result.stderr


def test_unknown_device_lists_installed_ones(home):
    result = run_rtoc(home, "run", "--device", "Nope", "--duration", "0.5")
    assert result.returncode == 1
    assert "unknown device Nope" in result.stderr and "Generator" in result.stderr


def test_autorun_devices_file_starts_devices(home):
    (home / "autorun_devices").write_text("# started with rtoc\nGenerator\n")
    result = run_rtoc(home, "run", "--duration", "1")
    assert result.returncode == 0, result.stderr
    assert "Started Generator." in result.stdout
    signals, _ = stored(home)
    assert ("Generator", "Sine") in signals


def test_a_refused_set_value_is_one_message_and_exit_1(home):
    result = run_rtoc(home, "run", "-d", "generator", "--set", "Generator.amplitude=abc")
    assert result.returncode == 1
    message = "Generator.amplitude takes a number, got 'abc'"
    assert (result.stdout + result.stderr).count(message) == 1
    assert (
        f"Error: {message} (set in deviceParameters.json or with rtoc run --set)" in result.stderr
    )
    assert "Started" not in result.stdout


def test_a_duration_too_long_to_wait_is_refused(home):
    result = run_rtoc(home, "run", "--duration", "1e300")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--duration': 1e+300 is not in the range 0<x<=10000000.0" in result.stderr


def test_run_without_a_device_says_how_to_start_one(home):
    result = run_rtoc(home, "run", "--duration", "0.3")
    assert result.returncode == 0, result.stderr
    assert "No device is running: only what scripts send is recorded." in result.stdout
    assert (
        "Start one with --device NAME (installed: " in result.stdout
        and "Generator" in result.stdout
    )


def test_backend_unknown_is_a_clear_error(home):
    (home / "config.json").write_text(json.dumps({"backup": {"backend": "oracle"}}))
    result = run_rtoc(home, "run", "--duration", "0.5")
    assert result.returncode == 1
    assert "backup.backend" in result.stderr and "sqlite" in result.stderr


def test_python_dash_m_and_version(home):
    result = run_rtoc(home, "--version")
    assert result.returncode == 0 and result.stdout.startswith("rtoc, version ")


def test_device_failing_at_construction_or_start_leaves_others_running(home):
    devices = home / "devices"
    devices.mkdir()
    (devices / "bad.py").write_text(
        textwrap.dedent(
            """
            import rtoc

            class NoPort(rtoc.Device):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    raise OSError("could not open port /dev/ttyUSB7")

            class NoStart(rtoc.Device):
                def on_start(self):
                    raise PermissionError("no access to /dev/i2c-1")
            """
        )
    )
    result = run_rtoc(
        home, "run", "-d", "NoPort", "-d", "NoStart", "-d", "Generator", "--duration", "1"
    )
    assert result.returncode == 0, result.stderr
    for device, reason in [
        ("NoPort", "could not open port /dev/ttyUSB7"),
        ("NoStart", "no access"),
    ]:
        line = f"ERROR rtoc.events: {device}: could not start: {reason}"
        assert result.stderr.count(line) == 1 and device not in result.stdout  # said once
    assert "Started Generator." in result.stdout
    signals, events = stored(home)
    assert signals[("Generator", "Sine")].count >= 5
    assert {e.device for e in events if e.priority == 2} == {"NoPort", "NoStart"}


def test_device_events_show_on_the_console_at_their_priority(home):
    devices = home / "devices"
    devices.mkdir()
    (devices / "noisy.py").write_text(
        textwrap.dedent(
            """
            import rtoc

            class Noisy(rtoc.Device):
                def on_start(self):
                    self.event("probe is loose", "Temperature", priority=1)
                    self.event("calibrated", priority=0)
            """
        )
    )
    result = run_rtoc(home, "run", "-d", "Noisy", "--duration", "0.5")
    assert result.returncode == 0, result.stderr
    assert "WARNING rtoc.events: Noisy.Temperature: probe is loose" in result.stderr
    assert "INFO rtoc.events: Noisy: calibrated" in result.stderr
