"""``rtoc service install|print|uninstall``: rtoc run as a systemd service."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rtoc.service import (
    UNIT_NAME,
    ServiceError,
    Unit,
    install,
    run_systemctl,
    systemd_running,
    uninstall,
    unit_for,
)

__all__ = ["service_command"]

NO_SYSTEMD = "This machine does not run systemd (no /run/systemd/system)"


def _unit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--user/--system",
        "user",
        default=True,
        help="A service of this user (default; ~/.config/systemd/user) or of the system "
        "(/etc/systemd/system, needs root; runs as the user who asked).",
    )
    @click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The folder the service records in (default: rtoc's --home).",
    )
    @functools.wraps(command)
    def wrapped(user: bool, home: Path | None, **kwargs: Any) -> Any:
        home = home or click.get_current_context().find_root().obj["home"]
        return command(unit_for(home, system=not user), **kwargs)

    return wrapped


@click.group()
def service_command() -> None:
    """Run rtoc as a systemd service (Type=notify, restarted when it fails or hangs)."""


@service_command.command("print")
@_unit_options
def print_command(unit: Unit) -> None:
    """Show the unit file install would write, and where."""
    click.echo(f"# {unit.path()}")
    click.echo(unit.text(), nl=False)


@service_command.command("install")
@_unit_options
def install_command(unit: Unit) -> None:
    """Write the unit file and have systemd load it."""
    try:
        path = install(unit)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {path}.")
    if not systemd_running():
        click.echo(f"{NO_SYSTEMD}: nothing loads the unit here. Its text:\n")
        click.echo(unit.text(), nl=False)
        return
    problem = run_systemctl(unit, "daemon-reload")
    if problem:
        raise click.ClickException(f"the unit is written but systemd did not reload: {problem}")
    enable = " ".join(unit.systemctl("enable", "--now", UNIT_NAME.removesuffix(".service")))
    click.echo(f"Start it now and at every boot with: {enable}")
    if not unit.system:
        click.echo(
            f"A user's service runs while the user is logged in; to run it from boot: "
            f"loginctl enable-linger {unit.user}"
        )


@service_command.command("uninstall")
@_unit_options
def uninstall_command(unit: Unit) -> None:
    """Stop the service, disable it and remove its unit file."""
    running = systemd_running()
    if running and unit.path().exists():
        problem = run_systemctl(unit, "disable", "--now", UNIT_NAME)
        if problem:
            click.echo(f"Could not stop and disable it: {problem}", err=True)
    try:
        path = uninstall(unit)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Removed {path}.")
    if not running:
        click.echo(f"{NO_SYSTEMD}: there was no service to stop.")
        return
    problem = run_systemctl(unit, "daemon-reload")
    if problem:
        raise click.ClickException(f"the unit is removed but systemd did not reload: {problem}")
