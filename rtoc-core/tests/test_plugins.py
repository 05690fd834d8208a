"""The plugin registry: hooks called one plugin at a time, failures isolated."""

from __future__ import annotations

import types

import click
import pytest
from click.testing import CliRunner

import rtoc
from rtoc.logger import Logger
from rtoc.plugins import PluginInfo, PluginRegistry
from rtoc.storage.memory import MemoryStorage


class Thermo(rtoc.Device):
    """Reads a temperature."""


class Recorder:
    name = "recorder"

    def __init__(self):
        self.started_with = None
        self.stopped = False

    def start(self, logger, config):
        self.started_with = (logger, config)

    def stop(self):
        self.stopped = True


def make_plugin(**hooks) -> types.SimpleNamespace:
    """An object with the given functions as hook implementations."""
    return types.SimpleNamespace(**{name: rtoc.hookimpl(fn) for name, fn in hooks.items()})


@pytest.fixture
def registry() -> PluginRegistry:
    return PluginRegistry.load(entry_points=False)


def test_builtin_plugin_provides_demo_devices_and_storage(registry):
    assert {"Generator", "System"} <= registry.devices.keys()
    assert registry.devices["Generator"].plugin.source == f"rtoc-core {rtoc.__version__}"
    assert {"sqlite", "memory"} <= registry.storage_backends().keys()
    assert [frontend.name for frontend in registry.frontends()] == ["tcp"]
    assert registry.failed == []


def test_every_hook_reaches_a_registered_plugin(registry):
    seen_events = []
    frontend = Recorder()
    plugin = make_plugin(
        rtoc_devices=lambda: [Thermo],
        rtoc_storage_backends=lambda: {"mem2": lambda config, home: MemoryStorage()},
        rtoc_frontends=lambda: [frontend],
        rtoc_script_namespace=lambda logger: {"kelvin": lambda c: c + 273.15},
        rtoc_event=lambda logger, event: seen_events.append(event.text),
        rtoc_cli=lambda cli: cli.add_command(click.Command("hello", callback=lambda: None)),
    )
    registry.register(plugin, PluginInfo("thermo", "rtoc-device-thermo 1.0"))
    registry.collect_devices()

    assert registry.devices["Thermo"].plugin.source == "rtoc-device-thermo 1.0"
    assert "mem2" in registry.storage_backends()
    assert registry.frontends()[-1] is frontend
    logger = Logger(plugins=registry)
    assert registry.script_namespace(logger)["kelvin"](0) == 273.15
    logger.event("it happened")
    assert seen_events == ["it happened"]
    group = click.Group()
    registry.add_commands(group)
    assert "hello" in group.commands


def test_a_plugin_raising_in_a_hook_is_listed_failed_and_others_work(registry):
    def broken_devices():
        raise RuntimeError("driver library missing")

    registry.register(make_plugin(rtoc_devices=broken_devices), PluginInfo("bad", "rtoc-bad 0.1"))
    registry.register(make_plugin(rtoc_devices=lambda: [Thermo]), PluginInfo("good", "rtoc-good 1"))
    registry.collect_devices()
    assert "Thermo" in registry.devices
    [failed] = registry.failed
    assert failed.name == "bad"
    assert failed.error == "RuntimeError: driver library missing"
    assert "Traceback" in failed.traceback


def test_event_hook_failure_does_not_lose_the_event(registry):
    def explode(logger, event):
        raise ValueError("notifier down")

    registry.register(make_plugin(rtoc_event=explode), PluginInfo("notify", "rtoc-notify 1"))
    logger = Logger(plugins=registry)
    logger.event("kept")
    assert [e.text for e in logger.events] == ["kept"]
    assert registry.plugins["notify"].error == "ValueError: notifier down"


def test_same_device_name_from_two_plugins(registry):
    class Other(rtoc.Device):
        name = "Thermo"

    registry.register(make_plugin(rtoc_devices=lambda: [Thermo]), PluginInfo("one", "one 1"))
    registry.register(make_plugin(rtoc_devices=lambda: [Other]), PluginInfo("two", "two 1"))
    registry.collect_devices()
    assert registry.devices["Thermo"].cls is Thermo
    assert "already provided by one 1" in registry.plugins["two"].error


def test_a_non_device_class_is_refused(registry):
    registry.register(make_plugin(rtoc_devices=lambda: [dict]), PluginInfo("odd", "odd 1"))
    registry.collect_devices()
    assert "is not a subclass of rtoc.Device" in registry.plugins["odd"].error


def test_registering_twice_is_a_failure_not_a_crash(registry):
    plugin = make_plugin(rtoc_devices=lambda: [Thermo])
    registry.register(plugin, PluginInfo("p", "p 1"))
    registry.register(plugin, PluginInfo("p2", "p 1"))
    assert registry.plugins["p2"].error.startswith("ValueError")


def test_plugin_commands_appear_in_rtoc(tmp_path):
    registry = PluginRegistry.load(entry_points=False)

    def add_hello(cli):
        @cli.command()
        def hello():
            """Say hello."""
            click.echo("hello from a plugin")

    registry.register(make_plugin(rtoc_cli=add_hello), PluginInfo("hello", "rtoc-hello 1"))
    from rtoc.cli import cli

    registry.add_commands(cli)
    try:
        result = CliRunner().invoke(
            cli, ["--home", str(tmp_path), "hello"], obj={"registry": registry}
        )
    finally:
        cli.commands.pop("hello", None)
    assert result.exit_code == 0, result.output
    assert result.output == "hello from a plugin\n"


def test_rtoc_plugins_telegram_send_reaches_the_hook_and_warns_only_when_unhandled(
    registry, caplog
):
    from rtoc.compat.loggerplugin import LoggerPlugin

    class Greenhouse(LoggerPlugin):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.setDeviceName("Greenhouse")

    sent = []
    logger = Logger(plugins=registry)
    plugin = Greenhouse(logger)
    with caplog.at_level("WARNING", logger="rtoc.compat.loggerplugin"):
        plugin.telegram_send_document("/tmp/nobody-takes-this.csv")
    assert "no Telegram frontend handles telegram_send_document" in caplog.text

    def take(logger, device, kind, content, only_admin):
        sent.append((device, kind, content, only_admin))
        return True

    registry.register(make_plugin(rtoc_telegram_send=take), PluginInfo("bot", "rtoc-bot 1"))
    caplog.clear()
    with caplog.at_level("WARNING", logger="rtoc.compat.loggerplugin"):
        plugin.telegram_send_message("window open", onlyAdmin=True)
        plugin.telegram_send_photo("/tmp/plot.png")
    assert sent == [
        ("Greenhouse", "message", "window open", True),
        ("Greenhouse", "photo", "/tmp/plot.png", False),
    ]
    assert caplog.text == ""
