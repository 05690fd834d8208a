"""The installed distribution registers DPS5020 under the ``rtoc`` entry-point group."""

from rtoc.testing.installed import listed_device


def test_rtoc_devices_lists_dps5020(tmp_path):
    dps = listed_device("DPS5020", tmp_path)
    assert dps["source"].startswith("rtoc-device-dps5020 ")
    assert dps["parameters"] == {
        "address": 1,
        "baudrate": 9600,
        "model": 0,
        "port": "/dev/ttyUSB0",
        "samplerate": 1.0,
        "timeout": 1.0,
    }
    assert set(dps["functions"]) == {"set_voltage", "set_current", "output", "lock"}
