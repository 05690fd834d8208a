"""A third-party device distribution, pip-installed beside rtoc-core in a fresh venv.

This is how users meet plugins: ``pip install rtoc-core rtoc-device-foo`` and
``rtoc devices`` lists it, with no other step. A second distribution that is
broken at import is listed as failed while the good one keeps working.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rtoc.storage.sqlite import SQLiteStorage
from rtoc.testing.installed import run_rtoc

#: The rtoc repository this test runs in.
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def write_distribution(folder: Path, name: str, module: str, code: str) -> Path:
    root = folder / name
    (root / "src" / module).mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{name}"
            version = "0.3.0"
            dependencies = ["rtoc-core"]

            [project.entry-points.rtoc]
            {module} = "{module}.plugin"

            [tool.hatch.build.targets.wheel]
            packages = ["src/{module}"]
            """
        )
    )
    (root / "src" / module / "__init__.py").write_text("")
    (root / "src" / module / "plugin.py").write_text(textwrap.dedent(code))
    return root


FAKE_METER = '''
    import math
    import rtoc


    class FakeMeter(rtoc.Device):
        """A meter that measures a slow sine."""

        samplerate = 20.0
        gain = 2.0

        def sample(self):
            self.stream(self.gain * math.sin(self._phase()), "Voltage", unit="V")

        def _phase(self):
            import time
            return time.time()

        def zero(self, channel: int = 1) -> None:
            """Zero the given channel."""


    @rtoc.hookimpl
    def rtoc_devices():
        return [FakeMeter]
'''

BROKEN = """
    import nonexistent_driver_lib  # the author forgot a dependency
"""


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("thirdparty")
    good = write_distribution(folder, "rtoc-device-fakemeter", "rtoc_device_fakemeter", FAKE_METER)
    broken = write_distribution(folder, "rtoc-device-broken", "rtoc_device_broken", BROKEN)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(REPO / "rtoc-core"), str(good), str(broken)],
        check=True,
        timeout=600,
    )
    return python


def test_rtoc_devices_lists_installed_distribution(venv_python, home):
    result = run_rtoc(home, "devices", "--json", python=venv_python)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    devices = {device["name"]: device for device in listing["devices"]}
    meter = devices["FakeMeter"]
    assert meter["source"] == "rtoc-device-fakemeter 0.3.0"
    assert meter["parameters"] == {"gain": 2.0, "samplerate": 20.0}
    assert meter["functions"] == {"zero": "(channel: int = 1) -> None"}
    assert meter["doc"] == "A meter that measures a slow sine."
    assert {"Generator", "System"} <= devices.keys()
    failed = {item["plugin"]: item for item in listing["failed"]}
    assert failed["rtoc_device_broken"]["source"] == "rtoc-device-broken 0.3.0"
    assert "No module named 'nonexistent_driver_lib'" in failed["rtoc_device_broken"]["error"]

    text = run_rtoc(home, "devices", python=venv_python)
    assert "FakeMeter  (rtoc-device-fakemeter 0.3.0)" in text.stdout
    assert "FAILED rtoc_device_broken" in text.stdout


def test_rtoc_run_records_the_installed_device(venv_python, home):
    result = run_rtoc(home, "run", "--device", "FakeMeter", "--duration", "1.5", python=venv_python)
    assert result.returncode == 0, result.stderr
    assert "Started FakeMeter." in result.stdout
    assert "Plugin rtoc_device_broken" in result.stdout  # said, not fatal
    storage = SQLiteStorage(home / "rtoc.sqlite")
    samples = storage.read("FakeMeter", "Voltage")
    units = {info.key: info.unit for info in storage.signals()}
    storage.close()
    assert len(samples.x) >= 15
    assert (abs(samples.y) <= 2.0).all()
    assert units[("FakeMeter", "Voltage")] == "V"
