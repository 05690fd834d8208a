"""The ``rtoc`` command line: run the logger, list devices, edit the config, import, export,
install plugins, install the service."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click

from rtoc import __version__
from rtoc.config_cli import config_command
from rtoc.device import describe
from rtoc.io.cli import export_command, import_command
from rtoc.logformat import configure_logging
from rtoc.net.remote_cli import remote_command
from rtoc.net.script_cli import jobs_command, script_command
from rtoc.plugins import PluginRegistry
from rtoc.plugins_cli import install_command, plugins_command, uninstall_command
from rtoc.service_cli import service_command
from rtoc.users_cli import users_command

DEFAULT_HOME = "~/.RTOC"
DEMO_DEVICES = ("Generator", "System")

log = logging.getLogger("rtoc")


def _registry() -> PluginRegistry:
    return click.get_current_context().obj["registry"]


def _home() -> Path:
    return click.get_current_context().obj["home"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RTOC_HOME",
    default=DEFAULT_HOME,
    show_default=True,
    help="Folder with config.json, devices/ and the embedded database (env RTOC_HOME).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="rtoc")
@click.pass_context
def cli(ctx: click.Context, home: Path, verbose: int) -> None:
    """rtoc records measurement data from instruments and sensors, keeps it and acts on it."""
    configure_logging((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose + 1, 2)])
    home = home.expanduser().absolute()
    obj = ctx.ensure_object(dict)
    obj["home"] = home
    registry = obj.get("registry") or PluginRegistry.load()
    registry.load_user_devices(home / "devices")
    obj["registry"] = registry


@cli.command()
@click.option(
    "--demo", is_flag=True, help=f"Also start the demo devices ({', '.join(DEMO_DEVICES)})."
)
@click.option(
    "--device",
    "-d",
    "devices",
    multiple=True,
    metavar="NAME",
    help="Start this device (repeatable).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="DEVICE.PARAM=VALUE",
    help="Set a device parameter before it starts (repeatable), "
    "e.g. DPS5020.port=/dev/ttyUSB1; over $RTOC_HOME/deviceParameters.json.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, max=1e7, min_open=True),  # 1e300 overflows the wait
    help="Stop by itself after this many seconds.",
)
def run(
    demo: bool, devices: tuple[str, ...], assignments: tuple[str, ...], duration: float | None
) -> None:
    """Record until Ctrl-C or SIGTERM, then store everything and stop.

    Starts the devices named in $RTOC_HOME/autorun_devices, those given with
    --device, and with --demo a Generator and the System monitor, each with
    its parameters from $RTOC_HOME/deviceParameters.json and --set. Under
    systemd (rtoc service install) it tells systemd when it is ready and
    stopping, and pings its watchdog.
    """
    from rtoc.runner import Runner, RunnerError
    from rtoc.sdnotify import Watchdog, notify

    names = list(dict.fromkeys([*(DEMO_DEVICES if demo else ()), *devices]))
    try:
        runner = Runner(_home(), _registry(), names, assignments)
    except RunnerError as error:
        raise click.ClickException(str(error)) from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        runner.start(echo=click.echo)
    except RunnerError as error:  # e.g. a parameter value a device refuses
        runner.stop(echo=lambda _: None)
        raise click.ClickException(str(error)) from None
    click.echo("Press Ctrl-C to stop." if duration is None else f"Stopping after {duration:g} s.")
    notify("READY=1\nSTATUS=recording")
    watchdog = Watchdog().start()
    stop.wait(duration)
    notify("STOPPING=1\nSTATUS=storing what is left and stopping")
    watchdog.stop()
    if not runner.stop(echo=click.echo):
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def devices(as_json: bool) -> None:
    """List the devices every installed plugin provides, and plugins that failed."""
    registry = _registry()
    listing = []
    for name, entry in sorted(registry.devices.items()):
        description = describe(entry.cls)
        listing.append(
            {
                "name": name,
                "source": entry.plugin.source,
                "doc": description.doc.split("\n\n")[0],
                "parameters": {p.name: p.value for p in description.parameters},
                "functions": {f.name: f.signature for f in description.functions},
            }
        )
    failed = [{"plugin": p.name, "source": p.source, "error": p.error} for p in registry.failed]
    if as_json:
        click.echo(json.dumps({"devices": listing, "failed": failed}, indent=2, default=repr))
        return
    for item in listing:
        click.secho(item["name"], bold=True, nl=False)
        click.echo(f"  ({item['source']})")
        if item["doc"]:
            click.echo(f"    {item['doc']}")
        if item["parameters"]:
            params = ", ".join(f"{k}={v!r}" for k, v in item["parameters"].items())
            click.echo(f"    parameters: {params}")
        if item["functions"]:
            funcs = ", ".join(f"{k}{sig}" for k, sig in item["functions"].items())
            click.echo(f"    functions: {funcs}")
    for item in failed:
        click.secho(f"FAILED {item['plugin']}", fg="red", bold=True, nl=False)
        click.echo(f"  ({item['source']}): {item['error']}")


cli.add_command(config_command, "config")
cli.add_command(remote_command, "remote")
cli.add_command(script_command, "script")
cli.add_command(jobs_command, "jobs")
cli.add_command(users_command, "users")
cli.add_command(service_command, "service")
cli.add_command(import_command, "import")
cli.add_command(export_command, "export")
cli.add_command(plugins_command, "plugins")
cli.add_command(install_command, "install")
cli.add_command(uninstall_command, "uninstall")


def main() -> None:
    """Entry point of the ``rtoc`` script: plugins may add commands first."""
    registry = PluginRegistry.load()
    registry.add_commands(cli)
    cli(obj={"registry": registry})
