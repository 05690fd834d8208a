"""Device plugins dropped into ``$RTOC_HOME/devices/``, laid out as RTOC 2.x had them::

    devices/
        Thermometer.py           a module
        Template/Template.py     a folder whose main module is named like it
        Meter/__init__.py        a package (relative imports work inside)
        Generator/gen.ui         a folder without Python files (resources): skipped

Names starting with ``.`` or ``_`` (hidden files, ``__pycache__``) are skipped.
Each plugin is imported as ``rtoc_user_devices.<name>``. The devices folder and
the plugin's own folder are appended to ``sys.path`` first and stay there, as
in RTOC, so that plugins import their helpers by plain sibling imports
(appended, so that a stray file there never shadows an installed module).

A plugin provides the :class:`rtoc.Device` subclasses it defines and its RTOC
2.x ``Plugin(LoggerPlugin)`` class. One that imports PyQt5 for its GUI loads
on a machine without PyQt5 too (see :mod:`rtoc.compat.qt_standin`). A plugin
that fails to import or defines no device is reported as a
:class:`FailedDevice`; the others still load.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import sys
import traceback
import types
from pathlib import Path

import attrs

from rtoc.compat import LoggerPlugin, install_import_aliases, qt_standin
from rtoc.device import Device

log = logging.getLogger(__name__)

#: The package user plugins are imported into.
PACKAGE = "rtoc_user_devices"


@attrs.frozen
class LoadedDevice:
    """A device class found in a user plugin."""

    source: str
    cls: type[Device]


@attrs.frozen
class FailedDevice:
    """A user plugin that could not be imported or provides no device."""

    source: str
    error: str
    traceback: str = attrs.field(default="", repr=False)


class _PluginError(Exception):
    """A plugin that does not fit the layout; its message is the whole story."""


def load_user_devices(directory: Path) -> list[LoadedDevice | FailedDevice]:
    """Import every plugin in ``directory`` (in name order) and list its devices."""
    install_import_aliases()
    _ensure_package()
    _append_to_path(directory)
    results: list[LoadedDevice | FailedDevice] = []
    module_names: set[str] = set()
    for entry in sorted(directory.iterdir(), key=lambda path: path.name.lower()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            if not any(entry.glob("*.py")):
                continue  # resources of a plugin, e.g. its .ui files
        elif entry.suffix != ".py":
            continue
        module_name = _unique_module_name(entry, module_names)
        module_names.add(module_name)
        results.extend(_load_plugin(entry, module_name))
    return results


def _load_plugin(entry: Path, module_name: str) -> list[LoadedDevice | FailedDevice]:
    source = str(entry)
    try:
        main = _main_module_file(entry)
        _append_to_path(main.parent)
        try:
            module = _import(module_name, main)
        except ModuleNotFoundError as error:
            if not _wants_absent_qt(error):
                raise
            qt_standin.install()
            log.warning(
                "%s imports PyQt5, which is not installed: its Qt GUI parts are inert "
                "stand-ins, its data collection runs as written",
                entry.name,
            )
            module = _import(module_name, main)
    except _PluginError as error:
        return [FailedDevice(source, str(error))]
    except (Exception, SystemExit) as error:  # a plugin calling sys.exit() must not end rtoc
        message = f"importing {entry.name} raised {type(error).__name__}: {error}"
        return [FailedDevice(source, message, traceback.format_exc())]
    classes = _devices_in(module)
    if not classes:
        return [FailedDevice(source, _no_device_message(module, main))]
    return [LoadedDevice(source, cls) for cls in classes]


def _wants_absent_qt(error: ModuleNotFoundError) -> bool:
    """The plugin failed only because PyQt5 is missing (and no stand-in is in place yet)."""
    name = error.name or ""
    return (name == "PyQt5" or name.startswith("PyQt5.")) and not qt_standin.installed()


def _main_module_file(entry: Path) -> Path:
    if entry.is_file():
        return entry
    for candidate in (entry / f"{entry.name}.py", entry / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise _PluginError(
        f"plugin folder {entry} has neither {entry.name}/{entry.name}.py "
        f"nor {entry.name}/__init__.py as its main module"
    )


def _import(name: str, path: Path) -> types.ModuleType:
    # an __init__.py is imported as a package, so its relative imports work
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _PluginError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _devices_in(module: types.ModuleType) -> list[type[Device]]:
    """Concrete public Device classes the plugin defines (RTOC plugins: only ``Plugin``)."""
    found: dict[type[Device], None] = {}  # ordered and without duplicates
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Device)
            and _defined_in(value, module)
            and not value.__name__.startswith("_")
            and not inspect.isabstract(value)
            and (value.__name__ == "Plugin" or not issubclass(value, LoggerPlugin))
        ):
            found[value] = None
    return list(found)


def _defined_in(cls: type, module: types.ModuleType) -> bool:
    # a package's devices may live in its submodules
    return cls.__module__ == module.__name__ or cls.__module__.startswith(module.__name__ + ".")


def _no_device_message(module: types.ModuleType, path: Path) -> str:
    message = f"no Device subclass or RTOC Plugin class found in {path}"
    plugin = getattr(module, "Plugin", None)
    if isinstance(plugin, type):
        bases = ", ".join(f"{base.__module__}.{base.__qualname__}" for base in plugin.__bases__)
        message += (
            f": its class Plugin derives from {bases}, not from rtoc.Device or "
            "rtoc.compat.LoggerPlugin (is the original RTOC package installed?)"
        )
    return message


def _unique_module_name(entry: Path, taken: set[str]) -> str:
    stem = entry.stem if entry.is_file() else entry.name
    base = f"{PACKAGE}.{stem.replace('.', '_')}"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    return name


def _ensure_package() -> None:
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE, "Device plugins loaded from $RTOC_HOME/devices.")
        package.__path__ = []
        sys.modules[PACKAGE] = package


def _append_to_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.append(entry)
