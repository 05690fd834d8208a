"""What ``rtoc run`` does between start and stop, separate from the command line.

:class:`Runner` reads the config, opens the storage backend, builds the
logger, starts devices and frontends, and on stop takes it all down in the
reverse order so that every accepted sample reaches storage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from rtoc.automation import automation
from rtoc.automation.rules import switch_off
from rtoc.config import AUTORUN_FILE, Config, ConfigError, load_config, read_autorun_devices
from rtoc.device import ParameterError
from rtoc.device_parameters import load_device_parameters, merged, parse_assignment
from rtoc.frontend import Frontend
from rtoc.hangguard import HangGuard, previous_hang
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
            self.config = load_config(home, registry.config_sections())
            assigned = [parse_assignment(text) for text in assignments]
            in_file = load_device_parameters(home)
        except (ConfigError, OSError) as error:
            raise RunnerError(str(error)) from None
        self.home = home
        self.registry = registry
        named = [*read_autorun_devices(home), *devices]
        self.device_names = list(dict.fromkeys(installed_name(name, registry) for name in named))
        unknown = [name for name in self.device_names if name not in registry.devices]
        if unknown:
            raise RunnerError(
                f"unknown device {', '.join(unknown)}; installed devices: {self._installed()}"
            )
        assigned = [(installed_name(d, registry), p, v) for d, p, v in assigned]
        for text, (name, _, _) in zip(assignments, assigned, strict=True):
            if name not in registry.devices:
                raise RunnerError(
                    f"--set {text}: unknown device {name}; installed devices: {self._installed()}"
                )
            if name not in self.device_names:
                raise RunnerError(
                    f"--set {text}: device {name} is not started here (add --device {name})"
                )
        in_file = {installed_name(name, registry): values for name, values in in_file.items()}
        #: the storage backend's name; "" when storage is off
        self.backend, storage = open_storage(self.config, home, registry)
        self.logger = Logger(self.config, storage=storage, plugins=registry, home=home)
        self.logger.device_parameters = merged(in_file, assigned)
        self.frontends: list[Frontend] = []
        self.hang_guard = HangGuard(self.config.global_.hangLimit, home)

    def start(self, echo: Echo = print) -> None:
        logger = self.logger
        hang = self._after_hang()
        self.hang_guard.start()
        try:
            logger.start()
        except StorageError as error:
            self.hang_guard.stop()
            raise RunnerError(f"cannot load stored data: {error}") from None
        if hang:
            logger.event(hang, device=automation.DEVICE, signal=automation.SIGNAL, priority=2)
            echo(hang)
        if logger.storage is None:
            echo("Storage is off (backup.active is false): data stays in memory only.")
        else:
            echo(f"Recording to {logger.storage.location} ({self.backend}).")
            if len(logger.store):
                echo(f"Loaded {len(logger.store)} signals and {len(logger.events)} events.")
        for line in logger.automation.summary():
            echo(line)
        self._start_devices(echo)
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

    def _start_devices(self, echo: Echo) -> None:
        """Attach every device with its parameters, then start them.

        A refused parameter value is the user's to fix: RunnerError before
        any device starts. A device that fails to build or start is an error
        event (printed by the event log) and the others go on.
        """
        logger = self.logger
        attached = []
        for name in self.device_names:
            try:
                attached.append((name, logger.attach_installed(name)))
            except ParameterError as error:
                raise RunnerError(str(error)) from None
            except Exception as error:  # one device that cannot start must not stop the rest
                logger.event(f"could not start: {error}", device=name, priority=2)
        for name, device in attached:
            try:
                device.start()
            except Exception as error:
                logger.event(f"could not start: {error}", device=name, priority=2)
            else:
                echo(f"Started {name}.")
        if not any(device.running for device in logger.devices.values()):
            sources = "TCP clients and scripts" if self.config.tcp.active else "scripts"
            echo(
                f"No device is running: only what {sources} send is recorded. Start one with "
                f"--device NAME (installed: {self._installed()}) or --demo, or name it in "
                f"{self.home / AUTORUN_FILE}."
            )

    def _installed(self) -> str:
        return ", ".join(sorted(self.registry.devices)) or "none"

    def stop(self, echo: Echo = print) -> bool:
        """Stop frontends, devices and storage; True when every sample was stored."""
        for frontend in reversed(self.frontends):
            try:
                frontend.stop()
            except Exception:
                log.exception("frontend %s failed to stop", getattr(frontend, "name", frontend))
        stored = self.logger.close()
        self.hang_guard.stop()
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

    def _after_hang(self) -> str:
        """What to say when the hang guard ended the previous run; switch off what hung."""
        report = previous_hang(self.home)
        if report is None:
            return ""
        message = (
            "The previous run hung (no Python ran for global.hangLimit seconds) and was "
            f"ended; every thread's traceback is in {report.path}."
        )
        switched = switch_off(self.home, report.running)
        if switched:
            message += " Switched off until you turn them on again: " + ", ".join(switched) + "."
        return message


def open_storage(
    config: Config, home: Path, registry: PluginRegistry
) -> tuple[str, Storage | None]:
    """(backend name, open storage) as ``backup.backend`` names it; PostgreSQL when
    ``postgresql.active``; ("", None) when storage is off. RunnerError when it cannot open.

    As in RTOC, an active ``postgresql`` section takes the backup over from
    the local store.
    """
    if config.postgresql.active:
        name, key = "postgresql", "postgresql.active"
    elif config.backup.active:
        name, key = config.backup.backend, "backup.backend"
    else:
        return "", None
    try:
        factory = registry.storage_backend(name)
    except LookupError as error:
        raise RunnerError(f"config.json: {key}: {error.args[0]}") from None
    try:
        return name, factory(config, home)
    except StorageError as error:
        raise RunnerError(str(error)) from None


def installed_name(name: str, registry: PluginRegistry) -> str:
    """The installed device ``name`` means, ignoring case when that is unambiguous
    (``generator`` is ``Generator``); ``name`` itself when none or several match."""
    if name in registry.devices:
        return name
    matches = [known for known in registry.devices if known.casefold() == name.casefold()]
    return matches[0] if len(matches) == 1 else name
