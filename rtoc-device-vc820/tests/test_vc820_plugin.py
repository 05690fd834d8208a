"""The installed entry point: `rtoc devices` finds the VC820 with its parameters and functions."""

from rtoc.testing.installed import listed_device


def test_rtoc_devices_lists_the_vc820(tmp_path):
    vc820 = listed_device("VC820", tmp_path)
    assert vc820["source"].startswith("rtoc-device-vc820 ")
    assert vc820["parameters"] == {"port": "/dev/ttyUSB0", "samplerate": 2.0, "timeout": 3.0}
    assert set(vc820["functions"]) == {"display"}


def test_the_hook_returns_the_device_class():
    from rtoc_vc820 import plugin
    from rtoc_vc820.device import VC820

    assert plugin.rtoc_devices() == [VC820]
