"""``rtoc plugins``, ``rtoc install``, ``rtoc uninstall``: the plugin distributions of this
environment, and pip run on them (:mod:`rtoc.plugin_installer`)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import click

from rtoc.plugin_installer import (
    IndexOptions,
    InstallerError,
    PipResult,
    install,
    installed_plugins,
    uninstall,
)
from rtoc.plugins import PluginRegistry

__all__ = ["install_command", "plugins_command", "uninstall_command"]


def _registry() -> PluginRegistry:
    """The parent ``rtoc`` group's plugins, else those installed."""
    obj = click.get_current_context().obj or {}
    return obj.get("registry") or PluginRegistry.load()


@contextmanager
def _reported() -> Iterator[None]:
    """A refused request as its message and exit code 1."""
    try:
        yield
    except InstallerError as error:
        raise click.ClickException(str(error)) from None


def _finish(result: PipResult, restart: str) -> None:
    """Print what was done and, when something changed, ``restart``; when pip failed the end
    of its output too. Exit 1 on any failure."""
    for message in result.messages:
        click.echo(message)
    if result.changed:
        click.echo(restart)
    if result.pip_exit:
        click.echo("pip's output ended with:", err=True)
        click.echo(textwrap.indent(result.tail(), "    "), err=True)
    if not result.ok:
        raise SystemExit(1)


def _note(line: str) -> None:
    click.echo(line, err=True)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def plugins_command(as_json: bool) -> None:
    """List the installed rtoc plugin distributions: version, what they provide, errors.

    A plugin distribution is one with an entry point in the group 'rtoc';
    rtoc-core comes first with what it brings itself.
    """
    listing = installed_plugins(_registry())
    if as_json:
        click.echo(json.dumps({"plugins": [row.to_json() for row in listing]}, indent=2))
        return
    for row in listing:
        click.secho(f"{row.distribution} {row.version}", bold=True, nl=False)
        points = ", ".join(row.entry_points)
        click.echo("  (rtoc itself)" if row.core else f"  (entry points: {points})")
        for kind, names in row.provides.items():
            click.echo(f"    {kind.replace('_', ' ')}: {', '.join(names)}")
        for error in row.errors:
            click.secho(f"    FAILED {error}", fg="red")


_find_links = click.option(
    "--find-links",
    "-f",
    "find_links",
    multiple=True,
    metavar="DIR",
    help="Also look for wheels in this folder or at this URL (repeatable; pip's option).",
)
_no_index = click.option(
    "--no-index", is_flag=True, help="Look only in --find-links, not on PyPI (pip's option)."
)
_index_url = click.option(
    "--index-url", "-i", metavar="URL", help="Another package index than PyPI (pip's option)."
)


@click.command("install")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--upgrade",
    "-U",
    is_flag=True,
    help="Upgrade the plugins named, or with no NAME every installed rtoc plugin.",
)
@_find_links
@_no_index
@_index_url
def install_command(
    names: tuple[str, ...],
    upgrade: bool,
    find_links: tuple[str, ...],
    no_index: bool,
    index_url: str | None,
) -> None:
    """Install rtoc plugins with pip into the environment rtoc runs in.

    NAME is a distribution, optionally with a version (foo>=1.2). A NAME not
    starting with rtoc- means the first found of rtoc-device-NAME, rtoc-NAME
    and NAME: 'rtoc install dps5020' installs rtoc-device-dps5020. A
    distribution with no entry point in the group 'rtoc' is no plugin and is
    uninstalled again. Restart rtoc afterwards to load what was installed.
    """
    with _reported():
        index = IndexOptions(find_links, no_index, index_url)
        result = install(names, upgrade=upgrade, index=index, note=_note)
    _finish(result, "Restart rtoc to load the new plugins.")


@click.command("uninstall")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def uninstall_command(names: tuple[str, ...]) -> None:
    """Uninstall rtoc plugins with pip (short names as for 'rtoc install').

    Only plugins: rtoc-core and distributions with no entry point in the
    group 'rtoc' are refused, and then nothing is removed.
    """
    with _reported():
        result = uninstall(names, note=_note)
    _finish(result, "Restart rtoc to unload the removed plugins.")
