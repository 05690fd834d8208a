"""RTOC 2.x's ``LoggerPlugin`` base class, so that RTOC plugin files run unchanged.

An RTOC plugin defines ``class Plugin(LoggerPlugin)``, names itself with
``setDeviceName``, registers a function with ``setPerpetualTimer`` and sends
data with ``self.stream([...], snames=[...])``. Here ``LoggerPlugin`` is an
:class:`rtoc.Device`: the perpetual-timer function is what :meth:`sample`
calls, ``start()``/``cancel()`` start and stop the sampling loop, and
``self.run`` is true while the plugin runs, so plugins that loop in their own
threads (``while self.run:``) end when rtoc stops them.

``stream``, ``plot`` and ``event`` keep RTOC's signatures (which differ from
:class:`rtoc.Device`'s), including ``dname`` to file data under another device.
``createTCPClient``/``sendTCP`` talk to an rtoc (or RTOC) TCP server.
RTOC's GUI attributes (``smallGUI``, ``widget``, ``loadGUI``) are what rtoc-gui
shows as the device's own widget (local mode); the ``telegram_send_*`` methods go to the hook
``rtoc_telegram_send`` (rtoc-telegram's bot), and log once when nothing takes them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtoc.device import Device, DeviceError

if TYPE_CHECKING:
    from rtoc.logger import Logger

log = logging.getLogger(__name__)

#: ``sendTCP``'s positional arguments, in RTOC's order.
_TCP_KEYS = (
    "y",
    "sname",
    "dname",
    "unit",
    "x",
    "getSignal",
    "getLatest",
    "getEvent",
    "getSignalList",
    "getEventList",
    "getPluginList",
    "getSession",
    "plot",
    "event",
    "remove",
    "plugin",
    "logger",
)

#: RTOC's ``hold`` values of :meth:`LoggerPlugin.plot`: do they append?
_HOLD_APPENDS = {"off": False, "on": True, "mergeX": True, "mergeY": True}


@functools.cache
def _warn_once(message: str) -> None:
    log.warning(message)


def _looks_like_logger(candidate: object) -> bool:
    """RTOC passed ``None`` or callbacks positionally; rtoc passes its Logger."""
    return all(hasattr(candidate, name) for name in ("stream", "event", "store"))


def _default_name(cls: type) -> str:
    """The device name an RTOC plugin will give itself, known before it is constructed.

    RTOC plugins keep it in a module global (``DEVICENAME`` in the manual's
    Template.py, ``devicename`` in RTOC's own plugins) that they pass to
    ``setDeviceName``; without one, the plugin's file name is the best guess.
    """
    module = sys.modules.get(cls.__module__)
    for variable in ("DEVICENAME", "devicename"):
        value = getattr(module, variable, None)
        if isinstance(value, str) and value:
            return value
    return cls.__name__ if cls.__module__ == "__main__" else cls.__module__.rpartition(".")[2]


#: What ``stream``'s fast path takes as one number (numpy's float64 is a float).
_NUMBER = (float, int)
_NO_UNIT = object()


def _only(value: Any, otherwise: Any = None) -> Any:
    """The one text in ``value`` (a text, or a list or tuple of one), else ``otherwise``."""
    kind = type(value)
    if kind is str:
        return value
    if (kind is list or kind is tuple) and len(value) == 1 and type(value[0]) is str:
        return value[0]
    return otherwise


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or np.ndim(value) == 0:
        return [value]
    return list(value)


class LoggerPlugin(Device):
    """Base class of RTOC 2.x plugins (``class Plugin(LoggerPlugin)``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # rtoc lists and starts devices by their class's name before constructing
        # them; every RTOC plugin class is called "Plugin", so name it after its device
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):
            cls.name = _default_name(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Take the Logger as first argument or ``logger=``; ignore RTOC's other arguments."""
        candidates = [kwargs.get("logger"), *args[:1]]
        logger = next((c for c in candidates if _looks_like_logger(c)), None)
        super().__init__(logger)
        # name-mangled: RTOC plugins use plain private names of their own freely
        self.__timer: Callable[[], object] | None = None
        self.run = False
        self.smallGUI = False
        self.widget: Any = None

    # -- naming --------------------------------------------------------------------

    def setDeviceName(self, devicename: str = "noDevice") -> None:
        """Name the device; its signals and events are filed under this name."""
        self.name = devicename

    @property
    def devicename(self) -> str:
        return self.name

    @property
    def logger(self) -> Logger | None:
        return self.rtoc_logger

    # -- the perpetual timer -------------------------------------------------------

    def setPerpetualTimer(
        self,
        fun: Callable[[], object],
        samplerate: float | None = None,
        interval: float | None = None,
        old: bool = False,
    ) -> bool:
        """Call ``fun`` ``samplerate`` times a second (or every ``interval`` s) while running.

        ``old`` (RTOC's choice of timer implementation) is accepted and ignored.
        """
        if samplerate is None and interval is not None:
            samplerate = 1.0 / interval
        if samplerate is not None:
            self.samplerate = float(samplerate)
        self.__timer = fun
        return True

    def setSamplerate(self, rate: float) -> bool:
        self.samplerate = float(rate)
        return self.__timer is not None

    def setInterval(self, interval: float) -> bool:
        return self.setSamplerate(1.0 / interval)

    def sample(self) -> None:
        if self.__timer is not None:
            self.__timer()

    def start(self) -> bool:  # type: ignore[override]
        """Set ``run`` and start the perpetual timer; False when none is set (as RTOC)."""
        self.run = True
        if self.__timer is None:
            return False
        super().start()
        return True

    def stop(self, timeout: float = 5.0) -> None:
        self.run = False
        super().stop(timeout)

    def cancel(self) -> bool:
        """Stop the perpetual timer and the plugin's own ``while self.run`` loops."""
        self.stop()
        return self.__timer is not None

    def close(self) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        # without a perpetual timer the plugin samples in its own threads, which obey `run`
        return super().running if self.__timer is not None else self.run

    # -- sending data, with RTOC's signatures --------------------------------------

    def _connected(self) -> Logger | None:
        if self.rtoc_logger is None:
            _warn_once(f"{self.name} is not attached to an rtoc logger: its data goes nowhere")
        return self.rtoc_logger

    def stream(  # type: ignore[override]
        self,
        y: float | Sequence[float] = (),
        snames: str | Sequence[str] = (),
        dname: str | None = None,
        unit: str | Sequence[str | None] | None = None,
        x: float | Sequence[float] | None = None,
    ) -> bool:
        """Send the newest value of one or more signals: ``stream([1, 2], snames=["a", "b"])``.

        ``unit`` and ``x`` are one value for all signals or one per signal;
        ``x`` defaults to now; ``dname`` defaults to this plugin's name.
        """
        logger = self.rtoc_logger or self._connected()  # one lookup when attached
        if logger is None:
            return False
        # the call RTOC plugins make most, one number for one signal, goes straight through
        if isinstance(y, _NUMBER) and (x is None or isinstance(x, _NUMBER)):
            name = _only(snames)
            one_unit = unit if unit is None or type(unit) is str else _only(unit, _NO_UNIT)
            if name is not None and one_unit is not _NO_UNIT:
                logger.stream(y, name, dname or self.name, one_unit, x)
                return True
        values, names = _as_list(y), _as_list(snames)
        if len(values) != len(names):
            raise DeviceError(f"{self.name}: {len(values)} values for {len(names)} signal names")
        units = _as_list(unit)
        units = units if len(units) > 1 else units * len(names)  # one unit for all
        units = (units + [None] * len(names))[: len(names)]
        times = _as_list(time.time() if x is None else x)
        times = times if len(times) > 1 else times * len(names)
        if len(times) != len(values):
            raise DeviceError(f"{self.name}: {len(times)} x values for {len(values)} values")
        device = dname or self.name
        for value, name, one_unit, one_x in zip(values, names, units, times, strict=True):
            logger.stream(value, name, device, one_unit, one_x)
        return True

    def plot(  # type: ignore[override]
        self,
        x: Sequence[float] = (),
        y: Sequence[float] = (),
        sname: str = "noName",
        dname: str | None = None,
        unit: str = "",
        hold: str | bool = "off",
        autoResize: bool = False,
    ) -> bool:
        """Replace a signal with ``x, y`` (``hold="on"``: append).

        Only ``x`` given: those are the y values, at x = 0, 1, 2, ...
        ``hold="mergeX"`` (``"mergeY"``) appends only the pairs whose x (y)
        value the signal does not hold yet. ``autoResize`` is ignored.
        """
        logger = self._connected()
        if logger is None:
            return False
        appends = hold if isinstance(hold, bool) else _HOLD_APPENDS.get(hold)
        if appends is None:
            raise DeviceError(f"{self.name}: hold must be one of {', '.join(_HOLD_APPENDS)}")
        if len(y) == 0:
            x, y = range(len(x)), x
        xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        device = dname or self.name
        held = logger.store.get(device, sname)
        if hold in ("mergeX", "mergeY") and held is not None:
            existing, new = (held.x, xs) if hold == "mergeX" else (held.y, ys)
            keep = ~np.isin(new, existing)
            xs, ys = xs[keep], ys[keep]
        logger.plot(xs, ys, sname, device, unit or None, appends)
        return True

    def event(  # type: ignore[override]
        self,
        text: str = "",
        sname: str | None = None,
        dname: str | None = None,
        priority: int = 0,
        id: str | None = None,
        value: float | None = None,
        x: float | None = None,
    ) -> bool:
        """Raise an event; ``id`` is what global actions listen for, ``x`` its time."""
        logger = self._connected()
        if logger is None:
            return False
        logger.event(
            text,
            device=dname or self.name,
            signal=sname or "",
            priority=priority,
            id=id or "",
            value=value,
            time=x,
        )
        return True

    # -- TCP client (seed manual 5.9.2) --------------------------------------------

    def createTCPClient(
        self,
        address: str = "localhost",
        password: str | None = None,
        tcpport: int = 5050,
        threaded: bool = False,
    ) -> None:
        """Remember the server :meth:`sendTCP` talks to; ``threaded``: send in the background."""
        self.__tcp = (address, tcpport, password or None, threaded)

    def sendTCP(self, *args: Any, **kwargs: Any) -> dict[str, Any] | bool | None:
        """Send a request (manual 5.9 keys: ``y``, ``sname``, ``getLatest``, ...) to the server.

        Returns the reply, False when the server cannot be reached or refuses
        the password, None when the client is threaded.
        """
        target = getattr(self, "_LoggerPlugin__tcp", None)
        if target is None:
            log.error("%s: call createTCPClient() before sendTCP()", self.name)
            return False
        message = dict(zip(_TCP_KEYS, args, strict=False)) | kwargs
        message = {key: value for key, value in message.items() if value not in (None, False)}
        if "y" in message:
            message.setdefault("dname", self.name)
            if "x" not in message and not message.get("plot"):
                message["x"] = [time.time()] * len(_as_list(message["y"]))
        if target[3]:
            threading.Thread(target=self.__send_tcp, args=(message,), daemon=True).start()
            return None
        return self.__send_tcp(message)

    def __send_tcp(self, message: dict[str, Any]) -> dict[str, Any] | bool:
        from rtoc.net.client import AuthenticationError, Client
        from rtoc.net.frame import FrameError

        host, port, password, _ = self.__tcp
        try:
            with Client(host, port, password) as client:
                return client.send(message).recv()
        except (OSError, AuthenticationError, FrameError) as error:
            log.error("%s: TCP request to %s:%s failed: %s", self.name, host, port, error)
            return False

    # -- files, GUI and Telegram ---------------------------------------------------

    def getDir(self, dir: str | None = None) -> str:
        """The folder of ``dir`` (plugins pass ``__file__``), else of the plugin's module."""
        return os.path.dirname(os.path.realpath(dir or inspect.getfile(type(self))))

    def loadGUI(self) -> Any:
        """The plugin's QWidget for the desktop GUI (rtoc-gui asks once, in local mode;
        ``smallGUI`` puts it under the device's button), None: it has none."""
        return self.widget

    def telegram_send_message(self, text: str, onlyAdmin: bool = False) -> None:
        """Send ``text`` to the Telegram bot's users (only its admins with ``onlyAdmin``)."""
        self._telegram_send("message", text, onlyAdmin)

    def telegram_send_photo(self, path: str, onlyAdmin: bool = False) -> None:
        """Send the picture file at ``path`` to the Telegram bot's users."""
        self._telegram_send("photo", path, onlyAdmin)

    def telegram_send_document(self, path: str, onlyAdmin: bool = False) -> None:
        """Send the file at ``path`` to the Telegram bot's users."""
        self._telegram_send("document", path, onlyAdmin)

    def _telegram_send(self, kind: str, content: str, only_admin: bool) -> None:
        logger = self.rtoc_logger
        plugins = getattr(logger, "plugins", None)
        handled = plugins is not None and any(
            [
                bool(taken)
                for _, taken in plugins.call_each(
                    "rtoc_telegram_send",
                    logger=logger,
                    device=self.name,
                    kind=kind,
                    content=str(content),
                    only_admin=bool(only_admin),
                )
            ]
        )
        if not handled:
            _warn_once(
                f"{self.name}: no Telegram frontend handles telegram_send_{kind} yet; "
                "nothing was sent"
            )


#: Names of the compat API: not parameters or functions of a plugin.
COMPAT_NAMES = frozenset(name for name in vars(LoggerPlugin) if not name.startswith("_")) | {
    "run",
    "smallGUI",
    "widget",
}
LoggerPlugin.framework_names = COMPAT_NAMES


def __mro_entries__(bases: tuple[object, ...]) -> tuple[type, ...]:
    """Make this module a valid base class: ``class Plugin(LoggerPlugin)`` after
    ``import RTOC.LoggerPlugin as LoggerPlugin`` (as RTOC's manual writes it)
    subclasses :class:`LoggerPlugin` (PEP 560)."""
    return (LoggerPlugin,)
