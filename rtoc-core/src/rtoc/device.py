"""``Device``: the base class a plugin author subclasses to drive an instrument.

A device has a name, a ``samplerate`` (Hz) and a :meth:`Device.sample` method
that a background thread calls at that rate between :meth:`Device.start` and
:meth:`Device.stop`. Inside it the device calls :meth:`stream` (new samples),
:meth:`plot` (replace a signal, e.g. a spectrum) and :meth:`event`.

Public attributes are *parameters* and public methods are *functions*: frontends
list them, scripts read and set them, remote users call them. Names starting
with ``_`` are hidden. Every way of setting a parameter (TCP, scripts,
``rtoc run --set``, deviceParameters.json, frontends) goes through
:meth:`Device.set_parameter`, which converts the value, refuses one the device
cannot use through :meth:`Device.validate_parameter` and changes nothing then.
Example::

    class Thermometer(rtoc.Device):
        samplerate = 2.0
        offset = 0.0          # a parameter, settable from scripts and frontends

        def sample(self):
            self.stream(read_sensor() + self.offset, "Temperature", unit="°C")

        def calibrate(self, reference: float) -> None:
            \"\"\"Shift readings so the current one equals ``reference``.\"\"\"
            self.offset += reference - self.latest("Temperature")

        def validate_parameter(self, name, value):
            if name == "offset" and abs(value) > 10:
                raise ValueError(f"at most ±10 °C, got {value}")
            return super().validate_parameter(name, value)
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from rtoc.events import Priority

if TYPE_CHECKING:
    from rtoc.logger import Logger


#: Longest time a waiting sampling loop takes to notice a new ``samplerate``, seconds.
RATE_POLL = 0.5
#: Highest ``samplerate``, Hz: one sample() call per 100 µs is all a Python loop
#: keeps up with; a faster instrument is read in blocks (``stream_many``).
MAX_SAMPLERATE = 10_000.0


class DeviceError(Exception):
    """Misuse of a device: unknown parameter or function, bad value, not attached."""


class ParameterError(DeviceError):
    """A parameter that does not exist or a value it does not take; nothing was changed."""


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

    #: Sampling ticks skipped because ``sample()`` took longer than the interval.
    missed_ticks: int = 0
    #: Names a subclass adds to the framework's own (hidden from parameters/functions).
    framework_names: ClassVar[frozenset[str]] = frozenset()

    # The base class keeps its state in name-mangled attributes (self.__thread is
    # self._Device__thread) so that a plugin's own self._thread or self._lock,
    # common in RTOC plugins, never replaces it.
    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        self.__logger = logger
        self.name = name or class_device_name(type(self))  # type: ignore[misc]
        self.__stop_requested = threading.Event()
        self.__thread: threading.Thread | None = None
        self.__lock = threading.Lock()
        self.missed_ticks = 0

    @property
    def rtoc_logger(self) -> Logger | None:
        """The logger this device sends to (None until attached)."""
        return self.__logger

    def attach(self, logger: Logger) -> None:
        """Send to ``logger`` from now on (``Logger.add_device`` calls this)."""
        self.__logger = logger

    # -- what an author overrides ------------------------------------------------

    def sample(self) -> None:
        """Take one measurement; called ``samplerate`` times a second while running."""

    def on_start(self) -> None:
        """Open connections before the first :meth:`sample` (runs in ``start()``)."""

    def on_stop(self) -> None:
        """Release what is open (runs in every ``stop()``, after sampling ended).

        Also when the device never sampled: one used only through its functions
        may have opened its port. So it must not fail when nothing is open.
        """

    def validate_parameter(self, name: str, value: Any) -> Any:
        """Check a new value of the parameter ``name``; return the value to set.

        :meth:`set_parameter` calls this, with ``value`` already converted to
        the parameter's type (numbers finite), before anything changes. Override
        it to refuse values the device cannot use: raise ValueError saying what
        is allowed, and pass the rest to ``super().validate_parameter``. The
        base class checks ``samplerate`` (0 to :data:`MAX_SAMPLERATE` Hz).
        """
        if name == "samplerate" and not 0 <= value <= MAX_SAMPLERATE:
            raise ValueError(
                f"takes samples per second from 0 to {MAX_SAMPLERATE:g} "
                f"(0: sample() is not periodic), got {value!r}"
            )
        return value

    # -- lifecycle ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.__thread is not None and self.__thread.is_alive()

    @property
    def interval(self) -> float:
        """Seconds between two :meth:`sample` calls."""
        return 1.0 / self.samplerate if self.samplerate > 0 else float("inf")

    def start(self) -> None:
        """Start the sampling loop in a background thread (no-op when running)."""
        with self.__lock:
            if self.running:
                return
            self.on_start()
            self.__stop_requested.clear()
            self.__thread = threading.Thread(
                target=self.__sampling_loop, name=f"rtoc-device-{self.name}", daemon=True
            )
            self.__thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the sampling loop if it runs, wait for the current sample, then ``on_stop``."""
        with self.__lock:
            thread, self.__thread = self.__thread, None
            if thread is not None:
                self.__stop_requested.set()
                if thread is not threading.current_thread():
                    thread.join(timeout)
            self.on_stop()

    def __sampling_loop(self) -> None:
        """Call sample() on a fixed grid of ticks so that timing errors never add up.

        A tick that is missed because sample() overran is skipped, not caught up
        in a burst, and counted in ``missed_ticks``. A new ``samplerate`` (set
        from anywhere: a frontend, a script, the plugin itself) takes effect
        within :data:`RATE_POLL` seconds, starting a new grid.
        """
        stop = self.__stop_requested
        next_tick = time.monotonic()
        try:
            while not stop.is_set():
                try:
                    self.sample()
                except Exception as error:
                    self.__report_failure(error)
                next_tick = self.__wait_for(self.__following_tick(next_tick))
        except Exception as error:  # the loop itself, e.g. a samplerate set directly to inf
            self.__report_failure(error, stopped=True)

    def __wait_for(self, tick: float) -> float:
        """Sleep until ``tick`` or a stop; return the tick the grid goes on from.

        A changed ``samplerate`` ends the wait early and starts a new grid now.
        """
        rate = self.samplerate
        stop = self.__stop_requested
        while not stop.is_set():
            now = time.monotonic()
            if self.samplerate != rate:
                return now
            if now >= tick:
                break
            stop.wait(min(tick - now, RATE_POLL))
        return tick

    def __following_tick(self, tick: float) -> float:
        """The next tick on the grid after ``tick`` that is not already past."""
        interval = self.interval
        if interval == float("inf"):
            return interval
        tick += interval
        now = time.monotonic()
        if now > tick:
            missed = int((now - tick) // interval) + 1
            self.missed_ticks += missed
            tick += missed * interval
        return tick

    def __report_failure(self, error: BaseException, stopped: bool = False) -> None:
        if self.__logger is not None:
            self.__logger.report_device_failure(self, error, stopped=stopped)
        else:  # standalone use: nowhere else to say it
            traceback.print_exception(error)

    # -- sending data ------------------------------------------------------------

    def __attached(self) -> Logger:
        if self.__logger is None:
            raise DeviceError(f"device {self.name} is not attached to a logger")
        return self.__logger

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
        logger = self.__attached()
        if isinstance(sname, str):
            logger.stream(y, sname, self.name, unit, x)  # type: ignore[arg-type]
            return
        values = list(y)  # type: ignore[arg-type]
        names = list(sname)
        if len(values) != len(names):
            raise DeviceError(f"{self.name}: {len(values)} values for {len(names)} signal names")
        units = [unit] * len(names) if unit is None or isinstance(unit, str) else list(unit)
        if len(units) != len(names):
            raise DeviceError(f"{self.name}: {len(units)} units for {len(names)} signal names")
        now = time.time() if x is None else x
        for value, name, one_unit in zip(values, names, units, strict=True):
            logger.stream(value, name, self.name, one_unit, now)

    def stream_many(
        self, x: Sequence[float], y: Sequence[float], sname: str, unit: str | None = None
    ) -> None:
        """Append a block of samples of one signal (e.g. a buffer read from an ADC)."""
        self.__attached().stream_many(x, y, sname, self.name, unit)

    def plot(
        self,
        x: Sequence[float],
        y: Sequence[float],
        sname: str,
        unit: str | None = None,
        hold: bool = False,
    ) -> None:
        """Replace a signal with ``x, y`` (or append to it with ``hold=True``)."""
        self.__attached().plot(x, y, sname, self.name, unit, hold)

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
        self.__attached().event(
            text, device=self.name, signal=sname, priority=priority, id=id, value=value, time=x
        )

    def latest(self, sname: str) -> float | None:
        """The newest value of one of this device's signals, or None."""
        signal = self.__attached().store.get(self.name, sname)
        latest = signal.latest if signal is not None else None
        return None if latest is None else latest[1]

    # -- what frontends see ------------------------------------------------------

    def describe(self) -> DeviceDescription:
        return describe(self)

    def get_parameter(self, name: str) -> Any:
        return self.__parameters(name)[name]

    def set_parameter(self, name: str, value: Any) -> None:
        """Set a parameter to ``value`` as :meth:`check_parameter` returns it."""
        setattr(self, name, self.check_parameter(name, value))

    def check_parameter(self, name: str, value: Any) -> Any:
        """``value`` converted to the parameter's current type and accepted by
        :meth:`validate_parameter`; ParameterError naming the device, the
        parameter and the problem otherwise. Changes nothing."""
        current = self.__parameters(name)[name]
        try:
            value = _converted(current, value)
        except (TypeError, ValueError, OverflowError):
            kind = "number" if _is_number(current) else type(current).__name__
            raise ParameterError(f"{self.name}.{name} takes a {kind}, got {value!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"{self.name}.{name} takes a finite number, got {value!r}")
        try:
            return self.validate_parameter(name, value)
        except ParameterError:
            raise
        except (TypeError, ValueError, DeviceError) as error:
            raise ParameterError(f"{self.name}.{name}: {error}") from None

    def __parameters(self, name: str) -> dict[str, Any]:
        """Every parameter's value; DeviceError if ``name`` is not one of them."""
        current = parameters_of(self)
        if name not in current:
            raise ParameterError(f"{self.name} has no parameter {name!r}")
        return current

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call one of the device's functions by name."""
        functions = functions_of(self)
        if name not in functions:
            raise DeviceError(f"{self.name} has no function {name!r}")
        return functions[name](*args, **kwargs)


_FRAMEWORK_NAMES = frozenset(name for name in dir(Device) if not name.startswith("_")) - {
    "samplerate"
}


def _is_public(name: str, cls: type[Device]) -> bool:
    return (
        not name.startswith("_")
        and name not in _FRAMEWORK_NAMES
        and name not in cls.framework_names
    )


def class_device_name(cls: type[Device]) -> str:
    """The name a device class's instances get unless given one."""
    return cls.name or cls.__name__


def describe(device: Device | type[Device]) -> DeviceDescription:
    """Parameters and functions of a device, or of a device class before it is built.

    A class shows only what its class body defines; attributes an instance sets
    in ``__init__`` appear once it exists.
    """
    is_class = isinstance(device, type)
    cls = device if is_class else type(device)
    return DeviceDescription(
        name=class_device_name(cls) if is_class else device.name,
        doc=_own_doc(cls),
        running=not is_class and device.running,
        parameters=tuple(
            Parameter(name, value, type(value).__name__)
            for name, value in sorted(parameters_of(device).items())
        ),
        functions=tuple(
            Function(name, _signature(method, bound=not is_class), inspect.getdoc(method) or "")
            for name, method in sorted(functions_of(device).items())
        ),
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _converted(old: Any, value: Any) -> Any:
    """``value`` as the type of the parameter's current value ``old``.

    Numbers stay numbers either way (2.5 Hz must not become 2) if a float can
    hold them; text that spells a number ("25.5") becomes one.
    """
    if _is_number(old):
        if isinstance(value, str):
            value = float(value)
        if not _is_number(value):
            raise TypeError(value)
        as_float = float(value)  # OverflowError for an int no float holds
        return int(value) if isinstance(old, int) and as_float.is_integer() else value
    if isinstance(old, bool) and isinstance(value, str):  # bool("false") would be True
        word = value.strip().lower()
        if word not in _BOOL_WORDS:
            raise ValueError(value)
        return _BOOL_WORDS[word]
    if old is None or isinstance(value, type(old)):
        return value
    return type(old)(value)


_BOOL_WORDS = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}


def _own_doc(cls: type) -> str:
    """The class's own docstring (not an inherited one), else its module's."""
    module = sys.modules.get(cls.__module__)
    return inspect.cleandoc(vars(cls).get("__doc__") or getattr(module, "__doc__", None) or "")


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
    names = set(_class_parameter_names(cls))
    if not isinstance(device, type):
        names.update(
            name
            for name, value in vars(device).items()
            if _is_public(name, cls) and not callable(value)
        )
    return {name: getattr(device, name) for name in names}


@functools.cache
def _class_parameter_names(cls: type[Device]) -> frozenset[str]:
    """Parameters a class body defines; cached, since scripts look them up per sample."""
    names = {"samplerate"}
    for klass in cls.__mro__:
        names.update(
            name
            for name, value in vars(klass).items()
            if _is_public(name, cls) and not _is_code(value)
        )
    return frozenset(names)


def _is_code(value: object) -> bool:
    return callable(value) or isinstance(value, (property, classmethod, staticmethod))


def functions_of(device: Device | type[Device]) -> dict[str, Any]:
    """Public methods the device's own classes define (not the base class's)."""
    cls = device if isinstance(device, type) else type(device)
    return {name: getattr(device, name) for name in function_names(cls)}


@functools.cache
def function_names(cls: type[Device]) -> tuple[str, ...]:
    """Names of a device class's functions; cached, since scripts look them up per sample."""
    found: dict[str, None] = {}
    for klass in cls.__mro__:
        if klass is Device or klass is object:
            continue
        for name, value in vars(klass).items():
            if _is_public(name, cls) and inspect.isfunction(value):
                found.setdefault(name)
    return tuple(found)
