"""The names a script sees: devices and signals, ``rtoc``, the libraries, ``clock``, ``print``.

Each device name is a :class:`DeviceProxy`: ``Device.Signal`` is a
:class:`SignalRef` (``.x``, ``.y``, ``.latest``, unpacks as ``x, y``),
``Device.PARAMETER`` reads and ``Device.PARAMETER = value`` sets a parameter,
and ``Device.FUNCTION(...)`` calls a device function, all through the
logger's own methods. A signal that does not exist yet can be named; reading
it raises :class:`MissingSignal` (a LookupError) saying so.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from rtoc.device import function_names, parameters_of
from rtoc.io.export import export_data
from rtoc.io.load import import_data

if TYPE_CHECKING:
    from rtoc.logger import Logger

Output = Callable[[str], None]


class MissingSignal(LookupError):
    """A script or condition read a signal that has no samples (yet)."""


class SignalRef:
    """``Device.Signal`` in a script."""

    __slots__ = ("_logger", "device", "name")

    def __init__(self, logger: Logger, device: str, name: str) -> None:
        self._logger = logger
        self.device = device
        self.name = name

    def _signal(self) -> Any:
        signal = self._logger.store.get(self.device, self.name)
        if signal is None:
            raise MissingSignal(f"no signal {self.device}.{self.name} (yet)")
        return signal

    @property
    def x(self) -> np.ndarray:
        return self._signal().x

    @property
    def y(self) -> np.ndarray:
        return self._signal().y

    @property
    def latest(self) -> float:
        """The newest value (RTOC's ``Device.Signal.latest``)."""
        newest = self._signal().latest
        if newest is None:
            raise MissingSignal(f"signal {self.device}.{self.name} has no samples yet")
        return newest[1]

    @property
    def unit(self) -> str:
        return self._signal().unit

    def __iter__(self) -> Iterator[np.ndarray]:
        x, y = self._signal().samples()
        return iter((x, y))

    def __len__(self) -> int:
        return len(self._signal())

    def __repr__(self) -> str:
        return f"<signal {self.device}.{self.name}>"


class DeviceProxy:
    """A device name in a script: its signals, parameters and functions."""

    __slots__ = ("_logger", "_name")

    def __init__(self, logger: Logger, name: str) -> None:
        object.__setattr__(self, "_logger", logger)
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr: str) -> Any:
        logger, name = self._logger, self._name
        device = logger.devices.get(name)
        if device is not None and attr in function_names(type(device)):
            return lambda *args, **kwargs: logger.call(name, attr, *args, **kwargs)
        if (name, attr) not in logger.store and device is not None:
            parameters = parameters_of(device)
            if attr in parameters:
                return parameters[attr]
        return SignalRef(logger, name, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        self._logger.set_parameter(self._name, attr, value)

    def __repr__(self) -> str:
        return f"<device {self._name}>"


def device_names(logger: Logger) -> set[str]:
    names = set(logger.store.devices()) | set(logger.devices)
    if logger.plugins is not None:
        names |= set(logger.plugins.devices)
    return {name for name in names if name.isidentifier()}


def script_namespace(logger: Logger, output: Output, devices: Iterable[str] = ()) -> dict[str, Any]:
    """Everything a script run sees, built fresh for each run.

    ``devices``: more device names to provide (a script's
    ``device_references``), so that ``Greenhouse.Humidity`` can be named
    before any Greenhouse signal exists.
    """
    from rtoc.automation.toolbox import Toolbox

    known = device_names(logger) | set(devices)
    names: dict[str, Any] = {name: DeviceProxy(logger, name) for name in known}
    names.update(
        math=math,
        np=np,
        numpy=np,
        sys=sys,
        rtoc=Toolbox(logger),
        clock=time.time(),
        print=_printer(output),
        stream=lambda y, sname, dname="Script", unit=None, x=None: logger.stream(
            y, sname, dname, unit, x
        ),
        plot=lambda x, y, sname, dname="Script", unit=None: logger.plot(x, y, sname, dname, unit),
        event=lambda text, sname="", dname="Script", priority=0, id="", value=None: logger.event(
            text, dname, sname, priority, id, value
        ),
        clearData=lambda: _clear_memory(logger),
        exportData=lambda filename=None, filetype="json", signals=None: str(
            export_data(logger, filename, filetype, signals)
        ),
        importData=lambda filename, dname=None, filetype=None, force=False: import_data(
            logger, filename, dname, filetype, force=force
        ),
        logger=logger,
    )
    try:
        import scipy

        names["sp"] = scipy
    except ImportError:
        pass
    if logger.plugins is not None:
        names.update(logger.plugins.script_namespace(logger))
    return names


def _clear_memory(logger: Logger) -> None:
    """RTOC's script function ``clearData()``: every signal and event leaves memory;
    what is stored stays (samples not yet stored are stored first)."""
    logger.clear()
    logger.events.clear()


def _printer(output: Output) -> Callable[..., None]:
    def script_print(*values: object, sep: str = " ", end: str = "", **_: object) -> None:
        output(sep.join(str(value) for value in values) + end)

    return script_print
