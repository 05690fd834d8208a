"""rtoc's hook for the desktop program: the ``rtoc gui`` command.

Importing this module needs neither PyQt5 nor pyqtgraph, so a broken Qt
installation is a clear message from ``rtoc gui``, not a failed plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

import rtoc

if TYPE_CHECKING:
    from rtoc.config import Config
    from rtoc.net.remote import RemoteLogger
    from rtoc.plugins import PluginRegistry


#: Seconds a remote request may take before the window shows the connection as lost.
REMOTE_TIMEOUT = 5.0


@rtoc.hookimpl
def rtoc_cli(cli: click.Group) -> None:
    cli.add_command(gui_command, "gui")


def require_qt() -> None:
    """ClickException naming what to install when PyQt5 or pyqtgraph cannot be imported."""
    try:
        import pyqtgraph  # noqa: F401
        from PyQt5 import QtWidgets  # noqa: F401
    except ImportError as error:
        raise click.ClickException(
            f"rtoc gui needs PyQt5 and pyqtgraph, which cannot be imported ({error}). "
            "Install them with: pip install rtoc-gui"
        ) from None


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` as (host, port)."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise click.BadParameter(f"{text!r} is not HOST[:PORT]", param_hint="--remote")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        if not number.isdigit():
            raise click.BadParameter(f"{text!r} is not HOST[:PORT]", param_hint="--remote")
        port = int(number)
    if not host or not 1 <= port <= 65535:
        raise click.BadParameter(f"{text!r} is not HOST[:PORT]", param_hint="--remote")
    return host, port


def connect(address: str, password: str | None, config: Config) -> RemoteLogger:
    """A RemoteLogger that has answered once; ClickException saying why not."""
    from rtoc.net.client import AuthenticationError, RemoteError
    from rtoc.net.remote import RemoteLogger

    host, port = parse_address(address, config.tcp.port)
    try:
        # every read of the window is bucketed and small: a request that takes longer
        # than this means the server or the network is gone, and the window says so
        remote = RemoteLogger(host, port, password, timeout=REMOTE_TIMEOUT)
    except OSError as error:
        raise click.ClickException(
            f"cannot reach an rtoc logger at {host}:{port}: {error}. Is `rtoc run` running "
            "there with tcp.active on?"
        ) from None
    try:
        remote.signal_infos()
    except (AuthenticationError, RemoteError, OSError) as error:
        remote.close()
        hint = "; --password asks for it" if isinstance(error, AuthenticationError) else ""
        raise click.ClickException(f"{host}:{port}: {error}{hint}") from None
    return remote


@click.command()
@click.option(
    "--remote",
    metavar="HOST[:PORT]",
    help="Show the logger running there (its TCP server, tcp.active) instead of one "
    "started here; PORT defaults to tcp.port.",
)
@click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help="Ask for the remote logger's TCP password (default: tcp.password of this config).",
)
@click.option(
    "--device",
    "-d",
    "devices",
    multiple=True,
    metavar="NAME",
    help="Also start this device (repeatable; local mode).",
)
@click.pass_context
def gui_command(
    ctx: click.Context, remote: str | None, ask_password: bool, devices: tuple[str, ...]
) -> None:
    """Open the desktop program on a logger started here (with the devices of
    $RTOC_HOME/autorun_devices) or, with --remote, on one running elsewhere."""
    require_qt()
    from rtoc_gui.app import no_display

    reason = no_display()
    if reason:
        raise click.ClickException(reason)
    obj = ctx.ensure_object(dict)
    home: Path = obj["home"]
    registry: PluginRegistry = obj["registry"]
    if remote is not None:
        if devices:
            raise click.UsageError("--device starts devices here; it does not go with --remote")
        _remote(remote, ask_password, home, registry)
    else:
        if ask_password:
            raise click.UsageError("--password is the remote logger's; it needs --remote")
        _local(home, registry, devices)


def _remote(address: str, ask_password: bool, home: Path, registry: PluginRegistry) -> None:
    from rtoc.config import ConfigError, load_config
    from rtoc_gui.app import run

    try:
        config = load_config(home, registry.config_sections())
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    password = (
        click.prompt("Password", hide_input=True, default="", show_default=False)
        if ask_password
        else config.tcp.password
    )
    logger = connect(address, password or None, config)
    host, port = logger.client.host, logger.client.port
    from rtoc_gui.network import remember_remote

    problem = remember_remote(home, logger, registry.config_sections())
    if problem:
        click.echo(problem, err=True)
    try:
        code = run(
            logger,
            f"{host}:{port}",
            config.gui,
            local=False,
            home=home,
            plugins=registry,
            echo=click.echo,
        )
    finally:
        logger.close()
    if code:
        raise SystemExit(code)


def _local(home: Path, registry: PluginRegistry, devices: tuple[str, ...]) -> None:
    from rtoc.runner import Runner, RunnerError
    from rtoc_gui.app import run

    try:
        runner = Runner(home, registry, devices)
    except RunnerError as error:
        raise click.ClickException(str(error)) from None
    try:
        runner.start(echo=click.echo)
    except RunnerError as error:
        runner.stop(echo=lambda _: None)
        raise click.ClickException(str(error)) from None
    try:
        code = run(
            runner.logger,
            "this computer",
            runner.config.gui,
            local=True,
            home=home,
            plugins=registry,
            echo=click.echo,
        )
    finally:
        runner.stop(echo=click.echo)
    if code:
        raise SystemExit(code)
