"""``rtoc plugins``, ``rtoc install`` and ``rtoc uninstall`` in a fresh environment, offline.

The plugin is the one plugin-template/ writes, built into a wheel as 0.1.0
and as 0.2.0; beside it a wheel of a plain library with no entry point in
the group ``rtoc``. Each test gets an environment of its own
(:func:`rtoc.testing.distributions.isolated_venv`: rtoc-core and pip, no
other plugin) and runs ``python -m rtoc`` there, pip reading only the wheel
folders (``--find-links DIR --no-index``, pip's configuration files off).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from rtoc.plugin_installer import installed_distributions
from rtoc.testing.distributions import build_wheels, isolated_venv, write_distribution
from rtoc.testing.installed import run_rtoc

cookiecutter_main = pytest.importorskip(
    "cookiecutter.main", reason="the plugin template needs cookiecutter>=2.6 (pip install it)"
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PLUGIN = "rtoc-device-acme-thermometer"
LIBRARY = "acme-utils"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> tuple[Path, Path]:
    """Folders of wheels: the plugin 0.1.0 and the library; the plugin 0.2.0."""
    folder = tmp_path_factory.mktemp("projects")
    project = Path(
        cookiecutter_main.cookiecutter(
            str(REPO / "plugin-template"),
            no_input=True,
            extra_context={"device_name": "Acme Thermometer"},
            output_dir=str(folder),
            default_config={"replay_dir": str(folder / "replay")},
        )
    )
    newer = shutil.copytree(project, folder / "newer")
    version_file = newer / "src" / "rtoc_acme_thermometer" / "__init__.py"
    text = version_file.read_text(encoding="utf-8")
    assert '__version__ = "0.1.0"' in text
    version_file.write_text(text.replace('"0.1.0"', '"0.2.0"'), encoding="utf-8")
    library = write_distribution(folder / "library", LIBRARY, "1.0")
    first, second = folder / "wheels", folder / "wheels-new"
    build_wheels([project, newer, library], first)
    second.mkdir()
    (second_wheel,) = first.glob("rtoc_device_acme_thermometer-0.2.0-*.whl")
    second_wheel.rename(second / second_wheel.name)
    return first, second


@pytest.fixture
def python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh environment's Python; pip there sees no configuration of this machine."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in list(os.environ):
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE":
            monkeypatch.delenv(name)
    return isolated_venv(tmp_path / "venv")


def rtoc(home: Path, python: str, *args: str):
    return run_rtoc(home, *args, python=python, timeout=120)


def listing(home: Path, python: str) -> dict[str, dict]:
    result = rtoc(home, python, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return {row["distribution"]: row for row in json.loads(result.stdout)["plugins"]}


def offline(folder: Path) -> list[str]:
    return ["--find-links", str(folder), "--no-index"]


def test_install_by_short_name_list_and_uninstall(wheels, python, home):
    assert list(listing(home, python)) == ["rtoc-core"]  # nothing of this environment leaks in

    installed = rtoc(home, python, "install", "acme-thermometer", *offline(wheels[0]))

    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"Installed {PLUGIN} 0.1.0." in installed.stdout
    assert installed.stdout.endswith("Restart rtoc to load the new plugins.\n")
    assert f"Looking for {PLUGIN}..." in installed.stderr
    rows = listing(home, python)
    assert list(rows) == ["rtoc-core", PLUGIN]
    assert rows[PLUGIN] == {
        "distribution": PLUGIN,
        "version": "0.1.0",
        "entry_points": ["acme-thermometer"],
        "provides": {"devices": ["AcmeThermometer"]},
        "errors": [],
        "core": False,
    }
    assert rows["rtoc-core"]["core"] is True
    assert "Generator" in rows["rtoc-core"]["provides"]["devices"]
    text = rtoc(home, python, "plugins").stdout
    assert (
        f"{PLUGIN} 0.1.0  (entry points: acme-thermometer)\n    devices: AcmeThermometer\n" in text
    )

    removed = rtoc(home, python, "uninstall", "acme-thermometer")

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert (
        removed.stdout == f"Removed {PLUGIN} 0.1.0.\nRestart rtoc to unload the removed plugins.\n"
    )
    assert PLUGIN not in installed_distributions(python)


def test_upgrade_without_names_upgrades_every_plugin(wheels, python, home):
    first = rtoc(home, python, "install", PLUGIN, *offline(wheels[0]))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Looking for" not in first.stderr  # a name with rtoc- is taken as it is

    upgraded = rtoc(home, python, "install", "--upgrade", "--find-links", str(wheels[0]),
                    *offline(wheels[1]))  # fmt: skip

    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert f"Upgraded {PLUGIN} from 0.1.0 to 0.2.0." in upgraded.stdout
    assert installed_distributions(python)[PLUGIN].version == "0.2.0"
    again = rtoc(home, python, "install", "-U", "acme-thermometer", *offline(wheels[1]))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == f"{PLUGIN} 0.2.0 is up to date.\n"
    assert "Restart" not in again.stdout
    back = rtoc(home, python, "install", f"{PLUGIN}==0.1.0", *offline(wheels[0]))
    assert back.returncode == 0, back.stdout + back.stderr
    assert f"Installed {PLUGIN} 0.1.0 in place of 0.2.0." in back.stdout


def test_a_distribution_that_is_no_plugin_is_uninstalled_again(wheels, python, home):
    result = rtoc(home, python, "install", LIBRARY, *offline(wheels[0]))

    assert result.returncode == 1
    assert (
        f"{LIBRARY} 1.0 is no rtoc plugin: it has no entry point in the group 'rtoc', "
        "so it was uninstalled again." in result.stdout
    )
    for tried in (f"rtoc-device-{LIBRARY}", f"rtoc-{LIBRARY}", LIBRARY):
        assert f"Looking for {tried}..." in result.stderr
    assert LIBRARY not in installed_distributions(python)


def test_a_name_nobody_has_is_a_clear_error(wheels, python, home):
    result = rtoc(home, python, "install", "nosuch", *offline(wheels[0]))

    assert result.returncode == 1
    assert (
        "Error: no distribution rtoc-device-nosuch, rtoc-nosuch or nosuch found "
        f"(--find-links {wheels[0]}, no index)" in result.stderr
    )


def test_pip_failing_shows_the_end_of_its_output(wheels, python, home):
    result = rtoc(home, python, "install", f"{PLUGIN}==9.9", *offline(wheels[0]))

    assert result.returncode == 1
    assert "pip install failed (exit 1)" in result.stdout
    assert "pip's output ended with:" in result.stderr
    assert f"No matching distribution found for {PLUGIN}==9.9" in result.stderr
    assert "Installed" not in result.stdout


def test_rtoc_core_and_libraries_are_never_uninstalled(python, home):
    for name, message in [
        ("core", "rtoc-core is rtoc itself, not a plugin; rtoc uninstall removes plugins only"),
        ("rtoc-core", "rtoc-core is rtoc itself, not a plugin"),
        ("numpy", "is no rtoc plugin (it has no entry point in the group 'rtoc')"),
        ("nosuch", "no rtoc plugin rtoc-device-nosuch, rtoc-nosuch or nosuch is installed"),
    ]:
        result = rtoc(home, python, "uninstall", name)
        assert result.returncode == 1, name
        assert message in result.stderr, result.stderr
    assert {"rtoc-core", "numpy"} <= set(installed_distributions(python))
