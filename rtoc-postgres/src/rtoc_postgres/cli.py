"""``rtoc postgres status|prune|resample``: look after the database by hand.

They read ``postgresql`` from the home folder's config.json, as ``rtoc run``
does, and work whether or not a logger is running.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from rtoc.config import Config, ConfigError, load_config
from rtoc.storage.base import StorageError
from rtoc_postgres.maintenance import DAY
from rtoc_postgres.plugin import SPOOL_FILE, connection_settings
from rtoc_postgres.spool import Spool
from rtoc_postgres.storage import PostgresStorage, describe

T = TypeVar("T")


def _home() -> Path:
    return click.get_current_context().obj["home"]


def _config() -> Config:
    registry = click.get_current_context().obj["registry"]
    try:
        return load_config(_home(), registry.config_sections())
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _on_database(config: Config, action: Callable[[PostgresStorage], T]) -> T:
    """``action(database)`` on a connection of its own; a StorageError is a clear exit.

    No ``postgresql.timeout`` here: thinning by hand may take long, and Ctrl-C ends it.
    """
    try:
        database = PostgresStorage(connection_settings(config), timeout=None)
        try:
            return action(database)
        finally:
            database.close()
    except StorageError as error:
        raise click.ClickException(str(error)) from None


def _spooled(config: Config) -> int | None:
    """Samples waiting in the spool file, or None when there is none."""
    path = _home() / SPOOL_FILE
    if not path.exists():
        return None
    spool = Spool(path, config.postgresql.spoolLimit, config.postgresql.spoolKeep)
    try:
        return spool.samples
    finally:
        spool.close()


@click.group("postgres")
def postgres_command() -> None:
    """The PostgreSQL database of rtoc-postgres: status, retention, resampling."""


@postgres_command.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(as_json: bool) -> None:
    """Where the database is, what it holds, and what waits in the local spool."""
    config = _config()
    section = config.postgresql
    report: dict[str, Any] = {
        "location": describe(connection_settings(config), "rtoc"),
        "active": section.active,
        "spooled": _spooled(config),
        "keepDays": section.keepDays,
        "resampleAfterDays": section.resampleAfterDays,
        "resampleRate": section.resampleRate,
    }
    try:
        database = PostgresStorage(connection_settings(config), timeout=section.timeout)
    except StorageError as error:
        report["reachable"], report["error"] = False, str(error)
    else:
        try:
            report["reachable"] = True
            report.update(database.summary())
        finally:
            database.close()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(_text(report))
    if not report["reachable"]:
        raise SystemExit(1)


def _text(report: dict[str, Any]) -> str:
    lines = [f"{report['location']} ({'active' if report['active'] else 'not active'})"]
    if report["reachable"]:
        span = "nothing stored"
        if report["first"] is not None:
            span = f"{_when(report['first'])} to {_when(report['last'])}"
        lines += [
            f"schema version {report['schema_version']}, {report['bytes'] / 1e6:.1f} MB",
            f"{report['samples']} samples in {report['signals']} signals of "
            f"{report['devices']} devices, {report['events']} events; {span}",
        ]
    else:
        lines.append(f"not reachable: {report['error']}")
    spooled = report["spooled"]
    lines.append(
        "no spool file" if spooled is None else f"{spooled} samples wait in the local spool"
    )
    rules = []
    if report["resampleAfterDays"] > 0:
        rules.append(
            f"resample after {report['resampleAfterDays']:g} days to {report['resampleRate']:g} Hz"
        )
    if report["keepDays"] > 0:
        rules.append(f"delete after {report['keepDays']:g} days")
    lines.append("kept: " + ("; ".join(rules) if rules else "everything, at full rate"))
    return "\n".join(lines)


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _days_ago(days: float) -> float:
    return time.time() - days * DAY


_DAYS = click.FloatRange(min=0, min_open=True)


@postgres_command.command()
@click.option("--days", type=_DAYS, help="Older than this (default: postgresql.keepDays).")
def prune(days: float | None) -> None:
    """Delete samples and events older than some days."""
    config = _config()
    days = days or config.postgresql.keepDays
    if not days:
        raise click.UsageError("give --days, or set postgresql.keepDays")
    deleted = _on_database(config, lambda database: database.delete_before(_days_ago(days)))
    click.echo(f"Deleted {deleted} samples older than {days:g} days.")


@postgres_command.command()
@click.option("--days", type=_DAYS, help="Older than this (default: postgresql.resampleAfterDays).")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Samples per second to keep (default: postgresql.resampleRate).",
)
def resample(days: float | None, rate: float | None) -> None:
    """Keep one mean sample per 1/rate seconds of data older than some days."""
    config = _config()
    days = days or config.postgresql.resampleAfterDays
    rate = rate or config.postgresql.resampleRate
    if not days:
        raise click.UsageError("give --days, or set postgresql.resampleAfterDays")
    before, after = _on_database(
        config, lambda database: database.resample_before(_days_ago(days), rate)
    )
    click.echo(f"Resampled {before} samples older than {days:g} days to {after} ({rate:g} Hz).")
