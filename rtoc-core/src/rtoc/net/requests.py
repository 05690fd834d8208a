"""What each key of a TCP request does, and what goes back (seed manual 5.9).

A request is one JSON object; every key in it is handled and the reply
collects the answers: ``{"error": false, "sent": true, "latest": {...}}``.
The whole request is checked before anything is carried out, so a request
with one bad key changes nothing and the reply's ``message`` names the key.
Request data is never echoed back (RTOC 2.x did, so a 1000-sample message
got a 1000-sample reply).

``plugin``, ``logger`` and ``remove`` are *control* requests: the server only
carries them out for a caller it trusts (see :mod:`rtoc.net.server`).

``plugin`` answers in RTOC's shapes, so clients written for RTOC unpack them
unchanged: a start and a function call give the pair ``[ok, value]``
(``[true, ""]`` for a start), an unknown device ``[false, "PLUGIN not found:
…"]`` with ``"error": false``, as RTOC did. docs/tcp.md lists every difference.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from rtoc.device import DeviceError
from rtoc.events import Event, Priority
from rtoc.net import automation_commands, view_requests
from rtoc.signals import SignalKey
from rtoc.storage.base import StorageError

if TYPE_CHECKING:
    from rtoc.automation.automation import Automation
    from rtoc.logger import Logger


log = logging.getLogger("rtoc.net")


class RequestError(Exception):
    """A request that cannot be carried out; the text goes to the reply's ``message``."""


#: Failures that are the request's fault or the data's, reported without a traceback.
EXPECTED_ERRORS = (RequestError, DeviceError, ValueError, LookupError, TypeError, StorageError)


#: Keys that only make sense together with ``y``.
SAMPLE_KEYS = frozenset({"x", "y", "sname", "dname", "unit", "plot"})
READ_KEYS = frozenset(
    {"getSignalList", "getLatest", "getSignal", "getEventList", "getEvent", "getPluginList"}
)
#: rtoc's own read keys for remote frontends (see :mod:`rtoc.net.view_requests`).
VIEW_KEYS = frozenset({"getSignalInfo", "getBuckets", "getEventPage", "getDevices"})
CONTROL_KEYS = frozenset({"plugin", "logger", "remove"})
#: RTOC keys rtoc knows but cannot answer yet: refused with the reason.
UNSUPPORTED_KEYS: dict[str, str] = {}
KNOWN_KEYS = (
    SAMPLE_KEYS
    | READ_KEYS
    | VIEW_KEYS
    | CONTROL_KEYS
    | {"event", "getSession"}
    | UNSUPPORTED_KEYS.keys()
)
#: Keys whose answer may take long (device calls, big copies): served off the event loop.
SLOW_KEYS = (
    CONTROL_KEYS
    | VIEW_KEYS
    | {"getSignal", "getEventList", "getEvent", "getPluginList", "getSession"}
)
#: Device name RTOC gives samples sent without ``dname``.
DEFAULT_DEVICE = "noDevice"


def is_slow(message: dict[str, Any]) -> bool:
    return not SLOW_KEYS.isdisjoint(message)


def error_reply(message: str) -> dict[str, Any]:
    return {"error": True, "message": message}


class RequestHandler:
    """Carries out requests against a logger (the local one, or any with its methods)."""

    def __init__(self, logger: Logger) -> None:
        self.logger = logger

    def handle(self, message: dict[str, Any], *, control: bool = True, refusal: str = "") -> dict:
        """The reply to one request. ``control=False`` refuses control keys with ``refusal``."""
        try:
            actions = self._check(message, control, refusal)
        except RequestError as error:
            return error_reply(str(error))
        reply: dict[str, Any] = {"error": False}
        failures: list[str] = []
        for action in actions:
            try:
                action(reply, failures)
            except EXPECTED_ERRORS as error:
                failures.append(_text(error))
            except Exception as error:  # a bug of ours or a plugin's: keep serving
                log.exception("TCP request failed")
                failures.append(f"internal error: {type(error).__name__}: {error}")
        if failures:
            reply["error"] = True
            reply["message"] = "; ".join(failures)
        return reply

    # -- checking ----------------------------------------------------------------

    def _check(self, message: dict[str, Any], control: bool, refusal: str) -> list[Action]:
        _refuse_unknown("unknown request key(s)", message, KNOWN_KEYS)
        if not control and not CONTROL_KEYS.isdisjoint(message):
            keys = ", ".join(sorted(CONTROL_KEYS & set(message)))
            raise RequestError(f"{keys}: {refusal or 'control requests are not allowed here'}")
        for key, reason in UNSUPPORTED_KEYS.items():
            if key in message:
                raise RequestError(reason)
        actions: list[Action] = []
        if "y" in message:
            actions.append(self._samples(message))
        elif not SAMPLE_KEYS.isdisjoint(message):
            keys = ", ".join(sorted(SAMPLE_KEYS & set(message)))
            raise RequestError(f"{keys}: given without 'y' (the samples to send)")
        if "event" in message:
            actions.append(self._event(message["event"]))
        if message.get("getSignalList"):
            actions.append(self._signal_list)
        if message.get("getLatest") not in (None, False):
            actions.append(self._latest(message["getLatest"]))
        if "getSignal" in message:
            actions.append(self._signals(message["getSignal"]))
        if message.get("getEventList"):
            actions.append(self._events(None))
        if "getEvent" in message:
            actions.append(self._events(self._names("getEvent", message["getEvent"])))
        if message.get("getPluginList"):
            actions.append(self._plugin_list)
        if message.get("getSession"):
            actions.append(self._session)
        try:
            actions += self._view_reads(message)
        except view_requests.ViewRequestError as error:
            raise RequestError(str(error)) from None
        if "plugin" in message:
            actions.append(self._plugin(message["plugin"]))
        if "remove" in message:
            actions.append(self._remove(message["remove"]))
        if "logger" in message:
            actions.append(self._logger(message["logger"]))
        return actions

    # -- samples -----------------------------------------------------------------

    def _samples(self, message: dict[str, Any]) -> Action:
        y = message["y"]
        device = message.get("dname") or DEFAULT_DEVICE
        if not isinstance(device, str):
            raise RequestError(f"dname must be a text, got {_kind(device)}")
        names = _text_list("sname", message.get("sname"))
        if not names:
            raise RequestError("sname: the signal name(s) of y are missing")
        units = _unit_list(message.get("unit"))
        if message.get("plot", False) not in (True, False):
            raise RequestError(f"plot must be true or false, got {message['plot']!r}")
        if message.get("plot"):
            return self._plot(message, device, names, units)
        ys = _numbers("y", y)
        xs = _times_given(message.get("x"))
        if xs is not None and len(xs) not in (1, len(ys)):
            raise RequestError(f"x has {len(xs)} values but y has {len(ys)}")
        if len(names) not in (1, len(ys)):
            raise RequestError(f"sname has {len(names)} names but y has {len(ys)} values")
        if units is not None and len(units) not in (1, len(names)):
            raise RequestError(f"unit has {len(units)} entries but sname has {len(names)}")
        stream, stream_many = self.logger.stream, self.logger.stream_many
        first_unit = units[0] if units else None

        def ingest(reply: dict, failures: list[str]) -> None:
            if len(ys) == 1:
                stream(float(ys[0]), names[0], device, first_unit, _first(xs))
            elif len(names) == 1:
                stream_many(_times(xs, len(ys)), ys, names[0], device, first_unit)
            else:
                times = _times(xs, len(ys))
                for name, (unit, indexes) in _groups(names, units).items():
                    picked = np.asarray(indexes)
                    stream_many(times[picked], ys[picked], name, device, unit)
            reply["sent"] = True

        return ingest

    def _plot(
        self, message: dict[str, Any], device: str, names: list[str], units: list[str] | None
    ) -> Action:
        if len(names) != 1:
            raise RequestError(f"plot replaces one signal; sname names {len(names)}")
        ys = _numbers("y", message["y"])
        xs = _times_given(message.get("x"))
        if xs is not None and len(xs) != len(ys):
            raise RequestError(f"x has {len(xs)} values but y has {len(ys)}")

        def plot(reply: dict, failures: list[str]) -> None:
            self.logger.plot(xs, ys, names[0], device, units[0] if units else None)
            reply["sent"] = True

        return plot

    # -- events ------------------------------------------------------------------

    def _event(self, spec: Any) -> Action:
        event = _parse_event(spec)

        def add(reply: dict, failures: list[str]) -> None:
            self.logger.add_event(event)
            reply["sent"] = True

        return add

    # -- reading -----------------------------------------------------------------

    def _signal_list(self, reply: dict, failures: list[str]) -> None:
        reply["signalList"] = [list(key) for key in self.logger.signal_names()]

    def _latest(self, spec: Any) -> Action:
        keys = None if spec is True else self._names("getLatest", spec)

        def latest(reply: dict, failures: list[str]) -> None:
            found = self.logger.latest(keys)
            reply["latest"] = {_name(key): list(reading) for key, reading in found.items()}

        return latest

    def _signals(self, spec: Any) -> Action:
        if spec == "all":
            queries: list[tuple[SignalKey, float | None, float | None, int | None]] | None = None
        elif isinstance(spec, dict):
            queries = [_range_query(spec)]
        else:
            queries = [(key, None, None, None) for key in self._names("getSignal", spec)]

        def signals(reply: dict, failures: list[str]) -> None:
            chosen = queries
            if chosen is None:
                chosen = [(key, None, None, None) for key in self.logger.signal_names()]
            answer = {}
            for key, start, end, last in chosen:
                try:
                    x, y, unit = self.logger.read(*key, start=start, end=end, last=last)
                except KeyError:
                    failures.append(f"getSignal: no signal {_name(key)}")
                    continue
                answer[_name(key)] = [x.tolist(), y.tolist(), unit]
            reply["signals"] = answer

        return signals

    def _events(self, keys: list[SignalKey] | None) -> Action:
        def events(reply: dict, failures: list[str]) -> None:
            answer = reply.setdefault("events", {})
            for event in self.logger.events_of(keys):
                answer[event.uid] = view_requests.event_to_wire(event)

        return events

    def _session(self, reply: dict, failures: list[str]) -> None:
        """Every signal in memory and every event, as ``exportData`` writes a session."""
        from rtoc.io.formats import ExportSignal
        from rtoc.io.session import session_dict

        signals = []
        for device, name in self.logger.signal_names():
            x, y, unit = self.logger.read(device, name)
            signals.append(ExportSignal(device, name, unit, x, y))
        reply["session"] = session_dict(signals, self.logger.events_of(None))

    def _view_reads(self, message: dict[str, Any]) -> list[Action]:
        """rtoc's keys for remote frontends, each checked before anything runs."""
        view = self.logger
        actions: list[Action] = []
        if message.get("getSignalInfo"):
            actions.append(
                lambda reply, _: reply.update(signalInfo=view_requests.signal_infos(view))
            )
        if "getBuckets" in message:
            device, name, start, end, count = view_requests.bucket_query(message["getBuckets"])

            def buckets(reply: dict, failures: list[str]) -> None:
                found = view.read_buckets(device, name, start, end, count)
                reply["buckets"] = view_requests.buckets_answer(found)

            actions.append(buckets)
        if "getEventPage" in message:
            query = view_requests.event_query(message["getEventPage"])
            actions.append(
                lambda reply, _: reply.update(
                    eventPage=view_requests.event_page_answer(view.event_page(query))
                )
            )
        if message.get("getDevices"):
            actions.append(
                lambda reply, _: reply.update(
                    devices=view_requests.devices_answer(view.describe_devices())
                )
            )
        return actions

    def _plugin_list(self, reply: dict, failures: list[str]) -> None:
        reply["pluginList"] = {
            device.name: {
                "functions": [function.name for function in device.functions],
                "parameters": [[p.name, _jsonable(p.value)] for p in device.parameters],
                "status": device.running,
            }
            for device in self.logger.describe_devices()
        }

    # -- control -----------------------------------------------------------------

    def _plugin(self, spec: Any) -> Action:
        if not isinstance(spec, dict) or not all(isinstance(c, dict) for c in spec.values()):
            raise RequestError(
                'plugin must be {"Device": {"start": true, "function()": [args], '
                '"get": "parameter", "parameter": value}}'
            )
        for device, calls in spec.items():
            for call, value in calls.items():
                if call == "start" and not isinstance(value, bool):
                    raise RequestError(f"plugin.{device}.start must be true or false")
                if call.endswith("()") and not isinstance(value, (list, dict)):
                    raise RequestError(
                        f"plugin.{device}.{call} takes a list of arguments "
                        "(or an object of keyword arguments)"
                    )
                if call == "get" and not (isinstance(value, str) or _is_text_list(value)):
                    raise RequestError(f"plugin.{device}.get takes a parameter name or a list")

        def plugin(reply: dict, failures: list[str]) -> None:
            reply["plugin"] = {
                device: {
                    call: self._plugin_result(device, call, value, failures)
                    for call, value in calls.items()
                }
                for device, calls in spec.items()
            }

        return plugin

    def _plugin_result(self, device: str, call: str, value: Any, failures: list[str]) -> Any:
        """One call's answer in RTOC's shape.

        A start and a function call give RTOC's pair ``[ok, value]``; when they
        fail the pair carries the reason and the reply's ``error`` stays false,
        as in RTOC. Other calls answer the bare value; when they fail, RTOC's
        ``false``, and rtoc adds ``error: true`` and a ``message``.
        """
        paired = (call == "start" and value) or call.endswith("()")
        try:
            result = self._plugin_call(device, call, value)
        except Exception as error:  # the device's own code may raise anything
            if not paired:
                failures.append(f"plugin.{device}.{call}: {_text(error)}")
                return False
            reason = (
                f"PLUGIN not found: {_text(error)}"
                if not self._installed(device)
                else f"{type(error).__name__}: {_text(error)}"
            )
            log.warning("TCP plugin.%s.%s failed: %s", device, call, reason)  # error stays false
            return [False, reason]
        return [True, result] if paired else result

    def _installed(self, device: str) -> bool:
        plugins = getattr(self.logger, "plugins", None)
        return device in self.logger.devices or (plugins is not None and device in plugins.devices)

    def _plugin_call(self, device: str, call: str, value: Any) -> Any:
        logger = self.logger
        if call == "start":
            if value:
                logger.start_device(device)
                return ""
            if device in logger.devices:
                logger.stop_device(device)
            elif not self._installed(device):
                raise DeviceError(f"no device named {device!r}")
            return True  # stopping a device that is not running: nothing to do, as RTOC
        if call.endswith("()"):
            function = call[:-2]
            if isinstance(value, dict):
                return _jsonable(logger.call(device, function, **value))
            return _jsonable(logger.call(device, function, *value))
        if call == "get":
            if isinstance(value, str):
                return _jsonable(logger.get_parameter(device, value))
            return [_jsonable(logger.get_parameter(device, name)) for name in value]
        if value == "get":  # RTOC's {"parameter": "get"}
            return _jsonable(logger.get_parameter(device, call))
        logger.set_parameter(device, call, value)
        return _jsonable(logger.get_parameter(device, call))  # RTOC answered the value set

    def _remove(self, spec: Any) -> Action:
        keys = self._names("remove", spec)

        def remove(reply: dict, failures: list[str]) -> None:
            reply["remove"] = self.cleared(keys)

        return remove

    def _logger(self, spec: Any) -> Action:
        if not isinstance(spec, dict):
            raise RequestError(
                f"logger must be an object of commands ({', '.join(sorted(LOGGER_COMMANDS))})"
            )
        _refuse_unknown("logger: unknown command(s)", spec, LOGGER_COMMANDS)

        def run(reply: dict, failures: list[str]) -> None:
            answer = {}
            for command, value in spec.items():
                try:
                    answer[command] = LOGGER_COMMANDS[command](self, value)
                except Exception as error:
                    answer[command] = False
                    failures.append(f"logger.{command}: {_text(error)}")
                    if not isinstance(error, EXPECTED_ERRORS):
                        log.exception("logger.%s failed", command)
            reply["logger"] = answer

        return run

    def cleared(self, keys: list[SignalKey]) -> list[bool]:
        """Drop ``keys`` from memory; for each, whether it was there."""
        dropped = set(self.logger.clear(keys))
        return [key in dropped for key in keys]

    # -- names -------------------------------------------------------------------

    def _names(self, key: str, spec: Any) -> list[SignalKey]:
        """Signal names "Device.Signal" → keys; a name whose device has a dot still resolves."""
        if isinstance(spec, str):
            spec = [spec]
        if not _is_text_list(spec):
            raise RequestError(f'{key} takes a list of "Device.Signal" names, got {_kind(spec)}')
        return [self.key_of(key, name) for name in spec]

    def key_of(self, key: str, name: str) -> SignalKey:
        """Split "Device.Signal" where a known signal, else a known device, says."""
        candidates = [(name[:dot], name[dot + 1 :]) for dot in _dots(name)]
        if not candidates:
            raise RequestError(f'{key}: {name!r} is not a "Device.Signal" name')
        store = self.logger.store
        for candidate in candidates:
            if candidate in store:
                return candidate
        devices = set(store.devices()) | set(self.logger.devices)
        devices.update(event.device for event in self.logger.events_of())
        for candidate in candidates:
            if candidate[0] in devices:
                return candidate
        return candidates[0]


#: One checked part of a request: fills the reply, appends failure messages.
Action = Callable[[dict, list], None]


def _clear(handler: RequestHandler, value: Any) -> Any:
    if value == "all" or value is True:
        handler.logger.clear()
        return True
    return handler.cleared(handler._names("logger.clear", value))


def _resize(handler: RequestHandler, value: Any) -> bool:
    handler.logger.resize(value)
    return True


def _samplerate(handler: RequestHandler, value: Any) -> dict[str, Any]:
    """A number for every attached device, or ``{"Device": rate}``."""
    logger = handler.logger
    rates = value if isinstance(value, dict) else dict.fromkeys(logger.devices, value)
    for name, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise RequestError(f"samplerate of {name} must be a positive number, got {rate!r}")
    # every rate is checked before any is set: one refused changes nothing
    checked = {
        name: logger.check_parameter(name, "samplerate", rate) for name, rate in rates.items()
    }
    answer = {}
    for name, rate in checked.items():
        logger.set_parameter(name, "samplerate", rate)
        answer[name] = True
    return answer


def _signal(handler: RequestHandler, command: str, value: Any) -> SignalKey:
    """A signal named as "Device.Signal" (split as everywhere) or as a pair [device, name]."""
    if isinstance(value, str):
        return handler.key_of(command, value)
    if isinstance(value, list) and len(value) == 2 and _is_text_list(value):
        return (value[0], value[1])
    raise RequestError(f'{command} takes "Device.Signal" or ["Device", "Signal"], got {value!r}')


def _spec(command: str, value: Any, known: tuple[str, ...], needed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise RequestError(f"logger.{command} takes an object with {', '.join(known)}")
    _refuse_unknown(f"logger.{command}: unknown field(s)", value, known)
    missing = [key for key in needed if key not in value]
    if missing:
        raise RequestError(f"logger.{command} needs {', '.join(missing)}")
    return value


def _delete_signals(handler: RequestHandler, value: Any) -> list[list[str]]:
    """``{"signals": ["D.S" or [D, S], ...] or null (all), "start": x, "end": x}``:
    the signals touched, as pairs."""
    spec = _spec("deleteSignals", value, ("signals", "start", "end"), ())
    keys = _signal_list(handler, "deleteSignals", spec)
    touched = handler.logger.delete_signals(keys, spec.get("start"), spec.get("end"))
    return [list(key) for key in touched]


def _signal_list(handler: RequestHandler, command: str, spec: dict) -> list[SignalKey] | None:
    names = spec.get("signals")
    if names is not None and not isinstance(names, list):
        raise RequestError(f"logger.{command}.signals must be a list of signals or null")
    return None if names is None else [_signal(handler, command, n) for n in names]


def _resample_signals(handler: RequestHandler, value: Any) -> dict[str, Any]:
    """``{"rate": Hz, "signals": [...] or null (all), "start": x, "end": x}``: the rate,
    the period and, per signal, the samples in the period before and after."""
    spec = _spec("resampleSignals", value, ("rate", "signals", "start", "end"), ("rate",))
    keys = _signal_list(handler, "resampleSignals", spec)
    report = handler.logger.resample_signals(spec["rate"], keys, spec.get("start"), spec.get("end"))
    return {
        "rate": report.rate,
        "start": report.start,
        "end": report.end,
        "signals": [
            {"signal": list(signal.key), "before": signal.before, "after": signal.after}
            for signal in report.signals
        ],
    }


def _delete_events(handler: RequestHandler, value: Any) -> int:
    """getEventPage's filter object: every event it matches goes; the number deleted."""
    if not isinstance(value, dict):
        raise RequestError("logger.deleteEvents takes getEventPage's filter object")
    spec = {key: item for key, item in value.items() if key not in ("offset", "limit")}
    try:
        query = view_requests.event_query(spec)
    except view_requests.ViewRequestError as error:
        raise RequestError(str(error).replace("getEventPage", "logger.deleteEvents")) from None
    return handler.logger.delete_events(query)


def _renamed(command: str) -> Callable[[RequestHandler, Any], bool]:
    """``renameSignal`` / ``copySignal``: ``{"signal": ..., "to": ...}``."""

    def change(handler: RequestHandler, value: Any) -> bool:
        spec = _spec(command, value, ("signal", "to"), ("signal", "to"))
        key = _signal(handler, command, spec["signal"])
        to = spec["to"]
        if not (isinstance(to, list) and len(to) == 2 and _is_text_list(to)):
            raise RequestError(f'logger.{command}.to must be ["Device", "Signal"], got {to!r}')
        method = (
            handler.logger.rename_signal
            if command == "renameSignal"
            else handler.logger.copy_signal
        )
        method(key, (to[0], to[1]))
        return True

    return change


def _set_unit(handler: RequestHandler, value: Any) -> bool:
    spec = _spec("setUnit", value, ("signal", "unit"), ("signal", "unit"))
    if not isinstance(spec["unit"], str):
        raise RequestError(f"logger.setUnit.unit must be a text, got {spec['unit']!r}")
    handler.logger.set_unit(_signal(handler, "setUnit", spec["signal"]), spec["unit"])
    return True


def _info(handler: RequestHandler, value: Any) -> dict[str, Any]:
    return handler.logger.info()


def _on_automation(
    command: Callable[[Automation, Any], Any],
) -> Callable[[RequestHandler, Any], Any]:
    return lambda handler, value: command(handler.logger.automation, value)


def _refused(reason: str) -> Callable[[RequestHandler, Any], Any]:
    def refuse(handler: RequestHandler, value: Any) -> Any:
        raise RequestError(reason)

    return refuse


#: The ``logger`` request's commands: name → ``command(handler, value) -> result``.
LOGGER_COMMANDS: dict[str, Callable[[RequestHandler, Any], Any]] = {
    "info": _info,
    "clear": _clear,
    "resize": _resize,
    "recordLength": _resize,
    "samplerate": _samplerate,
    "deleteSignals": _delete_signals,
    "deleteEvents": _delete_events,
    "resampleSignals": _resample_signals,
    "renameSignal": _renamed("renameSignal"),
    "copySignal": _renamed("copySignal"),
    "setUnit": _set_unit,
    "export": _refused(
        "export over TCP is refused: the client would choose a file on the server; "
        "read the data with getSignal instead"
    ),
    "reboot": _refused("reboot over TCP is not supported"),
    "addJob": lambda handler, value: automation_commands.add_job(
        handler.logger.automation, value, handler.key_of
    ),
    **{name: _on_automation(command) for name, command in automation_commands.COMMANDS.items()},
}


# -- parsing helpers ---------------------------------------------------------------


def _refuse_unknown(what: str, given: Iterable[str], known: Iterable[str]) -> None:
    """RequestError naming every unknown entry and the known ones, if there are unknown."""
    known = sorted(known)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise RequestError(f"{what} {', '.join(map(repr, unknown))}; known: {', '.join(known)}")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(error: BaseException) -> str:
    return error.args[0] if isinstance(error, KeyError) and error.args else str(error)


def _name(key: SignalKey) -> str:
    return f"{key[0]}.{key[1]}"


def _dots(name: str) -> Iterable[int]:
    return (index for index, char in enumerate(name) if char == ".")


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _text_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    if not _is_text_list(value):
        raise RequestError(f"{key} must be a text or a list of texts, got {_kind(value)}")
    return value


def _unit_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(u, str) or u is None for u in value):
        return [u or "" for u in value]
    raise RequestError(f"unit must be a text or a list of texts, got {_kind(value)}")


def _numbers(key: str, value: Any) -> np.ndarray:
    """A number or a list of numbers as float64; anything else names the problem."""
    values = np.asarray(value if isinstance(value, list) else [value])
    if values.ndim != 1 or values.dtype.kind not in "fiu":
        raise RequestError(f"{key} must be a number or a flat list of numbers")
    return values.astype(np.float64, copy=False)


def _times_given(x: Any) -> np.ndarray | None:
    """The request's ``x``: None when missing or ``[]`` (the server's time)."""
    if x is None or x == []:
        return None
    xs = _numbers("x", x)
    if not np.isfinite(xs).all():
        raise RequestError("x must be finite time stamps (no NaN or Infinity)")
    return xs


def _first(xs: np.ndarray | None) -> float | None:
    return None if xs is None else float(xs[0])


def _times(xs: np.ndarray | None, count: int) -> np.ndarray:
    """``count`` time stamps: the given ones, one given for all, or now for all."""
    if xs is not None and len(xs) == count:
        return xs
    return np.full(count, time.time() if xs is None else float(xs[0]))


def _groups(names: list[str], units: list[str] | None) -> dict[str, tuple[str | None, list[int]]]:
    """Indexes of each signal name, with the unit given for its first occurrence."""
    groups: dict[str, tuple[str | None, list[int]]] = {}
    for index, name in enumerate(names):
        group = groups.get(name)
        if group is None:
            unit = None if units is None else units[0 if len(units) == 1 else index]
            group = groups[name] = (unit, [])
        group[1].append(index)
    return groups


_EVENT_FIELDS = ("text", "sname", "dname", "x", "priority", "id", "value")


def _parse_event(spec: Any) -> Event:
    """RTOC's ``[text, sname, dname, x, priority, id, value]`` or the dict form."""
    if isinstance(spec, list):
        if not 1 <= len(spec) <= len(_EVENT_FIELDS):
            raise RequestError(
                f"event list takes 1 to {len(_EVENT_FIELDS)} items "
                f"[{', '.join(_EVENT_FIELDS)}], got {len(spec)}"
            )
        fields = dict(zip(_EVENT_FIELDS, spec, strict=False))
    elif isinstance(spec, dict):
        _refuse_unknown("event: unknown field(s)", spec, _EVENT_FIELDS)
        fields = spec
    else:
        raise RequestError(f"event must be a list or an object, got {_kind(spec)}")
    text = fields.get("text")
    if not isinstance(text, str):
        raise RequestError(f"event text must be a text, got {_kind(text)}")
    for key in ("sname", "dname"):
        if not isinstance(fields.get(key) or "", str):
            raise RequestError(f"event {key} must be a text, got {_kind(fields[key])}")
    for key in ("x", "value"):
        value = fields.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (key == "x" and not math.isfinite(value))
        ):
            raise RequestError(f"event {key} must be a number, got {json.dumps(value)[:40]}")
    priority = fields.get("priority") or 0
    if priority not in (0, 1, 2) or isinstance(priority, bool):
        raise RequestError(f"event priority must be 0, 1 or 2, got {json.dumps(priority)[:40]}")
    event_id = fields.get("id")
    if event_id is not None and not isinstance(event_id, (str, int)):
        raise RequestError(f"event id must be a text, got {_kind(event_id)}")
    extra = {} if fields.get("x") is None else {"time": fields["x"]}
    return Event(
        text=text,
        device=fields.get("dname") or "",
        signal=fields.get("sname") or "",
        priority=Priority(priority),
        id=event_id,
        value=fields.get("value"),
        **extra,
    )


def _range_query(spec: dict[str, Any]) -> tuple[SignalKey, float | None, float | None, int | None]:
    _refuse_unknown(
        "getSignal: unknown field(s)", spec, ("dname", "sname", "xmin", "xmax", "maxN", "database")
    )
    device, name = spec.get("dname"), spec.get("sname")
    if not isinstance(device, str) or not isinstance(name, str):
        raise RequestError("getSignal needs dname and sname as texts")
    bounds = []
    for key in ("xmin", "xmax"):
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RequestError(f"getSignal {key} must be a number, got {_kind(value)}")
        bounds.append(value)
    last = spec.get("maxN")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 0):
        raise RequestError(f"getSignal maxN must be a whole number >= 0, got {last!r}")
    return (device, name), bounds[0], bounds[1], last


def _jsonable(value: Any) -> Any:
    """``value`` if JSON can carry it, else its text (a device may return anything)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
