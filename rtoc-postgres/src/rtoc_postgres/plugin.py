"""Registers the ``postgresql`` storage backend with rtoc."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rtoc
from rtoc_postgres.maintenance import Maintenance, Policy
from rtoc_postgres.spool import Spool
from rtoc_postgres.spooled import SpooledStorage
from rtoc_postgres.storage import PostgresStorage, describe

if TYPE_CHECKING:
    from rtoc.config import Config


def connection_settings(config: Config) -> dict[str, Any]:
    """psycopg2 keyword arguments from config.json's ``postgresql`` section."""
    section = config.postgresql
    settings: dict[str, Any] = {
        "host": section.host,
        "port": section.port,
        "user": section.user,
        "dbname": section.database,
        "application_name": f"rtoc {config.global_.name}",
    }
    if section.password:
        settings["password"] = section.password
    return settings


#: The spool file in ``$RTOC_HOME`` (see :mod:`rtoc_postgres.spool`).
SPOOL_FILE = "postgresql-spool.sqlite"


def open_postgres(config: Config, home: Path) -> SpooledStorage:
    """The backend ``rtoc run`` uses: the database, behind a spool for outages."""
    settings = connection_settings(config)
    section = config.postgresql
    spool = Spool(home / SPOOL_FILE, section.spoolLimit, section.spoolKeep)
    policy = retention_policy(config)
    connect = functools.partial(PostgresStorage, settings, timeout=section.timeout)
    # maintenance may run long; closing cuts it (see rtoc_postgres.maintenance)
    maintain = functools.partial(PostgresStorage, settings, timeout=None)
    return SpooledStorage(
        connect,
        spool,
        describe(settings, "rtoc"),
        maintenance=Maintenance(maintain, policy) if policy.active else None,
    )


def retention_policy(config: Config) -> Policy:
    section = config.postgresql
    return Policy(section.keepDays, section.resampleAfterDays, section.resampleRate)


def open_postgres_reader(config: Config, home: Path) -> PostgresStorage:
    """What ``rtoc web`` standalone reads: the database directly, no spool, no maintenance.

    It connects like the logger does (and checks the schema version), so
    samples the loggers store show on the next read.
    """
    return PostgresStorage(connection_settings(config), timeout=config.postgresql.timeout)


@rtoc.hookimpl
def rtoc_storage_backends() -> dict[str, Any]:
    return {"postgresql": open_postgres}


@rtoc.hookimpl
def rtoc_storage_readers() -> dict[str, Any]:
    return {"postgresql": open_postgres_reader}


@rtoc.hookimpl
def rtoc_cli(cli: Any) -> None:
    from rtoc_postgres.cli import postgres_command

    cli.add_command(postgres_command)
