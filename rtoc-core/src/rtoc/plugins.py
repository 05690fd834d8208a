"""Finding and calling plugins: built-ins, entry points, and ``$RTOC_HOME/devices``.

Plugins come from three places, in this order:

1. rtoc-core's own :mod:`rtoc.builtin` (Generator, System, sqlite, memory);
2. every installed distribution with an entry point in the group ``rtoc``;
3. RTOC-style device files and folders in ``$RTOC_HOME/devices/``.

A device in ``$RTOC_HOME/devices/`` named like one that a built-in or an
installed distribution provides takes the name, with a warning that it
replaces that one: the user put it there on purpose (typically RTOC's own
copy of a plugin such as ``System``), and RTOC scripts, events and stored
signals know the device by that name. Any other clash of names fails the
later plugin.

One broken plugin never takes the others down: a plugin that fails to import,
to register, or inside one of its hooks is logged and listed as failed with
its error, and everything else keeps working. Hooks are therefore called one
implementation at a time (:meth:`PluginRegistry.call_each`) instead of through
pluggy's all-or-nothing hook call.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from rtoc import hookspecs
from rtoc.config import Sections, check_section_class
from rtoc.device import Device, class_device_name

if TYPE_CHECKING:
    import click

    from rtoc.events import Event
    from rtoc.frontend import Frontend
    from rtoc.io.formats import Exporter, Importer
    from rtoc.logger import Logger
    from rtoc.storage.base import StorageFactory

log = logging.getLogger("rtoc.plugins")

ENTRY_POINT_GROUP = "rtoc"


@attrs.frozen
class PluginInfo:
    """Where a plugin came from and whether it loaded."""

    name: str
    source: str  # "rtoc-core 0.1.0", "rtoc-device-foo 1.2" or a path
    error: str | None = None
    traceback: str | None = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen
class DeviceEntry:
    """A device class some plugin provides, under the name it is started by."""

    name: str
    cls: type[Device]
    plugin: PluginInfo
    user: bool = False  # from $RTOC_HOME/devices


def _describe_failure(error: BaseException) -> tuple[str, str]:
    return f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error))


class PluginRegistry:
    """The pluggy manager plus what was loaded from where."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("rtoc")
        self.manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.devices: dict[str, DeviceEntry] = {}
        self._config_sections: Sections | None = None  # asked again after each register()

    @classmethod
    def load(cls, home: Path | None = None, *, entry_points: bool = True) -> PluginRegistry:
        """Load built-ins, then entry points (optional), then ``home/devices``."""
        registry = cls()
        from rtoc import __version__, builtin

        registry.register(builtin, PluginInfo("builtin", f"rtoc-core {__version__}"))
        if entry_points:
            registry.load_entry_points()
        registry.collect_devices()
        registry.config_sections()  # a plugin with an unusable section is listed failed now
        if home is not None:  # after the others, so that one of these can replace them
            registry.load_user_devices(home / "devices")
        return registry

    # -- loading -------------------------------------------------------------

    def register(self, plugin: object, info: PluginInfo) -> None:
        self._config_sections = None
        try:
            self.manager.register(plugin, name=info.name)
        except Exception as error:
            self._failed(info, error)
        else:
            self.plugins[info.name] = info

    def load_entry_points(self) -> None:
        seen: set[tuple[str, str]] = set()
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            source = f"{dist.name} {dist.version}" if dist else entry_point.value
            if (source, entry_point.name) in seen:  # editable installs may list twice
                continue
            seen.add((source, entry_point.name))
            info = PluginInfo(entry_point.name, source)
            try:
                module = self._import(entry_point)
            except Exception as error:
                self._failed(info, error)
                continue
            self.register(module, info)

    @staticmethod
    def _import(entry_point: EntryPoint) -> object:
        if entry_point.attr:
            return entry_point.load()
        return importlib.import_module(entry_point.module)

    def load_user_devices(self, directory: Path) -> None:
        if not directory.is_dir():
            return
        from rtoc.userdir import FailedDevice, load_user_devices

        for loaded in load_user_devices(directory):
            info = PluginInfo(Path(loaded.source).stem, loaded.source)
            if isinstance(loaded, FailedDevice):
                self.plugins[info.name] = attrs.evolve(
                    info, error=loaded.error, traceback=loaded.traceback
                )
                log.error("plugin %s failed to load: %s", loaded.source, loaded.error)
                continue
            self.plugins.setdefault(info.name, info)
            self._add_device(loaded.cls, info, user=True)

    def collect_devices(self) -> None:
        """Ask every registered plugin for its devices."""
        for info, classes in self.call_each("rtoc_devices"):
            for cls in classes or ():
                self._add_device(cls, info)

    def _add_device(self, cls: type[Device], info: PluginInfo, user: bool = False) -> None:
        """``user``: from ``$RTOC_HOME/devices``, which replaces a built-in or installed device."""
        if not (isinstance(cls, type) and issubclass(cls, Device)):
            self._failed(info, TypeError(f"{cls!r} is not a subclass of rtoc.Device"))
            return
        name = class_device_name(cls)
        taken = self.devices.get(name)
        if taken is not None and taken.cls is not cls:
            if not user or taken.user:
                other = taken.plugin.source
                error = ValueError(f"device name {name!r} is already provided by {other}")
                self._failed(info, error)
                return
            log.warning(
                "device %s from %s replaces the %s of %s",
                name,
                info.source,
                name,
                taken.plugin.source,
            )
        self.devices[name] = DeviceEntry(name, cls, info, user)

    def _failed(self, info: PluginInfo, error: BaseException) -> None:
        message, details = _describe_failure(error)
        log.error("plugin %s (%s) failed: %s", info.name, info.source, message)
        self.plugins[info.name] = attrs.evolve(info, error=message, traceback=details)

    # -- calling -------------------------------------------------------------

    def call_each(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[PluginInfo, Any]]:
        """Call one hook on every plugin separately; a plugin that raises is marked failed."""
        hook = getattr(self.manager.hook, hook_name)
        for implementation in hook.get_hookimpls():  # in registration order
            info = self.plugins.get(implementation.plugin_name) or PluginInfo(
                implementation.plugin_name, "?"
            )
            try:
                result = implementation.function(
                    *[kwargs[name] for name in implementation.argnames]
                )
            except Exception as error:
                self._failed(info, error)
                continue
            yield info, result

    def storage_backends(self) -> dict[str, StorageFactory]:
        backends: dict[str, StorageFactory] = {}
        for _, provided in self.call_each("rtoc_storage_backends"):
            backends.update(provided or {})
        return backends

    def storage_readers(self) -> dict[str, StorageFactory]:
        """Read-only openers by backend name (``rtoc_storage_readers``)."""
        readers: dict[str, StorageFactory] = {}
        for _, provided in self.call_each("rtoc_storage_readers"):
            readers.update(provided or {})
        return readers

    def importers(self) -> dict[str, Importer]:
        """File formats to read, by name (``rtoc_importers``); a later plugin's name wins."""
        return self._formats("rtoc_importers", "read")

    def exporters(self) -> dict[str, Exporter]:
        """File formats to write, by name (``rtoc_exporters``)."""
        return self._formats("rtoc_exporters", "write")

    def _formats(self, hook: str, method: str) -> dict[str, Any]:
        formats: dict[str, Any] = {}
        for info, provided in self.call_each(hook):
            for found in provided or ():
                if not (isinstance(getattr(found, "name", None), str) and hasattr(found, method)):
                    self._failed(info, TypeError(f"{hook} returned {found!r}: no name or {method}"))
                    continue
                formats[found.name] = found
        return formats

    def storage_backend(self, name: str) -> StorageFactory:
        """The backend ``name``; LookupError naming the installed ones when there is none."""
        backends = self.storage_backends()
        if name not in backends:
            hint = " (pip install rtoc-postgres)" if name == "postgresql" else ""
            raise LookupError(
                f"no storage backend {name!r}{hint}; installed: {', '.join(sorted(backends))}"
            )
        return backends[name]

    def config_sections(self) -> Sections:
        """The config.json sections plugins register (``rtoc_config_sections``), by name.

        A plugin offering something that cannot be a section is listed failed
        and its other sections still count. A name two plugins register is
        given to neither, and both are listed failed naming each other: which
        one should check the user's values is the user's choice (uninstall
        one), and until then the section stays in the file untouched.
        """
        if self._config_sections is None:
            self._config_sections = self._collect_config_sections()
        return self._config_sections

    def _collect_config_sections(self) -> Sections:
        claims: dict[str, list[tuple[PluginInfo, type]]] = {}
        for info, provided in self.call_each("rtoc_config_sections"):
            if not isinstance(provided, Mapping):
                self._failed(info, TypeError(f"rtoc_config_sections returned {provided!r}"))
                continue
            for name, cls in provided.items():
                try:
                    check_section_class(name, cls)
                except (TypeError, ValueError) as error:
                    self._failed(info, error)
                else:
                    claims.setdefault(name, []).append((info, cls))
        sections: dict[str, type] = {}
        for name, claimants in claims.items():
            if len(claimants) == 1:
                sections[name] = claimants[0][1]
                continue
            sources = " and ".join(info.source for info, _ in claimants)
            for info, _ in claimants:
                error = ValueError(
                    f"config section {name!r} is registered by both {sources}; "
                    "neither uses it until one of them is uninstalled"
                )
                self._failed(info, error)
        return sections

    def frontends(self) -> list[Frontend]:
        return [
            frontend for _, found in self.call_each("rtoc_frontends") for frontend in found or ()
        ]

    def script_namespace(self, logger: Logger) -> dict[str, Any]:
        namespace: dict[str, Any] = {}
        for _, names in self.call_each("rtoc_script_namespace", logger=logger):
            namespace.update(names or {})
        return namespace

    def add_commands(self, cli: click.Group) -> None:
        for _ in self.call_each("rtoc_cli", cli=cli):
            pass

    def call_event_hooks(self, logger: Logger, event: Event) -> None:
        for _ in self.call_each("rtoc_event", logger=logger, event=event):
            pass

    @property
    def failed(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if not info.ok]

    def provides(self) -> dict[str, dict[str, list[str]]]:
        """What each registered plugin provides, by plugin name: ``{kind: [names]}``.

        Kinds are ``devices``, the names of the hooks that return named things
        (``storage_backends``, ``storage_readers``, ``frontends``,
        ``config_sections``, ``importers``, ``exporters``), ``commands`` (what
        ``rtoc_cli`` adds, asked of each plugin on a scratch group), and
        ``hooks``: the other hooks it implements (``rtoc_event``...), which
        provide no names. Calling the hooks again marks failing plugins failed.
        """
        import click

        found: dict[str, dict[str, list[str]]] = {name: {} for name in self.plugins}

        def add(info: PluginInfo, kind: str, names: list[str]) -> None:
            found.setdefault(info.name, {}).setdefault(kind, []).extend(names)

        for entry in self.devices.values():
            if not entry.user:
                add(entry.plugin, "devices", [entry.name])
        for kind in KINDS_OF_NAMES:
            for info, provided in self.call_each(f"rtoc_{kind}"):
                add(info, kind, _names(provided))
        scratch = click.Group()
        for info, _ in self.call_each("rtoc_cli", cli=scratch):
            add(info, "commands", list(scratch.commands))
            scratch.commands.clear()
        described = {"rtoc_devices", "rtoc_cli", *(f"rtoc_{kind}" for kind in KINDS_OF_NAMES)}
        for name in found:
            plugin = self.manager.get_plugin(name)
            callers = self.manager.get_hookcallers(plugin) if plugin is not None else None
            others = sorted(c.name for c in callers or () if c.name not in described)
            if others:
                found[name]["hooks"] = others
        return {name: {k: sorted(v) for k, v in of.items() if v} for name, of in found.items()}


#: The hooks (``rtoc_`` + kind) whose results :meth:`PluginRegistry.provides` lists by name.
KINDS_OF_NAMES = (
    "storage_backends",
    "storage_readers",
    "config_sections",
    "frontends",
    "importers",
    "exporters",
)


def _names(provided: object) -> list[str]:
    """The names in what a hook returned: a mapping's keys, else each item's ``name``."""
    if isinstance(provided, Mapping):
        return [str(name) for name in provided]
    if not isinstance(provided, list | tuple):
        return []
    return [str(getattr(item, "name", item)) for item in provided]
