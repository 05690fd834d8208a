"""What ``rtoc run`` does between start and stop, separate from the command line.

:class:`Runner` reads the config, opens the storage backend, builds the
logger, starts devices and frontends, and on stop takes it all down in the
reverse order so that every accepted sample reaches storage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from rtoc.config import ConfigError, load_config, read_autorun_devices
from rtoc.device_parameters import load_device_parameters, merged, parse_assignment
from rtoc.frontend import Frontend
from rtoc.homelock import HomeInUse, HomeLock
from rtoc.logger import Logger
from rtoc.plugins import PluginRegistry
from rtoc.storage.base import Storage, StorageError

log = logging.getLogger("rtoc")

Echo = Callable[[str], None]


class RunnerError(Exception):
    """rtoc cannot start: bad config, unknown device or storage backend, storage failure."""


class Runner:
    """One ``rtoc run``: config → storage → logger → devices → frontends."""

    def __init__(
        self,
        home: Path,
        registry: PluginRegistry,
        devices: Sequence[str] = (),
        assignments: Sequence[str] = (),
    ) -> None:
        """``assignments``: ``DEVICE.PARAMETER=VALUE`` texts (``rtoc run --set``).

        Holds ``home`` (see :mod:`rtoc.homelock`) until :meth:`stop`.
        """
        try:
            home.mkdir(parents=True, exist_ok=True)
            self.lock = HomeLock(home)
            self.lock.acquire()
        except HomeInUse as error:
            raise RunnerError(str(error)) from None
        except OSError as error:
            raise RunnerError(f"cannot use {home}: {error}") from None
        try:
            self._build(home, registry, devices, assignments)
        except BaseException:
            self.lock.release()
            raise

    def _build(
        self,
        home: Path,
        registry: PluginRegistry,
        devices: Sequence[str],
        assignments: Sequence[str],
    ) -> None:
        try:
            self.config = load_config(home)
            assigned = [parse_assignment(text) for text in assignments]
            parameters = merged(load_device_parameters(home), assigned)
        except (ConfigError, OSError) as error:
            raise RunnerError(str(error)) from None
        self.home = home
        self.registry = registry
        self.device_names = list(dict.fromkeys([*read_autorun_devices(home), *devices]))
        unknown = [name for name in self.device_names if name not in registry.devices]
        if unknown:
            known = ", ".join(sorted(registry.devices)) or "none"
            raise RunnerError(f"unknown device {', '.join(unknown)}; installed devices: {known}")
        for text, (device, _, _) in zip(assignments, assigned, strict=True):
            if device not in self.device_names:
                raise RunnerError(
                    f"--set {text}: device {device} is not started here (add --device {device})"
                )
        self.backend = ""  # the storage backend's name, once one is open
        storage = self._open_storage()
        self.logger = Logger(self.config, storage=storage, plugins=registry, home=home)
        self.logger.device_parameters = parameters
        self.frontends: list[Frontend] = []

    def _open_storage(self) -> Storage | None:
        """The backend ``backup.backend`` names; PostgreSQL when ``postgresql.active``.

        As in RTOC, an active ``postgresql`` section takes the backup over
        from the local store.
        """
        config = self.config
        if config.postgresql.active:
            name, key = "postgresql", "postgresql.active"
        elif config.backup.active:
            name, key = config.backup.backend, "backup.backend"
        else:
            return None
        self.backend = name
        backends = self.registry.storage_backends()
        factory = backends.get(name)
        if factory is None:
            hint = " (pip install rtoc-postgres)" if name == "postgresql" else ""
            raise RunnerError(
                f"config.json: {key}: no storage backend {name!r}{hint}; "
                f"installed: {', '.join(sorted(backends))}"
            )
        try:
            return factory(config, self.home)
        except StorageError as error:
            raise RunnerError(str(error)) from None

    def start(self, echo: Echo = print) -> None:
        logger = self.logger
        try:
            logger.start()
        except StorageError as error:
            raise RunnerError(f"cannot load stored data: {error}") from None
        if logger.storage is None:
            echo("Storage is off (backup.active is false): data stays in memory only.")
        else:
            echo(f"Recording to {logger.storage.location} ({self.backend}).")
            if len(logger.store):
                echo(f"Loaded {len(logger.store)} signals and {len(logger.events)} events.")
        for line in logger.automation.summary():
            echo(line)
        for name in self.device_names:
            try:
                logger.start_device(name)
            except Exception as error:  # one device that cannot start must not stop the rest
                logger.event(f"{name} could not start: {error}", device=name, priority=2)
                echo(f"Device {name} could not start: {error}")
            else:
                echo(f"Started {name}.")
        for failed in self.registry.failed:
            echo(f"Plugin {failed.name} ({failed.source}) failed to load: {failed.error}")
        for frontend in self.registry.frontends():
            try:
                frontend.start(logger, self.config)
            except Exception as error:
                log.exception("frontend %s failed to start", getattr(frontend, "name", frontend))
                echo(f"Frontend {getattr(frontend, 'name', frontend)} failed to start: {error}")
            else:
                self.frontends.append(frontend)

    def stop(self, echo: Echo = print) -> bool:
        """Stop frontends, devices and storage; True when every sample was stored."""
        for frontend in reversed(self.frontends):
            try:
                frontend.stop()
            except Exception:
                log.exception("frontend %s failed to stop", getattr(frontend, "name", frontend))
        stored = self.logger.close()
        writer = self.logger.writer
        if writer is not None:
            stats = writer.stats
            verdict = "everything stored" if stored else f"{writer.backlog} samples NOT stored"
            echo(
                f"Stopped: {stats.samples_written} samples and {stats.events_written} events "
                f"written this run, {verdict}."
            )
        self.lock.release()
        return stored
