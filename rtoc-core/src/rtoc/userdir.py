"""Device plugins dropped into ``$RTOC_HOME/devices/``, laid out as RTOC 2.x had them::

    devices/
        Thermometer.py           a module
        Template/Template.py     a folder whose main module is named like it
        benchdev/BenchDev.py     ... in any case, as RTOC found it
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

A plugin that blocks at import (waits for hardware that is not there, asks
for input) must not keep rtoc from starting: each import runs in a helper
thread and one that has not finished after :data:`IMPORT_TIME_LIMIT` seconds
is reported as failed and left behind; its thread can never be killed, so it
stays blocked in the background. A plugin therefore cannot install signal
handlers at import (Python allows that only in the main thread).
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import sys
import threading
import traceback
import types
from pathlib import Path

import attrs

from rtoc.compat import LoggerPlugin, install_import_aliases, qt_standin
from rtoc.device import Device

log = logging.getLogger(__name__)

#: The package user plugins are imported into.
PACKAGE = "rtoc_user_devices"
#: A plugin whose import takes longer than this, in seconds, is reported as failed.
IMPORT_TIME_LIMIT = 10.0


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


def load_user_devices(
    directory: Path, time_limit: float = IMPORT_TIME_LIMIT
) -> list[LoadedDevice | FailedDevice]:
    """Import every plugin in ``directory`` (in name order) and list its devices.

    An import still running after ``time_limit`` seconds is a :class:`FailedDevice`.
    """
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
        results.extend(_load_plugin(entry, module_names, time_limit))
    return results


def _load_plugin(
    entry: Path, module_names: set[str], time_limit: float
) -> list[LoadedDevice | FailedDevice]:
    source = str(entry)
    try:
        main = _main_module_file(entry)
        # named after its main module, as RTOC named the device: benchdev/BenchDev.py is BenchDev
        module_name = _unique_module_name(entry if main.stem == "__init__" else main, module_names)
        module_names.add(module_name)
        _append_to_path(main.parent)
        module = _import_within(time_limit, entry, module_name, main)
    except _PluginError as error:
        return [FailedDevice(source, str(error))]
    except (Exception, SystemExit) as error:  # a plugin calling sys.exit() must not end rtoc
        message = f"importing {entry.name} raised {type(error).__name__}: {error}"
        return [FailedDevice(source, message, "".join(traceback.format_exception(error)))]
    classes = _devices_in(module)
    if not classes:
        return [FailedDevice(source, _no_device_message(module, main))]
    return [LoadedDevice(source, cls) for cls in classes]


def _import_within(
    time_limit: float, entry: Path, module_name: str, main: Path
) -> types.ModuleType:
    """The plugin's module, imported in a helper thread that gets ``time_limit`` seconds."""
    outcome: list[types.ModuleType | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_import_with_qt_fallback(entry, module_name, main))
        except BaseException as error:  # handed to the caller, as if raised there
            outcome.append(error)

    thread = threading.Thread(target=work, name=f"rtoc-import-{entry.name}", daemon=True)
    thread.start()
    thread.join(time_limit)
    if not outcome:
        raise _PluginError(
            f"importing {entry.name} did not finish within {time_limit:g} s: it blocks at "
            "import (waiting for a device, the network or input?); it is skipped, and its "
            "import stays blocked in the background"
        )
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _import_with_qt_fallback(entry: Path, module_name: str, main: Path) -> types.ModuleType:
    try:
        return _import(module_name, main)
    except ModuleNotFoundError as error:
        if not _wants_absent_qt(error):
            raise
        qt_standin.install()
        log.warning(
            "%s imports PyQt5, which is not installed: its Qt GUI parts are inert "
            "stand-ins, its data collection runs as written",
            entry.name,
        )
        return _import(module_name, main)


def _wants_absent_qt(error: ModuleNotFoundError) -> bool:
    """The plugin failed only because PyQt5 is missing (and no stand-in is in place yet)."""
    name = error.name or ""
    return (name == "PyQt5" or name.startswith("PyQt5.")) and not qt_standin.installed()


def _main_module_file(entry: Path) -> Path:
    """The module named like the folder (in any case, as RTOC took it), else ``__init__.py``."""
    if entry.is_file():
        return entry
    exact = entry / f"{entry.name}.py"
    if exact.is_file():
        return exact
    alike = sorted(
        path for path in entry.glob("*.py") if path.stem.casefold() == entry.name.casefold()
    )
    if len(alike) > 1:
        names = " and ".join(path.name for path in alike)
        raise _PluginError(f"plugin folder {entry} has {names}: which is its main module?")
    if alike:
        return alike[0]
    init = entry / "__init__.py"
    if init.is_file():
        return init
    raise _PluginError(
        f"plugin folder {entry} has neither {entry.name}/{entry.name}.py (in any case) "
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
    """``entry``: the plugin's main module, or the folder of a package."""
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
