"""config.json sections that distributions register through ``rtoc_config_sections``."""

from __future__ import annotations

import json
import logging
import types
from pathlib import Path
from typing import Annotated, Literal

import attrs
import pytest
from click.testing import CliRunner, Result

import rtoc
from rtoc.cli import cli
from rtoc.config import (
    Config,
    ConfigError,
    Limits,
    Port,
    get_value,
    load_config,
    save_config,
    set_value,
)
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc.runner import Runner


@attrs.frozen
class WebSection:
    active: bool = False
    host: str = "127.0.0.1"
    port: Port = 8050
    plotRate: Annotated[float, Limits(0.1, 60)] = 8.0
    theme: Literal["light", "dark"] = "light"


WEB_DEFAULTS = {
    "active": False,
    "host": "127.0.0.1",
    "port": 8050,
    "plotRate": 8.0,
    "theme": "light",
}


def make_plugin(**hooks) -> types.SimpleNamespace:
    """An object with the given functions as hook implementations."""
    return types.SimpleNamespace(**{name: rtoc.hookimpl(fn) for name, fn in hooks.items()})


def registry_with(*plugins: tuple[str, dict[str, type]]) -> PluginRegistry:
    """rtoc-core's plugins plus one plugin per (distribution, sections), registered in pluggy."""
    registry = PluginRegistry.load(entry_points=False)
    for source, sections in plugins:
        plugin = make_plugin(rtoc_config_sections=lambda sections=sections: sections)
        registry.register(plugin, PluginInfo(source.split()[0], source))
    return registry


@pytest.fixture
def registry() -> PluginRegistry:
    return registry_with(("rtoc-web 0.1", {"web": WebSection}))


def write_config(home: Path, data: object) -> Path:
    path = home / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def rtoc_cli(registry: PluginRegistry, home: Path, *args: str) -> Result:
    """The real ``rtoc`` command line, with ``registry`` as its plugins."""
    return CliRunner().invoke(cli, ["--home", str(home), *args], obj={"registry": registry})


def load_error(home: Path, registry: PluginRegistry) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(home, registry.config_sections())
    return str(caught.value)


# --- loading and checking ----------------------------------------------------


def test_a_new_file_has_the_section_with_its_defaults(tmp_path, registry):
    config = load_config(tmp_path, registry.config_sections())

    assert config.section("web") == WebSection()
    assert json.loads((tmp_path / "config.json").read_text())["web"] == WEB_DEFAULTS
    assert config.section("tcp") is config.tcp and config.section("GUI") is config.gui


def test_values_are_read_as_the_section_class(tmp_path, registry):
    write_config(tmp_path, {"web": {"active": True, "plotRate": 2, "theme": "dark"}})

    web = load_config(tmp_path, registry.config_sections()).section("web")

    assert web == WebSection(active=True, plotRate=2.0, theme="dark")
    assert isinstance(web.plotRate, float)


def test_a_section_nobody_registers_is_a_lookup_error():
    with pytest.raises(LookupError, match="no section 'web'; sections are global, postgresql"):
        Config().section("web")


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        ({"port": 0}, "web.port: expected an integer from 1 to 65535, got 0"),
        ({"plotRate": 100}, "web.plotRate: expected a number from 0.1 to 60, got 100"),
        ({"theme": "blue"}, "web.theme: expected one of 'light', 'dark', got 'blue'"),
        ({"active": "yes"}, "web.active: expected true or false, got 'yes'"),
        (5, "web: expected an object, got 5"),
    ],
)
def test_a_wrong_value_names_file_and_key(tmp_path, registry, web, expected):
    write_config(tmp_path, {"web": web})

    assert load_error(tmp_path, registry) == f"{tmp_path / 'config.json'}: {expected}"


def test_problems_in_core_and_plugin_sections_are_reported_together(tmp_path, registry):
    write_config(tmp_path, {"web": {"port": "x", "theme": 1}, "tcp": {"port": "x"}})

    lines = load_error(tmp_path, registry).splitlines()

    assert {line.split(": ")[1] for line in lines} == {"tcp.port", "web.port", "web.theme"}


def test_an_unknown_key_in_a_plugin_section_is_a_warning(tmp_path, registry, caplog):
    write_config(tmp_path, {"web": {"prot": 1, "port": 8051}})

    with caplog.at_level(logging.WARNING, logger="rtoc.config"):
        config = load_config(tmp_path, registry.config_sections())

    assert config.section("web").port == 8051
    warnings = [r.getMessage() for r in caplog.records if r.name == "rtoc.config"]
    assert warnings == [f"{tmp_path / 'config.json'}: unknown key web.prot (ignored)"]


def test_get_and_set_value_on_a_plugin_section(tmp_path, registry):
    config = load_config(tmp_path, registry.config_sections())

    assert get_value(config, "web.host") == "127.0.0.1"
    assert set_value(config, "web.port", "8051").section("web").port == 8051
    with pytest.raises(ConfigError, match=r"web\.port: expected an integer from 1 to 65535"):
        set_value(config, "web.port", "0")


# --- rtoc config -------------------------------------------------------------


def test_rtoc_config_set_get_show_a_plugin_section(tmp_path, registry):
    result = rtoc_cli(registry, tmp_path, "config", "set", "web.active", "true")

    assert result.exit_code == 0, result.output
    assert result.output == "true\n"
    assert json.loads((tmp_path / "config.json").read_text())["web"]["active"] is True
    assert rtoc_cli(registry, tmp_path, "config", "get", "web.active").output == "true\n"
    shown = json.loads(rtoc_cli(registry, tmp_path, "config", "show").output)
    assert shown["web"] == {**WEB_DEFAULTS, "active": True}


def test_rtoc_config_set_refuses_a_bad_value_or_key_and_keeps_the_file(tmp_path, registry):
    path = write_config(tmp_path, {"web": {"port": 8050}})
    before = path.read_bytes()

    bad_value = rtoc_cli(registry, tmp_path, "config", "set", "web.port", "abc")
    bad_key = rtoc_cli(registry, tmp_path, "config", "set", "web.prot", "1")

    assert bad_value.exit_code == 1
    assert "Error: config.json: web.port: expected an integer from 1 to 65535, got 'abc'" in (
        bad_value.output
    )
    assert bad_key.exit_code == 1
    assert "web.prot: unknown key; keys in web are active, host, port, plotRate, theme" in (
        bad_key.output
    )
    assert path.read_bytes() == before


def test_rtoc_config_set_repairs_a_plugin_section_one_key_at_a_time(tmp_path, registry):
    path = write_config(tmp_path, {"web": {"port": "abc"}, "GUI": {"plotRate": "x"}})

    first = rtoc_cli(registry, tmp_path, "config", "set", "web.port", "8051")

    assert first.exit_code == 0, first.output
    assert "GUI.plotRate: expected a number > 0" in first.output
    assert "web.port" not in first.output
    assert json.loads(path.read_text()) == {"web": {"port": 8051}, "GUI": {"plotRate": "x"}}
    second = rtoc_cli(registry, tmp_path, "config", "set", "GUI.plotRate", "4")
    assert second.exit_code == 0, second.output
    assert load_config(tmp_path, registry.config_sections()).section("web").port == 8051


# --- sections of distributions that are not installed ------------------------

FOREIGN = {"broker": "mqtt.local", "topics": [1, {"a": None}], "qos": "not checked"}


def test_a_section_of_a_missing_distribution_is_kept_as_it_is(tmp_path, registry, caplog):
    path = write_config(tmp_path, {"mqtt": FOREIGN, "tcp": {"port": 5050}})

    with caplog.at_level(logging.WARNING, logger="rtoc.config"):
        config = load_config(tmp_path, registry.config_sections())
    save_config(config, tmp_path)
    changed = rtoc_cli(registry, tmp_path, "config", "set", "tcp.port", "5051")

    assert config.unknown_sections == {"mqtt": FOREIGN}
    assert f"{path}: section mqtt: no installed distribution registers it" in caplog.text
    assert changed.exit_code == 0, changed.output
    written = json.loads(path.read_text())
    assert (written["mqtt"], written["tcp"]["port"]) == (FOREIGN, 5051)
    refused = rtoc_cli(registry, tmp_path, "config", "set", "mqtt.qos", "1")
    assert refused.exit_code == 1
    assert "mqtt.qos: no installed distribution registers section 'mqtt'" in refused.output
    assert json.loads(path.read_text())["mqtt"] == FOREIGN


def test_values_set_before_the_distribution_is_installed_are_its_values_after(tmp_path):
    without = registry_with()
    write_config(tmp_path, {"web": {"port": 8443, "host": "0.0.0.0"}})
    rtoc_cli(without, tmp_path, "config", "set", "global.name", "Labor")

    installed = registry_with(("rtoc-web 0.1", {"web": WebSection}))
    config = load_config(tmp_path, installed.config_sections())

    assert config.section("web") == WebSection(port=8443, host="0.0.0.0")
    assert config.global_.name == "Labor"


# --- what plugins may register -----------------------------------------------


def test_two_distributions_with_the_same_section_name_are_named_both(tmp_path, caplog):
    @attrs.frozen
    class OtherWeb:
        port: int = 80

    registry = registry_with(
        ("rtoc-web 0.1", {"web": WebSection}), ("rtoc-dash 2.0", {"web": OtherWeb})
    )
    write_config(tmp_path, {"web": {"port": "kept"}})

    sections = registry.config_sections()
    config = load_config(tmp_path, sections)

    assert "web" not in sections
    for name in ("rtoc-web", "rtoc-dash"):
        assert registry.plugins[name].error == (
            "ValueError: config section 'web' is registered by both rtoc-web 0.1 and "
            "rtoc-dash 2.0; neither uses it until one of them is uninstalled"
        )
    assert config.unknown_sections == {"web": {"port": "kept"}}
    listed = json.loads(rtoc_cli(registry, tmp_path, "devices", "--json").output)["failed"]
    assert {item["source"] for item in listed} == {"rtoc-web 0.1", "rtoc-dash 2.0"}


@attrs.frozen
class NoDefault:
    host: str


@attrs.frozen
class WrongDefault:
    port: Port = 0


@attrs.frozen
class NotJson:
    tags: frozenset[str] = frozenset({"a"})


@pytest.mark.parametrize(
    ("name", "cls", "error"),
    [
        ("tcp", WebSection, "ValueError: config section 'tcp' is one of rtoc-core's own"),
        ("we.b", WebSection, "ValueError: config section name 'we.b': expected a text"),
        ("web", dict, "TypeError: config section 'web': <class 'dict'> is not an attrs class"),
        ("web", NoDefault, "TypeError: config section 'web': NoDefault cannot be a section"),
        ("web", NotJson, "TypeError: config section 'web': NotJson cannot be a section"),
        (
            "web",
            WrongDefault,
            "ValueError: config section 'web': a default of WrongDefault is wrong: "
            "web.port: expected an integer from 1 to 65535, got 0",
        ),
    ],
)
def test_a_section_that_cannot_be_one_fails_its_plugin_only(name, cls, error):
    registry = registry_with(("rtoc-odd 1", {name: cls, "odd": WebSection}))

    sections = registry.config_sections()

    assert registry.plugins["rtoc-odd"].error.startswith(error)
    assert sections == {"odd": WebSection}


# --- frontends ---------------------------------------------------------------


class WebFrontend:
    name = "web"

    def __init__(self) -> None:
        self.section: WebSection | None = None

    def start(self, logger, config) -> None:
        self.section = config.section("web")

    def stop(self) -> None:
        pass


def test_rtoc_run_gives_a_frontend_its_typed_section(tmp_path):
    frontend = WebFrontend()
    registry = PluginRegistry.load(entry_points=False)
    plugin = make_plugin(
        rtoc_config_sections=lambda: {"web": WebSection},
        rtoc_frontends=lambda: [frontend],
    )
    registry.register(plugin, PluginInfo("web", "rtoc-web 0.1"))
    write_config(tmp_path, {"backup": {"active": False}, "web": {"active": True, "port": 8443}})

    runner = Runner(tmp_path, registry)
    runner.start(echo=lambda text: None)
    runner.stop(echo=lambda text: None)

    assert frontend.section == WebSection(active=True, port=8443)


@attrs.frozen
class Route:
    topic: str = ""
    qos: Literal[0, 1, 2] = 1


@attrs.frozen
class ListSection:
    patterns: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()


def test_a_list_field_takes_lists_and_names_a_bad_item_by_its_index(tmp_path: Path):
    data = {"lists": {"patterns": ["a.*", "b"], "routes": [{"topic": "x"}, {"qos": 2}]}}
    (tmp_path / "config.json").write_text(json.dumps(data))
    section = load_config(tmp_path, {"lists": ListSection}).section("lists")
    assert section == ListSection(("a.*", "b"), (Route("x"), Route(qos=2)))
    for value, named in [
        ({"patterns": "a.*"}, "lists.patterns: expected a list, got 'a.*'"),  # not its characters
        ({"patterns": ["a", 1]}, "lists.patterns[1]: expected a string, got 1"),
        ({"routes": [{}, {"qos": 3}]}, "lists.routes[1].qos: expected one of 0, 1, 2, got 3"),
    ]:
        (tmp_path / "config.json").write_text(json.dumps({"lists": value}))
        with pytest.raises(ConfigError) as raised:
            load_config(tmp_path, {"lists": ListSection})
        assert f"config.json: {named}" in str(raised.value)
