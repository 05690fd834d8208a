"""The installed entry point: `rtoc devices` finds the VC820 with its parameters and functions,
and `rtoc run` starts it without the meter and shows the warning on the console."""

from rtoc.testing.installed import listed_device, run_rtoc


def test_rtoc_devices_lists_the_vc820(tmp_path):
    vc820 = listed_device("VC820", tmp_path)
    assert vc820["source"].startswith("rtoc-device-vc820 ")
    assert vc820["parameters"] == {"port": "/dev/ttyUSB0", "samplerate": 2.0, "timeout": 3.0}
    assert set(vc820["functions"]) == {"display"}


def test_the_hook_returns_the_device_class():
    from rtoc_vc820 import plugin
    from rtoc_vc820.device import VC820

    assert plugin.rtoc_devices() == [VC820]


def test_rtoc_run_without_the_meter_warns_on_the_console(tmp_path):
    port = tmp_path / "ttyUSB-missing"
    command = ["run", "--device", "VC820", "--set", f"VC820.port={port}", "--duration", "1"]
    result = run_rtoc(tmp_path / "home", *command)
    assert result.returncode == 0, result.stderr
    assert "Started VC820." in result.stdout
    assert f"WARNING rtoc.events: VC820: cannot connect to {port}: " in result.stderr
