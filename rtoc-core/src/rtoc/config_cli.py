"""``rtoc config``: show, read and change ``$RTOC_HOME/config.json`` from the command line.

The sections installed distributions register work as the core's do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from rtoc.config import (
    ConfigError,
    change_config_file,
    config_to_dict,
    get_value,
    load_config,
    save_change,
)
from rtoc.plugins import PluginRegistry

__all__ = ["config_command"]


def _home() -> Path:
    """The home directory set by the parent ``rtoc`` group, else $RTOC_HOME or ~/.RTOC."""
    obj = click.get_current_context().obj
    if obj is None:
        return Path(os.environ.get("RTOC_HOME", "~/.RTOC")).expanduser()
    return obj["home"]


@contextmanager
def _reported() -> Iterator[None]:
    """Turn config and file errors into a one-line message and exit code 1."""
    try:
        yield
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: {exc.strerror}") from exc


def _registry() -> PluginRegistry:
    """The parent ``rtoc`` group's plugins, else those installed."""
    obj = click.get_current_context().obj or {}
    return obj.get("registry") or PluginRegistry.load()


def _echo_json(value: Any, indent: int | None = None) -> None:
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False))


@click.group("config")
def config_command() -> None:
    """Show, read and change config.json in the rtoc home directory."""


@config_command.command("show")
def show() -> None:
    """Print the whole configuration as JSON."""
    with _reported():
        config = load_config(_home(), _registry().config_sections())
        _echo_json(config_to_dict(config), indent=2)


@config_command.command("get")
@click.argument("key")
def get(key: str) -> None:
    """Print the value of KEY (SECTION.KEY, e.g. tcp.port) as JSON."""
    with _reported():
        _echo_json(get_value(load_config(_home(), _registry().config_sections()), key))


@config_command.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
def set_(key: str, value: str) -> None:
    """Set KEY (SECTION.KEY, e.g. tcp.port) to VALUE, read as JSON, and save.

    VALUE may be a number, true/false, a JSON list or object, or plain text.
    A file with wrong values elsewhere is changed all the same (so each can
    be repaired this way), and what is still wrong is shown.
    """
    home = _home()
    registry = _registry()
    with _reported():
        change = change_config_file(home, key, value, registry.config_sections())
        if key == "backup.backend":
            try:
                registry.storage_backend(change.value)
            except LookupError as error:
                raise ConfigError(f"config.json: {key}: {error.args[0]}") from None
        save_change(change, home)
        _echo_json(change.value)
        if change.problems:
            click.echo(f"Saved; config.json still has wrong values:\n{change.problems}", err=True)
