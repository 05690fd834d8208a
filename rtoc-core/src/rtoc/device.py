"""``Device``: the base class a plugin author subclasses to drive an instrument.

A device has a name, a ``samplerate`` (Hz) and a :meth:`Device.sample` method
that a background thread calls at that rate between :meth:`Device.start` and
:meth:`Device.stop`. Inside it the device calls :meth:`stream` (new samples),
:meth:`plot` (replace a signal, e.g. a spectrum) and :meth:`event`.

Public attributes are *parameters* and public methods are *functions*: frontends
list them, scripts read and set them, remote users call them. Names starting
with ``_`` are hidden. Example::

    class Thermometer(rtoc.Device):
        samplerate = 2.0
        offset = 0.0          # a parameter, settable from scripts and frontends

        def sample(self):
            self.stream(read_sensor() + self.offset, "Temperature", unit="°C")

        def calibrate(self, reference: float) -> None:
            \"\"\"Shift readings so the current one equals ``reference``.\"\"\"
            self.offset += reference - self.latest("Temperature")
"""

from __future__ import annotations

import inspect
import threading
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from rtoc.events import Priority

if TYPE_CHECKING:
    from rtoc.logger import Logger


class DeviceError(Exception):
    """Misuse of a device: unknown parameter or function, bad value, not attached."""


@attrs.frozen
class Parameter:
    name: str
    value: Any
    type: str


@attrs.frozen
class Function:
    name: str
    signature: str
    doc: str


@attrs.frozen
class DeviceDescription:
    """What frontends show of a device: its parameters and functions."""

    name: str
    doc: str
    running: bool
    parameters: tuple[Parameter, ...]
    functions: tuple[Function, ...]


class Device:
    """Base class of every rtoc device. Subclass it and override :meth:`sample`."""

    #: The device name signals are filed under (defaults to the class name).
    name: ClassVar[str] = ""
    #: Samples per second of the sampling loop; 0 means "sample() is not periodic".
    samplerate: float = 1.0

    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        self._logger = logger
        self.name = name or type(self).name or type(self).__name__  # type: ignore[misc]
        self._stop_requested = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._missed_ticks = 0

    # -- what an author overrides ------------------------------------------------

    def sample(self) -> None:
        """Take one measurement; called ``samplerate`` times a second while running."""

    def on_start(self) -> None:
        """Open connections before the first :meth:`sample` (runs in ``start()``)."""

    def on_stop(self) -> None:
        """Release what :meth:`on_start` opened (runs in ``stop()``, after sampling ended)."""

    # -- lifecycle ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def interval(self) -> float:
        """Seconds between two :meth:`sample` calls."""
        return 1.0 / self.samplerate if self.samplerate > 0 else float("inf")

    def start(self) -> None:
        """Start the sampling loop in a background thread (no-op when running)."""
        with self._lock:
            if self.running:
                return
            self.on_start()
            self._stop_requested.clear()
            self._thread = threading.Thread(
                target=self._sampling_loop, name=f"rtoc-device-{self.name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the sampling loop, wait for the current sample to finish, then ``on_stop``."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._stop_requested.set()
            if thread is not threading.current_thread():
                thread.join(timeout)
            self._thread = None
            self.on_stop()

    def _sampling_loop(self) -> None:
        """Call sample() on a fixed grid of ticks so that timing errors never add up.

        A tick that is missed because sample() overran is skipped, not caught up
        in a burst, and counted in ``_missed_ticks``.
        """
        next_tick = time.monotonic()
        while not self._stop_requested.is_set():
            try:
                self.sample()
            except Exception as error:
                self._report_failure(error)
            interval = self.interval
            if interval == float("inf"):
                self._stop_requested.wait()
                break
            next_tick += interval
            now = time.monotonic()
            if now > next_tick:
                missed = int((now - next_tick) // interval) + 1
                self._missed_ticks += missed
                next_tick += missed * interval
            self._stop_requested.wait(next_tick - now)

    def _report_failure(self, error: BaseException) -> None:
        if self._logger is not None:
            self._logger.report_device_failure(self, error)
        else:  # standalone use: nowhere else to say it
            traceback.print_exception(error)

    # -- sending data ------------------------------------------------------------

    def _attached(self) -> Logger:
        if self._logger is None:
            raise DeviceError(f"device {self.name} is not attached to a logger")
        return self._logger

    def stream(
        self,
        y: float | Sequence[float],
        sname: str | Sequence[str],
        unit: str | Sequence[str] | None = None,
        x: float | None = None,
    ) -> None:
        """Append the newest value of one signal, or of several at once.

        ``stream(21.5, "Temperature", unit="°C")`` or
        ``stream([1.0, 2.0], ["U", "I"], unit=["V", "A"])``. ``x`` defaults to now.
        """
        logger = self._attached()
        if isinstance(sname, str):
            logger.stream(y, sname, self.name, unit, x)  # type: ignore[arg-type]
            return
        values = list(y)  # type: ignore[arg-type]
        names = list(sname)
        if len(values) != len(names):
            raise DeviceError(f"{self.name}: {len(values)} values for {len(names)} signal names")
        units = [unit] * len(names) if unit is None or isinstance(unit, str) else list(unit)
        now = time.time() if x is None else x
        for value, name, one_unit in zip(values, names, units):
            logger.stream(value, name, self.name, one_unit, now)

    def stream_many(
        self, x: Sequence[float], y: Sequence[float], sname: str, unit: str | None = None
    ) -> None:
        """Append a block of samples of one signal (e.g. a buffer read from an ADC)."""
        self._attached().stream_many(x, y, sname, self.name, unit)

    def plot(
        self,
        x: Sequence[float],
        y: Sequence[float],
        sname: str,
        unit: str | None = None,
        hold: bool = False,
    ) -> None:
        """Replace a signal with ``x, y`` (or append to it with ``hold=True``)."""
        self._attached().plot(x, y, sname, self.name, unit, hold)

    def event(
        self,
        text: str,
        sname: str = "",
        priority: int | Priority = Priority.INFO,
        id: str = "",
        value: float | None = None,
        x: float | None = None,
    ) -> None:
        """Raise an event, e.g. ``self.event("Overcurrent", "I", priority=2, id="oc")``."""
        self._attached().event(
            text, device=self.name, signal=sname, priority=priority, id=id, value=value, time=x
        )

    def latest(self, sname: str) -> float | None:
        """The newest value of one of this device's signals, or None."""
        signal = self._attached().store.get(self.name, sname)
        latest = signal.latest if signal is not None else None
        return None if latest is None else latest[1]

    # -- what frontends see ------------------------------------------------------

    def describe(self) -> DeviceDescription:
        return describe(self)

    def set_parameter(self, name: str, value: Any) -> None:
        """Set a parameter, converting ``value`` to the parameter's current type."""
        current = parameters_of(self)
        if name not in current:
            raise DeviceError(f"{self.name} has no parameter {name!r}")
        old = current[name]
        if old is not None and not isinstance(value, type(old)):
            try:
                value = type(old)(value)
            except (TypeError, ValueError):
                raise DeviceError(
                    f"{self.name}.{name} takes a {type(old).__name__}, got {value!r}"
                ) from None
        setattr(self, name, value)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of the device's functions by name."""
        functions = functions_of(self)
        if name not in functions:
            raise DeviceError(f"{self.name} has no function {name!r}")
        return functions[name](*args, **kwargs)


_FRAMEWORK_NAMES = frozenset(name for name in dir(Device) if not name.startswith("_")) - {
    "samplerate"
}


def _is_public(name: str) -> bool:
    return not name.startswith("_") and name not in _FRAMEWORK_NAMES


def describe(device: Device | type[Device]) -> DeviceDescription:
    """Parameters and functions of a device, or of a device class before it is built.

    A class shows only what its class body defines; attributes an instance sets
    in ``__init__`` appear once it exists.
    """
    cls = device if isinstance(device, type) else type(device)
    return DeviceDescription(
        name=device.name if not isinstance(device, type) else (cls.name or cls.__name__),
        doc=inspect.getdoc(cls) or "",
        running=False if isinstance(device, type) else device.running,
        parameters=tuple(
            Parameter(name, value, type(value).__name__)
            for name, value in sorted(parameters_of(device).items())
        ),
        functions=tuple(
            Function(name, _signature(method, bound=cls is not device), inspect.getdoc(method) or "")
            for name, method in sorted(functions_of(device).items())
        ),
    )


def _signature(function: Any, bound: bool) -> str:
    try:  # show `int`, not `'int'`, for modules using postponed annotations
        signature = inspect.signature(function, eval_str=True)
    except Exception:  # an annotation that does not evaluate here
        signature = inspect.signature(function)
    if not bound:  # a plain function taken from the class: hide ``self``
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    return str(signature)


def parameters_of(device: Device | type[Device]) -> dict[str, Any]:
    """Public, non-callable attributes of a device (class or instance level)."""
    cls = device if isinstance(device, type) else type(device)
    names = {"samplerate"}
    for klass in cls.__mro__:
        names.update(
            name
            for name, value in vars(klass).items()
            if _is_public(name) and not _is_code(value)
        )
    if not isinstance(device, type):
        names.update(
            name for name, value in vars(device).items() if _is_public(name) and not callable(value)
        )
    return {name: getattr(device, name) for name in names}


def _is_code(value: object) -> bool:
    return callable(value) or isinstance(value, (property, classmethod, staticmethod))


def functions_of(device: Device | type[Device]) -> dict[str, Any]:
    """Public methods the device's own classes define (not the base class's)."""
    cls = device if isinstance(device, type) else type(device)
    found: dict[str, Any] = {}
    for klass in cls.__mro__:
        if klass is Device or klass is object:
            continue
        for name, value in vars(klass).items():
            if _is_public(name) and name not in found and inspect.isfunction(value):
                found[name] = getattr(device, name)
    return found
