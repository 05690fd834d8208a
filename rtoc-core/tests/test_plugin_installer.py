"""rtoc.plugin_installer: the listing of plugin distributions, the short-name rule, and every
request refused before pip runs. (pip installing real wheels: tests/test_plugin_install.py.)

The listed distributions are real ``.dist-info`` folders in a temporary
folder, read by importlib.metadata; their plugins are modules there.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtoc import __version__, plugin_installer, plugins
from rtoc.plugin_installer import (
    IndexOptions,
    InstalledPlugin,
    InstallerError,
    candidates,
    install,
    installed_plugins,
    list_installed,
    uninstall,
)
from rtoc.plugins import PluginRegistry
from rtoc.plugins_cli import install_command, plugins_command, uninstall_command
from rtoc.testing.distributions import isolated_venv

FINE = '''
import attrs
import click
import rtoc


class Fine(rtoc.Device):
    """A device."""


@attrs.frozen
class FineConfig:
    level: int = 1


class FineFormat:
    name = "fine"
    suffixes = (".fine",)
    extra = None

    def read(self, path, options):
        return iter(())


@rtoc.hookimpl
def rtoc_devices():
    return [Fine]


@rtoc.hookimpl
def rtoc_config_sections():
    return {"fine": FineConfig}


@rtoc.hookimpl
def rtoc_importers():
    return [FineFormat()]


@rtoc.hookimpl
def rtoc_cli(cli):
    @cli.command("fine")
    def fine():
        """Be fine."""


@rtoc.hookimpl
def rtoc_event(logger, event):
    pass
'''

HALFWAY = """
import rtoc


@rtoc.hookimpl
def rtoc_devices():
    raise RuntimeError("the driver is missing a file")
"""


def fake_distribution(folder: Path, name: str, version: str, points: dict[str, str]) -> Path:
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{point} = {module}\n" for point, module in points.items())
    (info / "entry_points.txt").write_text(f"[rtoc]\n{lines}")
    return info


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PluginRegistry:
    """rtoc-core's plugins and three installed distributions: one fine, one that cannot be
    imported, one failing in its hook (and no other installed plugin)."""
    (tmp_path / "rtoc_fine_plugin.py").write_text(FINE)
    (tmp_path / "rtoc_halfway_plugin.py").write_text(HALFWAY)
    monkeypatch.syspath_prepend(str(tmp_path))
    infos = [
        fake_distribution(tmp_path, "rtoc-fine", "1.0", {"fine": "rtoc_fine_plugin"}),
        fake_distribution(tmp_path, "rtoc-broken", "2.0", {"broken": "rtoc_no_such_module_x"}),
        fake_distribution(tmp_path, "rtoc-halfway", "0.3", {"halfway": "rtoc_halfway_plugin"}),
    ]
    points = [
        point for info in infos for point in importlib.metadata.PathDistribution(info).entry_points
    ]

    def ours(group: str) -> list[importlib.metadata.EntryPoint]:
        return [point for point in points if point.group == group]

    monkeypatch.setattr(plugins, "entry_points", ours)
    monkeypatch.setattr(plugin_installer, "entry_points", ours)
    return PluginRegistry.load()


def test_each_distribution_is_listed_with_what_it_provides_and_its_errors(registry):
    listing = {row.distribution: row for row in installed_plugins(registry)}

    assert list(listing) == ["rtoc-core", "rtoc-broken", "rtoc-fine", "rtoc-halfway"]
    core = listing["rtoc-core"]
    assert core.core and core.errors == ()
    assert core.provides["devices"] == ["Generator", "System"]
    assert {"sqlite", "memory"} <= set(core.provides["storage_backends"])
    assert "csv" in core.provides["importers"] and "tcp" in core.provides["frontends"]
    assert listing["rtoc-fine"] == InstalledPlugin(
        "rtoc-fine",
        "1.0",
        ("fine",),
        {
            "devices": ["Fine"],
            "config_sections": ["fine"],
            "importers": ["fine"],
            "commands": ["fine"],
            "hooks": ["rtoc_event"],
        },
    )
    broken = listing["rtoc-broken"]
    assert broken.provides == {}
    assert broken.errors == (
        "broken: ModuleNotFoundError: No module named 'rtoc_no_such_module_x'",
    )
    halfway = listing["rtoc-halfway"]
    assert halfway.errors == ("halfway: RuntimeError: the driver is missing a file",)


def test_rtoc_plugins_prints_the_listing_as_text_and_json(registry, tmp_path):
    runner = CliRunner()
    text = runner.invoke(plugins_command, [], obj={"registry": registry, "home": tmp_path})
    as_json = runner.invoke(plugins_command, ["--json"], obj={"registry": registry})

    assert text.exit_code == 0, text.output
    assert (
        f"rtoc-core {__version__}  (rtoc itself)\n    devices: Generator, System\n" in text.output
    )
    assert (
        "rtoc-fine 1.0  (entry points: fine)\n    devices: Fine\n    config sections: fine\n"
        "    importers: fine\n    commands: fine\n    hooks: rtoc_event\n"
    ) in text.output
    assert "rtoc-broken 2.0  (entry points: broken)\n    FAILED broken: ModuleNotFoundError" in (
        text.output
    )
    rows = json.loads(as_json.output)["plugins"]
    assert [InstalledPlugin.from_json(row) for row in rows] == installed_plugins(registry)


def test_a_short_name_means_rtoc_device_then_rtoc_then_itself():
    assert candidates("dps5020") == ["rtoc-device-dps5020", "rtoc-dps5020", "dps5020"]
    assert candidates("web") == ["rtoc-device-web", "rtoc-web", "web"]
    assert candidates("rtoc-web") == ["rtoc-web"]
    assert candidates("RTOC_Device.Foo") == ["RTOC_Device.Foo"]  # rtoc- as pip compares names


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"no_index": True}, "--no-index needs --find-links DIR"),
        (
            {"find_links": ["."], "no_index": True, "index_url": "https://example.org/simple"},
            "--no-index and --index-url contradict each other",
        ),
        ({"find_links": ["/no/such/folder"]}, "--find-links /no/such/folder: no such folder"),
    ],
)
def test_contradicting_or_missing_index_options_are_refused(options, message):
    with pytest.raises(InstallerError, match=message):
        IndexOptions(**options)


def test_index_options_go_to_pip_as_they_came(tmp_path):
    index = IndexOptions([str(tmp_path), "https://example.org/wheels/"], no_index=True)
    assert index.pip_args() == [
        "--find-links", str(tmp_path), "--find-links", "https://example.org/wheels/", "--no-index",
    ]  # fmt: skip
    assert IndexOptions(index_url="https://example.org/simple").pip_args() == [
        "--index-url",
        "https://example.org/simple",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name at least one plugin to install (or --upgrade for all installed)"),
        (["./rtoc_foo-1.0-py3-none-any.whl"], "is not a distribution name"),
        (["https://example.org/foo.tar.gz"], "give their folder with --find-links DIR"),
        (["foo bar"], "'foo bar' is not a distribution name"),
        (["--no-index", "foo"], "--no-index needs --find-links DIR"),
        (["-f", "/no/such/folder", "foo"], "--find-links /no/such/folder: no such folder"),
    ],
)
def test_rtoc_install_refuses_bad_requests_before_pip_runs(args, message):
    result = CliRunner().invoke(install_command, args)

    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Missing argument 'NAME...'"),
        (["foo>=1"], "'foo>=1': give the name alone, without extras or version"),
        (["/tmp/foo"], "'/tmp/foo' is not a distribution name"),
    ],
)
def test_rtoc_uninstall_refuses_bad_names(args, message):
    result = CliRunner().invoke(uninstall_command, args)

    assert result.exit_code != 0
    assert message in result.output


def test_a_python_that_cannot_run_or_has_no_pip_is_named(tmp_path):
    missing = str(tmp_path / "no-python")
    with pytest.raises(InstallerError, match=f"cannot run {missing}: No such file"):
        install(["foo"], python=missing)
    with pytest.raises(InstallerError, match=f"cannot run {missing}: No such file"):
        list_installed(missing)
    venv.create(tmp_path / "bare", with_pip=False)
    bare = str(tmp_path / "bare" / "bin" / "python")
    with pytest.raises(InstallerError, match=rf"pip is not available to {bare}; .* -m ensurepip"):
        uninstall(["foo"], python=bare)


def test_the_probe_reads_the_running_environment():
    installed = plugin_installer.installed_distributions(sys.executable)
    core = installed["rtoc-core"]
    assert (core.name, core.version, core.is_plugin) == ("rtoc-core", __version__, False)
    assert installed["pip"].version == importlib.metadata.version("pip")


def test_pip_output_is_kept_whole_and_its_tail_shown():
    result = plugin_installer.PipResult(False, [], "".join(f"line {n}\n" for n in range(40)), 1)
    assert result.tail() == "\n".join(f"line {n}" for n in range(25, 40))


def test_upgrading_all_with_no_plugin_installed_does_nothing(tmp_path):
    python = isolated_venv(tmp_path / "venv")
    result = install([], upgrade=True, python=python)

    assert (result.ok, result.messages, result.changed) == (
        True,
        ["No rtoc plugins are installed; nothing to upgrade."],
        [],
    )
