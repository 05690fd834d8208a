"""The installed entry point: `rtoc devices` finds the VC820 with its parameters and functions."""

import json
import os
import subprocess
import sys


def test_rtoc_devices_lists_the_vc820(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rtoc", "devices", "--json"],
        env={**os.environ, "RTOC_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listing = json.loads(result.stdout)
    found = {device["name"]: device for device in listing["devices"]}
    assert "VC820" in found, listing
    vc820 = found["VC820"]
    assert vc820["source"].startswith("rtoc-device-vc820 ")
    assert vc820["parameters"] == {"port": "/dev/ttyUSB0", "samplerate": 2.0, "timeout": 3.0}
    assert set(vc820["functions"]) == {"display"}
    assert not [f for f in listing["failed"] if "vc820" in json.dumps(f).lower()]


def test_the_hook_returns_the_device_class():
    from rtoc_vc820 import plugin
    from rtoc_vc820.device import VC820

    assert plugin.rtoc_devices() == [VC820]
